"""Subscribing typed subscribers: ``subscribe``, ``unsubscribe``, ``subscribed``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, Literal, TypeVar, overload

from ._context import EventMetadata
from ._dispatch import ANY, EventSignal, OnError, _check_policy, signal_for_type

__all__ = ["subscribe", "subscribed", "unsubscribe"]

P = TypeVar("P")
R = TypeVar("R")


class _SubscribeDecorator(Generic[P]):
    """What ``subscribe(PayloadClass, ...)`` returns: apply it to a function."""

    __slots__ = ("_options", "_signal")

    def __init__(self, signal: EventSignal, options: tuple[Any, ...]) -> None:
        self._signal = signal
        self._options = options

    def __call__(self, subscriber: Callable[[P], R], /) -> Callable[[P], R]:
        self._signal._subscribe_typed(subscriber, *self._options)  # noqa: SLF001
        return subscriber


class _MetadataSubscribeDecorator(Generic[P]):
    """``subscribe(PayloadClass, with_metadata=True)``: for ``f(payload, meta)``."""

    __slots__ = ("_options", "_signal")

    def __init__(self, signal: EventSignal, options: tuple[Any, ...]) -> None:
        self._signal = signal
        self._options = options

    def __call__(
        self, subscriber: Callable[[P, EventMetadata], R], /
    ) -> Callable[[P, EventMetadata], R]:
        self._signal._subscribe_typed(subscriber, *self._options)  # noqa: SLF001
        return subscriber


@overload
def subscribe(
    payload_type: type[P],
    /,
    *,
    sender: Any = ...,
    priority: int = ...,
    on_error: OnError | None = ...,
    weak: bool | None = ...,
    with_metadata: Literal[False] = ...,
) -> _SubscribeDecorator[P]: ...
@overload
def subscribe(
    payload_type: type[P],
    /,
    *,
    sender: Any = ...,
    priority: int = ...,
    on_error: OnError | None = ...,
    weak: bool | None = ...,
    with_metadata: Literal[True],
) -> _MetadataSubscribeDecorator[P]: ...
@overload
def subscribe(
    payload_type: type[P],
    subscriber: Callable[[P], R],
    /,
    *,
    sender: Any = ...,
    priority: int = ...,
    on_error: OnError | None = ...,
    weak: bool | None = ...,
    with_metadata: Literal[False] = ...,
) -> Callable[[P], R]: ...
@overload
def subscribe(
    payload_type: type[P],
    subscriber: Callable[[P, EventMetadata], R],
    /,
    *,
    sender: Any = ...,
    priority: int = ...,
    on_error: OnError | None = ...,
    weak: bool | None = ...,
    with_metadata: Literal[True],
) -> Callable[[P, EventMetadata], R]: ...
def subscribe(
    payload_type: type[P],
    subscriber: Callable[..., Any] | None = None,
    /,
    *,
    sender: Any = ANY,
    priority: int = 0,
    on_error: OnError | None = None,
    weak: bool | None = None,
    with_metadata: bool = False,
) -> Any:
    """Subscribe a typed subscriber, ``subscriber(payload)``, to an event.

    Use it as a decorator, ``@subscribe(OrderPlaced)``, or call it,
    ``subscribe(OrderPlaced, fn)``. Either way the function is returned
    unchanged. ``async def`` subscribers are awaited by ``emit_async``.

    Args:
        payload_type: The event's payload class.
        subscriber: The callable; omit it to get a decorator.
        sender: Only receive emits from this sender. A class also matches its
            instances (``sender=CheckoutView`` receives emits from any
            ``CheckoutView``). Default: any sender.
        priority: Higher runs first; equal priorities run in subscription
            order.
        on_error: ``"raise"`` or ``"log"``; default: the event's, then the
            library's default.
        weak: Hold the subscriber by weak reference, so that it goes away with
            its object. Default: plain functions are held strongly (a function
            defined inside another one does not vanish), bound methods weakly
            (subscribing ``obj.method`` does not keep ``obj`` alive).
        with_metadata: Call ``subscriber(payload, metadata)`` with the emit's
            :class:`~commerce_events.EventMetadata` (id, time, cause).

    Raises:
        NotAPayloadError: *payload_type* is not a registered payload class.
        SubscriberSignatureError: The subscriber cannot take the payload as its
            one positional argument (two with *with_metadata*), or is annotated
            with another class.

    .. versionadded:: 0.1.0
    """
    signal = signal_for_type(payload_type)
    _check_policy(on_error)
    options = (sender, weak, priority, on_error, with_metadata)
    if subscriber is None:
        if with_metadata:
            return _MetadataSubscribeDecorator[P](signal, options)
        return _SubscribeDecorator[P](signal, options)
    signal._subscribe_typed(subscriber, *options)  # noqa: SLF001
    return subscriber


def unsubscribe(
    payload_type: type[P], subscriber: Callable[..., Any], /, *, sender: Any = ANY
) -> None:
    """Remove a subscriber (from one *sender*, or from every sender).

    Unsubscribing a function that is not subscribed does nothing. Emits that
    start after this returns never reach the subscriber; an emit already
    running on another thread may still call it once.

    .. versionadded:: 0.1.0
    """
    signal_for_type(payload_type).disconnect(subscriber, sender)


@contextmanager
def subscribed(
    payload_type: type[P],
    subscriber: Callable[[P], R],
    /,
    *,
    sender: Any = ANY,
    priority: int = 0,
    on_error: OnError | None = None,
) -> Iterator[Callable[[P], R]]:
    """Subscribe for the duration of a ``with`` block (blinker's ``connected_to``).

    The subscriber is held strongly while the block runs and removed when it
    exits, even on an exception.

    .. versionadded:: 0.1.0
    """
    signal = signal_for_type(payload_type)
    signal._subscribe_typed(subscriber, sender, False, priority, on_error, False)  # noqa: SLF001
    try:
        yield subscriber
    finally:
        signal.disconnect(subscriber)
