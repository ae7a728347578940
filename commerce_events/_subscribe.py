"""Subscribing: ``subscribe``, ``unsubscribe``, ``subscribed``, ``subscribe_all``.

The public ways in, each checking its arguments before anything changes and
explaining what was probably meant when they are wrong. The work is done by
the event's signal (:mod:`._signal`) and its route (:mod:`._subscriptions`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, Literal, NamedTuple, TypeVar, cast, overload

from ._context import EventMetadata
from ._introspect import check_typed_subscriber
from ._registry import GROUPS, namespace
from ._settings import OnError
from ._signal import EventSignal, check_options, default_weak, subscribe_typed
from ._subscriptions import (
    ANY,
    ROUTES,
    add_catch_all,
    kind_of,
    receiver_id,
    remove_catch_all,
)
from .exceptions import NotAPayloadError

__all__ = [
    "subscribe",
    "subscribe_all",
    "subscribed",
    "unsubscribe",
    "unsubscribe_all",
]

P = TypeVar("P")
P2 = TypeVar("P2")
P3 = TypeVar("P3")
P4 = TypeVar("P4")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])


def _signals_of(payload_types: tuple[object, ...], api: str) -> list[EventSignal]:
    """The signals of *payload_types*, or an error saying what was meant."""
    if not payload_types:
        msg = (
            f"{api}() needs the event's payload class: @{api}(OrderPlaced), or "
            f"{api}(OrderPlaced, subscriber)"
        )
        raise TypeError(msg)
    signals = []
    for value in payload_types:
        route = ROUTES.get(value) if isinstance(value, type) else None
        if route is None:
            raise NotAPayloadError(value, _not_a_class(value, api))
        signals.append(route.signal)
    return signals


def _not_a_class(value: object, api: str) -> str:
    if isinstance(value, str):
        known = cast("EventSignal | None", dict.get(namespace, value))
        hint = (
            f"; did you mean {api}({known.payload_type.__qualname__})?"
            if known is not None
            else " (look events up by name with commerce_events.signal(name))"
        )
        return f"{api}() takes a payload class, not an event name: got {value!r}{hint}"
    if type(value) in ROUTES:
        name = type(value).__qualname__
        return (
            f"{api}() takes the payload class, not a payload: got an instance of "
            f"{name}; write {api}({name})"
        )
    if callable(value) and not isinstance(value, type):
        return (
            f"{api}() takes the event's payload class first: write "
            f"@{api}(EventClass) above the function, not @{api} (got "
            f"{getattr(value, '__qualname__', value)!r})"
        )
    if isinstance(value, type):
        return (
            f"{value.__module__}.{value.__qualname__} is not a registered payload "
            f"class (define events with @commerce_events.event)"
        )
    return f"{api}() takes registered payload classes, got {value!r}"


class _SubscribeDecorator(Generic[P]):
    """What ``subscribe(PayloadClass, ...)`` returns: apply it to a function."""

    __slots__ = ("_options", "_signals")

    def __init__(self, signals: list[EventSignal], options: dict[str, Any]) -> None:
        self._signals = signals
        self._options = options

    def __call__(self, subscriber: Callable[[P], R], /) -> Callable[[P], R]:
        _subscribe_each(self._signals, subscriber, self._options)
        return subscriber


class _MetadataSubscribeDecorator(Generic[P]):
    """``subscribe(PayloadClass, with_metadata=True)``: for ``f(payload, meta)``."""

    __slots__ = ("_options", "_signals")

    def __init__(self, signals: list[EventSignal], options: dict[str, Any]) -> None:
        self._signals = signals
        self._options = options

    def __call__(
        self, subscriber: Callable[[P, EventMetadata], R], /
    ) -> Callable[[P, EventMetadata], R]:
        _subscribe_each(self._signals, subscriber, self._options)
        return subscriber


def _subscribe_each(
    signals: list[EventSignal], subscriber: Callable[..., Any], options: dict[str, Any]
) -> None:
    # Every signature check first, so that a subscriber refused by one event
    # is subscribed to none.
    for signal in signals:
        check_typed_subscriber(
            signal.name,
            signal.payload_type,
            subscriber,
            with_metadata=options["with_metadata"],
        )
    for signal in signals:
        subscribe_typed(signal, subscriber, **options)


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
    once: bool = ...,
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
    once: bool = ...,
) -> _MetadataSubscribeDecorator[P]: ...
@overload
def subscribe(
    payload_type: type[P],
    other: type[P2],
    /,
    *,
    sender: Any = ...,
    priority: int = ...,
    on_error: OnError | None = ...,
    weak: bool | None = ...,
    with_metadata: Literal[False] = ...,
    once: bool = ...,
) -> _SubscribeDecorator[P | P2]: ...
@overload
def subscribe(
    payload_type: type[P],
    other: type[P2],
    third: type[P3],
    /,
    *,
    sender: Any = ...,
    priority: int = ...,
    on_error: OnError | None = ...,
    weak: bool | None = ...,
    with_metadata: Literal[False] = ...,
    once: bool = ...,
) -> _SubscribeDecorator[P | P2 | P3]: ...
@overload
def subscribe(
    payload_type: type[P],
    other: type[P2],
    third: type[P3],
    fourth: type[P4],
    /,
    *,
    sender: Any = ...,
    priority: int = ...,
    on_error: OnError | None = ...,
    weak: bool | None = ...,
    with_metadata: Literal[False] = ...,
    once: bool = ...,
) -> _SubscribeDecorator[P | P2 | P3 | P4]: ...
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
    once: bool = ...,
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
    once: bool = ...,
) -> Callable[[P, EventMetadata], R]: ...
def subscribe(
    *payload_types_and_subscriber: Any,
    sender: Any = ANY,
    priority: int = 0,
    on_error: OnError | None = None,
    weak: bool | None = None,
    with_metadata: bool = False,
    once: bool = False,
) -> Any:
    """Subscribe a typed subscriber, ``subscriber(payload)``, to events.

    Use it as a decorator, ``@subscribe(OrderPlaced)``, or call it,
    ``subscribe(OrderPlaced, fn)``. Either way the function is returned
    unchanged. ``async def`` subscribers (also behind a ``functools.wraps``
    decorator, a ``functools.partial`` or an ``async def __call__``) are awaited
    by ``emit_async``. ``@subscribe(OrderPlaced, OrderPaid)`` subscribes one
    function to several events; type checkers see its payload as the union.

    Args:
        payload_types_and_subscriber: The events' payload classes, then
            (without a decorator) the callable.
        sender: Only receive emits from this sender. Values of the built-in
            immutable types (``str``, ``int``, ``bool``, ``None``...) match by
            type and value (``0`` and ``False`` are different senders); other
            objects by identity, weakly held; a class also matches its
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
        once: Unsubscribe after the first delivery (exactly one, even when
            several threads emit at once).

    Raises:
        NotAPayloadError: An argument is not a registered payload class (the
            message says what was probably meant).
        SubscriberSignatureError: The subscriber cannot take the payload as its
            one positional argument (two with *with_metadata*), or is annotated
            with another class.
        TypeError: An option has the wrong type.
    """
    arguments = payload_types_and_subscriber
    subscriber = None
    if len(arguments) >= 2 and not isinstance(arguments[-1], type):  # noqa: PLR2004
        *types, subscriber = arguments
        arguments = tuple(types)
    signals = _signals_of(arguments, "subscribe")
    check_options(priority=priority, weak=weak, on_error=on_error)
    options = {
        "sender": sender,
        "weak": weak,
        "priority": priority,
        "on_error": on_error,
        "with_metadata": with_metadata,
        "once": once,
    }
    if subscriber is None:
        if with_metadata:
            return _MetadataSubscribeDecorator[Any](signals, options)
        return _SubscribeDecorator[Any](signals, options)
    _subscribe_each(signals, subscriber, options)
    return subscriber


def unsubscribe(
    payload_type: type[Any], subscriber: Callable[..., Any], /, *, sender: Any = ANY
) -> bool:
    """Remove a subscriber (from one *sender*, or from every sender).

    Emits that start after this returns never reach the subscriber, and an
    emit under way skips it if it was not called yet.

    Returns:
        Whether it was subscribed: False for a subscriber that never was (a
        likely mistake, such as unsubscribing a different function object).

    Raises:
        NotAPayloadError: *payload_type* is not a registered payload class.
    """
    (signal,) = _signals_of((payload_type,), "unsubscribe")
    return signal.disconnect(subscriber, sender)


@contextmanager
def subscribed(
    payload_type: type[P],
    subscriber: Callable[[P], R],
    /,
    *,
    sender: Any = ANY,
    priority: int = 0,
    on_error: OnError | None = None,
    with_metadata: bool = False,
    once: bool = False,
) -> Iterator[Callable[[P], R]]:
    """Subscribe for the duration of a ``with`` block (blinker's ``connected_to``).

    Takes the options of :func:`subscribe`; the subscriber is held strongly
    while the block runs and removed when it exits, even on an exception.
    """
    (signal,) = _signals_of((payload_type,), "subscribed")
    check_options(priority=priority, weak=False, on_error=on_error)
    _subscribe_each(
        [signal],
        subscriber,
        {
            "sender": sender,
            "weak": False,
            "priority": priority,
            "on_error": on_error,
            "with_metadata": with_metadata,
            "once": once,
        },
    )
    try:
        yield subscriber
    finally:
        signal.disconnect(subscriber)


class _CatchAllOptions(NamedTuple):
    group: str | None
    priority: int
    on_error: OnError | None
    weak: bool | None
    with_metadata: bool
    once: bool

    def check(self) -> None:
        check_options(priority=self.priority, weak=self.weak, on_error=self.on_error)
        if self.group is not None:
            known = {route.spec.group for route in ROUTES.values()} | set(GROUPS)
            if self.group not in known:
                msg = (
                    f"unknown group {self.group!r}; the groups are: "
                    f"{', '.join(sorted(known))}"
                )
                raise ValueError(msg)


class _CatchAllDecorator:
    """What ``subscribe_all(...)`` returns: apply it to a function."""

    __slots__ = ("_options",)

    def __init__(self, options: _CatchAllOptions) -> None:
        self._options = options

    def __call__(self, subscriber: F, /) -> F:
        _subscribe_all(subscriber, self._options)
        return subscriber


@overload
def subscribe_all(subscriber: F, /) -> F: ...
@overload
def subscribe_all(
    *,
    group: str | None = ...,
    priority: int = ...,
    on_error: OnError | None = ...,
    weak: bool | None = ...,
    with_metadata: bool = ...,
    once: bool = ...,
) -> _CatchAllDecorator: ...
def subscribe_all(
    subscriber: Callable[..., Any] | None = None,
    /,
    *,
    group: str | None = None,
    priority: int = 0,
    on_error: OnError | None = None,
    weak: bool | None = None,
    with_metadata: bool = False,
    once: bool = False,
) -> Any:
    """Subscribe to every event, registered now or later: audit logs, debugging.

    ``@subscribe_all`` or ``@subscribe_all(group="basket", ...)``. The
    subscriber is called as ``subscriber(payload)`` (with *with_metadata*,
    ``subscriber(payload, metadata)``) for every event, in the same order,
    under the same failure policies as any subscriber: priority first, then
    subscription order. An event pays for it only while it exists.

    Args:
        subscriber: The callable; omit it to get a decorator.
        group: Only the events of this catalogue group (see
            :data:`~commerce_events.GROUPS`), or of a custom group.
        priority: Higher runs first.
        on_error: The failure policy of this subscriber.
        weak: Hold it by weak reference (default: bound methods only).
        with_metadata: Also pass the emit's metadata.
        once: Unsubscribe after the first event delivered to it.

    Raises:
        TypeError: Not callable, or an option of the wrong type.
        ValueError: *group* is not a known group of any registered event.
    """
    options = _CatchAllOptions(group, priority, on_error, weak, with_metadata, once)
    if subscriber is None:
        options.check()
        return _CatchAllDecorator(options)
    _subscribe_all(subscriber, options)
    return subscriber


def _subscribe_all(subscriber: Callable[..., Any], options: _CatchAllOptions) -> None:
    if isinstance(subscriber, type) or not callable(subscriber):
        msg = (
            f"subscribe_all() takes a callable subscriber, got {subscriber!r}: "
            f"write @subscribe_all or @subscribe_all(group=...)"
        )
        raise TypeError(msg)
    options.check()
    check_typed_subscriber(
        "every event", object, subscriber, with_metadata=options.with_metadata
    )
    add_catch_all(
        subscriber,
        kind=kind_of(
            subscriber,
            typed=True,
            with_metadata=options.with_metadata,
            once=options.once,
        ),
        priority=options.priority,
        on_error=options.on_error,
        group=options.group,
        weak=default_weak(subscriber, options.weak),
    )


def unsubscribe_all(subscriber: Callable[..., Any], /) -> bool:
    """Remove a :func:`subscribe_all` subscription; False if there was none."""
    return remove_catch_all(receiver_id(subscriber))
