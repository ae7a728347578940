"""Process-wide settings: the default failure policy and the async bridge.

Both are read when they are needed (a failure's policy when a subscriber
fails, the bridge when a synchronous emit meets an async subscriber), never on
every emit, so changing them takes effect at once and costs emits nothing.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final, Literal

from . import _observing, _subscriptions

__all__ = [
    "AsyncBridge",
    "OnError",
    "check_policy",
    "get_async_bridge",
    "isolated_state",
    "library_on_error",
    "set_async_bridge",
    "set_default_on_error",
]

OnError = Literal["raise", "log"]
"""A failure policy.

``"raise"``: the subscriber's exception is collected and, once every subscriber
has run, raised in a :class:`~commerce_events.exceptions.SubscriberError`.
``"log"``: the exception is logged (ERROR, with traceback) on the
``commerce_events`` logger and not raised.
"""

AsyncBridge = Callable[..., Any]
"""Runs a coroutine function to completion from synchronous code.

Called as ``bridge(async_fn, *args, **kwargs)`` and returns the coroutine's
result; see :mod:`commerce_events.bridges` for ready-made ones.
"""

POLICIES: Final = ("raise", "log")

_library_on_error: OnError = "raise"
_bridge: AsyncBridge | None = None


def check_policy(on_error: object) -> None:
    """Refuse anything but a policy (or None, "not set here").

    Raises:
        ValueError: *on_error* is not ``"raise"``, ``"log"`` or None.
    """
    if on_error is not None and on_error not in POLICIES:
        msg = f"on_error must be one of {POLICIES} (or None), got {on_error!r}"
        raise ValueError(msg)


def library_on_error() -> OnError:
    """The library-wide default policy."""
    return _library_on_error


def set_default_on_error(
    on_error: OnError, payload_type: type[Any] | None = None
) -> None:
    """Set the failure policy used where a subscription does not set its own.

    Resolution order when a subscriber fails: the subscription's ``on_error``,
    then the event's default, then the library's default (``"raise"``).

    Args:
        on_error: ``"raise"`` or ``"log"``.
        payload_type: The event to set the default for; None sets the library
            default.

    Raises:
        ValueError: *on_error* is not a policy.
        NotAPayloadError: *payload_type* is not a registered payload class.
    """
    global _library_on_error  # noqa: PLW0603 - the one process-wide default
    if on_error not in POLICIES:
        check_policy(on_error)
        msg = "on_error cannot be None here"
        raise ValueError(msg)
    if payload_type is None:
        _library_on_error = on_error
    else:
        _subscriptions.route_for_type(payload_type).on_error = on_error


def get_async_bridge() -> AsyncBridge | None:
    """The configured bridge, or None."""
    return _bridge


def set_async_bridge(bridge: AsyncBridge | None) -> None:
    """Let synchronous ``emit`` reach async subscribers through *bridge*.

    Without a bridge, a synchronous emit of an event that has async subscribers
    raises :class:`~commerce_events.exceptions.AsyncDeliveryError` before any
    subscriber runs. Pick the bridge matching how your code runs:
    :func:`commerce_events.bridges.asgiref` under Django,
    :func:`commerce_events.bridges.anyio` in Starlette/FastAPI worker threads,
    :func:`commerce_events.bridges.new_event_loop` in plain sync code, or
    :func:`commerce_events.bridges.auto`. Inside a running event loop a
    synchronous emit never bridges: use ``await emit_async(...)``.

    Args:
        bridge: ``bridge(async_fn, *args, **kwargs) -> result``, or None to
            remove the bridge.

    Raises:
        TypeError: *bridge* is not callable (a name such as ``"auto"``, or a
            coroutine function, which cannot run anything from sync code).
        ImportError: *bridge* is one of :mod:`commerce_events.bridges` whose
            package (asgiref, anyio) is not installed.
    """
    global _bridge  # noqa: PLW0603 - the one process-wide bridge
    candidate: object = bridge  # checked, whatever the annotation says
    if bridge is not None:
        if not callable(candidate):
            hint = (
                f"; did you mean commerce_events.bridges.{bridge}?"
                if isinstance(bridge, str)
                else ""
            )
            msg = f"set_async_bridge() takes a callable or None, got {bridge!r}{hint}"
            raise TypeError(msg)
        if inspect.iscoroutinefunction(bridge):
            msg = (
                f"set_async_bridge() takes a synchronous callable that runs a "
                f"coroutine to completion; {bridge!r} is itself a coroutine function"
            )
            raise TypeError(msg)
        requires: Callable[[], None] | None = getattr(bridge, "requires", None)
        if requires is not None:
            requires()
    _bridge = bridge


@contextmanager
def isolated_state() -> Iterator[None]:
    """Save every event's subscriptions, the observers and the defaults; restore
    them on exit.

    Events registered inside the block keep their subscriptions. Used by the
    testing toolkit's ``isolated_subscriptions``.
    """
    global _library_on_error, _bridge
    routes = list(_subscriptions.ROUTES.values())
    saved = [(route, route.save()) for route in routes]
    process_wide = _subscriptions.save_process_wide()
    observers = _observing.save()
    library_on_error, bridge = _library_on_error, _bridge
    try:
        yield
    finally:
        for route, state in saved:
            route.restore(state)
        _subscriptions.restore_process_wide(process_wide)
        _observing.restore(observers)
        _library_on_error, _bridge = library_on_error, bridge
