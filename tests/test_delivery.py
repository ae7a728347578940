"""Tests for commerce_events._delivery: the emit path, its loops, deferred queues.

Each class is a regression test for a way events were lost or failures
swallowed in a production-shaped process (issue: "Delivery that holds").
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import json
import logging
import threading
import uuid

import pytest

from commerce_events import (
    BasketAddition,
    OrderPlaced,
    ProductSearch,
    ProductViewed,
    deferred,
    emit,
    emit_async,
    muted,
    set_async_bridge,
    signal,
    subscribe,
    unsubscribe,
)
from commerce_events._subscriptions import route_for_type
from commerce_events.bridges import new_event_loop
from commerce_events.exceptions import (
    AsyncDeliveryError,
    SubscriberError,
    UnexpectedAwaitableError,
)
from commerce_events.forwarding import SeenIds, consume_envelope, forward
from commerce_events.testing import capture_events


def _logged(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


class _AsyncCallable:
    def __init__(self, fn) -> None:
        self.fn = fn

    async def __call__(self, event: OrderPlaced) -> None:
        await self.fn(event)


class _Memory:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    def send(self, envelope) -> None:
        self.sent.append(dict(envelope))


class TestDeferredNeverLosesItsQueue:
    def test_unreachable_async_subscriber_is_raised_at_the_emit(self):
        """No bridge for ProductSearch's async subscriber: raised inside the block."""
        got = []
        subscribe(OrderPlaced)(lambda e: got.append(e.order))

        async def index_search(event: ProductSearch) -> None:
            pass

        subscribe(ProductSearch)(index_search)
        with deferred():
            with pytest.raises(AsyncDeliveryError, match="deferred"):
                emit(ProductSearch(query="mug"))
            emit(OrderPlaced(order="100042"))

        assert ["100042"] == got

    def test_an_uncaught_early_error_rolls_the_block_back(self):
        got = []
        subscribe(OrderPlaced)(lambda e: got.append(e.order))

        async def index_search(event: ProductSearch) -> None:
            pass

        subscribe(ProductSearch)(index_search)
        with pytest.raises(AsyncDeliveryError), deferred():
            emit(OrderPlaced(order="1"))
            emit(ProductSearch(query="mug"))
        assert [] == got

    def test_async_block_reaches_async_subscribers(self):
        got = []

        async def index_search(event: ProductSearch) -> None:
            got.append(event.query)

        subscribe(ProductSearch)(index_search)

        async def main() -> None:
            async with deferred():
                emit(ProductSearch(query="mug"))
                assert [] == got

        asyncio.run(main())
        assert ["mug"] == got

    def test_every_event_delivered_whatever_a_subscriber_raises(self):
        got = []

        @subscribe(ProductViewed)
        def interrupt(event: ProductViewed) -> None:
            raise KeyboardInterrupt

        subscribe(OrderPlaced)(lambda e: got.append(e.order))
        with pytest.raises(KeyboardInterrupt), deferred():
            emit(ProductViewed(product=1))
            emit(OrderPlaced(order="after"))
        assert ["after"] == got

    def test_mute_applies_when_emitted_not_when_the_hook_runs(self):
        got = []
        subscribe(OrderPlaced)(lambda e: got.append(e.order))
        hooks = []
        with deferred(commit_hook=hooks.append):
            emit(OrderPlaced(order="1"))
            with muted(OrderPlaced):
                emit(OrderPlaced(order="muted"))
        with muted():
            hooks[0]()  # the transaction commits inside a muted block
        assert ["1"] == got

    def test_consumed_id_is_not_seen_when_the_block_rolls_back(self):
        got = []
        subscribe(OrderPlaced)(lambda e: got.append(e.order))
        memory = _Memory()
        with forward(OrderPlaced, to=memory):
            emit(OrderPlaced(order="7"))
        got.clear()
        envelope = memory.sent[0]
        seen = SeenIds()
        with pytest.raises(RuntimeError), deferred():
            consume_envelope(envelope, seen=seen)
            raise RuntimeError("rollback")
        assert uuid.UUID(envelope["id"]) not in seen
        consume_envelope(envelope, seen=seen)  # the broker redelivers
        assert ["7"] == got
        assert uuid.UUID(envelope["id"]) in seen

    def test_consumed_id_is_not_seen_when_muted(self):
        memory = _Memory()
        with forward(OrderPlaced, to=memory):
            emit(OrderPlaced(order="8"))
        seen = SeenIds()
        with muted(OrderPlaced):
            consume_envelope(memory.sent[0], seen=seen)
        assert uuid.UUID(memory.sent[0]["id"]) not in seen


class TestInheritedScopes:
    def test_a_thread_that_inherited_a_closed_deferred_delivers(self):
        """A closed, inherited scope behaves as if it had never been opened."""
        got = []
        subscribe(OrderPlaced)(lambda e: got.append(e.order))
        with deferred():
            context = contextvars.copy_context()
        # Another thread holds a scope open meanwhile: it must not matter.
        holding, release = threading.Event(), threading.Event()

        def hold() -> None:
            with deferred():
                holding.set()
                release.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        holding.wait(10)
        try:
            context.run(emit, OrderPlaced(order="late"))
        finally:
            release.set()
            holder.join()
        assert ["late"] == got

    def test_a_task_that_inherited_a_closed_mute_delivers(self):
        got = []
        subscribe(OrderPlaced)(lambda e: got.append(e.order))

        async def main() -> None:
            gate = asyncio.Event()

            async def later() -> None:
                await gate.wait()
                await emit_async(OrderPlaced(order="from task"))

            with muted():
                task = asyncio.create_task(later())
            gate.set()
            await task

        asyncio.run(main())
        assert ["from task"] == got

    def test_a_task_inside_an_open_block_queues_into_it(self):
        got = []
        subscribe(OrderPlaced)(lambda e: got.append(e.order))

        async def main() -> None:
            async with deferred():
                await asyncio.create_task(emit_async(OrderPlaced(order="queued")))
                assert [] == got
            assert ["queued"] == got

        asyncio.run(main())

    def test_other_threads_scopes_do_not_touch_this_context(self):
        got = []
        subscribe(OrderPlaced)(lambda e: got.append(e.order))
        holding, release = threading.Event(), threading.Event()

        def hold() -> None:
            with muted(), deferred():
                holding.set()
                release.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        holding.wait(10)
        try:
            emit(OrderPlaced(order="here"))
        finally:
            release.set()
            holder.join()
        assert ["here"] == got


class TestAsyncSubscriberKinds:
    @pytest.mark.parametrize(
        "make",
        [
            pytest.param(_logged, id="functools.wraps"),
            pytest.param(functools.partial, id="partial"),
            pytest.param(_AsyncCallable, id="async __call__"),
        ],
    )
    def test_recognised_as_async(self, make):
        got = []

        async def notify(event: OrderPlaced) -> None:
            got.append(event.order)

        subscriber = make(notify)
        subscribe(OrderPlaced, subscriber)

        with pytest.raises(AsyncDeliveryError):
            emit(OrderPlaced(order="sync"))
        asyncio.run(emit_async(OrderPlaced(order="1")))
        set_async_bridge(new_event_loop)
        emit(OrderPlaced(order="2"))
        assert ["1", "2"] == got

    @pytest.mark.skipif(
        not hasattr(inspect, "markcoroutinefunction"), reason="Python 3.12+"
    )
    def test_markcoroutinefunction(self):
        got = []

        async def real(event: OrderPlaced) -> None:
            got.append(event.order)

        def marked(event: OrderPlaced):
            return real(event)

        subscribe(OrderPlaced, inspect.markcoroutinefunction(marked))
        asyncio.run(emit_async(OrderPlaced(order="m")))
        assert ["m"] == got

    def test_an_undeclared_awaitable_is_a_clear_failure(self):
        """A sync subscriber returning a coroutine: reported, never just warned."""

        async def real(event: OrderPlaced) -> None:
            pass

        def sneaky(event: OrderPlaced):
            return real(event)

        subscribe(OrderPlaced, sneaky)
        ran = []
        subscribe(OrderPlaced)(ran.append)

        with pytest.raises(SubscriberError) as info:
            emit(OrderPlaced(order="1"))  # filterwarnings=error: no RuntimeWarning
        assert isinstance(info.value.exceptions[0], UnexpectedAwaitableError)
        assert "sneaky" in str(info.value.exceptions[0])
        assert 1 == len(ran)

    def test_an_undeclared_awaitable_in_emit_async(self):
        async def real(event: OrderPlaced) -> None:
            pass

        def sneaky(event: OrderPlaced):
            return real(event)

        subscribe(OrderPlaced, sneaky)
        with pytest.raises(SubscriberError) as info:
            asyncio.run(emit_async(OrderPlaced(order="1")))
        assert isinstance(info.value.exceptions[0], UnexpectedAwaitableError)


class TestOwnRecursionError:
    def test_a_subscribers_own_recursion_error_follows_its_policy(self, caplog):
        """json.dumps of deep data is a plain bug: logged, later subscribers run."""
        deep: list = []
        for _ in range(100_000):
            deep = [deep]
        later = []

        @subscribe(OrderPlaced, on_error="log")
        def dump(event: OrderPlaced) -> None:
            json.dumps(deep)

        subscribe(OrderPlaced)(lambda e: later.append(e.order))
        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            emit(OrderPlaced(order="1"))

        assert ["1"] == later
        assert any(
            isinstance(r.exc_info[1], RecursionError)
            for r in caplog.records
            if r.exc_info
        )


class TestUnsubscribingDuringAnEmit:
    def test_fast_path_skips_the_unsubscribed(self):
        calls = []

        def second(event: ProductViewed) -> None:
            calls.append("second")

        def first(event: ProductViewed) -> None:
            calls.append("first")
            unsubscribe(ProductViewed, second)

        subscribe(ProductViewed, first)
        subscribe(ProductViewed, second)
        emit(ProductViewed(product=1))
        emit(ProductViewed(product=2))
        assert ["first", "first"] == calls

    def test_general_path_skips_the_unsubscribed(self):
        calls = []
        sig = signal("product_viewed")

        def second(sender, **kwargs):
            calls.append("second")

        def first(sender, **kwargs):
            calls.append("first")
            sig.disconnect(second)

        sig.connect(first)
        sig.connect(second)
        sig.send("v", product=1)
        assert ["first"] == calls

    def test_subscribed_during_an_emit_is_not_called(self):
        calls = []

        def late(event: ProductViewed) -> None:
            calls.append("late")

        def first(event: ProductViewed) -> None:
            calls.append("first")
            subscribe(ProductViewed, late)

        subscribe(ProductViewed, first)
        emit(ProductViewed(product=1))
        assert ["first"] == calls
        emit(ProductViewed(product=2))
        assert ["first", "first", "late"] == calls


class TestPerEventPlans:
    """What one event needs costs the others nothing: their fast path stays."""

    def test_forwarding_one_event(self):
        with forward(OrderPlaced, to=_Memory()):
            subscribe(ProductViewed)(lambda e: None)
            emit(ProductViewed(product=1))
            assert route_for_type(ProductViewed).fast is not None
            assert route_for_type(OrderPlaced).fast is None

    def test_a_metadata_subscriber_elsewhere(self):
        subscribe(BasketAddition, with_metadata=True)(lambda e, m: None)
        subscribe(ProductViewed)(lambda e: None)
        emit(ProductViewed(product=1))
        assert route_for_type(ProductViewed).fast is not None

    def test_capturing_one_event(self):
        subscribe(ProductViewed)(lambda e: None)
        with capture_events(OrderPlaced) as captured:
            emit(ProductViewed(product=1))
            emit(OrderPlaced(order="1"))
            assert route_for_type(ProductViewed).fast is not None
        assert 1 == len(captured)

    def test_metadata_only_for_observed_events(self):
        """An unobserved event has no metadata: its subscribers' events no cause."""
        causes = []
        subscribe(OrderPlaced, with_metadata=True)(lambda e, m: causes.append(m))
        subscribe(ProductViewed)(lambda e: emit(OrderPlaced(order="x")))
        emit(ProductViewed(product=1))
        assert causes[0].cause is None
        assert 7 == causes[0].id.version


class TestRacingSubscriptions:
    def test_emit_async_racing_subscribe_in_another_thread(self):
        """Subscribing elsewhere while emit_async runs never breaks the emit."""
        stop = threading.Event()
        errors: list[BaseException] = []

        def churn() -> None:
            def handler(event: OrderPlaced) -> None:
                pass

            while not stop.is_set():
                subscribe(OrderPlaced, handler)
                unsubscribe(OrderPlaced, handler)

        async def reader(event: OrderPlaced) -> None:
            pass

        subscribe(OrderPlaced, reader)

        async def main() -> None:
            for index in range(2000):
                try:
                    await emit_async(OrderPlaced(order=str(index)))
                except BaseException as exc:
                    errors.append(exc)

        worker = threading.Thread(target=churn)
        worker.start()
        try:
            asyncio.run(main())
        finally:
            stop.set()
            worker.join()
        assert [] == errors
