"""The typed dispatcher: signals, subscriptions, ordering, failures, ``emit``.

Every event is an :class:`EventSignal`, a :class:`blinker.NamedSignal` whose
receivers are kept in blinker's own structures (so ``receivers``,
``has_receivers_for``, ``connected_to`` and ``receiver_connected`` keep working)
*and* in an ordered table of subscriptions. Everything that can be decided when
subscribing is decided then: the calling convention, the reference kind, the
position in the order. The result is a *plan* per sender, rebuilt only when the
subscriptions change; for the common case (typed subscribers, no sender filter)
the plan is a plain tuple of functions and ``emit`` is a loop over it.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import threading
import typing
import weakref
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Final, Literal, Protocol, TypeVar, overload

import blinker
from blinker._utilities import make_id

from ._payload import PayloadSpec
from .exceptions import (
    NotAPayloadError,
    SubscriberError,
    SubscriberSignatureError,
)

__all__ = [
    "ANY",
    "EventSignal",
    "OnError",
    "Payload",
    "emit",
    "set_default_on_error",
    "subscribe",
    "subscribed",
    "unsubscribe",
]

P = TypeVar("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

ANY: Final = blinker.ANY
"""The "any sender" symbol: a subscription for ANY receives every emit."""


class Payload(Protocol):
    """The static type of every event payload (any class made by ``@event``).

    Only for type checkers, so that ``emit(42)`` is flagged before it runs; it is
    not a base class and cannot be used with ``isinstance``. Type checkers see
    classes made by ``@event`` as dataclass-like, which is what this matches.

    .. versionadded:: 0.1.0
    """

    __dataclass_fields__: ClassVar[dict[str, Any]]


OnError = Literal["raise", "log"]
"""A failure policy.

``"raise"``: the subscriber's exception is collected and, once every subscriber
has run, raised in a :class:`~commerce_events.exceptions.SubscriberError`.
``"log"``: the exception is logged (ERROR, with traceback) on the
``commerce_events`` logger and not raised.
"""

_POLICIES: Final = ("raise", "log")
_ANY_ID: Final = 0
logger: Final = logging.getLogger("commerce_events")

_library_on_error: OnError = "raise"
_sequence = itertools.count()

# Routing table: exact payload class -> its signal. Filled by the registry.
_signal_by_type: dict[type[Any], EventSignal] = {}

# Observers of every emit (``testing.capture_events``); while any is present,
# every signal takes the general delivery path.
Tap = Callable[["EventSignal", Any, Any], None]
_taps: tuple[Tap, ...] = ()
_taps_lock = threading.Lock()

# Plan entry kinds.
_TYPED: Final = 0  # subscriber(payload)
_TYPED_WEAK: Final = 1  # ref()(payload)
_OSCAR: Final = 2  # receiver(sender, **fields)
_OSCAR_WEAK: Final = 3  # ref()(sender, **fields)


def _check_policy(on_error: object) -> None:
    if on_error is not None and on_error not in _POLICIES:
        msg = f"on_error must be one of {_POLICIES}, got {on_error!r}"
        raise ValueError(msg)


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

    .. versionadded:: 0.1.0
    """
    global _library_on_error  # noqa: PLW0603
    _check_policy(on_error)
    if payload_type is None:
        _library_on_error = on_error
    else:
        signal_for_type(payload_type).on_error = on_error


def signal_for_type(payload_type: type[Any]) -> EventSignal:
    """Return the signal of a registered payload class."""
    try:
        return _signal_by_type[payload_type]
    except (KeyError, TypeError):
        raise NotAPayloadError(payload_type) from None


class _Subscription:
    """One receiver's options on one signal; its senders live in blinker's maps."""

    __slots__ = (
        "on_error",
        "priority",
        "receiver_id",
        "sender_classes",
        "seq",
        "typed",
    )

    def __init__(
        self,
        receiver_id: object,
        *,
        typed: bool,
        priority: int,
        on_error: OnError | None,
    ) -> None:
        self.receiver_id = receiver_id
        self.typed = typed
        self.priority = priority
        self.on_error = on_error
        self.seq = next(_sequence)
        # Classes given as sender also match their instances (see subscribe).
        self.sender_classes: tuple[type[Any], ...] = ()

    def sort_key(self) -> tuple[int, int]:
        return (-self.priority, self.seq)


class EventSignal(blinker.NamedSignal):
    """The signal of one event: a blinker signal that validates and orders.

    ``send(sender, **fields)`` builds (and so validates) the payload before any
    receiver runs; receivers connected with :meth:`connect` are called
    Oscar-style, ``receiver(sender, **fields)``, with every field (``None``
    values included); typed subscribers (:func:`subscribe`) get the payload.
    Both share one order: higher priority first, then subscription order.

    .. versionadded:: 0.1.0
    """

    payload_type: type[Any]
    spec: PayloadSpec
    on_error: OnError | None

    def __init__(self, spec: PayloadSpec, on_error: OnError | None = None) -> None:
        self._lock = threading.RLock()
        self._records: dict[Any, _Subscription] = {}
        self._ordered: tuple[_Subscription, ...] = ()
        self._plans: dict[Any, tuple[tuple[Any, int, _Subscription], ...]] = {}
        self._sender_ids: frozenset[Any] = frozenset()
        self._fast: tuple[Callable[[Any], Any], ...] | None = None
        self._dirty = True
        self._muted = False
        super().__init__(spec.name, spec.doc or None)
        self.payload_type = spec.payload_type
        self.spec = spec
        self.on_error = on_error
        self._field_names = spec.field_names

    # -- blinker's muting flag drives the plan too ---------------------------

    @property
    def is_muted(self) -> bool:
        """Whether blinker's (process-wide) :meth:`muted` is in effect."""
        return self._muted

    @is_muted.setter
    def is_muted(self, value: bool) -> None:  # pyright: ignore[reportIncompatibleVariableOverride]
        self._muted = value
        if hasattr(self, "_records"):
            self._invalidate()

    # -- subscribing ---------------------------------------------------------

    def connect(
        self,
        receiver: F,
        sender: Any = ANY,
        weak: bool | None = None,  # noqa: FBT001 - blinker's signature
        *,
        priority: int = 0,
        on_error: OnError | None = None,
    ) -> F:
        """Connect an Oscar/blinker-style receiver, ``receiver(sender, **fields)``.

        Args:
            receiver: The callable. It must accept the sender positionally and
                every field of the event as a keyword (``**kwargs`` will do).
            sender: Only receive emits from this sender. A class also matches
                its instances. Default: any sender.
            weak: Hold the receiver by weak reference. Default: functions
                strongly, bound methods weakly.
            priority: Higher runs first; equal priorities run in subscription
                order.
            on_error: Failure policy for this receiver.

        Raises:
            SubscriberSignatureError: The receiver cannot accept the event.
        """
        self._check_oscar_receiver(receiver)
        self._add(
            receiver, sender, weak, typed=False, priority=priority, on_error=on_error
        )
        return receiver

    def _subscribe_typed(
        self,
        subscriber: Callable[..., Any],
        sender: Any,
        weak: bool | None,  # noqa: FBT001 - mirrors connect()
        priority: int,
        on_error: OnError | None,
    ) -> None:
        self._check_typed_subscriber(subscriber)
        self._add(
            subscriber, sender, weak, typed=True, priority=priority, on_error=on_error
        )

    def _add(
        self,
        receiver: Callable[..., Any],
        sender: Any,
        weak: bool | None,  # noqa: FBT001 - mirrors connect()
        *,
        typed: bool,
        priority: int,
        on_error: OnError | None,
    ) -> None:
        _check_policy(on_error)
        if not isinstance(priority, int) or isinstance(priority, bool):
            msg = f"priority must be an int, got {priority!r}"
            raise TypeError(msg)
        if weak is None:
            weak = inspect.ismethod(receiver)
        receiver_id = make_id(receiver)
        with self._lock:
            record = self._records.get(receiver_id)
            if record is not None and record.typed != typed:
                how = (
                    "a typed subscriber" if record.typed else "an Oscar-style receiver"
                )
                raise SubscriberSignatureError(
                    self.name, receiver, f"it is already connected as {how}"
                )
            super().connect(receiver, sender, weak)
            if record is None:
                record = _Subscription(
                    receiver_id, typed=typed, priority=priority, on_error=on_error
                )
                self._records[receiver_id] = record
            else:
                record.priority = priority
                record.on_error = on_error
            if isinstance(sender, type) and sender not in record.sender_classes:
                record.sender_classes += (sender,)
            self._invalidate()

    def disconnect(self, receiver: Callable[..., Any], sender: Any = ANY) -> None:
        """Disconnect *receiver* (from *sender* only, or from every sender)."""
        super().disconnect(receiver, sender)

    def _disconnect(self, receiver_id: Any, sender_id: Any) -> None:
        # Every removal path ends here: disconnect(), the cleanup of a
        # collected weak receiver, and blinker's receivers_for() pruning.
        with self._lock:
            super()._disconnect(receiver_id, sender_id)
            record = self._records.get(receiver_id)
            if record is not None and sender_id != _ANY_ID:
                record.sender_classes = tuple(
                    c for c in record.sender_classes if make_id(c) != sender_id
                )
            self._invalidate()

    def _make_cleanup_sender(self, sender_id: Any) -> Callable[[Any], None]:
        blinker_cleanup = super()._make_cleanup_sender(sender_id)

        def cleanup(ref: Any) -> None:
            with self._lock:
                blinker_cleanup(ref)
                self._invalidate()

        return cleanup

    def _clear_state(self) -> None:
        with self._lock:
            super()._clear_state()
            self._invalidate()

    def _invalidate(self) -> None:
        """Note that subscriptions changed; the plans are rebuilt on next use.

        Keeps subscribing O(1): a burst of subscriptions costs one rebuild.
        """
        self._dirty = True
        self._fast = None
        self._plans = {}

    def _refresh(self) -> None:
        """Recompute the order and the plans."""
        with self._lock:
            if self._dirty:
                self._dirty = False
                self._rebuild()

    def _rebuild(self) -> None:
        by_receiver = self._by_receiver
        # A record lives while blinker has its receiver connected to a sender.
        for receiver_id in [rid for rid in self._records if not by_receiver.get(rid)]:
            del self._records[receiver_id]
        self._ordered = tuple(
            sorted(self._records.values(), key=_Subscription.sort_key)
        )
        self._sender_ids = frozenset(
            sid for sid, bucket in self._by_sender.items() if sid != _ANY_ID and bucket
        )
        self._plans = {}
        fast: tuple[Callable[[Any], Any], ...] | None = None
        if (
            not _taps
            and not self._muted
            and not self._sender_ids
            and all(r.typed for r in self._ordered)
        ):
            targets = [self.receivers.get(r.receiver_id) for r in self._ordered]
            if not any(t is None or isinstance(t, weakref.ref) for t in targets):
                fast = tuple(typing.cast("list[Callable[[Any], Any]]", targets))
        self._fast = fast

    # -- planning ------------------------------------------------------------

    def _plan_for(self, sender: Any) -> tuple[tuple[Any, int, _Subscription], ...]:
        if self._dirty:
            self._refresh()
        if self._sender_ids:
            sender_id = make_id(sender)
            # Keyed by type for senders without their own subscriptions, so a
            # new view instance per request does not grow the cache.
            key = (
                ("id", sender_id)
                if sender_id in self._sender_ids
                else ("type", type(sender))
            )
        else:
            sender_id = None
            key = None
        plans = self._plans
        plan = plans.get(key)
        if plan is not None:
            return plan
        with self._lock:
            entries: list[tuple[Any, int, _Subscription]] = []
            for record in self._ordered:
                senders = self._by_receiver.get(record.receiver_id, ())
                if not (
                    _ANY_ID in senders
                    or sender_id in senders
                    or any(isinstance(sender, c) for c in record.sender_classes)
                ):
                    continue
                target = self.receivers.get(record.receiver_id)
                if target is None:
                    continue
                weak = isinstance(target, weakref.ref)
                kind = (_TYPED if record.typed else _OSCAR) + (1 if weak else 0)
                entries.append((target, kind, record))
            plan = tuple(entries)
            if plans is self._plans:
                plans[key] = plan
            return plan

    def receivers_for(self, sender: Any) -> Generator[Callable[..., Any], None, None]:
        """Yield the receivers for *sender* in delivery order."""
        for target, kind, _record in self._plan_for(sender):
            receiver = target() if kind in (_TYPED_WEAK, _OSCAR_WEAK) else target
            if receiver is not None:
                yield receiver

    # -- delivering ----------------------------------------------------------

    def send(
        self,
        *args: Any,
        _async_wrapper: Any = None,
        **kwargs: Any,
    ) -> list[tuple[Callable[..., Any], Any]]:
        """Validate the fields, then deliver; Oscar's calling convention.

        ``signal.send(view, product=p, user=u)`` and Oscar's own
        ``signal.send(sender=view, product=p, user=u)`` both work. The keyword
        arguments are the payload's fields; they are validated before any
        receiver runs.

        Returns:
            ``(receiver, return value)`` for each receiver, as blinker does. A
            receiver whose failure was logged has its exception as its value.

        Raises:
            PayloadError: The fields are invalid; nothing was delivered.
            SubscriberError: Subscribers with the ``"raise"`` policy failed.
        """
        # Oscar sends sender=self as a keyword; blinker takes it positionally.
        given = len(args) + ("sender" in kwargs)
        if given > 1:
            msg = f"send() takes one sender, got {given}"
            raise TypeError(msg)
        sender = (
            kwargs.pop("sender", None) if "sender" in kwargs else next(iter(args), None)
        )
        payload = self.payload_type(**kwargs)
        results: list[tuple[Callable[..., Any], Any]] = []
        self._deliver(payload, sender, results)
        return results

    async def send_async(
        self,
        *args: Any,
        _sync_wrapper: Any = None,
        **kwargs: Any,
    ) -> list[tuple[Callable[..., Any], Any]]:
        """Like :meth:`send`, awaitable (every subscriber is synchronous)."""
        return self.send(*args, **kwargs)

    def _deliver(
        self,
        payload: Any,
        sender: Any,
        results: list[tuple[Callable[..., Any], Any]] | None,
    ) -> None:
        for tap in _taps:
            tap(self, payload, sender)
        if self._muted:
            return
        failures: list[tuple[Callable[..., Any], Exception]] | None = None
        fields: dict[str, Any] | None = None
        for target, kind, _record in self._plan_for(sender):
            if kind in (_TYPED_WEAK, _OSCAR_WEAK):
                receiver = target()
                if receiver is None:
                    continue
            else:
                receiver = target
            try:
                if kind <= _TYPED_WEAK:
                    value = receiver(payload)
                else:
                    if fields is None:
                        fields = {n: getattr(payload, n) for n in self._field_names}
                    value = receiver(sender, **fields)
            except Exception as exc:  # noqa: BLE001 - every subscriber runs
                value = exc
                if failures is None:
                    failures = []
                failures.append((receiver, exc))
            if results is not None:
                results.append((receiver, value))
        if failures is not None:
            self._fail(payload, failures)

    def _fail(
        self, payload: Any, failures: list[tuple[Callable[..., Any], Exception]]
    ) -> None:
        """Apply each failed subscriber's policy: log it, or raise them all."""
        to_raise: list[tuple[Callable[..., Any], Exception]] = []
        for receiver, exc in failures:
            record = self._records.get(make_id(receiver))
            policy = (
                (record.on_error if record is not None else None)
                or self.on_error
                or _library_on_error
            )
            name = _name_of(receiver)
            if policy == "log":
                logger.error(
                    "subscriber %s failed on %r",
                    name,
                    self.name,
                    exc_info=(type(exc), exc, exc.__traceback__),
                    extra={"event_name": self.name, "subscriber": name},
                )
            else:
                exc.add_note(f"raised by subscriber {name} of event {self.name!r}")
                to_raise.append((receiver, exc))
        if to_raise:
            raise SubscriberError(self.name, payload, to_raise)

    # -- subscribe-time checks ----------------------------------------------

    def _check_typed_subscriber(self, subscriber: Callable[..., Any]) -> None:
        _reject_async(self.name, subscriber)
        signature = _signature(subscriber)
        if signature is None:
            return
        try:
            signature.bind(object())
        except TypeError:
            raise SubscriberSignatureError(
                self.name,
                subscriber,
                f"a subscriber is called with the payload as its one positional "
                f"argument; its signature is {signature}",
            ) from None
        params = [
            p
            for p in signature.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
        ]
        annotation = _first_annotation(subscriber, params[0].name if params else None)
        if annotation is not None and not _accepts_type(annotation, self.payload_type):
            raise SubscriberSignatureError(
                self.name,
                subscriber,
                f"it is annotated to take {_type_name(annotation)}, but "
                f"{self.name!r} delivers {self.payload_type.__qualname__}",
            )

    def _check_oscar_receiver(self, receiver: Callable[..., Any]) -> None:
        _reject_async(self.name, receiver)
        signature = _signature(receiver)
        if signature is None:
            return
        try:
            signature.bind(None, **dict.fromkeys(self._field_names))
        except TypeError as exc:
            raise SubscriberSignatureError(
                self.name,
                receiver,
                f"a receiver is called as receiver(sender, "
                f"{', '.join(f'{n}=...' for n in self._field_names)}); its signature "
                f"is {signature} ({exc}); add **kwargs to accept every field",
            ) from None

    def __repr__(self) -> str:
        return f"<EventSignal {self.name!r} -> {self.payload_type.__qualname__}>"

    # -- isolation (tests) ---------------------------------------------------

    def _save(self) -> _SavedState:
        with self._lock:
            records = {}
            for rid, record in self._records.items():
                copy = _Subscription.__new__(_Subscription)
                for slot in _Subscription.__slots__:
                    setattr(copy, slot, getattr(record, slot))
                records[rid] = copy
            return _SavedState(
                receivers=dict(self.receivers),
                by_sender={k: set(v) for k, v in self._by_sender.items()},
                by_receiver={k: set(v) for k, v in self._by_receiver.items()},
                weak_senders=dict(self._weak_senders),
                records=records,
                on_error=self.on_error,
                muted=self._muted,
            )

    def _restore(self, state: _SavedState) -> None:
        with self._lock:
            self.receivers.clear()
            self.receivers.update(state.receivers)
            self._by_sender.clear()
            self._by_sender.update({k: set(v) for k, v in state.by_sender.items()})
            self._by_receiver.clear()
            self._by_receiver.update({k: set(v) for k, v in state.by_receiver.items()})
            self._weak_senders.clear()
            self._weak_senders.update(state.weak_senders)
            self._records = dict(state.records)
            self.on_error = state.on_error
            self._muted = state.muted
            self._invalidate()


class _SavedState(typing.NamedTuple):
    receivers: dict[Any, Any]
    by_sender: dict[Any, set[Any]]
    by_receiver: dict[Any, set[Any]]
    weak_senders: dict[Any, Any]
    records: dict[Any, _Subscription]
    on_error: OnError | None
    muted: bool


def add_tap(tap: Tap) -> None:
    """Call ``tap(signal, payload, sender)`` on every emit of every event.

    Taps see each emit before its subscribers, muted or not, including emits of
    events registered after the tap was added.
    """
    global _taps  # noqa: PLW0603
    with _taps_lock:
        _taps = (*_taps, tap)
    _invalidate_all()


def remove_tap(tap: Tap) -> None:
    """Stop calling *tap*; removing a tap that is not there does nothing."""
    global _taps  # noqa: PLW0603
    with _taps_lock:
        _taps = tuple(t for t in _taps if t is not tap)
    _invalidate_all()


def _invalidate_all() -> None:
    for sig in list(_signal_by_type.values()):
        with sig._lock:  # noqa: SLF001
            sig._invalidate()  # noqa: SLF001


@contextmanager
def _isolated_state() -> Iterator[None]:
    """Save every signal's subscriptions and the defaults; restore them on exit.

    Signals registered inside the block keep their subscriptions.
    """
    global _library_on_error  # noqa: PLW0603
    saved = [(sig, sig._save()) for sig in list(_signal_by_type.values())]  # noqa: SLF001
    library_on_error = _library_on_error
    try:
        yield
    finally:
        for sig, state in saved:
            sig._restore(state)  # noqa: SLF001
        _library_on_error = library_on_error


def _reject_async(event: str, subscriber: Callable[..., Any]) -> None:
    if inspect.iscoroutinefunction(subscriber) or inspect.isasyncgenfunction(
        subscriber
    ):
        raise SubscriberSignatureError(
            event, subscriber, "async subscribers are not supported yet"
        )


def _signature(fn: object) -> inspect.Signature | None:
    if not callable(fn):
        msg = f"subscribers must be callable, got {fn!r}"
        raise TypeError(msg)
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have no signature
        return None


def _first_annotation(fn: Callable[..., Any], param: str | None) -> Any:
    if param is None:
        return None
    target = fn
    if not (inspect.isfunction(fn) or inspect.ismethod(fn)):
        target = type(fn).__call__  # a callable object
    try:
        hints = typing.get_type_hints(target)
    except Exception:  # noqa: BLE001 - unresolvable annotations are not checked
        return None
    return hints.get(param)


def _accepts_type(annotation: Any, payload_type: type[Any]) -> bool:
    if annotation is Any or annotation is object:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _accepts_type(typing.get_args(annotation)[0], payload_type)
    if origin is typing.Union or origin is __import__("types").UnionType:
        return any(_accepts_type(a, payload_type) for a in typing.get_args(annotation))
    if isinstance(annotation, type):
        return issubclass(payload_type, annotation)
    return True  # protocols, TypeVars...: leave to the static type checker


def _type_name(annotation: Any) -> str:
    return annotation.__qualname__ if isinstance(annotation, type) else repr(annotation)


def _name_of(fn: Callable[..., Any]) -> str:
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None) or repr(fn)
    return f"{module}.{qualname}" if module else qualname


# -- the public functions ------------------------------------------------------


def emit(payload: Payload, /, *, sender: Any = None) -> None:
    """Deliver a payload to its event's subscribers.

    The payload was validated when it was built, so ``emit`` only checks that it
    is a registered payload. Every subscriber runs, in order, even when some
    fail; failures are then raised together or logged, per policy.

    Args:
        payload: An instance of a registered payload class.
        sender: Who emits (a view, a service); subscribers may filter on it.

    Raises:
        NotAPayloadError: *payload* is not a registered payload.
        SubscriberError: Subscribers with the ``"raise"`` policy failed.

    .. versionadded:: 0.1.0
    """
    try:
        signal = _signal_by_type[type(payload)]
    except KeyError:
        raise NotAPayloadError(payload) from None
    fast = signal._fast  # noqa: SLF001
    if fast is None:
        signal._deliver(payload, sender, None)  # noqa: SLF001
        return
    failures = None
    for subscriber in fast:
        try:
            subscriber(payload)
        except Exception as exc:  # noqa: BLE001 - every subscriber runs
            if failures is None:
                failures = []
            failures.append((subscriber, exc))
    if failures is not None:
        signal._fail(payload, failures)  # noqa: SLF001


class _SubscribeDecorator(typing.Generic[P]):
    """What ``subscribe(PayloadClass, ...)`` returns: apply it to a function."""

    __slots__ = ("_options", "_signal")

    def __init__(self, signal: EventSignal, options: tuple[Any, ...]) -> None:
        self._signal = signal
        self._options = options

    def __call__(self, subscriber: Callable[[P], R], /) -> Callable[[P], R]:
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
) -> _SubscribeDecorator[P]: ...
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
) -> Callable[[P], R]: ...
def subscribe(
    payload_type: type[P],
    subscriber: Callable[[P], R] | None = None,
    /,
    *,
    sender: Any = ANY,
    priority: int = 0,
    on_error: OnError | None = None,
    weak: bool | None = None,
) -> _SubscribeDecorator[P] | Callable[[P], R]:
    """Subscribe a typed subscriber, ``subscriber(payload)``, to an event.

    Use it as a decorator, ``@subscribe(OrderPlaced)``, or call it,
    ``subscribe(OrderPlaced, fn)``. Either way the function is returned
    unchanged.

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

    Raises:
        NotAPayloadError: *payload_type* is not a registered payload class.
        SubscriberSignatureError: The subscriber cannot take the payload as its
            one positional argument, or is annotated with another class.

    .. versionadded:: 0.1.0
    """
    signal = signal_for_type(payload_type)
    options = (sender, weak, priority, on_error)
    _check_policy(on_error)
    if subscriber is None:
        return _SubscribeDecorator(signal, options)
    signal._subscribe_typed(subscriber, *options)  # noqa: SLF001
    return subscriber


def unsubscribe(
    payload_type: type[P], subscriber: Callable[[P], Any], /, *, sender: Any = ANY
) -> None:
    """Remove a subscriber (from one *sender*, or from every sender).

    Unsubscribing a function that is not subscribed does nothing.

    .. versionadded:: 0.1.0
    """
    signal_for_type(payload_type).disconnect(subscriber, sender)


@contextmanager
def subscribed(
    payload_type: type[P],
    subscriber: Callable[[P], Any],
    /,
    *,
    sender: Any = ANY,
    priority: int = 0,
    on_error: OnError | None = None,
) -> Iterator[Callable[[P], Any]]:
    """Subscribe for the duration of a ``with`` block (blinker's ``connected_to``).

    The subscriber is held strongly while the block runs and removed when it
    exits, even on an exception.

    .. versionadded:: 0.1.0
    """
    signal = signal_for_type(payload_type)
    signal._subscribe_typed(subscriber, sender, False, priority, on_error)  # noqa: SLF001
    try:
        yield subscriber
    finally:
        signal.disconnect(subscriber)
