"""What commerce_events relies on in blinker: fails when a release changes it.

The library subclasses :class:`blinker.NamedSignal` and overrides every method
that reads blinker's private maps (see ``commerce_events/_signal.py``). What
remains is checked here, against the installed blinker.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version

import blinker

from commerce_events import ProductViewed, signal, subscribe


def test_pinned_below_the_next_major():
    from importlib.metadata import requires

    spec = next(r for r in requires("commerce-events") or [] if r.startswith("blinker"))
    assert "<2" in spec
    assert int(version("blinker").split(".")[0]) == 1


def test_named_signal_takes_name_and_doc():
    parameters = list(inspect.signature(blinker.NamedSignal.__init__).parameters)
    assert ["self", "name", "doc"] == parameters
    sig = blinker.NamedSignal("x", "doc")
    assert ("x", "doc") == (sig.name, sig.__doc__)


def test_receivers_map_and_connection_signals():
    sig = blinker.NamedSignal("x")
    assert {} == sig.receivers
    assert isinstance(sig.receiver_connected, blinker.Signal)
    assert isinstance(sig.receiver_disconnected, blinker.Signal)


def test_muted_sets_is_muted():
    sig = signal("product_viewed")
    with sig.muted():
        assert sig.is_muted
    assert not sig.is_muted


def test_connected_to_and_connect_via_go_through_connect():
    sig = signal("product_viewed")
    calls = []

    def receiver(sender, **kwargs):
        calls.append(sender)

    with sig.connected_to(receiver):
        sig.send("a", product=1)
    sig.send("b", product=1)

    @sig.connect_via("c")
    def via(sender, **kwargs):
        calls.append(("via", sender))

    sig.send("c", product=1)
    assert ["a", ("via", "c")] == calls


def test_receiver_connected_is_sent():
    sig = signal("product_viewed")
    seen = []

    def on_connect(connected_signal, **kwargs):
        # blinker's convention: the signal first, then receiver= and sender=.
        seen.append((connected_signal, kwargs["receiver"]))

    sig.receiver_connected.connect(on_connect)
    try:

        def handler(event: ProductViewed) -> None:
            pass

        subscribe(ProductViewed, handler)
    finally:
        sig.receiver_connected.disconnect(on_connect)
    assert [(sig, handler)] == seen


def test_any_and_namespace():
    assert isinstance(blinker.ANY, object)
    assert issubclass(blinker.Namespace, dict)
    assert callable(blinker.Namespace.signal)
