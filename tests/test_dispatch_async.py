"""Tests for async delivery in commerce_events._dispatch: emit_async and bridges."""

from __future__ import annotations

import asyncio
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

import commerce_events
from commerce_events import (
    OrderPlaced,
    ProductViewed,
    bridges,
    emit,
    emit_async,
    set_async_bridge,
    signals,
    subscribe,
)
from commerce_events.exceptions import (
    AsyncDeliveryError,
    NotAPayloadError,
    PayloadError,
    SubscriberError,
)


def _viewed() -> ProductViewed:
    return ProductViewed(product="mug")


def _run(coroutine):
    return asyncio.run(coroutine)


class TestEmitAsync:
    def test_sync_and_async_subscribers_share_one_order(self):
        """Async and sync subscribers run in priority, then subscription, order."""
        calls = []

        @subscribe(ProductViewed)
        def first(event: ProductViewed) -> None:
            calls.append("first")

        @subscribe(ProductViewed)
        async def second(event: ProductViewed) -> None:
            await asyncio.sleep(0)
            calls.append("second")

        @subscribe(ProductViewed, priority=5)
        async def urgent(event: ProductViewed) -> None:
            calls.append("urgent")

        @subscribe(ProductViewed, priority=-5)
        def last(event: ProductViewed) -> None:
            calls.append("last")

        _run(emit_async(_viewed()))

        assert ["urgent", "first", "second", "last"] == calls

    def test_only_async_subscribers(self):
        """An event with only async subscribers awaits each of them."""
        calls = []

        @subscribe(ProductViewed)
        async def one(event: ProductViewed) -> None:
            calls.append(event)

        payload = _viewed()
        _run(emit_async(payload))

        assert [payload] == calls

    def test_only_sync_subscribers(self):
        """emit_async delivers to plain sync subscribers too."""
        calls = []
        subscribe(ProductViewed, calls.append)
        payload = _viewed()

        _run(emit_async(payload))

        assert [payload] == calls

    def test_rejects_non_payloads(self):
        """emit_async refuses what is not a registered payload."""
        with pytest.raises(NotAPayloadError):
            _run(emit_async({"product": "mug"}))  # type: ignore[arg-type]

    def test_failures_follow_the_policies(self, caplog):
        """Raising async subscribers are grouped, logged ones logged, others still run."""
        calls = []

        @subscribe(ProductViewed)
        async def broken(event: ProductViewed) -> None:
            raise ValueError("broken")

        @subscribe(ProductViewed, on_error="log")
        async def flaky(event: ProductViewed) -> None:
            raise ConnectionError("flaky")

        @subscribe(ProductViewed)
        async def fine(event: ProductViewed) -> None:
            calls.append("fine")

        with pytest.raises(SubscriberError) as info:
            _run(emit_async(_viewed()))

        assert ["fine"] == calls
        assert [broken] == [sub for sub, _ in info.value.failures]
        assert ["product_viewed"] == [r.event_name for r in caplog.records]

    @given(st.lists(st.booleans(), min_size=1, max_size=8))
    def test_concurrent_results_keep_subscription_order(self, slow_ones):
        """With concurrent=True, results and failures come back in subscription order."""
        finished = []
        with commerce_events._settings.isolated_state():
            subscribers = []
            for index, slow in enumerate(slow_ones):

                async def subscriber(
                    event: ProductViewed, index: int = index, slow: bool = slow
                ) -> int:
                    # Slow ones yield more, so they finish later than fast ones.
                    for _ in range(3 if slow else 0):
                        await asyncio.sleep(0)
                    finished.append(index)
                    return index

                subscribers.append(subscriber)
                subscribe(ProductViewed, subscriber)
            finished.clear()
            results = _run(
                signals.product_viewed.send_async(
                    "shop", product="mug", concurrent=True
                )
            )

        assert list(range(len(slow_ones))) == [value for _, value in results]
        assert subscribers == [receiver for receiver, _ in results]
        fast_first = [i for i, slow in enumerate(slow_ones) if not slow] + [
            i for i, slow in enumerate(slow_ones) if slow
        ]
        assert fast_first == finished

    def test_concurrent_runs_async_subscribers_together(self):
        """Concurrent async subscribers overlap instead of running one after another."""
        started = []
        both_started = asyncio.Event

        async def main() -> None:
            gate = both_started()

            @subscribe(ProductViewed)
            async def one(event: ProductViewed) -> None:
                started.append("one")
                if len(started) == 2:
                    gate.set()
                await asyncio.wait_for(gate.wait(), timeout=5)

            @subscribe(ProductViewed)
            async def two(event: ProductViewed) -> None:
                started.append("two")
                if len(started) == 2:
                    gate.set()
                await asyncio.wait_for(gate.wait(), timeout=5)

            await emit_async(_viewed(), concurrent=True)

        _run(main())

        assert ["one", "two"] == started

    def test_concurrent_failure_does_not_cancel_the_others(self):
        """One failing concurrent subscriber never cancels the others."""
        calls = []

        @subscribe(ProductViewed)
        async def broken(event: ProductViewed) -> None:
            raise ValueError("broken")

        @subscribe(ProductViewed)
        async def slow(event: ProductViewed) -> None:
            for _ in range(5):
                await asyncio.sleep(0)
            calls.append("slow")

        with pytest.raises(SubscriberError):
            _run(emit_async(_viewed(), concurrent=True))

        assert ["slow"] == calls

    def test_send_async_validates_and_returns_results(self):
        """send_async validates the fields first and returns blinker's result shape."""

        async def receiver(sender, **fields):
            return fields["product"]

        signals.product_viewed.connect(receiver)

        results = _run(signals.product_viewed.send_async("shop", product="mug"))
        with pytest.raises(PayloadError):
            _run(signals.product_viewed.send_async("shop", product=None))

        assert [(receiver, "mug")] == results


class TestCancellation:
    def test_cancelling_stops_later_subscribers_and_logs_earlier_failures(self, caplog):
        """A cancelled emit_async cancels the awaited subscriber, skips the rest, and logs failures so far."""
        calls = []
        entered = asyncio.Event

        async def main() -> None:
            gate = entered()

            @subscribe(ProductViewed)
            def broken(event: ProductViewed) -> None:
                raise ValueError("before the cancellation")

            @subscribe(ProductViewed)
            async def hangs(event: ProductViewed) -> None:
                gate.set()
                try:
                    await asyncio.sleep(60)
                except asyncio.CancelledError:
                    calls.append("hangs cancelled")
                    raise

            @subscribe(ProductViewed)
            async def after(event: ProductViewed) -> None:
                calls.append("after")

            task = asyncio.create_task(emit_async(_viewed()))
            await gate.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        _run(main())

        assert ["hangs cancelled"] == calls
        [record] = caplog.records
        assert isinstance(record.exc_info[1], ValueError)
        assert "cancelled" in record.getMessage()

    def test_cancelling_a_concurrent_emit_cancels_every_subscriber(self):
        """Cancelling a concurrent emit_async cancels all the running subscribers."""
        cancelled = []

        async def main() -> None:
            started = asyncio.Event()
            for name in ("one", "two"):

                async def hangs(event: ProductViewed, name: str = name) -> None:
                    started.set()
                    try:
                        await asyncio.sleep(60)
                    except asyncio.CancelledError:
                        cancelled.append(name)
                        raise

                subscribe(ProductViewed, hangs)
            task = asyncio.create_task(emit_async(_viewed(), concurrent=True))
            await started.wait()
            await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        _run(main())

        assert ["one", "two"] == sorted(cancelled)


class TestSyncEmitWithAsyncSubscribers:
    def test_without_a_bridge_nothing_runs(self):
        """Without a bridge, a sync emit fails before any subscriber runs."""
        calls = []
        subscribe(ProductViewed, calls.append, priority=10)

        @subscribe(ProductViewed)
        async def confirm(event: ProductViewed) -> None:
            calls.append("async")

        with pytest.raises(AsyncDeliveryError) as info:
            emit(_viewed())

        assert [] == calls
        assert "product_viewed" == info.value.event
        assert "set_async_bridge" in str(info.value)

    def test_inside_a_running_loop_points_to_emit_async(self):
        """A sync emit inside a running loop fails, pointing to emit_async, even with a bridge."""
        set_async_bridge(bridges.new_event_loop)
        calls = []

        @subscribe(ProductViewed)
        async def confirm(event: ProductViewed) -> None:
            calls.append("async")

        async def main() -> None:
            emit(_viewed())

        with pytest.raises(AsyncDeliveryError, match="emit_async"):
            _run(main())
        assert [] == calls

    @pytest.mark.parametrize("bridge", [bridges.new_event_loop, bridges.auto])
    def test_a_bridge_delivers_to_all_in_order(self, bridge):
        """With a bridge, a sync emit reaches sync and async subscribers in order."""
        set_async_bridge(bridge)
        calls = []

        @subscribe(ProductViewed)
        def first(event: ProductViewed) -> None:
            calls.append("first")

        @subscribe(ProductViewed)
        async def second(event: ProductViewed) -> None:
            await asyncio.sleep(0)
            calls.append("second")

        @subscribe(ProductViewed)
        def third(event: ProductViewed) -> None:
            calls.append("third")

        emit(_viewed())

        assert ["first", "second", "third"] == calls

    def test_asgiref_bridge(self):
        """The asgiref bridge runs async subscribers from a plain thread."""
        pytest.importorskip("asgiref")
        set_async_bridge(bridges.asgiref)
        calls = []

        @subscribe(ProductViewed)
        async def second(event: ProductViewed) -> None:
            calls.append("async")

        emit(_viewed())

        assert ["async"] == calls

    def test_anyio_bridge_uses_the_application_loop(self):
        """The anyio bridge runs async subscribers on the loop of the worker thread's app."""
        anyio = pytest.importorskip("anyio")
        set_async_bridge(bridges.anyio)
        loops = []

        @subscribe(ProductViewed)
        async def on_loop(event: ProductViewed) -> None:
            loops.append(asyncio.get_running_loop())

        async def main() -> None:
            await anyio.to_thread.run_sync(lambda: emit(_viewed()))
            assert [asyncio.get_running_loop()] == loops

        _run(main())

    def test_blinker_async_wrapper_is_honoured(self):
        """send(_async_wrapper=...) runs async receivers through blinker's wrapper."""
        wrapped = []

        async def receiver(sender, **fields):
            return "done"

        def wrapper(fn):
            wrapped.append(fn)
            return lambda *args, **kwargs: asyncio.run(fn(*args, **kwargs))

        signals.product_viewed.connect(receiver)

        results = signals.product_viewed.send(
            "shop", product="mug", _async_wrapper=wrapper
        )

        assert [receiver] == wrapped
        assert [(receiver, "done")] == results

    def test_threads_without_a_loop_can_bridge(self):
        """A thread with no loop of its own bridges with a fresh loop."""
        set_async_bridge(bridges.new_event_loop)
        calls = []

        @subscribe(OrderPlaced)
        async def confirm(event: OrderPlaced) -> None:
            calls.append(event.order)

        thread = threading.Thread(target=lambda: emit(OrderPlaced(order=7)))
        thread.start()
        thread.join()

        assert [7] == calls
