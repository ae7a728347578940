"""Tests for commerce_events.tracing: trace context across processes.

Spans are recorded by the OpenTelemetry SDK's in-memory exporter, on a tracer
provider of the test's own (never the global one). The Redis and Celery tests
run a real redis-server and a real Celery worker (``redis_url`` in
conftest.py); the worker and the stream consumer run in threads of their own,
whose contexts know nothing of the request's: only the envelope carries it.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from celery import Celery
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind, StatusCode

from commerce_events import OrderPaid, OrderPlaced, emit, subscribe
from commerce_events import _subscriptions as subscriptions
from commerce_events.exceptions import SubscriberError
from commerce_events.forwarding import consume_envelope, forward
from commerce_events.forwarding.celery import CeleryForwarder, make_celery_task
from commerce_events.forwarding.redis import (
    RedisStreamConsumer,
    RedisStreamForwarder,
)
from commerce_events.outbox import Relay
from commerce_events.outbox.sqlalchemy import (
    SQLAlchemyOutbox,
    SQLAlchemyOutboxStore,
    outbox_table,
)
from commerce_events.serialization import register_identity
from commerce_events.tracing import (
    TRACEPARENT,
    TRACESTATE,
    TracingSettings,
    configure_tracing,
    tracing_available,
    tracing_settings,
)

WAIT = 30.0  # seconds: the bound of every wait for the worker
ROOT = Path(__file__).resolve().parents[1]
WORKER = "the worker"  # the sender of events the Celery worker consumes


class Order:
    def __init__(self, number: str) -> None:
        self.pk = number


class ListForwarder:
    destination = "a list"

    def __init__(self) -> None:
        self.envelopes: list[dict[str, Any]] = []

    def send(self, envelope: Any, /) -> None:
        self.envelopes.append(dict(envelope))


@pytest.fixture(autouse=True)
def _identities() -> None:
    register_identity("order", load=Order)


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    """Spans of this test, from the default settings on a provider of its own."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    configure_tracing(tracer_provider=provider)
    try:
        yield exporter
    finally:
        configure_tracing()
        provider.shutdown()


def tracer() -> trace.Tracer:
    """The test's own tracer: the request's and the subscribers' spans."""
    provider = tracing_settings().tracer_provider
    assert provider is not None
    return provider.get_tracer("tests")


def spans_named(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    spans = exporter.get_finished_spans()
    named = {span.name: span for span in spans}
    assert len(named) == len(spans), [span.name for span in spans]
    return named


def parent_of(span: ReadableSpan) -> int | None:
    return None if span.parent is None else span.parent.span_id


def in_fresh_context(function: Any) -> Any:
    """Call *function* in an empty context: another process would have no other."""
    token = otel_context.attach(otel_context.Context())
    try:
        return function()
    finally:
        otel_context.detach(token)


def traced_subscriber(sender: Any = subscriptions.ANY) -> list[Any]:
    """Subscribe a worker-side subscriber that makes a span of its own."""
    seen: list[Any] = []

    @subscribe(OrderPlaced, sender=sender)
    def send_confirmation(event: OrderPlaced) -> None:
        with tracer().start_as_current_span("send confirmation") as span:
            seen.append(span.get_span_context())

    return seen


def assert_one_trace(exporter: InMemorySpanExporter, send: str, process: str) -> None:
    """request -> send (producer) -> process (consumer) -> the subscriber's span."""
    spans = spans_named(exporter)
    request, sent = spans["request"], spans[send]
    processed, subscriber = spans[process], spans["send confirmation"]
    trace_id = request.context.trace_id
    assert {trace_id} == {s.context.trace_id for s in spans.values()}
    assert request.context.span_id == parent_of(sent)
    assert sent.context.span_id == parent_of(processed)
    assert processed.context.span_id == parent_of(subscriber)
    assert (SpanKind.PRODUCER, SpanKind.CONSUMER) == (sent.kind, processed.kind)
    assert processed.parent is not None
    assert processed.parent.is_remote


class TestSettings:
    def test_defaults(self):
        assert tracing_available()
        assert TracingSettings(True, True, False, None) == tracing_settings()

    def test_configure_returns_what_is_in_force(self):
        settings = configure_tracing(spans=False)
        assert settings == tracing_settings()
        assert not settings.spans
        assert settings.propagate
        assert TracingSettings() == configure_tracing()


class TestForwarding:
    def test_envelope_carries_the_producer_span(self, exporter):
        target = ListForwarder()
        forward(OrderPlaced, to=target, source="/shop/web")
        with tracer().start_as_current_span("request"):
            emit(OrderPlaced(order=Order("1")))
        (envelope,) = target.envelopes
        sent = spans_named(exporter)["send a list"]
        version, trace_id, span_id, flags = envelope[TRACEPARENT].split("-")
        assert "00" == version
        assert int(flags, 16) & 1  # sampled
        assert f"{sent.context.trace_id:032x}" == trace_id
        assert f"{sent.context.span_id:016x}" == span_id
        assert TRACESTATE not in envelope
        assert {
            "messaging.operation.type": "send",
            "messaging.destination.name": "a list",
            "cloudevents.event_id": envelope["id"],
            "cloudevents.event_source": "/shop/web",
            "cloudevents.event_type": envelope["type"],
            "cloudevents.event_spec_version": "1.0",
            "cloudevents.event_subject": "1",
        } == dict(sent.attributes or {})

    def test_tracestate_travels(self, exporter):
        target = ListForwarder()
        forward(OrderPlaced, to=target)
        parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        context = (
            trace.propagation.tracecontext.TraceContextTextMapPropagator().extract(
                {"traceparent": parent, "tracestate": "shop=checkout,vendor=x1"}
            )
        )
        token = otel_context.attach(context)
        try:
            emit(OrderPlaced(order=Order("1")))
        finally:
            otel_context.detach(token)
        (envelope,) = target.envelopes
        assert "shop=checkout,vendor=x1" == envelope[TRACESTATE]
        assert envelope[TRACEPARENT].startswith("00-0af7651916cd43dd8448eb211c80319c-")
        seen = traced_subscriber()
        in_fresh_context(lambda: consume_envelope(envelope))
        (span_context,) = seen
        assert 0x0AF7651916CD43DD8448EB211C80319C == span_context.trace_id
        assert "x1" == span_context.trace_state.get("vendor")

    def test_consumer_continues_the_trace(self, exporter):
        target = ListForwarder()
        forward(OrderPlaced, to=target)
        with tracer().start_as_current_span("request"):
            emit(OrderPlaced(order=Order("1")))
        traced_subscriber()
        in_fresh_context(lambda: consume_envelope(target.envelopes[0]))
        assert_one_trace(exporter, "send a list", "process order_placed")

    def test_without_spans_the_request_span_travels(self, exporter):
        configure_tracing(
            spans=False, tracer_provider=tracing_settings().tracer_provider
        )
        target = ListForwarder()
        forward(OrderPlaced, to=target)
        with tracer().start_as_current_span("request") as request:
            emit(OrderPlaced(order=Order("1")))
        traced_subscriber()
        in_fresh_context(lambda: consume_envelope(target.envelopes[0]))
        spans = spans_named(exporter)
        assert {"request", "send confirmation"} == set(spans)
        subscriber = spans["send confirmation"]
        assert request.get_span_context().trace_id == subscriber.context.trace_id
        assert request.get_span_context().span_id == parent_of(subscriber)
        # The consumer's context was put back: nothing is current any more.
        assert not trace.get_current_span().get_span_context().is_valid

    def test_not_propagated(self, exporter):
        configure_tracing(
            propagate=False, tracer_provider=tracing_settings().tracer_provider
        )
        target = ListForwarder()
        forward(OrderPlaced, to=target)
        with tracer().start_as_current_span("request"):
            emit(OrderPlaced(order=Order("1")))
        (envelope,) = target.envelopes
        assert TRACEPARENT not in envelope
        envelope[TRACEPARENT] = (
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        )
        traced_subscriber()
        in_fresh_context(lambda: consume_envelope(envelope))
        spans = spans_named(exporter)
        assert 0x0AF7651916CD43DD8448EB211C80319C != (
            spans["process order_placed"].context.trace_id
        )

    def test_outside_any_trace_the_consumer_starts_it(self, exporter):
        target = ListForwarder()
        forward(OrderPlaced, to=target)
        in_fresh_context(lambda: emit(OrderPlaced(order=Order("1"))))
        (envelope,) = target.envelopes
        assert TRACEPARENT not in envelope
        assert () == exporter.get_finished_spans()  # no producer span
        traced_subscriber()
        in_fresh_context(lambda: consume_envelope(envelope))
        spans = spans_named(exporter)
        assert spans["process order_placed"].parent is None
        assert spans["process order_placed"].context.span_id == parent_of(
            spans["send confirmation"]
        )

    def test_commit_hook_carries_the_context(self, exporter):
        target = ListForwarder()
        after_commit: list[Any] = []
        forward(OrderPlaced, to=target, commit_hook=after_commit.append)
        with tracer().start_as_current_span("request"):
            emit(OrderPlaced(order=Order("1")))
        assert [] == target.envelopes
        after_commit[0]()
        sent = spans_named(exporter)["send a list"]
        assert f"{sent.context.span_id:016x}" in target.envelopes[0][TRACEPARENT]

    @pytest.mark.parametrize(
        "traceparent",
        [
            "not a traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\n",
            42,
            True,
        ],
    )
    def test_malformed_traceparent_ignored_and_logged(
        self, exporter, caplog, traceparent
    ):
        target = ListForwarder()
        forward(OrderPlaced, to=target)
        emit(OrderPlaced(order=Order("1")))
        envelope = target.envelopes[0]
        envelope[TRACEPARENT] = traceparent
        seen = traced_subscriber()
        with caplog.at_level(logging.WARNING, "commerce_events.tracing"):
            in_fresh_context(lambda: consume_envelope(envelope))
        assert 1 == len(seen)  # delivered all the same
        (record,) = [r for r in caplog.records if r.name == "commerce_events.tracing"]
        assert "ignored the malformed traceparent" in record.getMessage()
        assert envelope["id"] == record.event_id
        assert "\n" not in record.getMessage()
        processed = spans_named(exporter)["process order_placed"]
        assert processed.parent is None  # a new trace

    def test_failed_delivery_recorded_on_the_consumer_span(self, exporter):
        target = ListForwarder()
        forward(OrderPlaced, to=target)
        emit(OrderPlaced(order=Order("1")))

        @subscribe(OrderPlaced)
        def failing(event: OrderPlaced) -> None:
            raise RuntimeError("mail server down")

        with pytest.raises(SubscriberError):
            in_fresh_context(lambda: consume_envelope(target.envelopes[0]))
        processed = spans_named(exporter)["process order_placed"]
        assert StatusCode.ERROR == processed.status.status_code
        assert ["exception"] == [event.name for event in processed.events]


class TestEmitSpans:
    def test_off_by_default_the_fast_path_stays(self, exporter):
        subscribe(OrderPlaced, lambda event: None)
        route = subscriptions.route_for_type(OrderPlaced)
        assert route.plan_for(None).functions is not None
        with tracer().start_as_current_span("request"):
            emit(OrderPlaced(order=Order("1")))
        assert {"request"} == set(spans_named(exporter))

    def test_on_request(self, exporter):
        configure_tracing(
            emit_spans=True, tracer_provider=tracing_settings().tracer_provider
        )
        seen = traced_subscriber()
        with tracer().start_as_current_span("request") as request:
            emit(OrderPlaced(order=Order("1")))
            # The emit's span ended, and the request's is current again.
            assert request is trace.get_current_span()
        spans = spans_named(exporter)
        emitted = spans["emit order_placed"]
        assert request.get_span_context().span_id == parent_of(emitted)
        assert emitted.context.span_id == parent_of(spans["send confirmation"])
        assert seen[0].trace_id == request.get_span_context().trace_id
        assert 1 == (emitted.attributes or {})["commerce_events.subscribers"]
        configure_tracing()
        assert subscriptions.route_for_type(OrderPlaced).plan_for(None).taps == ()

    def test_nested_emits_and_failures(self, exporter):
        configure_tracing(
            emit_spans=True, tracer_provider=tracing_settings().tracer_provider
        )

        @subscribe(OrderPlaced)
        def pay(event: OrderPlaced) -> None:
            emit(OrderPaid(order=event.order, amount=Decimal("9.99"), currency="EUR"))

        @subscribe(OrderPaid)
        def failing(event: Any) -> None:
            raise RuntimeError("ledger down")

        with pytest.raises(SubscriberError):
            emit(OrderPlaced(order=Order("1")))
        spans = spans_named(exporter)
        outer, inner = spans["emit order_placed"], spans["emit order_paid"]
        assert outer.context.span_id == parent_of(inner)
        assert StatusCode.ERROR == inner.status.status_code
        assert StatusCode.ERROR == outer.status.status_code  # its subscriber raised
        assert "RuntimeError" == inner.events[0].attributes["exception.type"]
        assert not trace.get_current_span().get_span_context().is_valid

    def test_across_the_consumer(self, exporter):
        configure_tracing(
            emit_spans=True, tracer_provider=tracing_settings().tracer_provider
        )
        target = ListForwarder()
        forward(OrderPlaced, to=target)
        with tracer().start_as_current_span("request"):
            emit(OrderPlaced(order=Order("1")))
        exporter.clear()
        traced_subscriber()
        in_fresh_context(lambda: consume_envelope(target.envelopes[0]))
        spans = spans_named(exporter)
        processed, emitted = spans["process order_placed"], spans["emit order_placed"]
        assert processed.context.span_id == parent_of(emitted)
        assert emitted.context.span_id == parent_of(spans["send confirmation"])


# -- real servers ----------------------------------------------------------------


def test_trace_survives_a_redis_stream(exporter, redis_url):
    client = redis.Redis.from_url(f"{redis_url}/5")
    client.flushdb()
    try:
        forward(OrderPlaced, to=RedisStreamForwarder(client, "traced"))
        with tracer().start_as_current_span("request"):
            emit(OrderPlaced(order=Order("1")))
        traced_subscriber()
        consumer = RedisStreamConsumer(client, "traced", group="mailer", consumer="m1")
        # Another thread: a context of its own, as another process would have.
        handled: list[int] = []
        worker = threading.Thread(target=lambda: handled.append(consumer.run_once()))
        worker.start()
        worker.join(WAIT)
        assert [1] == handled
        assert_one_trace(exporter, "send redis stream 'traced'", "process traced")
    finally:
        client.flushdb()
        client.close()


@pytest.fixture(scope="module")
def celery_app(redis_url: str, celery_with_worker: Any) -> Iterator[Celery]:
    """A Celery app on that Redis, and a worker in a thread of this process."""

    def tasks(app: Celery) -> None:
        make_celery_task(app, "tests.traced", sender=WORKER)

    with celery_with_worker("test_tracing", redis_url, (6, 7), tasks) as app:
        yield app


def test_trace_survives_a_celery_worker(exporter, celery_app):
    forward(OrderPlaced, to=CeleryForwarder(celery_app, "tests.traced"))
    seen = traced_subscriber(sender=WORKER)
    with tracer().start_as_current_span("request") as request:
        emit(OrderPlaced(order=Order("1")))
    (event_id,) = [
        span.attributes["cloudevents.event_id"]
        for span in exporter.get_finished_spans()
        if span.name == "send celery task 'tests.traced'"
    ]
    assert event_id == celery_app.AsyncResult(event_id).get(timeout=WAIT)
    assert request.get_span_context().trace_id == seen[0].trace_id
    assert_one_trace(
        exporter, "send celery task 'tests.traced'", "process tests.traced"
    )


def test_outbox_relay_keeps_the_trace_context(exporter, tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'shop.sqlite3'}")
    table = outbox_table(sa.MetaData())
    table.metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            forwarding = forward(OrderPlaced, to=SQLAlchemyOutbox(table, connection))
            with tracer().start_as_current_span("request"):
                emit(OrderPlaced(order=Order("1")))
            forwarding.cancel()
        target = ListForwarder()
        assert 1 == Relay(SQLAlchemyOutboxStore(engine, table), target).run_once()
        sent = spans_named(exporter)["send outbox table 'commerce_events_outbox'"]
        (envelope,) = target.envelopes
        assert f"{sent.context.span_id:016x}" in envelope[TRACEPARENT]
        traced_subscriber()
        in_fresh_context(lambda: consume_envelope(envelope))
        assert_one_trace(
            exporter,
            "send outbox table 'commerce_events_outbox'",
            "process order_placed",
        )
    finally:
        engine.dispose()


def test_without_opentelemetry_nothing_changes():
    """A process where opentelemetry cannot be imported: no attribute, no error."""
    script = textwrap.dedent(
        """
        import sys
        sys.modules["opentelemetry"] = None  # blocks every import of it

        from commerce_events import OrderPlaced, emit
        from commerce_events.forwarding import consume_envelope, forward
        from commerce_events.serialization import register_identity
        from commerce_events import tracing

        class Order:
            def __init__(self, pk):
                self.pk = pk

        register_identity("order", load=Order)
        assert not tracing.tracing_available()
        assert tracing.active is None
        envelopes = []

        class Target:
            def send(self, envelope):
                envelopes.append(dict(envelope))

        forward(OrderPlaced, to=Target())
        emit(OrderPlaced(order=Order("1")))
        (envelope,) = envelopes
        assert "traceparent" not in envelope, envelope
        envelope["traceparent"] = "garbage"  # ignored: nothing reads it
        assert consume_envelope(envelope).order.pk == "1"
        tracing.configure_tracing(spans=False)
        try:
            tracing.configure_tracing(emit_spans=True)
        except ImportError as exc:
            assert "otel extra" in str(exc), exc
        else:
            raise AssertionError("emit_spans without opentelemetry")
        assert not any(m.startswith("opentelemetry.") for m in sys.modules)
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=WAIT,
        check=False,
    )
    assert "ok\n" == result.stdout, result.stderr
