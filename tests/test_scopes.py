"""Tests for commerce_events._scopes: muted() and deferred()."""

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
    deferred,
    emit,
    emit_async,
    muted,
    signals,
    subscribe,
)
from commerce_events.exceptions import (
    DeliveryError,
    NotAPayloadError,
    PayloadError,
    SubscriberError,
)


class Order:
    def __init__(self, number: int) -> None:
        self.number = number


def _orders(received: list[OrderPlaced]) -> list[int]:
    return [event.order.number for event in received]


class _RollbackError(Exception):
    pass


blocks = st.recursive(
    st.integers(0, 1000),
    lambda children: st.tuples(st.booleans(), st.lists(children, max_size=4)),
    max_leaves=12,
)


def _run(block: object) -> list[int]:
    """Emit a block's orders inside deferred(); return those that must arrive."""
    if isinstance(block, int):
        emit(OrderPlaced(order=Order(block)))
        return [block]
    fails, children = block  # type: ignore[misc]
    survivors: list[int] = []
    try:
        with deferred():
            for child in children:
                survivors.extend(_run(child))
            if fails:
                raise _RollbackError
    except _RollbackError:
        return []
    return survivors


@pytest.fixture(name="received")
def _received() -> list[OrderPlaced]:
    received: list[OrderPlaced] = []
    subscribe(OrderPlaced, received.append)
    return received


class TestMuted:
    def test_mutes_the_named_events_only(self, received):
        """Inside muted(OrderPlaced), orders are silenced and other events are not."""
        views = []
        subscribe(ProductViewed, views.append)

        with muted(OrderPlaced):
            emit(OrderPlaced(order=Order(1)))
            emit(ProductViewed(product="p"))

        assert [] == received
        assert 1 == len(views)

    def test_no_argument_mutes_everything(self, received):
        """muted() with no argument silences every event."""
        views = []
        subscribe(ProductViewed, views.append)

        with muted():
            emit(OrderPlaced(order=Order(1)))
            emit(ProductViewed(product="p"))

        assert ([], []) == (received, views)

    def test_unmuted_after_the_block(self, received):
        """Events are delivered again once the block exits, even on an exception."""
        with pytest.raises(KeyError), muted(OrderPlaced):
            raise KeyError

        emit(OrderPlaced(order=Order(2)))

        assert [2] == _orders(received)

    def test_nesting_adds_and_restores(self, received):
        """An inner block adds to the outer one and leaving it restores the outer."""
        views = []
        subscribe(ProductViewed, views.append)

        with muted(ProductViewed):
            with muted(OrderPlaced):
                emit(OrderPlaced(order=Order(1)))
                emit(ProductViewed(product="p"))
            emit(OrderPlaced(order=Order(2)))
            emit(ProductViewed(product="p"))

        assert ([2], []) == (_orders(received), views)

    def test_muted_send_returns_nothing_but_still_validates(self, received):
        """A muted send delivers nothing and still rejects bad arguments."""
        with muted(OrderPlaced):
            assert [] == signals.order_placed.send("shop", order=Order(1))
            with pytest.raises(PayloadError):
                signals.order_placed.send("shop", order=None)

        assert [] == received

    def test_other_threads_are_not_muted(self, received):
        """Muting in one thread leaves a concurrent thread's emits alone."""
        inside = threading.Event()
        done = threading.Event()

        def other_thread() -> None:
            inside.wait()
            emit(OrderPlaced(order=Order(7)))
            done.set()

        thread = threading.Thread(target=other_thread)
        thread.start()
        with muted(OrderPlaced):
            inside.set()
            done.wait(timeout=10)
            emit(OrderPlaced(order=Order(1)))
        thread.join()

        assert [7] == _orders(received)

    def test_other_tasks_are_not_muted(self, received):
        """Muting in one asyncio task leaves a concurrent task's emits alone."""

        async def muted_task(gate: asyncio.Event) -> None:
            with muted(OrderPlaced):
                await gate.wait()
                await emit_async(OrderPlaced(order=Order(1)))

        async def loud_task(gate: asyncio.Event) -> None:
            await emit_async(OrderPlaced(order=Order(2)))
            gate.set()

        async def main() -> None:
            gate = asyncio.Event()
            await asyncio.gather(muted_task(gate), loud_task(gate))

        asyncio.run(main())

        assert [2] == _orders(received)

    def test_unregistered_classes_are_rejected(self):
        """Muting a class that is not a payload class is an error."""
        with pytest.raises(NotAPayloadError), muted(Order):
            pass

    def test_muted_events_are_not_deferred(self, received):
        """An event muted inside a deferred block is not delivered at its end."""
        with deferred(), muted(OrderPlaced):
            emit(OrderPlaced(order=Order(1)))

        assert [] == received


class TestDeferred:
    def test_delivers_in_order_on_success(self, received):
        """Events emitted in the block reach subscribers, in order, when it exits."""
        with deferred():
            emit(OrderPlaced(order=Order(1)))
            signals.order_placed.send("checkout", order=Order(2))
            emit(OrderPlaced(order=Order(3)))
            assert [] == received

        assert [1, 2, 3] == _orders(received)

    def test_drops_everything_on_exception(self, received):
        """An exception in the block drops its events: a rolled-back order is never heard of."""
        with pytest.raises(RuntimeError), deferred():
            emit(OrderPlaced(order=Order(1)))
            raise RuntimeError

        assert [] == received

    def test_validates_at_emit_time(self, received):
        """A bad event fails where it is sent, not when the block ends."""
        with deferred():
            with pytest.raises(PayloadError):
                signals.order_placed.send("checkout", order=None)
            emit(OrderPlaced(order=Order(1)))

        assert [1] == _orders(received)

    def test_nested_blocks_are_savepoints(self, received):
        """A failing inner block drops only its own events; a good one joins the outer."""
        with deferred():
            emit(OrderPlaced(order=Order(1)))
            with pytest.raises(ValueError), deferred():
                emit(OrderPlaced(order=Order(2)))
                raise ValueError
            with deferred():
                emit(OrderPlaced(order=Order(3)))
            assert [] == received

        assert [1, 3] == _orders(received)

    def test_outer_failure_drops_inner_successes(self, received):
        """Events of an inner block that succeeded are dropped when the outer fails."""
        with pytest.raises(ValueError), deferred():
            with deferred():
                emit(OrderPlaced(order=Order(1)))
            raise ValueError

        assert [] == received

    @given(blocks)
    def test_savepoint_model(self, block):
        """Exactly the orders whose enclosing blocks all succeeded arrive, in order."""
        received: list[OrderPlaced] = []
        with commerce_events.subscribed(OrderPlaced, received.append):
            expected = _run((False, [block]))

        assert expected == _orders(received)

    def test_commit_hook_delivers_later(self, received):
        """With a commit hook, delivery waits until the hook calls back."""
        callbacks = []

        with deferred(commit_hook=callbacks.append):
            emit(OrderPlaced(order=Order(1)))
        assert [] == received
        for callback in callbacks:
            callback()

        assert [1] == _orders(received)

    def test_commit_hook_is_not_called_on_failure(self, received):
        """A failing block never hands its events to the commit hook."""
        callbacks = []

        with pytest.raises(ValueError), deferred(commit_hook=callbacks.append):
            emit(OrderPlaced(order=Order(1)))
            raise ValueError

        assert ([], []) == (callbacks, received)

    def test_every_event_is_delivered_despite_failures(self, received):
        """Subscribers of later events still run when an earlier one fails."""

        @subscribe(OrderPlaced)
        def fail_on_first(event: OrderPlaced) -> None:
            if event.order.number == 1:
                raise RuntimeError("first")

        with pytest.raises(SubscriberError) as info, deferred():
            emit(OrderPlaced(order=Order(1)))
            emit(OrderPlaced(order=Order(2)))

        assert [1, 2] == _orders(received)
        assert "order_placed" == info.value.event

    def test_several_failures_form_a_delivery_error(self):
        """Failures of several deferred events are raised together."""

        @subscribe(OrderPlaced)
        def always_fails(event: OrderPlaced) -> None:
            raise RuntimeError(event.order.number)

        with pytest.raises(DeliveryError) as info, deferred():
            emit(OrderPlaced(order=Order(1)))
            emit(OrderPlaced(order=Order(2)))

        assert [SubscriberError, SubscriberError] == [
            type(e) for e in info.value.exceptions
        ]

    def test_async_block_delivers_to_async_subscribers(self):
        """async with deferred() awaits async subscribers when the block ends."""
        received = []

        @subscribe(OrderPlaced)
        async def confirm(event: OrderPlaced) -> None:
            await asyncio.sleep(0)
            received.append(event.order.number)

        async def main() -> None:
            async with deferred():
                await emit_async(OrderPlaced(order=Order(1)))
                assert [] == received

        asyncio.run(main())

        assert [1] == received

    def test_a_block_cannot_be_reused_while_open(self):
        """Entering the same deferred object twice is refused."""
        unit = deferred()
        with unit, pytest.raises(RuntimeError), unit:
            pass

    def test_deferral_is_context_local(self, received):
        """A deferred block in one thread does not hold back another thread's events."""
        done = threading.Event()

        def other_thread() -> None:
            emit(OrderPlaced(order=Order(9)))
            done.set()

        with deferred():
            thread = threading.Thread(target=other_thread)
            thread.start()
            done.wait(timeout=10)
            thread.join()
            assert [9] == _orders(received)
            emit(OrderPlaced(order=Order(1)))

        assert [9, 1] == _orders(received)
