"""Delivery: ``emit``, ``emit_async``, and the loops behind them.

The emit path, in order:

1. The payload's route: one dict lookup (not a registered payload: error).
2. The scopes of *this* context: one context-variable read, None unless this
   thread or task opened (or inherited) a ``muted()`` or ``deferred()`` block.
   What other threads or tasks do never changes this emit's path or cost.
3. The plan for the sender, decided when subscriptions changed. For the common
   case it is a plain tuple of functions, and ``emit`` is a loop over it.
4. Failures go to the one failure path (:mod:`._failures`).

Everything else (metadata, taps, observers, Oscar-style receivers, weak and
async subscribers, ``once``) takes :func:`deliver_now`, the general loop; an
event pays for it only when its own plan needs it.

Subscriptions changing during an emit: a subscriber unsubscribed by an earlier
subscriber of the same emit is not called (as blinker does); one subscribed
during the emit is not called either (the emit's plan was taken before).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from inspect import isawaitable
from time import perf_counter
from typing import Any, ClassVar, Protocol

from . import _observing, _settings
from ._context import (
    CURRENT_EVENT,
    SCOPE,
    EventMetadata,
    Scope,
    UnitScope,
    open_unit,
)
from ._failures import DELIVERY_CODES, Failures, log_not_delivered, logger
from ._introspect import name_of
from ._subscriptions import (
    ASYNC,
    METADATA,
    ONCE,
    OSCAR,
    ROUTES,
    SENDER_KEYWORD,
    SIGNAL_KEYWORD,
    WEAK,
    Plan,
    Route,
)
from .exceptions import (
    AsyncDeliveryError,
    DeliveryError,
    EventRecursionError,
    NotAPayloadError,
    UnexpectedAwaitableError,
)

__all__ = [
    "Payload",
    "Queued",
    "deliver",
    "deliver_async",
    "deliver_queue",
    "deliver_queue_async",
    "emit",
    "emit_async",
]


class Payload(Protocol):
    """The static type of every event payload (any class made by ``@event``).

    Only for type checkers, so that ``emit(42)`` is flagged before it runs; it is
    not a base class and cannot be used with ``isinstance``. Type checkers see
    classes made by ``@event`` as dataclass-like, which is what this matches.
    """

    __dataclass_fields__: ClassVar[dict[str, Any]]


MAX_CONCURRENT_NESTING = 200
"""Concurrent deliveries nested in each other beyond which they are runaway."""

_CONCURRENT_DEPTH: ContextVar[int] = ContextVar(
    "commerce_events.concurrent_depth", default=0
)

Queued = tuple[Route, Any, Any, EventMetadata | None, Callable[[], object] | None]
"""An event queued by ``deferred()``: route, payload, sender, metadata, after."""


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
    """
    try:
        route = ROUTES[type(payload)]
    except KeyError:
        raise NotAPayloadError(payload) from None
    fast = route.fast
    scope = SCOPE.get()
    if fast is None or scope is not None:
        if scope is not None and _scoped(scope, route, payload, sender, None, None):
            return
        # Subscriptions for particular senders, or a scope that let the event
        # through: this sender's plan may still be a plain list of functions.
        plan = route.plan_for(sender)
        fast = plan.functions
        if fast is None:
            deliver_now(route, payload, sender, plan, None, None)
            return
    failures = None
    # A subscriber removed during this emit is replaced in *fast* by a no-op.
    for subscriber in fast:
        try:
            if (value := subscriber(payload)) is not None and isawaitable(value):
                raise _unexpected_awaitable(route, subscriber, value)
        except Exception as exc:  # noqa: BLE001 - every subscriber runs
            if failures is None:
                failures = Failures(route, payload)
            failures.add(subscriber, fast.records.get(id(subscriber)), exc)
        except BaseException as exc:
            if failures is not None:
                failures.interrupted(exc)
            raise
    if failures is not None:
        failures.finish()


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
    """
    try:
        route = ROUTES[type(payload)]
    except KeyError:
        raise NotAPayloadError(payload) from None
    if not concurrent and SCOPE.get() is None:
        if route.fast is not None:
            emit(payload, sender=sender)
            return
        fast_async = route.fast_async
        if fast_async is not None:
            failures = None
            for subscriber in fast_async:
                try:
                    await subscriber(payload)
                except Exception as exc:  # noqa: BLE001 - every subscriber runs
                    if failures is None:
                        failures = Failures(route, payload)
                    failures.add(
                        subscriber, fast_async.records.get(id(subscriber)), exc
                    )
                except BaseException as exc:
                    if failures is not None:
                        failures.interrupted(exc)
                    raise
            if failures is not None:
                failures.finish()
            return
    await deliver_async(route, payload, sender, concurrent=concurrent)


# -- scopes --------------------------------------------------------------------


def _scoped(
    scope: Scope,
    route: Route,
    payload: Any,
    sender: Any,
    metadata: EventMetadata | None,
    after: Callable[[], object] | None,
) -> bool:
    """Apply this context's open scopes; True when the event was muted or queued.

    A closed scope is skipped: a context that inherited a block which has since
    closed behaves as if it had never been opened. Whatever can be known now is
    raised now, inside the block, before its work commits: an event whose async
    subscribers the block's delivery could not reach.
    """
    # One walk out through the scopes: any open mute of this event wins over
    # the innermost open unit, wherever they stand.
    unit = None
    payload_type = route.payload_type
    node: Scope | None = scope
    while node is not None:
        if not node.closed:
            if type(node) is UnitScope:
                if unit is None:
                    unit = node
            elif node.mutes(payload_type):
                break
        node = node.parent
    if node is not None:
        plan = route.plan_for(sender)
        if plan.observed:
            _observing.notify(
                route.name,
                payload,
                sender,
                metadata or EventMetadata.new(route.name),
                "muted",
            )
        return True
    if unit is None:
        return False
    # A fast route has plain functions for every sender: nothing async, no
    # metadata, no observer; the common case queues without looking further.
    planned = None if route.fast is not None else route.plan_for(sender)
    if planned is not None:
        if planned.has_async and not unit.is_async:
            # A synchronous block delivers synchronously: the bridge must
            # exist, and no loop may run (``with deferred()`` in a coroutine).
            _sync_bridge(route, None, deferred=True)
        if metadata is None and planned.needs_metadata:
            metadata = EventMetadata.new(route.name)
    while unit is not None:
        if unit.add((route, payload, sender, metadata, after)):
            if planned is not None and planned.observed and metadata is not None:
                _observing.notify(route.name, payload, sender, metadata, "deferred")
            return True
        # Closed while we looked: the next open block out, or deliver now.
        unit = open_unit(unit.parent)
    return False


# -- the general loops ------------------------------------------------------------


def deliver(
    route: Route,
    payload: Any,
    sender: Any,
    results: list[tuple[Callable[..., Any], Any]] | None = None,
    metadata: EventMetadata | None = None,
    *,
    bridge: _settings.AsyncBridge | None = None,
    robust: bool = False,
    after: Callable[[], object] | None = None,
) -> None:
    """Deliver synchronously, scopes applied: the path behind ``emit`` and ``send``.

    Args:
        route: The event's route.
        payload: The payload.
        sender: The sender.
        results: Receives ``(receiver, value)`` per subscriber called.
        metadata: The emit's metadata, when it has some already (consumers).
        bridge: Runs async subscribers; default: the configured bridge.
        robust: Log every failure instead of raising (``send_robust``).
        after: Called once the event was delivered without raising (never when
            it was muted, nor when its ``deferred()`` block failed).
    """
    scope = SCOPE.get()
    if scope is not None and _scoped(scope, route, payload, sender, metadata, after):
        return
    deliver_now(
        route,
        payload,
        sender,
        route.plan_for(sender),
        results,
        metadata,
        bridge,
        robust,
    )
    if after is not None:
        after()


async def deliver_async(
    route: Route,
    payload: Any,
    sender: Any,
    results: list[tuple[Callable[..., Any], Any]] | None = None,
    metadata: EventMetadata | None = None,
    *,
    concurrent: bool = False,
    robust: bool = False,
    after: Callable[[], object] | None = None,
) -> None:
    """Deliver in a running loop, scopes applied: the path behind ``emit_async``."""
    scope = SCOPE.get()
    if scope is not None and _scoped(scope, route, payload, sender, metadata, after):
        return
    await deliver_now_async(
        route,
        payload,
        sender,
        route.plan_for(sender),
        results,
        metadata,
        concurrent=concurrent,
        robust=robust,
    )
    if after is not None:
        after()


def _arguments(
    route: Route,
    flags: int,
    payload: Any,
    sender: Any,
    metadata: EventMetadata | None,
    fields: dict[str, Any] | None,
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The call of a subscriber, by its calling convention."""
    if not flags & OSCAR:
        return ((payload, metadata) if flags & METADATA else (payload,)), {}
    kwargs = dict(fields or route.fields_of(payload))
    if flags & SIGNAL_KEYWORD:
        kwargs["signal"] = route.signal
    if flags & SENDER_KEYWORD:
        kwargs["sender"] = sender
        return (), kwargs
    return (sender,), kwargs


def _receiver_of(
    route: Route, target: Any, flags: int, record: Any
) -> Callable[..., Any] | None:
    """The subscriber a planned entry calls now, or None to skip it.

    Skipped: a subscriber unsubscribed by an earlier one of this emit, a weakly
    held one that is gone, a ``once`` subscriber another emit claimed.
    """
    if not record.active:
        return None
    receiver: Callable[..., Any] | None = target() if flags & WEAK else target
    if receiver is None or (flags & ONCE and not route.claim_once(record)):
        return None
    return receiver


def _call(
    route: Route,
    receiver: Callable[..., Any],
    flags: int,
    payload: Any,
    sender: Any,
    metadata: EventMetadata | None,
    fields: dict[str, Any] | None,
) -> Any:
    """Call a subscriber in a running loop: an async one's awaitable is returned."""
    args, kwargs = _arguments(route, flags, payload, sender, metadata, fields)
    value = receiver(*args, **kwargs)
    if not flags & ASYNC and value is not None and inspect.isawaitable(value):
        raise _unexpected_awaitable(route, receiver, value)
    return value


class _Pass:
    """What one pass of a general loop keeps: metadata, failures, observation.

    Opening it makes the metadata (when the plan needs it) and makes it the
    current event; :meth:`close` restores the outer one, :meth:`finish` tells
    the observers and applies the failure policies.
    """

    __slots__ = ("calls", "failures", "metadata", "token")

    def __init__(
        self, route: Route, payload: Any, plan: Plan, metadata: EventMetadata | None
    ) -> None:
        if metadata is None and plan.needs_metadata:
            metadata = EventMetadata.new(route.name)
        self.metadata = metadata
        self.failures = Failures(route, payload, metadata)
        self.calls: list[_observing.SubscriberCall] | None = (
            [] if plan.observed else None
        )
        self.token = CURRENT_EVENT.set(metadata) if metadata is not None else None

    def called(
        self, receiver: Callable[..., Any], seconds: float, error: BaseException | None
    ) -> None:
        """Record a subscriber's call for the observers."""
        if self.calls is not None:
            self.calls.append(_observing.call_record(receiver, seconds, error))

    def close(self) -> None:
        """The loop ended (or was interrupted): the outer event is current again."""
        if self.token is not None:
            CURRENT_EVENT.reset(self.token)

    def finish(self, route: Route, payload: Any, sender: Any, *, robust: bool) -> None:
        """Tell the observers, then log or raise the failures."""
        if self.calls is not None and self.metadata is not None:
            _observing.notify(
                route.name,
                payload,
                sender,
                self.metadata,
                "delivered",
                calls=tuple(self.calls),
            )
        self.failures.finish(robust=robust)


def _unexpected_awaitable(
    route: Route, subscriber: Callable[..., Any], value: Any
) -> UnexpectedAwaitableError:
    close = getattr(value, "close", None)
    if inspect.iscoroutine(value) and close is not None:
        close()  # never awaited, and never warned about: reported instead
    return UnexpectedAwaitableError(route.name, name_of(subscriber))


def _sync_bridge(
    route: Route, bridge: _settings.AsyncBridge | None, *, deferred: bool = False
) -> _settings.AsyncBridge:
    """The bridge for async subscribers of a sync delivery, or an error now.

    With *deferred*, the check is made when the event is queued by a ``with
    deferred():`` block, for the delivery that will follow the block.
    """
    when = " when its deferred() block delivers it" if deferred else ""
    use = (
        "use `async with deferred()` and `await commerce_events.emit_async(...)`"
        if deferred
        else "use `await commerce_events.emit_async(...)`"
    )
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise AsyncDeliveryError(
            route.name,
            f"it has async subscribers and an event loop is running in this "
            f"thread{when}: {use} here",
        )
    chosen = bridge if bridge is not None else _settings.get_async_bridge()
    if chosen is None:
        raise AsyncDeliveryError(
            route.name,
            f"it has async subscribers and no bridge is configured{when}: {use}, "
            f"or configure one with commerce_events.set_async_bridge(...)",
        )
    return chosen


def deliver_now(
    route: Route,
    payload: Any,
    sender: Any,
    plan: Plan,
    results: list[tuple[Callable[..., Any], Any]] | None,
    metadata: EventMetadata | None,
    bridge: _settings.AsyncBridge | None = None,
    robust: bool = False,  # noqa: FBT001, FBT002 - internal, positional
) -> None:
    """The general synchronous loop, scopes already applied."""
    if plan.muted:  # blinker's process-wide Signal.muted()
        return
    if plan.has_async:
        bridge = _sync_bridge(route, bridge)
    run = _Pass(route, payload, plan, metadata)
    metadata = run.metadata
    fields: dict[str, Any] | None = None
    try:
        for tap in plan.taps:
            tap(route.signal, payload, sender)
        for target, flags, record in plan.entries:
            receiver = _receiver_of(route, target, flags, record)
            if receiver is None:
                continue
            started = perf_counter() if run.calls is not None else 0.0
            error: BaseException | None = None
            try:
                # The common calls first, spelled out: no argument tuple or
                # dict is built for them.
                if flags == 0:
                    value = receiver(payload)
                elif flags == METADATA:  # audit logs, forwarders
                    value = receiver(payload, metadata)
                elif flags & OSCAR and not flags & (ASYNC | SIGNAL_KEYWORD):
                    if fields is None:
                        fields = route.fields_of(payload)
                    if flags & SENDER_KEYWORD:
                        value = receiver(sender=sender, **fields)
                    else:
                        value = receiver(sender, **fields)
                else:
                    if fields is None and flags & OSCAR:
                        fields = route.fields_of(payload)
                    args, kwargs = _arguments(
                        route, flags, payload, sender, metadata, fields
                    )
                    if flags & ASYNC:
                        assert bridge is not None  # noqa: S101 - set above
                        value = bridge(receiver, *args, **kwargs)
                    else:
                        value = receiver(*args, **kwargs)
                if (
                    not flags & ASYNC
                    and value is not None
                    and inspect.isawaitable(value)
                ):
                    raise _unexpected_awaitable(route, receiver, value)
            except Exception as exc:  # noqa: BLE001 - every subscriber runs
                value = error = exc
                run.failures.add(receiver, record, exc)
            except BaseException as exc:
                run.failures.interrupted(exc)
                raise
            run.called(receiver, perf_counter() - started, error)
            if results is not None:
                results.append((receiver, value))
    finally:
        run.close()
    run.finish(route, payload, sender, robust=robust)


async def deliver_now_async(
    route: Route,
    payload: Any,
    sender: Any,
    plan: Plan,
    results: list[tuple[Callable[..., Any], Any]] | None,
    metadata: EventMetadata | None,
    *,
    concurrent: bool = False,
    robust: bool = False,
) -> None:
    """The general loop in a running event loop, scopes already applied."""
    if plan.muted:
        return
    run = _Pass(route, payload, plan, metadata)
    metadata = run.metadata
    values: list[tuple[Callable[..., Any], Any]] = []
    try:
        for tap in plan.taps:
            tap(route.signal, payload, sender)
        if concurrent:
            await _run_concurrently(route, plan, payload, sender, run, values)
        else:
            fields: dict[str, Any] | None = None
            for target, flags, record in plan.entries:
                receiver = _receiver_of(route, target, flags, record)
                if receiver is None:
                    continue
                if fields is None and flags & OSCAR:
                    fields = route.fields_of(payload)
                started = perf_counter() if run.calls is not None else 0.0
                error: BaseException | None = None
                try:
                    value = _call(
                        route, receiver, flags, payload, sender, metadata, fields
                    )
                    if flags & ASYNC:
                        value = await value
                except Exception as exc:  # noqa: BLE001 - every subscriber runs
                    value = error = exc
                    run.failures.add(receiver, record, exc)
                except BaseException as exc:
                    run.failures.interrupted(exc)
                    raise
                run.called(receiver, perf_counter() - started, error)
                values.append((receiver, value))
    finally:
        run.close()
    if results is not None:
        results.extend(values)
    run.finish(route, payload, sender, robust=robust)


async def _run_concurrently(
    route: Route,
    plan: Plan,
    payload: Any,
    sender: Any,
    run: _Pass,
    values: list[tuple[Callable[..., Any], Any]],
) -> None:
    """Sync subscribers in order, async ones concurrently; results keep the order.

    A failure is caught inside its own task, so that one failure never cancels
    the other subscribers; failures reach *failures* in subscription order.
    """
    outcomes: list[tuple[Callable[..., Any], Any, Any, float]] = []
    errors: dict[int, Exception] = {}
    durations: dict[int, float] = {}

    async def guarded(index: int, awaitable: Any, started: float) -> Any:
        try:
            return await awaitable
        except Exception as exc:  # noqa: BLE001 - reported below, in order
            errors[index] = exc
            return exc
        finally:
            durations[index] = perf_counter() - started

    # Each concurrent subscriber runs in a task of its own, on a fresh stack:
    # runaway nesting is counted here, since no stack overflow will show it.
    depth = _CONCURRENT_DEPTH.get()
    if depth >= MAX_CONCURRENT_NESTING:
        raise EventRecursionError((route.name,))
    depth_token = _CONCURRENT_DEPTH.set(depth + 1)
    fields: dict[str, Any] | None = None
    try:
        async with asyncio.TaskGroup() as group:
            for target, flags, record in plan.entries:
                receiver = _receiver_of(route, target, flags, record)
                if receiver is None:
                    continue
                if fields is None and flags & OSCAR:
                    fields = route.fields_of(payload)
                index = len(outcomes)
                started = perf_counter()
                try:
                    value = _call(
                        route, receiver, flags, payload, sender, run.metadata, fields
                    )
                except Exception as exc:  # noqa: BLE001 - every subscriber runs
                    errors[index] = exc
                    durations[index] = perf_counter() - started
                    outcomes.append((receiver, record, exc, started))
                    continue
                if flags & ASYNC:
                    task = group.create_task(guarded(index, value, started))
                    outcomes.append((receiver, record, task, started))
                else:
                    durations[index] = perf_counter() - started
                    outcomes.append((receiver, record, value, started))
    except BaseException as exc:
        # Cancelled (or interrupted): whatever failed so far is still reported.
        for index, (receiver, record, _outcome, _started) in enumerate(outcomes):
            if index in errors:
                run.failures.items.append((receiver, record, errors[index]))
        # The task group wraps a subscriber's BaseException (other than
        # KeyboardInterrupt and SystemExit): it propagates as itself.
        if type(exc) is BaseExceptionGroup and len(exc.exceptions) == 1:
            inner = exc.exceptions[0]
            run.failures.interrupted(inner)
            raise inner from None
        run.failures.interrupted(exc)
        raise
    finally:
        _CONCURRENT_DEPTH.reset(depth_token)
    for index, (receiver, record, outcome, _started) in enumerate(outcomes):
        value = outcome.result() if isinstance(outcome, asyncio.Task) else outcome
        error = errors.get(index)
        if error is not None:
            run.failures.add(receiver, record, error)
        run.called(receiver, durations.get(index, 0.0), error)
        values.append((receiver, value))


# -- deferred queues -----------------------------------------------------------


def deliver_queue(queue: list[Queued]) -> None:
    """Deliver what a ``deferred()`` block queued, whatever subscribers raise.

    Every event is delivered even if subscribers of an earlier one fail, or
    raise a BaseException: the rest is delivered first, then the first
    BaseException propagates (the failures are logged), or the failures are
    raised together. Mutes were applied when the events were emitted.

    Raises:
        SubscriberError: Subscribers of one event failed.
        DeliveryError: Subscribers of several events failed.
    """
    errors: list[Exception] = []
    interrupted: BaseException | None = None
    for route, payload, sender, metadata, after in queue:
        try:
            deliver_now(route, payload, sender, route.plan_for(sender), None, metadata)
            if after is not None:
                after()
        except Exception as exc:  # noqa: BLE001 - every queued event is delivered
            errors.append(exc)
        except BaseException as exc:  # noqa: BLE001 - re-raised once the rest is delivered
            if interrupted is None:
                interrupted = exc
    _finish_queue(errors, interrupted)


async def deliver_queue_async(queue: list[Queued]) -> None:
    """:func:`deliver_queue` in a running loop, awaiting async subscribers.

    Cancellation stops the delivery: every event not delivered is logged with
    its id, then the cancellation propagates.
    """
    errors: list[Exception] = []
    interrupted: BaseException | None = None
    for position, (route, payload, sender, metadata, after) in enumerate(queue):
        try:
            await deliver_now_async(
                route, payload, sender, route.plan_for(sender), None, metadata
            )
            if after is not None:
                after()
        except Exception as exc:  # noqa: BLE001 - every queued event is delivered
            errors.append(exc)
        except asyncio.CancelledError as exc:
            log_not_delivered(
                [(item[0].name, item[3], item[1]) for item in queue[position:]], exc
            )
            _finish_queue(errors, exc)
        except BaseException as exc:  # noqa: BLE001 - re-raised once the rest is delivered
            if interrupted is None:
                interrupted = exc
    _finish_queue(errors, interrupted)


def _finish_queue(errors: list[Exception], interrupted: BaseException | None) -> None:
    if interrupted is not None:
        for error in errors:
            logger.error(
                "%s (not raised: the delivery was interrupted by %s)",
                error,
                type(interrupted).__name__,
                exc_info=(type(error), error, error.__traceback__),
            )
        raise interrupted
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise DeliveryError(errors)


DELIVERY_CODES.update(
    fn.__code__
    for fn in (
        emit,
        emit_async,
        deliver_now,
        deliver_now_async,
        _run_concurrently,
        _call,
    )
)
