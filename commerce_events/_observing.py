"""Observers: a record of every delivery, for debug logs and toolbars.

An observer is called once per emit of any event, after its subscribers ran
(or when it was muted, or queued by ``deferred()``), with a :class:`Delivery`
saying what happened: which subscribers ran, how long each took, what each
raised. While no observer is registered, emits pay nothing for this: the
plans that record deliveries are only built while observers exist.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Final, Literal

import attrs

from . import _subscriptions
from ._context import EventMetadata
from ._introspect import name_of

__all__ = [
    "Delivery",
    "Observer",
    "SubscriberCall",
    "add_observer",
    "notify",
    "remove_observer",
]

logger: Final = logging.getLogger("commerce_events")

DeliveryStatus = Literal["delivered", "muted", "deferred"]


@attrs.frozen
class SubscriberCall:
    """One subscriber's part in a delivery.

    Attributes:
        subscriber: The subscriber (or receiver) that was called.
        name: Its qualified name, for display.
        seconds: How long the call took (wall time).
        error: What it raised, with its traceback; None when it returned.
    """

    subscriber: Callable[..., Any]
    name: str
    seconds: float
    error: BaseException | None = None


@attrs.frozen
class Delivery:
    """What happened to one emit.

    Attributes:
        event: The event's name.
        payload: The payload.
        sender: The sender.
        metadata: The emit's id, time and cause.
        status: ``"delivered"``; ``"muted"`` (no subscriber ran); or
            ``"deferred"`` (queued by a ``deferred()`` block: a second
            delivery with the same id follows when the block delivers it).
        calls: The subscribers that ran, in order; empty unless delivered.
    """

    event: str
    payload: Any
    sender: Any
    metadata: EventMetadata
    status: DeliveryStatus
    calls: tuple[SubscriberCall, ...] = ()


Observer = Callable[[Delivery], object]
"""``observer(delivery)``: told of every emit of every event."""

_observers: tuple[Observer, ...] = ()
_lock = threading.Lock()


def add_observer(observer: Observer, /) -> None:
    """Call *observer* with a :class:`Delivery` after every emit of every event.

    Observers run in the emitting thread or task, after the subscribers; one
    that raises is logged on the ``commerce_events`` logger, never raised into
    the emit. Meant for debugging aids (a log of every emit, a toolbar panel),
    as every emit is recorded while an observer is registered.
    """
    global _observers  # noqa: PLW0603 - observers concern every event
    candidate: object = observer  # checked, whatever the annotation says
    if not callable(candidate):
        msg = f"an observer must be callable, got {observer!r}"
        raise TypeError(msg)
    with _lock:
        if observer not in _observers:
            _observers = (*_observers, observer)
        _subscriptions.set_observed(True)


def remove_observer(observer: Observer, /) -> bool:
    """Stop calling *observer*; False when it was not registered."""
    global _observers  # noqa: PLW0603 - observers concern every event
    with _lock:
        if observer not in _observers:
            return False
        _observers = tuple(o for o in _observers if o != observer)
        _subscriptions.set_observed(bool(_observers))
        return True


def save() -> tuple[Observer, ...]:
    """The observers, to restore after an isolated block (tests)."""
    return _observers


def restore(saved: tuple[Observer, ...]) -> None:
    """Put back the observers of :func:`save`."""
    global _observers  # noqa: PLW0603 - observers concern every event
    with _lock:
        _observers = saved
        _subscriptions.set_observed(bool(saved))


def notify(
    event: str,
    payload: Any,
    sender: Any,
    metadata: EventMetadata,
    status: DeliveryStatus,
    *,
    calls: tuple[SubscriberCall, ...] = (),
) -> None:
    """Tell every observer of a delivery; an observer's failure is logged."""
    delivery = Delivery(event, payload, sender, metadata, status, calls)
    for observer in _observers:
        try:
            observer(delivery)
        except Exception:
            logger.exception(
                "observer %s failed on %r",
                name_of(observer),
                event,
                extra={"event_name": event, "event_id": str(metadata.id)},
            )


def call_record(
    receiver: Callable[..., Any], seconds: float, error: BaseException | None
) -> SubscriberCall:
    """A :class:`SubscriberCall` for *receiver*."""
    return SubscriberCall(receiver, name_of(receiver), seconds, error)
