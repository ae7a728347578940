"""Tests for commerce_events._context: request context and event metadata."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime

import pytest

from commerce_events import (
    EventMetadata,
    OrderPlaced,
    PostCheckout,
    PostPayment,
    PrePayment,
    ProductViewed,
    StartCheckout,
    UserRegistered,
    current_request_context,
    deferred,
    emit,
    emit_async,
    request_context,
    subscribe,
)
from commerce_events.exceptions import PayloadError


class Request:
    pass


class TestRequestContext:
    def test_outside_a_request_there_is_none(self):
        """current_request_context() is None outside a request."""
        assert current_request_context() is None

    def test_binds_for_the_block(self):
        """request_context binds the request and user for the block only."""
        request = Request()

        with request_context(request, user="alice") as context:
            assert context is current_request_context()
            assert (request, "alice") == (context.request, context.user)

        assert current_request_context() is None

    def test_fills_omitted_fields(self):
        """Payloads built in a request take its request and user when omitted."""
        request = Request()

        with request_context(request, user="alice"):
            viewed = ProductViewed(product="mug")
            started = StartCheckout()

        assert (request, "alice") == (viewed.request, viewed.user)
        assert request is started.request

    def test_explicit_values_win(self):
        """Explicitly passed values, None included, always win over the context."""
        with request_context(Request(), user="alice"):
            viewed = ProductViewed(product="mug", user=None, request="mine")

        assert (None, "mine") == (viewed.user, viewed.request)

    def test_nothing_is_filled_outside(self):
        """Outside a request, optional fields stay None and required ones are missing."""
        viewed = ProductViewed(product="mug")

        with pytest.raises(PayloadError) as info:
            StartCheckout()

        assert (None, None) == (viewed.user, viewed.request)
        assert ["request"] == list(info.value.fields)

    def test_anonymous_users_are_none(self):
        """An anonymous user (None) cannot satisfy a required user field."""
        with request_context(Request(), user=None), pytest.raises(PayloadError):
            UserRegistered()

    def test_repr_hides_the_request(self):
        """The context's repr shows the request's type only."""
        with request_context(Request(), user="alice") as context:
            assert "RequestContext(request=<Request>, user='alice')" == repr(context)

    def test_contexts_do_not_leak_between_threads(self):
        """A request bound in one thread is invisible to another."""
        seen = []
        with request_context(Request()):
            thread = threading.Thread(
                target=lambda: seen.append(current_request_context())
            )
            thread.start()
            thread.join()

        assert [None] == seen

    def test_contexts_follow_asyncio_tasks(self):
        """Each task sees its own request, even interleaved."""

        async def handle(name: str) -> str:
            with request_context(name):
                await asyncio.sleep(0)
                return ProductViewed(product="mug").request

        async def main() -> list[str]:
            return list(await asyncio.gather(handle("a"), handle("b")))

        assert ["a", "b"] == asyncio.run(main())


class TestEventMetadata:
    def test_subscribers_can_receive_metadata(self):
        """with_metadata subscribers get an id, an aware time and the event's name."""
        received = []

        @subscribe(OrderPlaced, with_metadata=True)
        def trace(event: OrderPlaced, metadata: EventMetadata) -> None:
            received.append(metadata)

        before = datetime.now(UTC)
        emit(OrderPlaced(order=1))
        after = datetime.now(UTC)

        [metadata] = received
        assert isinstance(metadata.id, uuid.UUID)
        assert before <= metadata.time <= after
        assert ("order_placed", None) == (metadata.event, metadata.cause)

    def test_every_emit_gets_its_own_id(self):
        """Two emits of equal payloads have different ids."""
        ids = []
        subscribe(
            OrderPlaced,
            lambda event, metadata: ids.append(metadata.id),
            with_metadata=True,
        )

        emit(OrderPlaced(order=1))
        emit(OrderPlaced(order=1))

        assert 2 == len(set(ids))

    def test_causes_trace_the_checkout_chain(self):
        """start_checkout -> pre_payment -> post_payment -> order_placed -> post_checkout is traceable."""
        traced: dict[str, EventMetadata] = {}

        def record(event: object, metadata: EventMetadata) -> None:
            traced[metadata.event] = metadata

        for cls in (StartCheckout, PrePayment, PostPayment, OrderPlaced, PostCheckout):
            subscribe(cls, record, with_metadata=True)
        subscribe(StartCheckout, lambda e: emit(PrePayment(view="view")))
        subscribe(PrePayment, lambda e: emit(PostPayment(view="view")))
        subscribe(PostPayment, lambda e: emit(OrderPlaced(order=1)))
        subscribe(OrderPlaced, lambda e: emit(PostCheckout(order=e.order)))

        emit(StartCheckout(request=Request()))

        chain = [
            "start_checkout",
            "pre_payment",
            "post_payment",
            "order_placed",
            "post_checkout",
        ]
        assert traced["start_checkout"].cause is None
        assert [traced[parent].id for parent in chain[:-1]] == [
            traced[child].cause for child in chain[1:]
        ]

    def test_plain_subscribers_are_unaffected(self):
        """Subscribers that did not ask for metadata still get the payload alone."""
        calls = []
        subscribe(OrderPlaced, lambda event, metadata: None, with_metadata=True)
        subscribe(OrderPlaced, calls.append)

        payload = OrderPlaced(order=1)
        emit(payload)

        assert [payload] == calls

    def test_deferred_events_keep_their_emit_time_and_cause(self):
        """A deferred event's metadata is taken when it is emitted, not delivered."""
        traced: dict[str, EventMetadata] = {}
        subscribe(
            OrderPlaced,
            lambda e, m: traced.__setitem__(m.event, m),
            with_metadata=True,
        )
        subscribe(
            PostPayment,
            lambda e, m: traced.__setitem__(m.event, m),
            with_metadata=True,
        )

        @subscribe(PostPayment)
        def place_order(event: PostPayment) -> None:
            emit(OrderPlaced(order=1))

        with deferred():
            emit(PostPayment(view="view"))
            emitted = datetime.now(UTC)

        assert traced["post_payment"].id == traced["order_placed"].cause
        assert traced["post_payment"].time <= emitted

    def test_async_causes(self):
        """Causes are recorded across emit_async and concurrent subscribers."""
        traced: dict[str, EventMetadata] = {}

        async def record(event: object, metadata: EventMetadata) -> None:
            traced[metadata.event] = metadata

        subscribe(PostPayment, record, with_metadata=True)
        subscribe(OrderPlaced, record, with_metadata=True)

        @subscribe(PostPayment)
        async def place(event: PostPayment) -> None:
            await emit_async(OrderPlaced(order=1))

        asyncio.run(emit_async(PostPayment(view="view"), concurrent=True))

        assert traced["post_payment"].id == traced["order_placed"].cause
