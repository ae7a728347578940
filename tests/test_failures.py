"""Tests of the one failure path (commerce_events._failures).

Every delivery loop hands its subscribers' failures to one collector, so the
rules must hold whichever loop delivered: every subscriber runs, and each
failure is raised (in a SubscriberError or DeliveryError) or logged, by its
policy, exactly once; a BaseException stops the delivery but the failures
collected before it are logged; only runaway nested emits become an
EventRecursionError.
"""

from __future__ import annotations

import asyncio
import decimal
import itertools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import commerce_events
from commerce_events import (
    _settings,
    deferred,
    emit,
    emit_async,
    field,
    set_default_on_error,
    subscribe,
)
from commerce_events.exceptions import (
    DeliveryError,
    EventRecursionError,
    SubscriberError,
)


@commerce_events.event("failure_probe")
class FailureProbe:
    """Emitted only by these tests."""

    value: int = field(doc="Tells one emit from the next")


@commerce_events.event("failure_ping")
class Ping:
    """One half of a cycle of events."""

    value: int = field(doc="Nesting depth")


@commerce_events.event("failure_pong")
class Pong:
    """The other half of a cycle of events."""

    value: int = field(doc="Nesting depth")


class ShopError(Exception):
    """A custom failure of a subscriber."""


class Shutdown(BaseException):
    """A custom BaseException, as a framework might define one."""


def _own_recursion(depth: int) -> int:
    """A plain bug in a subscriber's own code: unbounded recursion."""
    return _own_recursion(depth + 1) + 1


def _failure(kind: str, value: int, index: int) -> Exception:
    """Raise a fresh exception of *kind* and return it (caught here)."""
    try:
        if kind == "value":
            raise ValueError(f"bad value {value} in #{index}")
        if kind == "key":
            {}[f"missing {value} #{index}"]
        elif kind == "recursion":
            _own_recursion(0)
        elif kind == "decimal":
            decimal.Decimal(f"not a number {value}")
        elif kind == "custom":
            raise ShopError(f"custom {value} #{index}")
        elif kind == "group":
            raise ExceptionGroup(
                f"group {value} #{index}",
                [ValueError("one"), KeyError("two")],
            )
    except Exception as exc:
        return exc
    raise AssertionError(kind)


FAILURE_KINDS = ("value", "key", "recursion", "decimal", "custom", "group")
EXPECTED_TYPES = {
    "value": ValueError,
    "key": KeyError,
    "recursion": RecursionError,
    "decimal": decimal.InvalidOperation,
    "custom": ShopError,
    "group": ExceptionGroup,
}


def test_failure_kinds_raise_what_they_say():
    """The helper really produces each kind of exception (a RecursionError too)."""
    for kind in FAILURE_KINDS:
        exc = _failure(kind, 0, 0)
        assert isinstance(exc, EXPECTED_TYPES[kind])
        assert not isinstance(exc, EventRecursionError)


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _logged() -> Iterator[list[logging.LogRecord]]:
    """The records of the ``commerce_events`` logger during the block.

    A handler of its own (not caplog): Hypothesis runs many examples per test.
    """
    logger = logging.getLogger("commerce_events")
    handler = _ListHandler()
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _raised_leaves(exc: BaseException) -> list[tuple[Callable[..., Any], Exception]]:
    """The (subscriber, exception) failures in a raised error, by delivery."""
    if isinstance(exc, DeliveryError):
        return [leaf for member in exc.exceptions for leaf in _raised_leaves(member)]
    assert isinstance(exc, SubscriberError), repr(exc)
    assert [e for _, e in exc.failures] == list(exc.exceptions)
    assert all(a is b for (_, a), b in zip(exc.failures, exc.exceptions, strict=True))
    return list(exc.failures)


# -- the property --------------------------------------------------------------


@dataclass
class Spec:
    """One subscriber: what it does, its policy, how it subscribes."""

    outcome: str  # "ok" or a failure kind
    on_error: str | None
    is_async: bool
    style: str  # "typed", "oscar" or "metadata"


SYNC_LOOPS = ("emit", "send", "send_robust", "deferred")
ASYNC_LOOPS = (
    "emit_async",
    "emit_async_concurrent",
    "send_async",
    "asend_robust",
    "deferred_async",
)
ROBUST_LOOPS = ("send_robust", "asend_robust")
CONCURRENT_LOOPS = ("emit_async_concurrent", "asend_robust")

specs = st.builds(
    Spec,
    outcome=st.sampled_from(("ok", "ok", *FAILURE_KINDS)),
    on_error=st.sampled_from((None, "raise", "log")),
    is_async=st.booleans(),
    style=st.sampled_from(("typed", "typed", "oscar", "metadata")),
)


def _make_subscriber(
    spec: Spec,
    index: int,
    ran: list[tuple[int, int]],
    failures: dict[tuple[int, int], Exception],
    *,
    is_async: bool,
) -> Callable[..., Any]:
    def act(value: int) -> None:
        ran.append((index, value))
        if spec.outcome != "ok":
            exc = _failure(spec.outcome, value, index)
            failures[index, value] = exc
            raise exc

    if spec.style == "oscar":
        if is_async:

            async def receiver(sender: Any, **fields: Any) -> None:
                await asyncio.sleep(0)
                act(fields["value"])

            return receiver

        def sync_receiver(sender: Any, **fields: Any) -> None:
            act(fields["value"])

        return sync_receiver
    if spec.style == "metadata":
        if is_async:

            async def with_metadata(event: FailureProbe, metadata: Any) -> None:
                assert "failure_probe" == metadata.event
                await asyncio.sleep(0)
                act(event.value)

            return with_metadata

        def sync_with_metadata(event: FailureProbe, metadata: Any) -> None:
            assert "failure_probe" == metadata.event
            act(event.value)

        return sync_with_metadata
    if is_async:

        async def typed(event: FailureProbe) -> None:
            await asyncio.sleep(0)
            act(event.value)

        return typed

    def sync_typed(event: FailureProbe) -> None:
        act(event.value)

    return sync_typed


def _deliver(loop: str, values: tuple[int, ...]) -> list[BaseException]:
    """Deliver one FailureProbe per value through *loop*; return what it raised."""
    raised: list[BaseException] = []

    def _collect(call: Callable[[], Any]) -> None:
        try:
            call()
        except (SubscriberError, DeliveryError) as exc:
            raised.append(exc)

    async def _collect_async(awaitable: Any) -> None:
        try:
            await awaitable
        except (SubscriberError, DeliveryError) as exc:
            raised.append(exc)

    signal = commerce_events.signal(FailureProbe)
    if loop == "emit":
        for value in values:
            _collect(lambda v=value: emit(FailureProbe(value=v)))
    elif loop == "send":
        for value in values:
            _collect(lambda v=value: signal.send("shop", value=v))
    elif loop == "send_robust":
        for value in values:
            _collect(lambda v=value: signal.send_robust("shop", value=v))
    elif loop == "deferred":

        def block() -> None:
            with deferred():
                for value in values:
                    emit(FailureProbe(value=value))

        _collect(block)
    else:

        async def main() -> None:
            if loop == "deferred_async":
                async with deferred():
                    for value in values:
                        await emit_async(FailureProbe(value=value))
                return
            for value in values:
                if loop == "emit_async":
                    await _collect_async(emit_async(FailureProbe(value=value)))
                elif loop == "emit_async_concurrent":
                    await _collect_async(
                        emit_async(FailureProbe(value=value), concurrent=True)
                    )
                elif loop == "send_async":
                    await _collect_async(signal.send_async("shop", value=value))
                else:
                    assert "asend_robust" == loop
                    await _collect_async(signal.asend_robust("shop", value=value))

        _collect(lambda: asyncio.run(main()))
    return raised


@settings(deadline=None)
@given(
    subscribers=st.lists(specs, min_size=1, max_size=6),
    loop=st.sampled_from(SYNC_LOOPS + ASYNC_LOOPS),
    event_default=st.sampled_from((None, "raise", "log")),
    library_default=st.sampled_from(("raise", "log")),
)
def test_every_subscriber_runs_and_every_failure_is_raised_or_logged_once(
    subscribers: list[Spec], loop: str, event_default: str | None, library_default: str
):
    """Any mix of failures, any policies, any loop: all run; each failure handled once.

    Two payloads are delivered one after the other (in one block for the
    deferred loops), so the first delivery warms whatever the dispatcher
    caches and the second takes its fast path, if it has one.
    """
    ran: list[tuple[int, int]] = []
    failures: dict[tuple[int, int], Exception] = {}
    values = (1, 2)
    with _settings.isolated_state(), _logged() as records:
        set_default_on_error(library_default)
        commerce_events.signal(FailureProbe).on_error = event_default  # type: ignore[assignment]
        functions = []
        for index, spec in enumerate(subscribers):
            is_async = spec.is_async and loop in ASYNC_LOOPS
            function = _make_subscriber(spec, index, ran, failures, is_async=is_async)
            functions.append(function)
            if spec.style == "oscar":
                commerce_events.signal(FailureProbe).connect(
                    function,
                    on_error=spec.on_error,  # type: ignore[arg-type]
                )
            else:
                subscribe(
                    FailureProbe,
                    function,
                    on_error=spec.on_error,  # type: ignore[arg-type]
                    with_metadata=spec.style == "metadata",
                )
        errors = _deliver(loop, values)
    raised = [leaf for exc in errors for leaf in _raised_leaves(exc)]

    # Every subscriber ran, once per payload (in order, unless concurrent).
    for value in values:
        order = [index for index, v in ran if v == value]
        if loop in CONCURRENT_LOOPS:
            order.sort()
        assert list(range(len(subscribers))) == order, (loop, value)

    # Every failure was raised or logged, by its policy: once, never both.
    for (index, value), exc in failures.items():
        spec = subscribers[index]
        policy = spec.on_error or event_default or library_default
        if loop in ROBUST_LOOPS:
            policy = "log"
        times_raised = [subscriber for subscriber, e in raised if e is exc]
        times_logged = [
            r for r in records if r.exc_info is not None and r.exc_info[1] is exc
        ]
        expected = (1, 0) if policy == "raise" else (0, 1)
        assert expected == (len(times_raised), len(times_logged)), (
            f"{spec.outcome} of subscriber #{index} on value {value} ({loop}, "
            f"policy {policy!r}): raised {len(times_raised)}, "
            f"logged {len(times_logged)}"
        )
        if times_raised:
            assert functions[index] is times_raised[0]
        else:
            assert logging.ERROR == times_logged[0].levelno
            assert "failure_probe" == times_logged[0].event_name  # type: ignore[attr-defined]
    # ...and nothing else was raised or logged.
    assert all(any(e is f for f in failures.values()) for _, e in raised)
    logged = [r for r in records if r.levelno >= logging.ERROR]
    assert all(
        r.exc_info is not None and any(r.exc_info[1] is e for e in failures.values())
        for r in logged
    ), [r.getMessage() for r in logged]


def _logged_exceptions(caplog: pytest.LogCaptureFixture) -> list[BaseException]:
    """The exceptions logged (with their traceback) on the library's logger."""
    return [
        r.exc_info[1]
        for r in caplog.records
        if r.name == "commerce_events" and r.exc_info and r.exc_info[1] is not None
    ]


# -- BaseException ---------------------------------------------------------------

BASE_EXCEPTIONS = {
    "KeyboardInterrupt": KeyboardInterrupt,
    "SystemExit": SystemExit,
    "custom": Shutdown,
}


def _run_loop(loop: str, value: int) -> None:
    signal = commerce_events.signal(FailureProbe)
    if loop == "emit":
        emit(FailureProbe(value=value))
    elif loop == "send":
        signal.send("shop", value=value)
    elif loop == "send_robust":
        signal.send_robust("shop", value=value)
    elif loop == "emit_async":
        asyncio.run(emit_async(FailureProbe(value=value)))
    else:
        assert "emit_async_concurrent" == loop
        asyncio.run(emit_async(FailureProbe(value=value), concurrent=True))


class TestBaseException:
    @pytest.mark.parametrize("name", BASE_EXCEPTIONS)
    @pytest.mark.parametrize(
        "loop", ["emit", "send", "send_robust", "emit_async", "emit_async_concurrent"]
    )
    @pytest.mark.parametrize("style", ["typed", "oscar"])
    def test_propagates_and_failures_before_it_are_logged(
        self, name, loop, style, caplog
    ):
        """A BaseException stops the delivery; the earlier failures are logged, not lost."""
        base_type = BASE_EXCEPTIONS[name]
        calls: list[tuple[str, int]] = []
        errors: list[BaseException] = []

        def fails(event: FailureProbe) -> None:
            calls.append(("fails", event.value))
            if event.value:
                errors.append(ValueError(event.value))
                raise errors[-1]

        def also_fails(event: FailureProbe) -> None:
            calls.append(("also_fails", event.value))
            if event.value:
                errors.append(ShopError(event.value))
                raise errors[-1]

        def interrupts(event: FailureProbe) -> None:
            calls.append(("interrupts", event.value))
            if event.value:
                errors.append(base_type("stop"))
                raise errors[-1]

        def after(event: FailureProbe) -> None:
            calls.append(("after", event.value))

        subscribe(FailureProbe, fails)  # the library's policy: raise
        subscribe(FailureProbe, also_fails, on_error="log")
        subscribe(FailureProbe, interrupts)
        if style == "oscar":
            commerce_events.signal(FailureProbe).connect(
                lambda sender, value, **_: after(FailureProbe(value=value))
            )
        else:
            subscribe(FailureProbe, after)
        _run_loop(loop, 0)  # warms the plans: the next emit takes the fast path
        calls.clear()

        with (
            caplog.at_level(logging.ERROR, logger="commerce_events"),
            pytest.raises(base_type) as info,
        ):
            _run_loop(loop, 1)

        value_error, shop_error, interruption = errors
        assert interruption is info.value
        assert [("fails", 1), ("also_fails", 1), ("interrupts", 1)] == calls
        logged = _logged_exceptions(caplog)
        assert 2 == len(logged)
        assert value_error is logged[0]
        assert shop_error is logged[1]
        assert all(
            f"interrupted by {base_type.__name__}" in r.getMessage()
            for r in caplog.records
        ), [r.getMessage() for r in caplog.records]

    @pytest.mark.parametrize("concurrent", [False, True])
    def test_async_subscriber_base_exception_propagates(self, concurrent, caplog):
        """An async subscriber's custom BaseException propagates as itself."""
        failures: list[Exception] = []

        @subscribe(FailureProbe)
        def fails(event: FailureProbe) -> None:
            failures.append(KeyError(event.value))
            raise failures[-1]

        @subscribe(FailureProbe)
        async def stops(event: FailureProbe) -> None:
            raise Shutdown(event.value)

        with (
            caplog.at_level(logging.ERROR, logger="commerce_events"),
            pytest.raises(Shutdown),
        ):
            asyncio.run(emit_async(FailureProbe(value=3), concurrent=concurrent))

        assert [failures[0]] == _logged_exceptions(caplog)


# -- cancellation --------------------------------------------------------------


class TestCancellation:
    @pytest.mark.parametrize("concurrent", [False, True])
    def test_cancelling_emit_async_logs_failures_collected_before(
        self, concurrent, caplog
    ):
        """Cancelling emit_async never drops the failures that happened before it."""
        errors: list[Exception] = []
        started = asyncio.Event()

        @subscribe(FailureProbe)
        def sync_fails(event: FailureProbe) -> None:
            errors.append(ValueError("sync"))
            raise errors[-1]

        @subscribe(FailureProbe)
        async def async_fails(event: FailureProbe) -> None:
            errors.append(KeyError("async"))
            raise errors[-1]

        @subscribe(FailureProbe)
        async def hangs(event: FailureProbe) -> None:
            started.set()
            await asyncio.Event().wait()

        reached_after: list[int] = []

        @subscribe(FailureProbe)
        def after(event: FailureProbe) -> None:
            reached_after.append(event.value)

        async def main() -> None:
            task = asyncio.create_task(
                emit_async(FailureProbe(value=1), concurrent=concurrent)
            )
            await started.wait()
            if concurrent:
                # The sync subscriber after the hanging one was called in order.
                assert [1] == reached_after
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            asyncio.run(main())

        logged = [
            r for r in caplog.records if r.name == "commerce_events" and r.exc_info
        ]
        assert errors == [r.exc_info[1] for r in logged]
        assert all("cancelled" in r.getMessage() for r in logged)
        if not concurrent:
            assert [] == reached_after


# -- recursion -----------------------------------------------------------------

MAX_DEPTH = 5_000
"""Far beyond any recursion limit: a runaway not detected by then never will be."""


class TestRecursion:
    @pytest.mark.parametrize("policy", [None, "log"])
    @pytest.mark.parametrize(
        "api", ["emit", "emit_async", "emit_async_concurrent", "concurrent_sync"]
    )
    def test_runaway_nested_emits_raise_event_recursion_error(self, api, policy):
        """A subscriber re-emitting its own event: EventRecursionError, whatever the policy."""
        depth = [0]

        if api == "emit":

            def again(event: FailureProbe) -> None:
                depth[0] += 1
                emit(FailureProbe(value=event.value + 1))

        elif api == "concurrent_sync":
            # A sync subscriber of a concurrent emit_async, re-emitting with emit.
            def again(event: FailureProbe) -> None:
                depth[0] += 1
                emit(FailureProbe(value=event.value + 1))

        else:

            async def again(event: FailureProbe) -> None:  # type: ignore[misc]
                depth[0] += 1
                if depth[0] > MAX_DEPTH:
                    return  # never detected: stop, and fail below
                await emit_async(
                    FailureProbe(value=event.value + 1),
                    concurrent=api == "emit_async_concurrent",
                )

        subscribe(FailureProbe, again, on_error=policy)  # type: ignore[arg-type]

        with pytest.raises(EventRecursionError) as info:
            if api == "emit":
                emit(FailureProbe(value=0))
            else:
                asyncio.run(
                    emit_async(FailureProbe(value=0), concurrent=api != "emit_async")
                )

        assert depth[0] <= MAX_DEPTH
        chain = info.value.chain
        assert len(chain) >= 2
        assert {"failure_probe"} == set(chain)
        assert "failure_probe -> failure_probe" in str(info.value)

    def test_the_chain_names_each_event_of_a_cycle(self):
        """Ping -> Pong -> Ping ...: the chain alternates, outermost first."""
        subscribe(Ping, lambda event: emit(Pong(value=event.value + 1)))
        subscribe(Pong, lambda event: emit(Ping(value=event.value + 1)))

        with pytest.raises(EventRecursionError) as info:
            emit(Ping(value=0))

        chain = info.value.chain
        assert len(chain) >= 4
        assert list(chain) == [
            ("failure_ping", "failure_pong")[i % 2] for i in range(len(chain))
        ]
        assert str(info.value).startswith(f"events nested {len(chain)} deep")

    @pytest.mark.parametrize(
        ("api", "is_async"),
        [
            ("emit", False),
            ("emit_twice", False),
            ("send", False),
            ("emit_async", False),
            ("emit_async", True),
            ("emit_async_concurrent", False),
            ("emit_async_concurrent", True),
        ],
    )
    def test_a_subscribers_own_recursion_error_is_its_failure(
        self, api, is_async, caplog
    ):
        """A RecursionError of the subscriber's own code follows its "log" policy."""
        later: list[FailureProbe] = []

        if is_async:

            async def buggy(event: FailureProbe) -> None:
                _own_recursion(0)

        else:

            def buggy(event: FailureProbe) -> None:  # type: ignore[misc]
                _own_recursion(0)

        subscribe(FailureProbe, buggy, on_error="log")
        subscribe(FailureProbe, later.append)

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            if api == "emit":
                emit(FailureProbe(value=1))
            elif api == "emit_twice":
                emit(FailureProbe(value=0))
                emit(FailureProbe(value=1))
            elif api == "send":
                commerce_events.signal(FailureProbe).send("shop", value=1)
            else:
                asyncio.run(
                    emit_async(
                        FailureProbe(value=1),
                        concurrent=api == "emit_async_concurrent",
                    )
                )

        assert 1 == later[-1].value
        logged = _logged_exceptions(caplog)
        assert len(later) == len(logged)
        assert all(type(exc) is RecursionError for exc in logged)

    def test_own_recursion_error_inside_a_real_chain_is_still_its_failure(self, caplog):
        """Nested a few emits deep, a subscriber's own RecursionError is logged."""
        later: list[int] = []

        @subscribe(Ping)
        def forward(event: Ping) -> None:
            if event.value < 5:
                emit(Pong(value=event.value + 1))

        @subscribe(Pong)
        def back(event: Pong) -> None:
            emit(Ping(value=event.value + 1))

        @subscribe(Ping, on_error="log")
        def buggy(event: Ping) -> None:
            if event.value == 6:
                _own_recursion(0)

        subscribe(Ping, lambda event: later.append(event.value))

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            emit(Ping(value=0))

        assert [6, 4, 2, 0] == later
        logged = _logged_exceptions(caplog)
        assert [RecursionError] == [type(exc) for exc in logged]

    def test_own_recursion_error_with_raise_policy_is_a_subscriber_error(self):
        """With "raise", a subscriber's own RecursionError is raised in a SubscriberError."""
        later: list[FailureProbe] = []

        @subscribe(FailureProbe)
        def buggy(event: FailureProbe) -> None:
            _own_recursion(0)

        subscribe(FailureProbe, later.append)

        with pytest.raises(SubscriberError) as info:
            emit(FailureProbe(value=1))

        assert [RecursionError] == [type(e) for e in info.value.exceptions]
        assert 1 == len(later)


# -- deferred() ------------------------------------------------------------------


class TestDeferred:
    @pytest.mark.parametrize("is_async", [False, True])
    def test_delivers_every_event_despite_a_keyboard_interrupt_then_raises_it(
        self, is_async, caplog
    ):
        """One event's KeyboardInterrupt: the others are delivered, then it propagates."""
        received: list[int] = []
        failures: list[Exception] = []
        interruptions: list[BaseException] = []

        @subscribe(FailureProbe)
        def record(event: FailureProbe) -> None:
            received.append(event.value)

        @subscribe(FailureProbe)
        def fails_on_one(event: FailureProbe) -> None:
            if event.value == 1:
                failures.append(ValueError(event.value))
                raise failures[-1]

        @subscribe(FailureProbe)
        def interrupts_on_two(event: FailureProbe) -> None:
            if event.value == 2:
                interruptions.append(KeyboardInterrupt())
                raise interruptions[-1]

        received_after: list[int] = []
        subscribe(FailureProbe, lambda event: received_after.append(event.value))

        with (
            caplog.at_level(logging.ERROR, logger="commerce_events"),
            pytest.raises(KeyboardInterrupt) as info,
        ):
            if is_async:

                async def main() -> None:
                    async with deferred():
                        for value in (1, 2, 3, 4):
                            await emit_async(FailureProbe(value=value))

                asyncio.run(main())
            else:
                with deferred():
                    for value in (1, 2, 3, 4):
                        emit(FailureProbe(value=value))

        assert interruptions[0] is info.value
        assert [1, 2, 3, 4] == received
        assert [1, 3, 4] == received_after
        # The failure of event 1 is logged (not raised: the interruption wins).
        logged = _logged_exceptions(caplog)
        assert 1 == len(logged)
        assert isinstance(logged[0], SubscriberError)
        assert [failures[0]] == list(logged[0].exceptions)

    def test_cancelled_async_delivery_logs_every_undelivered_event_with_its_id(
        self, caplog
    ):
        """Cancelled while delivering: each event not delivered is logged with its id."""
        queued: list[commerce_events.Delivery] = []
        delivered: list[int] = []
        started = asyncio.Event()

        def observer(delivery: commerce_events.Delivery) -> None:
            if delivery.status == "deferred":
                queued.append(delivery)

        @subscribe(FailureProbe)
        async def slow_on_two(event: FailureProbe) -> None:
            if event.value == 2:
                started.set()
                await asyncio.Event().wait()
            delivered.append(event.value)

        async def block() -> None:
            async with deferred():
                for value in (1, 2, 3, 4):
                    await emit_async(FailureProbe(value=value))

        async def main() -> None:
            task = asyncio.create_task(block())
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        commerce_events.add_observer(observer)
        try:
            with caplog.at_level(logging.ERROR, logger="commerce_events"):
                asyncio.run(main())
        finally:
            commerce_events.remove_observer(observer)

        assert [1] == delivered
        assert [1, 2, 3, 4] == [d.payload.value for d in queued]
        ids = {d.payload.value: str(d.metadata.id) for d in queued}
        not_delivered = [r for r in caplog.records if "not delivered" in r.getMessage()]
        assert [ids[2], ids[3], ids[4]] == [
            r.event_id  # type: ignore[attr-defined]
            for r in not_delivered
        ]
        for record, value in zip(not_delivered, (2, 3, 4), strict=True):
            assert ids[value] in record.getMessage()
            assert "failure_probe" == record.event_name  # type: ignore[attr-defined]

    def test_cancelled_async_delivery_logs_failures_collected_before(self, caplog):
        """Cancelled delivery: failures of the events delivered before are logged."""
        errors: list[Exception] = []
        started = asyncio.Event()

        @subscribe(FailureProbe)
        async def fails_on_one_hangs_on_two(event: FailureProbe) -> None:
            if event.value == 1:
                errors.append(ShopError(1))
                raise errors[-1]
            started.set()
            await asyncio.Event().wait()

        async def block() -> None:
            async with deferred():
                await emit_async(FailureProbe(value=1))
                await emit_async(FailureProbe(value=2))

        async def main() -> None:
            task = asyncio.create_task(block())
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            asyncio.run(main())

        logged = _logged_exceptions(caplog)
        assert 1 == len(logged)
        assert isinstance(logged[0], SubscriberError)
        assert [errors[0]] == list(logged[0].exceptions)


# -- policies and the log record ---------------------------------------------------


class TestPolicyAndLogRecord:
    def test_names_the_event_and_subscriber_and_carries_the_id(self, caplog):
        """A logged failure says which subscriber of which event, and the emit's id."""
        seen: list[Any] = []

        def bad(event: FailureProbe, metadata: Any) -> None:
            seen.append(metadata.id)
            raise ValueError

        subscribe(FailureProbe, bad, on_error="log", with_metadata=True)

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            emit(FailureProbe(value=1))

        (record,) = caplog.records
        assert "failure_probe" == record.event_name  # type: ignore[attr-defined]
        assert str(seen[0]) == record.event_id  # type: ignore[attr-defined]
        assert record.subscriber.endswith("bad")  # type: ignore[attr-defined]
        assert "'failure_probe'" in record.getMessage()

    def test_a_subscriber_name_cannot_forge_a_log_line(self, caplog):
        """Control characters in a subscriber's name are escaped in the message."""

        def bad(event: FailureProbe) -> None:
            raise ValueError

        bad.__qualname__ = "bad\nERROR forged line"
        subscribe(FailureProbe, bad, on_error="log")

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            emit(FailureProbe(value=1))

        (record,) = caplog.records
        assert "\n" not in record.getMessage()
        assert "bad\\nERROR forged line" in record.getMessage()

    @pytest.mark.parametrize("warm", [False, True])
    @pytest.mark.parametrize("who", ["itself", "a later subscriber"])
    def test_a_subscriber_unsubscribed_during_the_emit_keeps_its_policy(
        self, warm, who, caplog
    ):
        """A failure follows the policy its subscriber had when it ran.

        A one-shot subscriber that unsubscribes itself before failing, or one
        that a later subscriber of the same emit unsubscribes, is still a
        "log" subscriber of that emit: on the first emit and on later ones.
        """
        errors: list[Exception] = []

        def fails(event: FailureProbe) -> None:
            if not event.value:
                return
            if who == "itself":
                commerce_events.unsubscribe(FailureProbe, fails)
            errors.append(ValueError(event.value))
            raise errors[-1]

        def removes(event: FailureProbe) -> None:
            if event.value and who != "itself":
                commerce_events.unsubscribe(FailureProbe, fails)

        subscribe(FailureProbe, fails, on_error="log")
        subscribe(FailureProbe, removes)
        if warm:  # plans ready: the emit below takes the fast path, if any
            emit(FailureProbe(value=0))

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            emit(FailureProbe(value=1))

        assert errors == _logged_exceptions(caplog)

    @pytest.mark.parametrize(
        ("own", "event_default", "library", "expected"),
        [
            (None, None, "raise", "raise"),
            (None, None, "log", "log"),
            (None, "log", "raise", "log"),
            ("raise", "log", "log", "raise"),
            ("log", "raise", "raise", "log"),
            (None, "raise", "log", "raise"),
        ],
    )
    def test_policy_resolution(self, own, event_default, library, expected, caplog):
        """The subscription's policy, else the event's, else the library's."""
        set_default_on_error(library)
        commerce_events.signal(FailureProbe).on_error = event_default
        counter = itertools.count()

        def bad(event: FailureProbe) -> None:
            raise ValueError(next(counter))

        subscribe(FailureProbe, bad, on_error=own)
        for value in (1, 2):  # the second emit takes the fast path
            with caplog.at_level(logging.ERROR, logger="commerce_events"):
                caplog.clear()
                if expected == "raise":
                    with pytest.raises(SubscriberError):
                        emit(FailureProbe(value=value))
                    assert [] == caplog.records
                else:
                    emit(FailureProbe(value=value))
                    assert 1 == len(caplog.records)
