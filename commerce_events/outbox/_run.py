"""Running a relay from a command: signals, a forwarder named on the command line."""

from __future__ import annotations

import importlib
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, cast

from ..forwarding import Forwarder
from . import Relay

__all__ = ["load_forwarder", "run_until_signalled", "stop_on_signals"]


def load_forwarder(spec: str) -> Forwarder:
    """The forwarder named ``module:attribute`` (called if a class or factory).

    Raises:
        ValueError: *spec* names nothing, or nothing with a ``send`` method.
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        msg = f"expected module:attribute, got {spec!r}"
        raise ValueError(msg)
    try:
        found: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as exc:
        msg = f"cannot load {spec!r}: {exc}"
        raise ValueError(msg) from exc
    if isinstance(found, type) or (
        callable(found) and not callable(getattr(found, "send", None))
    ):
        found = found()  # a class, or a factory
    if not callable(getattr(found, "send", None)):
        msg = f"{spec!r} is not a forwarder (an object with a send(envelope) method)"
        raise ValueError(msg)
    return cast("Forwarder", found)


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT, for the ``with`` block's duration.

    Outside the main thread (where Python cannot handle signals) the event is
    only set by its owner.
    """
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {
        signum: signal.signal(signum, handle)
        for signum in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_until_signalled(relay: Relay) -> None:
    """Run *relay* until SIGTERM or SIGINT; the current batch always finishes."""
    with stop_on_signals() as stop:
        relay.run(stop)
