"""Reliability under load and faults: threads, asyncio, failures, soak, recursion.

Sizes are bounded for the normal run (a few seconds each); ``nox -s stress``
sets ``COMMERCE_EVENTS_STRESS=1`` for the full sizes.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import os
import threading
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce_events import (
    OrderPlaced,
    ProductViewed,
    emit,
    emit_async,
    event,
    field,
    subscribe,
    unsubscribe,
)
from commerce_events._settings import isolated_state as _isolated_state
from commerce_events.exceptions import EventRecursionError, SubscriberError

STRESS = os.environ.get("COMMERCE_EVENTS_STRESS") == "1"


def size(normal: int, stress: int) -> int:
    return stress if STRESS else normal


@event("reliability_tick")
class Tick:
    """A numbered event for the reliability tests."""

    number: int = field(doc="When the emit started, in a global sequence")


class TestThreads:
    def test_churn_while_emitting(self):
        """4 emitting threads and 2 churning threads: no error, no late or missed delivery."""
        emits_per_thread = size(
            5_000, 25_000
        )  # x4 threads: 20k, or 100k at stress size
        sequence = itertools.count()
        permanent: list[int] = []
        subscribe(Tick, lambda tick: permanent.append(tick.number))
        late: list[tuple[int, int]] = []
        errors: list[BaseException] = []
        stop = threading.Event()

        def emitter() -> None:
            try:
                for _ in range(emits_per_thread):
                    emit(Tick(number=next(sequence)))
            except BaseException as exc:
                errors.append(exc)

        def churner() -> None:
            try:
                while not stop.is_set():
                    unsubscribed_at = [None]

                    def transient(tick: Tick, _at: list = unsubscribed_at) -> None:
                        # An emit that started after unsubscribe returned must not get here.
                        if _at[0] is not None and tick.number > _at[0]:
                            late.append((tick.number, _at[0]))

                    subscribe(Tick, transient)
                    unsubscribe(Tick, transient)
                    unsubscribed_at[0] = next(sequence)
            except BaseException as exc:
                errors.append(exc)

        emitters = [threading.Thread(target=emitter) for _ in range(4)]
        churners = [threading.Thread(target=churner) for _ in range(2)]
        for thread in churners + emitters:
            thread.start()
        for thread in emitters:
            thread.join()
        stop.set()
        for thread in churners:
            thread.join()

        assert [] == errors
        assert [] == late
        assert 4 * emits_per_thread == len(permanent)


class TestAsyncio:
    def test_many_concurrent_emits(self):
        """10k concurrent emit_async calls with mixed subscribers all arrive."""
        count = size(2_000, 10_000)
        sync_seen: list[int] = []
        async_seen: list[int] = []
        subscribe(Tick, lambda tick: sync_seen.append(tick.number))

        @subscribe(Tick)
        async def slow(tick: Tick) -> None:
            await asyncio.sleep(0)
            async_seen.append(tick.number)

        async def main() -> None:
            await asyncio.gather(
                *(
                    emit_async(Tick(number=n), concurrent=n % 2 == 0)
                    for n in range(count)
                )
            )

        asyncio.run(main())

        assert list(range(count)) == sorted(sync_seen)
        assert list(range(count)) == sorted(async_seen)


class TestFailures:
    @given(
        st.lists(st.sampled_from(["ok", "raise", "log"]), min_size=1, max_size=12),
        st.integers(1, 5),
    )
    @settings(max_examples=size(50, 300))
    def test_every_failure_is_raised_or_logged(self, roles, emits):
        """Whichever subscribers fail, the others get every event and no failure is lost."""
        handler = _Collect()
        logger = logging.getLogger("commerce_events")
        logger.addHandler(handler)
        try:
            with _isolated_state():
                received = [[] for _ in roles]
                for index, role in enumerate(roles):

                    def subscriber(
                        event: OrderPlaced, index: int = index, role: str = role
                    ) -> None:
                        received[index].append(event.order)
                        if role != "ok":
                            raise RuntimeError(index)

                    subscribe(
                        OrderPlaced,
                        subscriber,
                        on_error="log" if role == "log" else "raise",
                    )
                raised: list[int] = []
                for number in range(emits):
                    try:
                        emit(OrderPlaced(order=number))
                    except SubscriberError as group:
                        raised.extend(exc.args[0] for exc in group.exceptions)
        finally:
            logger.removeHandler(handler)

        assert all(list(range(emits)) == got for got in received)
        failing = [i for i, role in enumerate(roles) if role == "raise"] * emits
        logged = [i for i, role in enumerate(roles) if role == "log"] * emits
        assert sorted(failing) == sorted(raised)
        assert sorted(logged) == sorted(r.exc_info[1].args[0] for r in handler.records)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class TestSoak:
    def test_memory_stays_flat(self):
        """Many emits to 10 subscribers leave no memory behind."""
        emits = size(100_000, 1_000_000)
        counts = [0] * 10
        for index in range(10):

            def subscriber(tick: Tick, index: int = index) -> None:
                counts[index] += 1

            subscribe(Tick, subscriber)
        for number in range(1_000):  # warm up caches and free lists
            emit(Tick(number=number))
        gc.collect()
        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            for number in range(emits):
                emit(Tick(number=number))
            gc.collect()
            after, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

        assert [emits + 1_000] * 10 == counts
        assert after - before < 64 * 1024  # bytes: flat, not growing with emits

    def test_subscribers_of_collected_objects_are_released(self):
        """Bound-method subscribers go away with their objects: no leak."""
        before = len(_signal(Tick).receivers)

        class Listener:
            def __init__(self) -> None:
                self.calls = 0

            def on_tick(self, tick: Tick) -> None:
                self.calls += 1

        for _ in range(size(1_000, 20_000)):
            listener = Listener()
            subscribe(Tick, listener.on_tick)
            emit(Tick(number=0))
            assert 1 == listener.calls
            del listener
        gc.collect()
        emit(Tick(number=1))

        assert before == len(_signal(Tick).receivers)


def _signal(cls: type) -> object:
    from commerce_events import signal

    return signal(cls)


class TestRecursion:
    def test_unbounded_recursion_names_the_chain(self):
        """Subscribers emitting each other forever are stopped with the chain named."""

        @subscribe(OrderPlaced)
        def view_again(event: OrderPlaced) -> None:
            emit(ProductViewed(product="mug"))

        @subscribe(ProductViewed)
        def order_again(event: ProductViewed) -> None:
            emit(OrderPlaced(order=1))

        with pytest.raises(EventRecursionError) as info:
            emit(OrderPlaced(order=1))

        chain = info.value.chain
        assert ("order_placed", "product_viewed") == chain[:2]
        assert set(chain) == {"order_placed", "product_viewed"}
        assert "order_placed -> product_viewed -> order_placed" in str(info.value)

    def test_recursion_bypasses_the_log_policy(self):
        """Unbounded recursion is raised even from subscribers whose failures are logged."""

        @subscribe(OrderPlaced, on_error="log")
        def again(event: OrderPlaced) -> None:
            emit(OrderPlaced(order=event.order))

        with pytest.raises(EventRecursionError):
            emit(OrderPlaced(order=1))

    def test_async_recursion_names_the_chain(self):
        """Async subscribers emitting each other forever are stopped too."""

        @subscribe(OrderPlaced)
        async def again(event: OrderPlaced) -> None:
            await emit_async(OrderPlaced(order=event.order))

        with pytest.raises(EventRecursionError) as info:
            asyncio.run(emit_async(OrderPlaced(order=1)))

        assert {"order_placed"} == set(info.value.chain)

    def test_bounded_reentrancy_is_depth_first(self):
        """A subscriber's emit is delivered at once, before the outer event's next subscriber."""
        calls = []

        @subscribe(OrderPlaced)
        def first(event: OrderPlaced) -> None:
            calls.append("order: first")
            emit(ProductViewed(product="mug"))

        subscribe(ProductViewed, lambda e: calls.append("view"))
        subscribe(OrderPlaced, lambda e: calls.append("order: second"))

        emit(OrderPlaced(order=1))

        assert ["order: first", "view", "order: second"] == calls
