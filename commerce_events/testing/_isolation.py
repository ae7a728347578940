"""Running a block with chosen subscribers only, and restoring them after.

Built on the dispatcher's saved state: every signal's subscriptions (and the
failure-policy defaults) are saved on entry and restored on exit, so whatever a
test subscribes, unsubscribes or mutes inside the block does not leak out.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .._settings import isolated_state
from .._subscriptions import (
    ROUTES,
    catch_all_ids,
    receiver_id,
    remove_catch_all,
)

__all__ = ["isolated_subscriptions", "performing_nothing", "performing_only"]


@contextmanager
def isolated_subscriptions() -> Iterator[None]:
    """Restore every event's subscriptions when the block exits.

    Subscribers added or removed inside the block are undone on exit, even on
    an exception; so are changes to the failure-policy defaults
    (:func:`~commerce_events.set_default_on_error`) and to the async bridge.
    Events registered inside the block stay registered (names are global),
    with their subscriptions.
    """
    with isolated_state():
        yield


@contextmanager
def performing_only(*subscribers: Callable[..., Any]) -> Iterator[None]:
    """Run the block with only *subscribers* active; restore everyone on exit.

    Every other subscriber (typed subscribers and ``signal.connect`` receivers
    alike) is disconnected for the duration of the block; the chosen ones keep
    their events, senders, priorities and failure policies. Subscribing inside
    the block works as usual and is undone on exit. Named after Solidus's (and
    Omnes') ``performing_only``.

    Args:
        subscribers: The subscribers to keep, as they were subscribed (the same
            function, or the same bound method).

    Raises:
        ValueError: One of *subscribers* is not subscribed to any event, which
            is most likely a mistake in the test.
    """
    keep = {receiver_id(s): s for s in subscribers}
    signals = [route.signal for route in list(ROUTES.values())]
    connected = {rid for sig in signals for rid in sig.receivers}
    connected.update(catch_all_ids())
    missing = [s for rid, s in keep.items() if rid not in connected]
    if missing:
        names = ", ".join(getattr(s, "__qualname__", repr(s)) for s in missing)
        msg = f"not subscribed to any event: {names}"
        raise ValueError(msg)
    with isolated_subscriptions():
        for sig in signals:
            for rid, target in list(sig.receivers.items()):
                if rid in keep:
                    continue
                receiver = target() if isinstance(target, weakref.ref) else target
                if receiver is not None:
                    sig.disconnect(receiver)
        for rid in catch_all_ids():
            if rid not in keep:
                remove_catch_all(rid)
        yield


@contextmanager
def performing_nothing() -> Iterator[None]:
    """Run the block with no subscriber active; restore everyone on exit.

    Emitting still validates and is still recorded by
    :func:`~commerce_events.testing.capture_events`; nothing else runs.
    """
    with performing_only():
        yield
