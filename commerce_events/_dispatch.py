"""The typed dispatcher: signals, plans, delivery, failure policies.

Every event is an :class:`EventSignal`, a :class:`blinker.NamedSignal` whose
receivers are kept in blinker's own structures (so ``receivers``,
``has_receivers_for``, ``connected_to`` and ``receiver_connected`` keep working)
*and* in a table of subscription options. Everything that can be decided when
subscribing is decided then: the calling convention, sync or async, the
reference kind, the position in the order. The result is a *plan* per sender,
rebuilt only when the subscriptions change; for the common case (typed
subscribers, no sender filter, nothing muted, deferred or traced) the plan is a
plain tuple of functions and ``emit`` is a loop over it.

The general path (:meth:`EventSignal._deliver`) handles the rest: sender
filters, Oscar-style receivers, weak references, async subscribers, muting,
deferral, taps and metadata. Any of the context-wide features switches every
emit onto it through one module flag, ``_slow``, so the fast path pays a single
global read for all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import itertools
import logging
import threading
import types
import typing
import weakref
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Final, Literal, Protocol

import blinker
from blinker._utilities import make_ref

from ._context import CURRENT_EVENT, DEFERRED, MUTED, EventMetadata
from ._introspect import (
    check_oscar_receiver,
    check_typed_subscriber,
    is_async_callable,
    name_of,
)
from ._payload import FIELDS_ATTR, PayloadSpec
from .exceptions import (
    AsyncDeliveryError,
    EventRecursionError,
    NotAPayloadError,
    SubscriberError,
    SubscriberSignatureError,
)

__all__ = [
    "ANY",
    "AsyncBridge",
    "EventSignal",
    "OnError",
    "Payload",
    "emit",
    "emit_async",
    "set_async_bridge",
    "set_default_on_error",
    "signal_for_type",
]

F = typing.TypeVar("F", bound=Callable[..., Any])

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

AsyncBridge = Callable[..., Any]
"""Runs a coroutine function to completion from synchronous code.

Called as ``bridge(async_fn, *args, **kwargs)`` and returns the coroutine's
result; see :mod:`commerce_events.bridges` for ready-made ones.
"""

Tap = Callable[["EventSignal", Any, Any], None]
"""``tap(signal, payload, sender)``: observes every delivery (testing)."""

_POLICIES: Final = ("raise", "log")
_ANY_ID: Final = 0
logger: Final = logging.getLogger("commerce_events")

_library_on_error: OnError = "raise"
_bridge: AsyncBridge | None = None
_sequence = itertools.count()

# Routing table: exact payload class -> its signal. Filled by the registry.
_signal_by_type: dict[type[Any], EventSignal] = {}

# Context-wide features. While any is in use, every emit takes the general
# path; ``_slow`` caches "any is in use" for the fast path's single check.
_state_lock = threading.RLock()
_taps: tuple[Tap, ...] = ()
_open_scopes = 0  # muted() and deferred() blocks open anywhere
_metadata_signals: set[EventSignal] = set()  # signals with with_metadata subscribers
_slow = False

# Plan entry flags, decided at subscribe time.
_WEAK: Final = 1  # the target is a weak reference to dereference
_OSCAR: Final = 2  # receiver(sender, **fields), else subscriber(payload)
_ASYNC: Final = 4  # returns an awaitable
_METADATA: Final = 8  # subscriber(payload, metadata)
_SENDER_KEYWORD: Final = 16  # receiver(sender=sender, **fields), as Django calls

_ANY_ONLY: Final = (_ANY_ID,)
_CO_COROUTINE: Final = inspect.CO_COROUTINE


def _make_id(obj: object) -> Any:
    """blinker's ``make_id``, without its function calls (it is on hot paths).

    A bound method is identified by its function and instance (a new method
    object is made on every attribute access); strings and ints by value;
    anything else by identity.
    """
    kind = type(obj)
    if kind is types.MethodType:
        return (id(obj.__func__), id(obj.__self__))  # type: ignore[attr-defined]
    if kind is str or kind is int or isinstance(obj, (str, int)):
        return obj
    return id(obj)


# shared by every subscription to any sender

_Entry = tuple[Any, int, "_Subscription"]
# entries; any async; for the fast path, the plain functions to call (None
# unless every entry is a strong, synchronous, typed subscriber)
_Plan = tuple[tuple[_Entry, ...], bool, tuple[Callable[[Any], Any], ...] | None]


def _update_slow() -> None:
    global _slow  # noqa: PLW0603
    with _state_lock:
        _slow = bool(_taps or _open_scopes or _metadata_signals)


def _tracing() -> bool:
    """Whether anyone can observe metadata (so it must be made)."""
    return bool(_taps or _metadata_signals)


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

    .. versionadded:: 0.1.0
    """
    global _bridge  # noqa: PLW0603
    _bridge = bridge


def signal_for_type(payload_type: type[Any]) -> EventSignal:
    """Return the signal of a registered payload class.

    Raises:
        NotAPayloadError: *payload_type* is not a registered payload class.
    """
    try:
        return _signal_by_type[payload_type]
    except (KeyError, TypeError):
        raise NotAPayloadError(payload_type) from None


class _Subscription:
    """One receiver on one signal: its options, and the senders it listens to.

    It is also blinker's per-receiver set of sender ids (``_by_receiver``
    values), so that no separate set is kept per subscription: a subscription
    costs a few hundred bytes, less than blinker's own receivers.
    """

    __slots__ = (
        "kind",
        "on_error",
        "priority",
        "receiver_id",
        "sender_classes",
        "senders",
        "seq",
    )
    receiver_id: Any
    kind: int
    priority: int
    on_error: OnError | None
    seq: int
    senders: tuple[Any, ...]
    sender_classes: tuple[type[Any], ...]

    def __init__(
        self, receiver_id: object, kind: int, priority: int, on_error: OnError | None
    ) -> None:
        self.receiver_id = receiver_id
        self.kind = kind  # _OSCAR | _ASYNC | _METADATA bits
        self.priority = priority
        self.on_error = on_error
        self.seq = next(_sequence)
        self.senders: tuple[Any, ...] = ()
        # Classes given as sender also match their instances (see subscribe).
        self.sender_classes: tuple[type[Any], ...] = ()

    @property
    def typed(self) -> bool:
        return not self.kind & _OSCAR

    @property
    def is_async(self) -> bool:
        return bool(self.kind & _ASYNC)

    @property
    def with_metadata(self) -> bool:
        return bool(self.kind & _METADATA)

    # The set protocol blinker uses on _by_receiver values.
    def add(self, sender_id: Any) -> None:
        if sender_id not in self.senders:
            self.senders = (
                _ANY_ONLY
                if not self.senders and sender_id == _ANY_ID
                else (*self.senders, sender_id)
            )

    def discard(self, sender_id: Any) -> None:
        self.senders = tuple(s for s in self.senders if s != sender_id)

    def __contains__(self, sender_id: object) -> bool:
        return sender_id in self.senders

    def __iter__(self) -> Iterator[Any]:
        return iter(self.senders)

    def __len__(self) -> int:
        return len(self.senders)

    def sort_key(self) -> tuple[int, int]:
        return (-self.priority, self.seq)

    def copy(self) -> _Subscription:
        clone = _Subscription.__new__(_Subscription)
        for slot in _Subscription.__slots__:
            setattr(clone, slot, getattr(self, slot))
        return clone


class EventSignal(blinker.NamedSignal):
    """The signal of one event: a blinker signal that validates and orders.

    ``send(sender, **fields)`` builds (and so validates) the payload before any
    receiver runs; receivers connected with :meth:`connect` are called
    Oscar-style, ``receiver(sender, **fields)``, with every field (``None``
    values included); typed subscribers (``subscribe``) get the payload. Both
    share one order: higher priority first, then subscription order.

    .. versionadded:: 0.1.0
    """

    payload_type: type[Any]
    spec: PayloadSpec
    on_error: OnError | None

    def __init__(self, spec: PayloadSpec, on_error: OnError | None = None) -> None:
        self._lock = threading.RLock()
        self._metadata_subscribers = 0
        self._ordered: tuple[_Subscription, ...] = ()
        self._plans: dict[Any, _Plan] = {}
        self._sender_ids: frozenset[Any] = frozenset()
        self._fast: tuple[Callable[[Any], Any], ...] | None = None
        self._fast_async: tuple[Callable[[Any], Any], ...] | None = None
        self._dirty = True
        self._muted = False
        super().__init__(spec.name, spec.doc or None)
        # blinker's per-receiver sender sets are our subscription records.
        self._by_receiver: dict[Any, _Subscription] = {}  # type: ignore[assignment]
        self.payload_type = spec.payload_type
        self.spec = spec
        self.on_error = on_error
        self._field_names = spec.field_names
        self._fields_of: Callable[[Any], dict[str, Any]] = getattr(
            spec.payload_type, FIELDS_ATTR
        )

    # -- blinker's (process-wide) muting flag --------------------------------

    @property
    def is_muted(self) -> bool:
        """Whether blinker's process-wide :meth:`muted` is in effect.

        Prefer :func:`commerce_events.muted`, which mutes only the current
        thread or task.
        """
        return self._muted

    @is_muted.setter
    def is_muted(self, value: bool) -> None:  # pyright: ignore[reportIncompatibleVariableOverride]
        self._muted = value
        if hasattr(self, "_metadata_subscribers"):
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
            receiver: The callable (sync or async). It must accept the sender
                and every field of the event as a keyword (``**kwargs`` will
                do). The sender is passed positionally, as blinker does, unless
                the receiver's first parameter is a field (as in Oscar's
                ``track_voucher_addition(basket, voucher, **kwargs)``): then it
                is passed as ``sender=``, as Django does.
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
        by_keyword = check_oscar_receiver(self.name, self._field_names, receiver)
        self._add(
            receiver,
            sender,
            weak,
            typed=False,
            with_metadata=False,
            priority=priority,
            on_error=on_error,
            sender_keyword=by_keyword,
        )
        return receiver

    def _subscribe_typed(
        self,
        subscriber: Callable[..., Any],
        sender: Any,
        weak: bool | None,  # noqa: FBT001 - mirrors connect()
        priority: int,
        on_error: OnError | None,
        with_metadata: bool,  # noqa: FBT001
    ) -> None:
        check_typed_subscriber(
            self.name, self.payload_type, subscriber, with_metadata=with_metadata
        )
        self._add(
            subscriber,
            sender,
            weak,
            typed=True,
            with_metadata=with_metadata,
            priority=priority,
            on_error=on_error,
        )

    def _add(
        self,
        receiver: Callable[..., Any],
        sender: Any,
        weak: bool | None,  # noqa: FBT001 - mirrors connect()
        *,
        typed: bool,
        with_metadata: bool,
        priority: int,
        on_error: OnError | None,
        sender_keyword: bool = False,
    ) -> None:
        if on_error is not None:
            _check_policy(on_error)
        if priority.__class__ is not int:
            msg = f"priority must be an int, got {priority!r}"
            raise TypeError(msg)
        function = type(receiver) is types.FunctionType
        if weak is None:
            weak = type(receiver) is types.MethodType
        if function and not hasattr(receiver, "_is_coroutine_marker"):
            is_async = bool(receiver.__code__.co_flags & _CO_COROUTINE)
        else:
            is_async = is_async_callable(receiver)
        kind = (
            (0 if typed else _OSCAR)
            | (_ASYNC if is_async else 0)
            | (_METADATA if with_metadata else 0)
            | (_SENDER_KEYWORD if sender_keyword else 0)
        )
        receiver_id = id(receiver) if function else _make_id(receiver)
        sender_id = _ANY_ID if sender is ANY else _make_id(sender)
        with self._lock:
            record = self._by_receiver.get(receiver_id)
            if record is not None and (not record.kind & _OSCAR) != typed:
                how = (
                    "a typed subscriber" if record.typed else "an Oscar-style receiver"
                )
                raise SubscriberSignatureError(
                    self.name, receiver, f"it is already connected as {how}"
                )
            if weak:
                self.receivers[receiver_id] = make_ref(
                    receiver, self._make_cleanup_receiver(receiver_id)
                )
            else:
                self.receivers[receiver_id] = receiver
            if record is None:
                record = _Subscription(receiver_id, kind, priority, on_error)
                self._by_receiver[receiver_id] = record
            else:
                if record.kind & _METADATA:
                    self._metadata_subscribers -= 1
                record.kind = kind
                record.priority = priority
                record.on_error = on_error
            if with_metadata:
                self._metadata_subscribers += 1
            if not record.senders and sender_id == _ANY_ID:
                record.senders = _ANY_ONLY
            else:
                record.add(sender_id)
            self._by_sender[sender_id].add(receiver_id)
            if sender is not ANY:
                if isinstance(sender, type) and sender not in record.sender_classes:
                    record.sender_classes += (sender,)
                if sender_id not in self._weak_senders:
                    # As blinker: forget a sender's subscriptions when it dies
                    # (senders that cannot be weakly referenced live forever).
                    with contextlib.suppress(TypeError):
                        self._weak_senders[sender_id] = make_ref(
                            sender, self._make_cleanup_sender(sender_id)
                        )
            self._dirty = True
            self._fast = self._fast_async = None
            self._plans = {}
            if with_metadata or self._metadata_subscribers or self in _metadata_signals:
                self._sync_metadata_flag()
        if "receiver_connected" in self.__dict__ and self.receiver_connected.receivers:
            self.receiver_connected.send(
                self, receiver=receiver, sender=sender, weak=weak
            )

    def disconnect(self, receiver: Callable[..., Any], sender: Any = ANY) -> None:
        """Disconnect *receiver* (from *sender* only, or from every sender)."""
        self._disconnect(
            _make_id(receiver), _ANY_ID if sender is ANY else _make_id(sender)
        )
        if (
            "receiver_disconnected" in self.__dict__
            and self.receiver_disconnected.receivers
        ):
            self.receiver_disconnected.send(self, receiver=receiver, sender=sender)

    def _disconnect(self, receiver_id: Any, sender_id: Any) -> None:
        # Every removal path ends here: disconnect(), the cleanup of a
        # collected weak receiver, and blinker's receivers_for() pruning.
        with self._lock:
            record = self._by_receiver.get(receiver_id)
            if record is None:
                self.receivers.pop(receiver_id, None)
                return
            gone = record.senders if sender_id == _ANY_ID else (sender_id,)
            for sid in gone:
                self._forget(record, sid)
            self._dirty = True
            self._fast = self._fast_async = None
            self._plans = {}

    def _forget(self, record: _Subscription, sender_id: Any) -> None:
        """Remove one sender from a subscription, and the subscription if last."""
        bucket = self._by_sender.get(sender_id)
        if bucket is not None:
            bucket.discard(record.receiver_id)
            if not bucket and sender_id != _ANY_ID:
                del self._by_sender[sender_id]
        if record.senders is _ANY_ONLY and sender_id == _ANY_ID:
            record.senders = ()
        else:
            record.discard(sender_id)
        if record.sender_classes:
            record.sender_classes = tuple(
                c for c in record.sender_classes if _make_id(c) != sender_id
            )
        if not record.senders:
            # Forgotten at once, as the receiver's id may be reused right away.
            del self._by_receiver[record.receiver_id]
            self.receivers.pop(record.receiver_id, None)
            if record.kind & _METADATA:
                self._metadata_subscribers -= 1
                self._sync_metadata_flag()

    def _make_cleanup_sender(self, sender_id: Any) -> Callable[[Any], None]:
        def cleanup(ref: Any) -> None:
            with self._lock:
                self._weak_senders.pop(sender_id, None)
                for receiver_id in list(self._by_sender.get(sender_id, ())):
                    record = self._by_receiver.get(receiver_id)
                    if record is not None:
                        self._forget(record, sender_id)
                self._by_sender.pop(sender_id, None)
                self._invalidate()

        return cleanup

    def _clear_state(self) -> None:
        with self._lock:
            super()._clear_state()
            self._metadata_subscribers = 0
            self._invalidate()
            self._sync_metadata_flag()

    # -- planning ------------------------------------------------------------

    def _invalidate(self) -> None:
        """Note that subscriptions changed; the plans are rebuilt on next use.

        Keeps subscribing O(1): a burst of subscriptions costs one rebuild.
        """
        self._dirty = True
        self._fast = None
        self._fast_async = None
        self._plans = {}

    def _refresh(self) -> None:
        with self._lock:
            if self._dirty:
                self._dirty = False
                self._rebuild()

    def _rebuild(self) -> None:
        ordered = tuple(sorted(self._by_receiver.values(), key=_Subscription.sort_key))
        self._ordered = ordered
        self._sender_ids = frozenset(
            sid for sid, bucket in self._by_sender.items() if sid != _ANY_ID and bucket
        )
        self._plans = {}
        fast = fast_async = None
        if (
            not self._muted
            and not self._sender_ids
            and all(r.typed and not r.with_metadata for r in ordered)
        ):
            targets = [self.receivers.get(r.receiver_id) for r in ordered]
            if not any(t is None or isinstance(t, weakref.ref) for t in targets):
                functions = tuple(typing.cast("list[Callable[[Any], Any]]", targets))
                if not any(r.is_async for r in ordered):
                    fast = functions
                elif all(r.is_async for r in ordered):
                    fast_async = functions
        self._fast = fast
        self._fast_async = fast_async

    def _sync_metadata_flag(self) -> None:
        wanted = self._metadata_subscribers > 0
        if wanted == (self in _metadata_signals):
            return
        with _state_lock:
            if wanted:
                _metadata_signals.add(self)
            else:
                _metadata_signals.discard(self)
            _update_slow()

    def _plan_for(self, sender: Any) -> _Plan:
        if self._dirty:
            self._refresh()
        if self._sender_ids:
            sender_id = _make_id(sender)
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
            entries: list[_Entry] = []
            for record in self._ordered:
                senders = record.senders
                if not (
                    _ANY_ID in senders
                    or sender_id in senders
                    or any(isinstance(sender, c) for c in record.sender_classes)
                ):
                    continue
                target = self.receivers.get(record.receiver_id)
                if target is None:
                    continue
                weak = _WEAK if isinstance(target, weakref.ref) else 0
                entries.append((target, record.kind | weak, record))
            simple = not self._muted and all(flags == 0 for _, flags, _ in entries)
            plan = (
                tuple(entries),
                any(r.is_async for _, _, r in entries),
                tuple(target for target, _, _ in entries) if simple else None,
            )
            if plans is self._plans:
                plans[key] = plan
            return plan

    def has_receivers_for(self, sender: Any) -> bool:
        """Whether an emit from *sender* would reach any receiver.

        Unlike blinker's, a class given as a subscription's sender counts for
        its instances, as it does when delivering.
        """
        return bool(self._plan_for(sender)[0])

    def receivers_for(self, sender: Any) -> Generator[Callable[..., Any], None, None]:
        """Yield the receivers for *sender* in delivery order."""
        for target, flags, _record in self._plan_for(sender)[0]:
            receiver = target() if flags & _WEAK else target
            if receiver is not None:
                yield receiver

    # -- Oscar/blinker-style sending -------------------------------------------

    def send(
        self,
        /,
        *args: Any,
        _async_wrapper: Callable[[Callable[..., Any]], Callable[..., Any]]
        | None = None,
        **kwargs: Any,
    ) -> list[tuple[Callable[..., Any], Any]]:
        """Validate the fields, then deliver; Oscar's calling convention.

        ``signal.send(view, product=p, user=u)`` and Oscar's own
        ``signal.send(sender=view, product=p, user=u)`` both work. The keyword
        arguments are the payload's fields; they are validated before any
        receiver runs.

        Args:
            args: The sender, if not given as ``sender=``.
            _async_wrapper: blinker's hook to run async receivers from sync
                code (``wrapper(receiver)(sender, **fields)``); defaults to the
                configured bridge.
            kwargs: The payload's fields.

        Returns:
            ``(receiver, return value)`` for each receiver, as blinker does. A
            receiver whose failure was logged has its exception as its value.
            An emit that was muted or deferred returns an empty list.

        Raises:
            PayloadError: The fields are invalid; nothing was delivered.
            SubscriberError: Subscribers with the ``"raise"`` policy failed.
        """
        # Oscar sends sender=self as a keyword; blinker takes it positionally.
        if "sender" in kwargs:
            if args:
                self._sender_from(args, kwargs)  # raises: two senders
            sender = kwargs.pop("sender")
        elif len(args) == 1:
            (sender,) = args
        else:
            sender = self._sender_from(args, kwargs)
        payload = self.payload_type(**kwargs)
        results: list[tuple[Callable[..., Any], Any]] = []
        if _async_wrapper is None:
            self._deliver(payload, sender, results)
            return results
        wrapper = _async_wrapper

        def blinker_bridge(fn: Callable[..., Any], *a: Any, **kw: Any) -> Any:
            return wrapper(fn)(*a, **kw)

        self._deliver(payload, sender, results, bridge=blinker_bridge)
        return results

    async def send_async(
        self,
        /,
        *args: Any,
        _sync_wrapper: Any = None,
        concurrent: bool = False,
        **kwargs: Any,
    ) -> list[tuple[Callable[..., Any], Any]]:
        """Like :meth:`send`, awaiting async receivers; for use in a running loop.

        Synchronous receivers are called directly (``_sync_wrapper`` is accepted
        for blinker compatibility and ignored). With *concurrent*, async
        receivers run concurrently; results stay in subscription order.
        """
        sender = self._sender_from(args, kwargs)
        payload = self.payload_type(**kwargs)
        results: list[tuple[Callable[..., Any], Any]] = []
        await self._deliver_async(payload, sender, results, concurrent=concurrent)
        return results

    @staticmethod
    def _sender_from(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        # Oscar sends sender=self as a keyword; blinker takes it positionally.
        given = len(args) + ("sender" in kwargs)
        if given > 1:
            msg = f"send() takes one sender, got {given}"
            raise TypeError(msg)
        return kwargs.pop("sender") if "sender" in kwargs else next(iter(args), None)

    # -- delivering ----------------------------------------------------------

    def _prepare(
        self,
        payload: Any,
        sender: Any,
        metadata: EventMetadata | None,
        *,
        deferrable: bool,
    ) -> tuple[_Plan, EventMetadata | None] | None:
        """What every delivery checks first; None when there is nothing to do."""
        if self._muted:
            return None
        if _slow:
            muted = MUTED.get()
            if muted is True or (muted and type(payload) in muted):
                return None
            if metadata is None and _tracing():
                metadata = EventMetadata.new(self.name)
            if deferrable:
                unit = DEFERRED.get()
                if unit is not None:
                    unit.add(self, payload, sender, metadata)
                    return None
        return self._plan_for(sender), metadata

    def _deliver(
        self,
        payload: Any,
        sender: Any,
        results: list[tuple[Callable[..., Any], Any]] | None,
        metadata: EventMetadata | None = None,
        *,
        deferrable: bool = True,
        bridge: AsyncBridge | None = None,
    ) -> None:
        """Deliver synchronously: the general path behind ``emit`` and ``send``."""
        if _slow or self._muted:
            prepared = self._prepare(payload, sender, metadata, deferrable=deferrable)
            if prepared is None:
                return
            (entries, has_async, _fast), metadata = prepared
        else:
            entries, has_async, _fast = self._plan_for(sender)
        if has_async:
            bridge = self._sync_bridge(bridge)
        failures: list[tuple[Callable[..., Any], Exception]] | None = None
        fields: dict[str, Any] | None = None
        token = CURRENT_EVENT.set(metadata) if metadata is not None else None
        try:
            for tap in _taps:
                tap(self, payload, sender)
            for target, flags, _record in entries:
                receiver = target() if flags & _WEAK else target
                if receiver is None:
                    continue
                try:
                    # The common calls first, spelled out: no argument tuple
                    # or dict is built for them.
                    if not flags & _OSCAR:
                        if flags & (_ASYNC | _METADATA):
                            value = self._call_special(
                                receiver, flags, payload, metadata, bridge
                            )
                        else:
                            value = receiver(payload)
                    else:
                        if fields is None:
                            fields = self._fields_of(payload)
                        if flags & _ASYNC:
                            value = self._call_special(
                                receiver,
                                flags,
                                payload,
                                metadata,
                                bridge,
                                sender,
                                fields,
                            )
                        elif flags & _SENDER_KEYWORD:
                            value = receiver(sender=sender, **fields)
                        else:
                            value = receiver(sender, **fields)
                except Exception as exc:  # noqa: BLE001 - every subscriber runs
                    if isinstance(exc, RecursionError):
                        raise _nested_too_deep(exc, self.name) from None
                    value = exc
                    if failures is None:
                        failures = []
                    failures.append((receiver, exc))
                if results is not None:
                    results.append((receiver, value))
        finally:
            if token is not None:
                CURRENT_EVENT.reset(token)
        if failures is not None:
            self._fail(payload, failures)

    @staticmethod
    def _call_special(
        receiver: Callable[..., Any],
        flags: int,
        payload: Any,
        metadata: EventMetadata | None,
        bridge: AsyncBridge | None,
        sender: Any = None,
        fields: dict[str, Any] | None = None,
    ) -> Any:
        """Call a subscriber that wants metadata, or an async one via *bridge*."""
        if flags & _OSCAR:
            args: tuple[Any, ...] = () if flags & _SENDER_KEYWORD else (sender,)
            kwargs = dict(fields or {})
            if flags & _SENDER_KEYWORD:
                kwargs["sender"] = sender
        else:
            args = (payload, metadata) if flags & _METADATA else (payload,)
            kwargs = {}
        if flags & _ASYNC:
            return typing.cast("AsyncBridge", bridge)(receiver, *args, **kwargs)
        return receiver(*args, **kwargs)

    async def _deliver_async(
        self,
        payload: Any,
        sender: Any,
        results: list[tuple[Callable[..., Any], Any]] | None,
        metadata: EventMetadata | None = None,
        *,
        concurrent: bool = False,
        deferrable: bool = True,
    ) -> None:
        """Deliver in a running loop: the general path behind ``emit_async``."""
        prepared = self._prepare(payload, sender, metadata, deferrable=deferrable)
        if prepared is None:
            return
        (entries, _has_async, _fast), metadata = prepared
        failures: list[tuple[Callable[..., Any], Exception]] = []
        token = CURRENT_EVENT.set(metadata) if metadata is not None else None
        try:
            for tap in _taps:
                tap(self, payload, sender)
            calls = self._calls(entries, payload, sender, metadata)
            if concurrent:
                values = await _run_concurrently(calls, failures)
            else:
                values = []
                for receiver, call, is_async in calls:
                    try:
                        value = call()
                        if is_async:
                            value = await value
                    except Exception as exc:  # noqa: BLE001 - every subscriber runs
                        if isinstance(exc, RecursionError):
                            raise _nested_too_deep(exc, self.name) from None
                        value = exc
                        failures.append((receiver, exc))
                    values.append((receiver, value))
        except asyncio.CancelledError:
            # The remaining subscribers will not run; what failed so far is
            # still reported, never dropped with the cancellation.
            self._log_failures(failures, cancelled=True)
            raise
        finally:
            if token is not None:
                CURRENT_EVENT.reset(token)
        if results is not None:
            results.extend(values)
        if failures:
            self._fail(payload, failures)

    def _calls(
        self,
        entries: tuple[_Entry, ...],
        payload: Any,
        sender: Any,
        metadata: EventMetadata | None,
    ) -> list[tuple[Callable[..., Any], Callable[[], Any], bool]]:
        """Bind each live entry to its arguments: (receiver, call, is_async)."""
        calls: list[tuple[Callable[..., Any], Callable[[], Any], bool]] = []
        fields: dict[str, Any] | None = None
        for target, flags, _record in entries:
            receiver = target() if flags & _WEAK else target
            if receiver is None:
                continue
            if flags & _OSCAR:
                if fields is None:
                    fields = self._fields_of(payload)
                call = (
                    functools.partial(receiver, sender=sender, **fields)
                    if flags & _SENDER_KEYWORD
                    else functools.partial(receiver, sender, **fields)
                )
            elif flags & _METADATA:
                call = functools.partial(receiver, payload, metadata)
            else:
                call = functools.partial(receiver, payload)
            calls.append((receiver, call, bool(flags & _ASYNC)))
        return calls

    def _sync_bridge(self, bridge: AsyncBridge | None) -> AsyncBridge:
        """The bridge for async subscribers of a sync emit, or an error now."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise AsyncDeliveryError(
                self.name,
                "it has async subscribers and an event loop is running in this "
                "thread: use `await commerce_events.emit_async(...)` here",
            )
        chosen = bridge if bridge is not None else _bridge
        if chosen is None:
            raise AsyncDeliveryError(
                self.name,
                "it has async subscribers and no bridge is configured: use "
                "`await commerce_events.emit_async(...)`, or configure one with "
                "commerce_events.set_async_bridge(...)",
            )
        return chosen

    def _fail(
        self, payload: Any, failures: list[tuple[Callable[..., Any], Exception]]
    ) -> None:
        """Apply each failed subscriber's policy: log it, or raise them all."""
        to_raise: list[tuple[Callable[..., Any], Exception]] = []
        for receiver, exc in failures:
            if self._policy_of(receiver) == "log":
                self._log_failures([(receiver, exc)])
            else:
                exc.add_note(
                    f"raised by subscriber {name_of(receiver)} of event {self.name!r}"
                )
                to_raise.append((receiver, exc))
        if to_raise:
            raise SubscriberError(self.name, payload, to_raise)

    def _policy_of(self, receiver: Callable[..., Any]) -> OnError:
        record = self._by_receiver.get(_make_id(receiver))
        if record is not None and record.on_error is not None:
            return record.on_error
        if self.on_error is not None:
            return self.on_error
        return _library_on_error

    def _log_failures(
        self,
        failures: list[tuple[Callable[..., Any], Exception]],
        *,
        cancelled: bool = False,
    ) -> None:
        for receiver, exc in failures:
            name = name_of(receiver)
            logger.error(
                "subscriber %s failed on %r%s",
                name,
                self.name,
                " (the delivery was then cancelled)" if cancelled else "",
                exc_info=(type(exc), exc, exc.__traceback__),
                extra={"event_name": self.name, "subscriber": name},
            )

    def __repr__(self) -> str:
        return f"<EventSignal {self.name!r} -> {self.payload_type.__qualname__}>"

    # -- isolation (tests) ---------------------------------------------------

    def _save(self) -> _SavedState:
        with self._lock:
            return _SavedState(
                receivers=dict(self.receivers),
                by_sender={k: set(v) for k, v in self._by_sender.items()},
                records={rid: r.copy() for rid, r in self._by_receiver.items()},
                weak_senders=dict(self._weak_senders),
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
            self._by_receiver.update(
                {rid: r.copy() for rid, r in state.records.items()}
            )
            self._metadata_subscribers = sum(
                r.with_metadata for r in self._by_receiver.values()
            )
            self._weak_senders.clear()
            self._weak_senders.update(state.weak_senders)
            self.on_error = state.on_error
            self._muted = state.muted
            self._invalidate()
            self._sync_metadata_flag()


class _SavedState(typing.NamedTuple):
    receivers: dict[Any, Any]
    by_sender: dict[Any, set[Any]]
    weak_senders: dict[Any, Any]
    records: dict[Any, _Subscription]
    on_error: OnError | None
    muted: bool


async def _run_concurrently(
    calls: list[tuple[Callable[..., Any], Callable[[], Any], bool]],
    failures: list[tuple[Callable[..., Any], Exception]],
) -> list[tuple[Callable[..., Any], Any]]:
    """Run sync calls in order and async ones concurrently; keep the order."""
    outcomes: list[Any] = []
    errors: dict[int, Exception] = {}

    async def guarded(index: int, awaitable: Any) -> Any:
        # Caught here so that one failure never cancels the other subscribers.
        try:
            return await awaitable
        except Exception as exc:  # noqa: BLE001 - reported below, in order
            errors[index] = exc
            return exc

    async with asyncio.TaskGroup() as group:
        for index, (_receiver, call, is_async) in enumerate(calls):
            try:
                value = call()
            except Exception as exc:  # noqa: BLE001 - every subscriber runs
                errors[index] = exc
                outcomes.append(exc)
                continue
            outcomes.append(
                group.create_task(guarded(index, value)) if is_async else value
            )
    values: list[tuple[Callable[..., Any], Any]] = []
    for index, ((receiver, _call, _is_async), outcome) in enumerate(
        zip(calls, outcomes, strict=True)
    ):
        value = outcome.result() if isinstance(outcome, asyncio.Task) else outcome
        if index in errors:
            failures.append((receiver, errors[index]))
        values.append((receiver, value))
    return values


def _nested_too_deep(exc: RecursionError, event: str) -> EventRecursionError:
    """Turn a recursion overflow into an error naming the chain of events.

    Each nested delivery adds its event while the stack unwinds, so the error
    that reaches the outermost emit names the whole chain. Tracking depth on
    every emit instead would cost the fast path; the overflow is the signal.
    """
    if isinstance(exc, EventRecursionError):
        exc._nest_in(event)  # noqa: SLF001
        return exc.with_traceback(None)
    return EventRecursionError((event,))


# -- emitting ------------------------------------------------------------------


def emit(payload: Payload, /, *, sender: Any = None) -> None:
    """Deliver a payload to its event's subscribers.

    The payload was validated when it was built, so ``emit`` only checks that it
    is a registered payload. Every subscriber runs, in order, even when some
    fail; failures are then raised together or logged, per policy. A subscriber
    may emit other events: they are delivered at once, depth-first, before the
    remaining subscribers of the outer event run.

    Args:
        payload: An instance of a registered payload class.
        sender: Who emits (a view, a service); subscribers may filter on it.

    Raises:
        NotAPayloadError: *payload* is not a registered payload.
        SubscriberError: Subscribers with the ``"raise"`` policy failed.
        AsyncDeliveryError: The event has async subscribers and they cannot be
            reached from here (raised before any subscriber runs).
        EventRecursionError: Subscribers kept emitting events that led back to
            themselves.

    .. versionadded:: 0.1.0
    """
    try:
        signal = _signal_by_type[type(payload)]
    except KeyError:
        raise NotAPayloadError(payload) from None
    fast = signal._fast  # noqa: SLF001
    if fast is None or _slow:
        # Subscriptions for particular senders: the plan of this sender's key
        # may still be a plain tuple of functions.
        fast = None if _slow or signal._muted else signal._plan_for(sender)[2]  # noqa: SLF001
        if fast is None:
            signal._deliver(payload, sender, None)  # noqa: SLF001
            return
    failures = None
    for subscriber in fast:
        try:
            subscriber(payload)
        except Exception as exc:  # noqa: BLE001 - every subscriber runs
            if isinstance(exc, RecursionError):
                raise _nested_too_deep(exc, signal.name) from None
            if failures is None:
                failures = []
            failures.append((subscriber, exc))
    if failures is not None:
        signal._fail(payload, failures)  # noqa: SLF001


async def emit_async(
    payload: Payload, /, *, sender: Any = None, concurrent: bool = False
) -> None:
    """Deliver a payload to sync and async subscribers, from a running loop.

    The same order, validation and failure policies as :func:`emit`. Async
    subscribers are awaited in order; with *concurrent*, they run concurrently
    (in an :class:`asyncio.TaskGroup`), while synchronous subscribers are called
    in order as they are reached, and failures are still reported in
    subscription order. One failing subscriber never cancels the others.

    Cancelling the emit cancels the subscriber being awaited (all of them, when
    concurrent); subscribers after it do not run, failures collected so far are
    logged, and the :class:`asyncio.CancelledError` propagates.

    Args:
        payload: An instance of a registered payload class.
        sender: Who emits; subscribers may filter on it.
        concurrent: Run the async subscribers concurrently.

    Raises:
        NotAPayloadError: *payload* is not a registered payload.
        SubscriberError: Subscribers with the ``"raise"`` policy failed.
        EventRecursionError: Subscribers kept emitting events that led back to
            themselves.

    .. versionadded:: 0.1.0
    """
    try:
        signal = _signal_by_type[type(payload)]
    except KeyError:
        raise NotAPayloadError(payload) from None
    if not _slow and not concurrent:
        fast_async = signal._fast_async  # noqa: SLF001
        if fast_async is not None:
            failures: list[tuple[Callable[..., Any], Exception]] = []
            try:
                for subscriber in fast_async:
                    try:
                        await subscriber(payload)
                    except Exception as exc:  # noqa: BLE001 - every subscriber runs
                        if isinstance(exc, RecursionError):
                            raise _nested_too_deep(exc, signal.name) from None
                        failures.append((subscriber, exc))
            except asyncio.CancelledError:
                signal._log_failures(failures, cancelled=True)  # noqa: SLF001
                raise
            if failures:
                signal._fail(payload, failures)  # noqa: SLF001
            return
        if signal._fast is not None:  # noqa: SLF001 - only sync subscribers
            emit(payload, sender=sender)
            return
    await signal._deliver_async(payload, sender, None, concurrent=concurrent)  # noqa: SLF001


# -- taps and scopes (used by testing and _scopes) ------------------------------


def add_tap(tap: Tap) -> None:
    """Call ``tap(signal, payload, sender)`` on every delivery of every event.

    A tap sees each delivered event before its subscribers, including events
    registered after the tap was added; it does not see muted events, nor
    deferred ones until they are delivered. While it runs, the current event's
    metadata is ``_context.CURRENT_EVENT.get()``.
    """
    global _taps  # noqa: PLW0603
    with _state_lock:
        _taps = (*_taps, tap)
        _update_slow()


def remove_tap(tap: Tap) -> None:
    """Stop calling *tap*; removing a tap that is not there does nothing."""
    global _taps  # noqa: PLW0603
    with _state_lock:
        _taps = tuple(t for t in _taps if t is not tap)
        _update_slow()


def _open_scope() -> None:
    global _open_scopes  # noqa: PLW0603
    with _state_lock:
        _open_scopes += 1
        _update_slow()


def _close_scope() -> None:
    global _open_scopes  # noqa: PLW0603
    with _state_lock:
        _open_scopes -= 1
        _update_slow()


@contextmanager
def _isolated_state() -> Iterator[None]:
    """Save every signal's subscriptions and the defaults; restore them on exit.

    Signals registered inside the block keep their subscriptions.
    """
    global _library_on_error, _bridge
    saved = [(sig, sig._save()) for sig in list(_signal_by_type.values())]  # noqa: SLF001
    library_on_error, bridge = _library_on_error, _bridge
    try:
        yield
    finally:
        for sig, state in saved:
            sig._restore(state)  # noqa: SLF001
        _library_on_error, _bridge = library_on_error, bridge
