"""Subscriptions and plans: who receives an event, in which order, and how.

Each registered event has a :class:`Route`: its subscription records, the
targets to call (blinker's ``receivers`` map of its signal), and the *plans*
built from them. A plan is what one emit needs to know, decided when the
subscriptions change and never on the emit: the entries to call in order, how
to call each one, whether the event needs metadata (because something observes
it), and, for the common case, the plain tuple of functions that ``emit``
loops over.

What one event needs never changes another event's plan: a forwarder, a
metadata reader or a capture of ``OrderPlaced`` costs ``ProductViewed``
nothing. Only what concerns every event by definition (a catch-all subscriber,
a capture of everything, an observer) is merged into every plan.

Senders: a subscription may name the senders it receives from. Values of the
built-in immutable types (``str``, ``int``, ``float``, ``bool``, ``bytes``,
``None``...) match by type and equality, so ``sender=0`` and ``sender=False``
are different senders; any other object matches by identity and is weakly
held where it can be (its subscriptions go when it dies); a class also matches
its instances. :data:`ANY` is a sentinel no user value equals.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import types
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

import blinker

from ._introspect import is_async_callable
from ._payload import FIELDS_ATTR
from .exceptions import NotAPayloadError

if TYPE_CHECKING:
    from ._payload import PayloadSpec
    from ._signal import EventSignal

__all__ = [
    "ANY",
    "ROUTES",
    "Plan",
    "Route",
    "Subscription",
    "add_catch_all",
    "add_tap",
    "receiver_id",
    "remove_catch_all",
    "remove_tap",
    "route_for_type",
    "sender_key",
    "set_observed",
]

ANY: Final = blinker.ANY
"""The "any sender" symbol: a subscription for ANY receives every emit."""

# Entry flags, decided at subscribe time.
WEAK: Final = 1  # the target is a weak reference to dereference
OSCAR: Final = 2  # receiver(sender, **fields), else subscriber(payload)
ASYNC: Final = 4  # returns an awaitable
METADATA: Final = 8  # subscriber(payload, metadata)
SENDER_KEYWORD: Final = 16  # receiver(sender=sender, **fields), as Django calls
SIGNAL_KEYWORD: Final = 32  # also signal=<the EventSignal>, as Django passes
ONCE: Final = 64  # removed after its first delivery

_PATCHABLE: Final = 8
MAX_SENDER_PLANS: Final = 256
"""Plans cached per event for particular senders; the oldest goes first."""

_VALUE_SENDERS: Final = frozenset({str, int, float, complex, bool, bytes, type(None)})
_sequence = itertools.count()
_lock = threading.RLock()  # guards the process-wide parts below


def sender_key(sender: object) -> Any:
    """How a sender is matched: by type and value, or by identity."""
    kind = type(sender)
    if kind in _VALUE_SENDERS:
        return (kind, sender)
    return id(sender)


def receiver_id(receiver: object) -> Any:
    """How a receiver is recognised again (blinker's ``make_id``).

    A bound method by its function and instance (each attribute access makes a
    new method object); anything else by identity.
    """
    if type(receiver) is types.MethodType:
        return (id(receiver.__func__), id(receiver.__self__))
    return id(receiver)


def _make_ref(obj: Any, callback: Callable[[Any], None]) -> weakref.ref[Any]:
    if type(obj) is types.MethodType:
        return weakref.WeakMethod(obj, callback)
    return weakref.ref(obj, callback)


class Subscription:
    """One receiver's subscription: how it is called, and from which senders."""

    __slots__ = (
        "active",
        "catch_all",
        "group",
        "kind",
        "on_error",
        "priority",
        "receiver_id",
        "sender_classes",
        "senders",
        "seq",
    )
    active: bool
    catch_all: bool
    group: str | None
    kind: int
    on_error: str | None
    priority: int
    receiver_id: Any
    sender_classes: tuple[type[Any], ...]
    senders: tuple[Any, ...]
    seq: int

    def __init__(
        self,
        receiver_id: Any,
        kind: int,
        priority: int,
        on_error: str | None,
        group: str | None = None,
    ) -> None:
        self.receiver_id = receiver_id
        self.kind = kind
        self.priority = priority
        self.on_error = on_error
        self.catch_all = False  # set for catch-all subscriptions
        self.group = group  # of a catch-all subscription; None: every event
        self.seq = next(_sequence)
        self.senders: tuple[Any, ...] = ()
        # Classes given as sender also match their instances.
        self.sender_classes: tuple[type[Any], ...] = ()
        # False once removed, so that an emit already under way skips it.
        self.active = True

    def sort_key(self) -> tuple[int, int]:
        return (-self.priority, self.seq)

    def matches(self, key: Any, sender: object) -> bool:
        senders = self.senders
        return (
            ANY in senders
            or key in senders
            or any(isinstance(sender, c) for c in self.sender_classes)
        )

    def copy(self) -> Subscription:
        clone = Subscription.__new__(Subscription)
        for slot in Subscription.__slots__:
            setattr(clone, slot, getattr(self, slot))
        return clone


class FastList(list[Callable[[Any], Any]]):
    """The functions of a fast path, and their subscriptions as planned.

    The subscriptions are kept with the list, so that a subscriber removed
    during the emit still fails under its own policy.
    """

    __slots__ = ("records",)
    records: dict[int, Subscription]

    def __init__(
        self,
        functions: Iterable[Callable[[Any], Any]],
        records: dict[int, Subscription],
    ) -> None:
        super().__init__(functions)
        self.records = records


Entry = tuple[Any, int, Subscription]
"""``(target, flags, record)``: a target is the callable, or a weak reference."""


class Plan:
    """What an emit from one sender needs, decided when subscriptions change.

    Attributes:
        entries: ``(target, flags, record)`` in delivery order.
        functions: The plain functions to call, when every entry is a strong,
            synchronous, typed subscriber and nothing observes the event
            (the fast path); else None.
        async_functions: The same, when every entry is async (the fast path
            of ``emit_async``); else None.
        has_async: Some entry is async.
        needs_metadata: Something reads the emit's metadata (a subscriber with
            metadata, a tap, an observer), so it must be made.
        taps: ``tap(signal, payload, sender)`` callables, before subscribers.
        observed: Observers want a record of the delivery.
        muted: blinker's process-wide mute is on.
    """

    __slots__ = (
        "async_functions",
        "entries",
        "functions",
        "has_async",
        "muted",
        "needs_metadata",
        "observed",
        "taps",
    )
    async_functions: FastList | None
    entries: tuple[Entry, ...]
    functions: FastList | None
    has_async: bool
    muted: bool
    needs_metadata: bool
    observed: bool
    taps: tuple[Callable[..., Any], ...]

    def __init__(
        self,
        entries: tuple[Entry, ...],
        taps: tuple[Callable[..., Any], ...],
        *,
        observed: bool,
        muted: bool,
    ) -> None:
        self.entries = entries
        self.taps = taps
        self.observed = observed
        self.muted = muted
        self.has_async = any(flags & ASYNC for _, flags, _ in entries)
        self.needs_metadata = bool(
            taps or observed or any(flags & METADATA for _, flags, _ in entries)
        )
        simple = not (taps or observed or muted) and all(
            flags == 0 for _, flags, _ in entries
        )
        simple_async = not (taps or observed or muted) and all(
            flags == ASYNC for _, flags, _ in entries
        )
        planned = {id(target): record for target, _, record in entries}
        targets = [target for target, _, _ in entries]
        self.functions = FastList(targets, planned) if simple else None
        self.async_functions = FastList(targets, planned) if simple_async else None


# -- what concerns every event ------------------------------------------------

ROUTES: Final[dict[type[Any], Route]] = {}
"""The routing table: exact payload class -> its route. Filled by the registry."""

_catch_alls: dict[Any, tuple[Subscription, Any]] = {}  # receiver id -> (record, target)
_global_taps: tuple[Callable[..., Any], ...] = ()
_observed = False


def route_for_type(payload_type: object) -> Route:
    """Return the route of a registered payload class.

    Raises:
        NotAPayloadError: *payload_type* is not a registered payload class.
    """
    try:
        return ROUTES[payload_type]  # type: ignore[index]
    except (KeyError, TypeError):
        raise NotAPayloadError(payload_type) from None


def _invalidate_all() -> None:
    for route in list(ROUTES.values()):
        route.invalidate()


def _skip(payload: object) -> None:
    """Stands in for a subscriber removed while an emit iterates its list."""


async def _skip_async(payload: object) -> None:
    """Stands in for an async subscriber removed during an emit."""


def add_catch_all(
    receiver: Callable[..., Any],
    *,
    kind: int,
    priority: int,
    on_error: str | None,
    group: str | None,
    weak: bool,
) -> None:
    """Subscribe *receiver* to every event (of *group*), registered or to come."""
    rid = receiver_id(receiver)
    record = Subscription(rid, kind, priority, on_error, group)
    record.catch_all = True
    record.senders = (ANY,)

    def cleanup(_ref: object) -> None:
        remove_catch_all(rid)

    target = _make_ref(receiver, cleanup) if weak else receiver
    with _lock:
        old = _catch_alls.get(rid)
        if old is not None:
            old[0].active = False
            record.seq = old[0].seq  # re-subscribing keeps its place
        _catch_alls[rid] = (record, target)
        _invalidate_all()


def remove_catch_all(rid: Any) -> bool:
    """Remove a catch-all subscription by receiver id; False if there was none."""
    with _lock:
        old = _catch_alls.pop(rid, None)
        if old is None:
            return False
        old[0].active = False
        for route in list(ROUTES.values()):
            route.unlist(old[1])
        _invalidate_all()
        return True


def catch_all_ids() -> list[Any]:
    """The receiver ids of the catch-all subscriptions."""
    with _lock:
        return list(_catch_alls)


def add_tap(tap: Callable[..., Any], route: Route | None = None) -> None:
    """Call ``tap(signal, payload, sender)`` before the subscribers of each emit.

    Of one event (*route*), or of every event, registered or to come. A tap
    does not see muted events, nor deferred ones until they are delivered.
    """
    global _global_taps  # noqa: PLW0603 - the process-wide taps
    with _lock:
        if route is None:
            _global_taps = (*_global_taps, tap)
            _invalidate_all()
        else:
            with route.lock:
                route.taps = (*route.taps, tap)
                route.invalidate()


def remove_tap(tap: Callable[..., Any], route: Route | None = None) -> None:
    """Stop calling *tap*; removing a tap that is not there does nothing."""
    global _global_taps  # noqa: PLW0603 - the process-wide taps
    with _lock:
        if route is None:
            _global_taps = tuple(t for t in _global_taps if t is not tap)
            _invalidate_all()
        else:
            with route.lock:
                route.taps = tuple(t for t in route.taps if t is not tap)
                route.invalidate()


def set_observed(observed: bool) -> None:  # noqa: FBT001 - a plain switch
    """Whether observers exist (every plan then records its deliveries)."""
    global _observed  # noqa: PLW0603 - observers concern every event
    with _lock:
        if observed != _observed:
            _observed = observed
            _invalidate_all()


def save_process_wide() -> tuple[Any, ...]:
    """The catch-alls and taps, to restore after an isolated block."""
    with _lock:
        return (
            {rid: (r.copy(), t) for rid, (r, t) in _catch_alls.items()},
            _global_taps,
        )


def restore_process_wide(saved: tuple[Any, ...]) -> None:
    global _global_taps  # noqa: PLW0603 - the process-wide taps
    catch_alls, taps = saved
    with _lock:
        for record, _target in _catch_alls.values():
            record.active = False
        _catch_alls.clear()
        _catch_alls.update({rid: (r.copy(), t) for rid, (r, t) in catch_alls.items()})
        _global_taps = taps
        _invalidate_all()


def kind_of(
    receiver: Callable[..., Any],
    *,
    typed: bool,
    with_metadata: bool = False,
    sender_keyword: bool = False,
    signal_keyword: bool = False,
    once: bool = False,
) -> int:
    """The entry flags of a receiver, decided once when it subscribes."""
    return (
        (0 if typed else OSCAR)
        | (ASYNC if is_async_callable(receiver) else 0)
        | (METADATA if with_metadata else 0)
        | (SENDER_KEYWORD if sender_keyword else 0)
        | (SIGNAL_KEYWORD if signal_keyword else 0)
        | (ONCE if once else 0)
    )


# -- one event ---------------------------------------------------------------


class Route:
    """One event's subscriptions and plans.

    Attributes:
        signal: The event's blinker signal.
        name: The event's name.
        payload_type: The event's payload class.
        on_error: The event's default failure policy, or None.
        fast: The functions ``emit`` may call directly for any sender, or None.
            A list: when a subscriber is removed, it is replaced in the lists
            that emits under way may be iterating by a no-op, so that an emit
            never calls a subscriber that an earlier subscriber of the same emit
            removed, at no cost per call.
        fast_async: The same for ``emit_async``, when every subscriber is async.
        records: Receiver id -> subscription.
        targets: Receiver id -> callable or weak reference (blinker's
            ``receivers`` map of the signal, kept exact).
    """

    __slots__ = (
        "any_plan",
        "dirty",
        "fast",
        "fast_async",
        "fast_lists",
        "fields_of",
        "lock",
        "muted",
        "name",
        "on_error",
        "ordered",
        "payload_type",
        "plans",
        "records",
        "sender_classes",
        "sender_keys",
        "sender_refs",
        "signal",
        "spec",
        "taps",
        "targets",
    )
    any_plan: Plan
    dirty: bool
    fast: FastList | None
    fast_async: FastList | None
    fast_lists: tuple[list[Callable[[Any], Any]], ...]
    fields_of: Callable[[Any], dict[str, Any]]
    lock: threading.RLock
    muted: bool
    name: str
    on_error: str | None
    ordered: list[tuple[Any, Subscription]]
    payload_type: type[Any]
    plans: dict[Any, Plan]
    records: dict[Any, Subscription]
    sender_classes: tuple[type[Any], ...]
    sender_keys: frozenset[Any]
    sender_refs: dict[Any, weakref.ref[Any]]
    signal: EventSignal
    spec: PayloadSpec
    taps: tuple[Callable[..., Any], ...]
    targets: dict[Any, Any]

    def __init__(
        self,
        signal: EventSignal,
        spec: PayloadSpec,
        targets: dict[Any, Any],
        on_error: str | None,
    ) -> None:
        self.signal = signal
        self.spec = spec
        self.name = spec.name
        self.payload_type = spec.payload_type
        self.on_error = on_error
        self.targets = targets
        self.records: dict[Any, Subscription] = {}
        self.sender_refs: dict[Any, weakref.ref[Any]] = {}
        self.taps: tuple[Callable[..., Any], ...] = ()
        self.lock = threading.RLock()
        self.muted = False  # blinker's process-wide Signal.muted()
        self.fields_of: Callable[[Any], dict[str, Any]] = getattr(
            spec.payload_type, FIELDS_ATTR
        )
        self.fast: FastList | None = None
        self.fast_async: FastList | None = None
        self.fast_lists: tuple[list[Callable[[Any], Any]], ...] = ()
        self.any_plan = Plan((), (), observed=False, muted=False)
        self.plans: dict[Any, Plan] = {}
        self.ordered: list[tuple[Any, Subscription]] = []
        self.sender_keys: frozenset[Any] = frozenset()
        self.sender_classes: tuple[type[Any], ...] = ()
        self.dirty = True

    # -- changing subscriptions ----------------------------------------------

    def add(
        self,
        receiver: Callable[..., Any],
        sender: Any,
        *,
        kind: int,
        weak: bool,
        priority: int,
        on_error: str | None,
        rid: Any = None,
    ) -> bool:
        """Subscribe *receiver* (or update its options); False if refused.

        A receiver already subscribed in the other calling convention is
        refused (the caller explains why). Re-subscribing keeps the place in
        the order and takes the new options.
        """
        if rid is None:
            rid = receiver_id(receiver)
        key = ANY if sender is ANY else sender_key(sender)
        with self.lock:
            record = self.records.get(rid)
            if record is not None and (record.kind & OSCAR) != (kind & OSCAR):
                return False
            if weak:
                self.targets[rid] = _make_ref(receiver, self._cleanup_receiver(rid))
            else:
                self.targets[rid] = receiver
            if record is None:
                record = Subscription(rid, kind, priority, on_error)
                self.records[rid] = record
            else:
                record.kind = kind
                record.priority = priority
                record.on_error = on_error
            if key not in record.senders:
                record.senders = (*record.senders, key)
            if sender is not ANY:
                if isinstance(sender, type) and sender not in record.sender_classes:
                    record.sender_classes = (*record.sender_classes, sender)
                if type(key) is int and key not in self.sender_refs:
                    # As blinker: forget a sender's subscriptions when it dies
                    # (senders that cannot be weakly referenced live on).
                    with contextlib.suppress(TypeError):
                        self.sender_refs[key] = weakref.ref(
                            sender, self._cleanup_sender(key)
                        )
            self.invalidate()
        return True

    def remove(self, rid: Any, sender: Any = ANY) -> bool:
        """Unsubscribe (from *sender*, or from every sender); False if absent."""
        with self.lock:
            record = self.records.get(rid)
            if record is None:
                return False
            if sender is ANY:
                gone: Iterable[Any] = record.senders
            else:
                key = sender_key(sender)
                if key not in record.senders:
                    return False
                gone = (key,)
            self._forget(record, tuple(gone))
            self.invalidate()
            return True

    def _forget(self, record: Subscription, keys: tuple[Any, ...]) -> None:
        record.senders = tuple(k for k in record.senders if k not in keys)
        if record.sender_classes:
            record.sender_classes = tuple(
                c for c in record.sender_classes if id(c) not in keys
            )
        if not record.senders:
            record.active = False
            del self.records[record.receiver_id]
            target = self.targets.pop(record.receiver_id, None)
            if target is not None:
                self.unlist(target)

    def _cleanup_receiver(self, rid: Any) -> Callable[[Any], None]:
        def cleanup(_ref: Any) -> None:
            self.remove(rid)

        return cleanup

    def _cleanup_sender(self, key: Any) -> Callable[[Any], None]:
        def cleanup(_ref: Any) -> None:
            with self.lock:
                self.sender_refs.pop(key, None)
                for record in list(self.records.values()):
                    if key in record.senders:
                        self._forget(record, (key,))
                self.invalidate()

        return cleanup

    def clear(self) -> None:
        with self.lock:
            for record in self.records.values():
                record.active = False
            for target in self.targets.values():
                self.unlist(target)
            self.records.clear()
            self.targets.clear()
            self.sender_refs.clear()
            self.invalidate()

    def claim_once(self, record: Subscription) -> bool:
        """Remove a ``once`` subscription: True for the one delivery to call it."""
        if record.catch_all:
            with _lock:
                current = _catch_alls.get(record.receiver_id)
                if current is None or current[0] is not record:
                    return False
                return remove_catch_all(record.receiver_id)
        with self.lock:
            if self.records.get(record.receiver_id) is not record:
                return False
            self._forget(record, record.senders)
            self.invalidate()
            return True

    def set_muted(self, muted: bool) -> None:  # noqa: FBT001 - blinker's flag
        with self.lock:
            self.muted = muted
            self.invalidate()

    # -- plans ---------------------------------------------------------------

    def invalidate(self) -> None:
        """Subscriptions changed: the plans are rebuilt on next use.

        Keeps subscribing O(1): a burst of subscriptions costs one rebuild.
        """
        self.dirty = True
        self.fast = None
        self.fast_async = None

    def _refresh(self) -> None:
        with self.lock, _lock:
            if not self.dirty:
                return
            self.dirty = False
            records = [r for r in self.records.values() if r.senders]
            targets = dict(self.targets)
            for rid, (record, target) in _catch_alls.items():
                if record.group is None or record.group == self.spec.group:
                    records.append(record)
                    targets.setdefault(rid, target)
            records.sort(key=Subscription.sort_key)
            self.ordered = [(targets.get(r.receiver_id), r) for r in records]
            self.sender_keys = frozenset(
                k for r in records for k in r.senders if k is not ANY
            )
            self.sender_classes = tuple(
                {c: None for r in records for c in r.sender_classes}
            )
            self.plans = {}
            self.any_plan = self._build(ANY, None)
            if not self.sender_keys:
                self.fast = self.any_plan.functions
                self.fast_async = self.any_plan.async_functions

    def _keep_patchable(self, functions: list[Callable[[Any], Any]]) -> None:
        # The lists the latest emits may still iterate (a nested emit of the
        # same event can rebuild them while an outer one runs).
        self.fast_lists = (functions, *self.fast_lists[: _PATCHABLE - 1])

    def unlist(self, target: object) -> None:
        """Replace *target* by a no-op in the lists emits under way iterate."""
        for functions in self.fast_lists:
            for index, function in enumerate(functions):
                if function is target:
                    functions[index] = (
                        _skip_async if is_async_callable(target) else _skip
                    )

    def _build(self, key: Any, sender: object) -> Plan:
        taps = (*_global_taps, *self.taps)
        if self.muted:
            return Plan((), taps, observed=_observed, muted=True)
        entries: list[Entry] = []
        for target, record in self.ordered:
            if target is None:
                continue
            if not (ANY in record.senders or record.matches(key, sender)):
                continue
            weak = WEAK if isinstance(target, weakref.ref) else 0
            entries.append((target, record.kind | weak, record))
        plan = Plan(tuple(entries), taps, observed=_observed, muted=False)
        for functions in (plan.functions, plan.async_functions):
            if functions:
                self._keep_patchable(functions)
        return plan

    def plan_for(self, sender: object) -> Plan:
        """The plan of an emit from *sender*."""
        if self.dirty:
            self._refresh()
        if not self.sender_keys:
            return self.any_plan
        key = sender_key(sender)
        if key in self.sender_keys:
            cache_key = key
        elif self.sender_classes and isinstance(sender, self.sender_classes):
            # Keyed by class, so a new view instance per request does not
            # grow the cache.
            cache_key = (Plan, type(sender))
        else:
            return self.any_plan
        plans = self.plans
        plan = plans.get(cache_key)
        if plan is None:
            with self.lock:
                plan = self._build(key, sender)
                if plans is self.plans:
                    if len(plans) >= MAX_SENDER_PLANS:
                        # Bounded: dynamic sender classes must not grow it.
                        del plans[next(iter(plans))]
                    plans[cache_key] = plan
        return plan

    def record_for(self, receiver: object) -> Subscription | None:
        """The subscription of *receiver* to this event (catch-alls included)."""
        rid = receiver_id(receiver)
        record = self.records.get(rid)
        if record is None:
            catch_all = _catch_alls.get(rid)
            record = None if catch_all is None else catch_all[0]
        return record

    # -- isolation (tests) ---------------------------------------------------

    def save(self) -> tuple[Any, ...]:
        with self.lock:
            return (
                dict(self.targets),
                {rid: r.copy() for rid, r in self.records.items()},
                dict(self.sender_refs),
                self.on_error,
                self.muted,
                self.taps,
            )

    def restore(self, state: tuple[Any, ...]) -> None:
        targets, records, sender_refs, on_error, muted, taps = state
        with self.lock:
            for record in self.records.values():
                record.active = False
            self.fast_lists = ()  # emits under way finish as they started
            self.targets.clear()
            self.targets.update(targets)
            self.records.clear()
            self.records.update({rid: r.copy() for rid, r in records.items()})
            self.sender_refs.clear()
            self.sender_refs.update(sender_refs)
            self.on_error = on_error
            self.muted = muted
            self.taps = taps
            self.invalidate()
