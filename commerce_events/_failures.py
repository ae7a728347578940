"""The one failure path: what happens when subscribers raise.

Every delivery loop (``emit``, ``emit_async`` sequential and concurrent,
``send``/``send_async`` and the robust sends, deferred delivery, consumers)
hands each failure to a :class:`Failures` collector and calls
:meth:`Failures.finish` after the loop, so the rules cannot drift apart:

- An ``Exception`` is its subscriber's failure, under its policy: the
  subscription's ``on_error``, else the event's, else the library's.
  ``"log"`` logs it at once (ERROR, with traceback); ``"raise"`` collects it
  into the :class:`~commerce_events.exceptions.SubscriberError` raised after
  every subscriber ran.
- A ``RecursionError`` raised by a subscriber's own code is such a failure
  too. Only runaway nested emits (the stack is full of deliveries) become an
  :class:`~commerce_events.exceptions.EventRecursionError` naming the chain,
  which bypasses policies: it is a bug to fix, not a failure to log.
- A ``BaseException`` (``KeyboardInterrupt``, ``SystemExit``, cancellation)
  stops the delivery and propagates; the failures collected before it are
  logged first (:meth:`Failures.interrupted`), never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from . import _settings
from ._introspect import name_of
from .exceptions import EventRecursionError, SubscriberError

if TYPE_CHECKING:
    from ._context import EventMetadata
    from ._subscriptions import Route, Subscription

__all__ = [
    "DELIVERY_CODES",
    "Failures",
    "is_runaway",
    "log_not_delivered",
    "logger",
    "policy_of",
]

logger: Final = logging.getLogger("commerce_events")

DELIVERY_CODES: Final[set[types.CodeType]] = set()
"""The code objects of the delivery loops (filled by ``_delivery``)."""

RUNAWAY_DEPTH: Final = 32
"""Nested deliveries on the stack beyond which a RecursionError is runaway.

Subscribers that emit are delivered depth-first; a real chain of events is a
handful deep. A RecursionError raised with this many deliveries on the stack
comes from events that keep leading back to themselves; one raised with fewer
comes from a subscriber's own code (deep data, a recursive bug) and is that
subscriber's failure.
"""


def is_runaway(exc: BaseException) -> bool:
    """Whether *exc* comes from runaway nested emits."""
    if isinstance(exc, EventRecursionError):
        return True
    if not isinstance(exc, RecursionError):
        return False
    depth = 0
    frame: types.FrameType | None = sys._getframe()  # noqa: SLF001 - CPython's stack API
    while frame is not None:
        if frame.f_code in DELIVERY_CODES:
            depth += 1
            if depth >= RUNAWAY_DEPTH:
                return True
        frame = frame.f_back
    return False


def nested(exc: BaseException, event: str) -> EventRecursionError:
    """The error naming the chain, with *event* as its outermost link so far."""
    chain = exc.chain if isinstance(exc, EventRecursionError) else ()
    return EventRecursionError((event, *chain))


def policy_of(route: Route, record: Subscription | None) -> str:
    """A subscription's failure policy: its own, the event's, or the library's."""
    if record is not None and record.on_error is not None:
        return record.on_error
    if route.on_error is not None:
        return route.on_error
    return _settings.library_on_error()


def _safe(text: str) -> str:
    """Escape control characters, so a name cannot forge a log line."""
    return (
        text.encode("unicode_escape").decode("ascii")
        if not text.isprintable()
        else text
    )


class Failures:
    """The failures of one delivery, handled once, after its loop.

    Attributes:
        route: The event's route.
        payload: What was being delivered.
        items: ``(receiver, record, exception)`` in delivery order.
    """

    __slots__ = ("items", "metadata", "payload", "route")

    def __init__(
        self, route: Route, payload: Any, metadata: EventMetadata | None = None
    ) -> None:
        self.route = route
        self.payload = payload
        self.metadata = metadata
        self.items: list[tuple[Callable[..., Any], Subscription | None, Exception]] = []

    def add(
        self,
        receiver: Callable[..., Any],
        record: Subscription | None,
        exc: Exception,
    ) -> None:
        """Collect a subscriber's failure.

        Raises:
            EventRecursionError: *exc* comes from runaway nested emits; the
                failures collected so far are logged first.
        """
        if isinstance(exc, RecursionError) and is_runaway(exc):
            error = nested(exc, self.route.name)
            self.interrupted(error)
            raise error from None
        self.items.append((receiver, record, exc))

    def policy_of(self, record: Subscription | None) -> str:
        return policy_of(self.route, record)

    def finish(self, *, robust: bool = False) -> None:
        """Apply each failure's policy: log it, or raise them all together.

        Args:
            robust: Log every failure, whatever its policy (``send_robust``).

        Raises:
            SubscriberError: Failures whose policy is ``"raise"``.
        """
        if not self.items:
            return
        to_raise: list[tuple[Callable[..., Any], Exception]] = []
        for receiver, planned, exc in self.items:
            record = planned or self.route.record_for(receiver)
            if robust or self.policy_of(record) == "log":
                self._log(receiver, exc, "")
            else:
                exc.add_note(
                    f"raised by subscriber {name_of(receiver)} of event "
                    f"{self.route.name!r}"
                )
                to_raise.append((receiver, exc))
        self.items = []
        if to_raise:
            raise SubscriberError(self.route.name, self.payload, to_raise)

    def interrupted(self, by: BaseException) -> None:
        """Log every failure collected so far: *by* stops the delivery."""
        reason = (
            " (the delivery was then cancelled)"
            if isinstance(by, asyncio.CancelledError)
            else f" (the delivery was then interrupted by {type(by).__name__})"
        )
        for receiver, _record, exc in self.items:
            self._log(receiver, exc, reason)
        self.items = []

    def _log(self, receiver: Callable[..., Any], exc: Exception, reason: str) -> None:
        name = _safe(name_of(receiver))
        extra: dict[str, Any] = {"event_name": self.route.name, "subscriber": name}
        if self.metadata is not None:
            extra["event_id"] = str(self.metadata.id)
        logger.error(
            "subscriber %s failed on %r%s",
            name,
            self.route.name,
            reason,
            exc_info=(type(exc), exc, exc.__traceback__),
            extra=extra,
        )


def log_not_delivered(
    events: list[tuple[str, EventMetadata | None, object]], by: BaseException
) -> None:
    """Log queued events that will not be delivered, with their ids.

    An event that nothing observes has no metadata, so no id: its payload's
    (safe) repr names it instead.
    """
    for name, metadata, payload in events:
        event_id = (
            "no id: nothing observes it" if metadata is None else f"id {metadata.id}"
        )
        logger.error(
            "deferred event %r (%s) was not delivered, the delivery was "
            "interrupted by %s: %r",
            name,
            event_id,
            type(by).__name__,
            payload,
            extra={
                "event_name": name,
                "event_id": None if metadata is None else str(metadata.id),
            },
        )
