"""The OpenTelemetry side of :mod:`commerce_events.tracing`.

Imported only when opentelemetry-api is (the ``otel`` extra): importing this
module raises ImportError otherwise, and :mod:`~commerce_events.tracing` then
traces nothing. It uses the API alone; the application configures the SDK.

The trace context travels as the CloudEvents Distributed Tracing extension's
``traceparent`` and ``tracestate`` attributes, written and read by the W3C
Trace Context propagator itself, whatever propagators the application
configured globally (those may write headers that are no envelope attributes).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import (
    TraceContextTextMapPropagator,
)
from opentelemetry.util.types import AttributeValue

from ._context import CURRENT_EVENT, EventMetadata
from ._limits import printable, shown
from ._observing import Delivery
from ._trace_attributes import (
    MAX_TRACESTATE,
    TRACEPARENT,
    TRACEPARENT_FORMAT,
    TRACESTATE,
)

__all__ = ["Tracing"]

logger: Final = logging.getLogger("commerce_events.tracing")

_W3C: Final = TraceContextTextMapPropagator()

# The emit spans this context opened and not yet ended, innermost last:
# (event id, span, the context to restore when it ends).
_EMITS: ContextVar[tuple[tuple[uuid.UUID, Span, otel_context.Context], ...]] = (
    ContextVar("commerce_events.emit_spans", default=())
)


def _event_attributes(
    envelope: Mapping[str, Any], operation: str, destination: str | None
) -> dict[str, AttributeValue]:
    """The OpenTelemetry semantic conventions' attributes of a CloudEvent."""
    attributes: dict[str, AttributeValue] = {
        "messaging.operation.type": operation,
        "cloudevents.event_id": str(envelope.get("id", "")),
        "cloudevents.event_source": str(envelope.get("source", "")),
        "cloudevents.event_type": str(envelope.get("type", "")),
        "cloudevents.event_spec_version": str(envelope.get("specversion", "")),
    }
    subject = envelope.get("subject")
    if isinstance(subject, str):
        attributes["cloudevents.event_subject"] = subject
    if destination is not None:
        attributes["messaging.destination.name"] = destination
    return attributes


@contextmanager
def _current(span: Span) -> Iterator[None]:
    """Make *span* current; end it on exit, with the exception that ended it.

    What ``start_as_current_span`` does, in fewer layers (this runs on every
    forwarded emit).
    """
    token = otel_context.attach(trace.set_span_in_context(span))
    try:
        yield
    except Exception as exc:
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        raise
    finally:
        otel_context.detach(token)
        span.end()


class Tracing:
    """What the settings switched on, with the tracer they use."""

    def __init__(
        self,
        *,
        propagate: bool,
        spans: bool,
        tracer_provider: trace.TracerProvider | None,
    ) -> None:
        from . import __version__

        self.propagate = propagate
        self.spans = spans
        self._provider = tracer_provider
        # Bound once: taps are removed by identity.
        self.tap: Callable[[object, object, object], None] = self.emit_tap
        self.observer: Callable[[Delivery], None] = self.emit_observer
        self.tracer: Tracer = trace.get_tracer(
            "commerce_events", __version__, tracer_provider=tracer_provider
        )

    # -- forwarding ------------------------------------------------------------

    def recording(self) -> bool:
        """Whether consumer spans are on and may be recorded.

        They may when a tracer provider was given, or an SDK's is set
        globally; with the API's own no-op provider nothing would record them.
        """
        if not self.spans:
            return False
        return self._provider is not None or not isinstance(
            trace.get_tracer_provider(), trace.ProxyTracerProvider
        )

    def sends_in_span(self) -> bool:
        """Whether a send gets a producer span: spans on, in a recorded trace.

        A send outside any recorded trace (no SDK, a script with no span)
        starts none: the consumer's span starts the trace then. The cheapest
        test there is, as it runs on every forwarded emit.
        """
        return self.spans and trace.get_current_span().is_recording()

    @contextmanager
    def producing(
        self, envelope: MutableMapping[str, Any], destination: str
    ) -> Iterator[None]:
        """A producer span around a send; the envelope gets its trace context."""
        span = self.tracer.start_span(f"send {destination}", kind=SpanKind.PRODUCER)
        if not span.is_recording():  # sampled out: the current context travels
            self.inject(envelope)
            yield
            return
        span.set_attributes(_event_attributes(envelope, "send", destination))
        with _current(span):
            self.inject(envelope)
            yield

    def inject(self, envelope: MutableMapping[str, Any]) -> None:
        """Write the current trace context into *envelope*'s attributes."""
        if not self.propagate:
            return
        carrier: dict[str, str] = {}
        _W3C.inject(carrier)
        for name in (TRACEPARENT, TRACESTATE):
            if name in carrier:
                envelope[name] = carrier[name]

    @contextmanager
    def consuming(
        self,
        envelope: Mapping[str, Any],
        metadata: EventMetadata,
        destination: str | None,
    ) -> Iterator[None]:
        """Continue the envelope's trace (a consumer span) while delivering it."""
        parent = self.extract(envelope, metadata) if self.propagate else None
        span = (
            self.tracer.start_span(
                f"process {destination or metadata.event}",
                context=parent,
                kind=SpanKind.CONSUMER,
            )
            if self.recording()
            else None
        )
        if span is not None and span.is_recording():
            span.set_attributes(_event_attributes(envelope, "process", destination))
            with _current(span):
                yield
        elif parent is not None:
            token = otel_context.attach(parent)
            try:
                yield
            finally:
                otel_context.detach(token)
        else:
            yield

    def extract(
        self, envelope: Mapping[str, Any], metadata: EventMetadata
    ) -> otel_context.Context | None:
        """The trace context of *envelope*, or None (none, or malformed).

        A malformed ``traceparent`` is ignored with a WARNING, as W3C Trace
        Context says: the event is still delivered, in a new trace.
        """
        raw = envelope.get(TRACEPARENT)
        if raw is None:
            return None
        if not isinstance(raw, str) or not TRACEPARENT_FORMAT.fullmatch(raw):
            logger.warning(
                "ignored the malformed traceparent %s of %r (id %s): its "
                "delivery starts a new trace",
                printable(shown(raw)),
                metadata.event,
                metadata.id,
                extra={"event_name": metadata.event, "event_id": str(metadata.id)},
            )
            return None
        carrier = {TRACEPARENT: raw}
        state = envelope.get(TRACESTATE)
        if isinstance(state, str) and len(state) <= MAX_TRACESTATE:
            carrier[TRACESTATE] = state
        return _W3C.extract(carrier)

    # -- emit spans: a tap opens them, an observer ends them --------------------

    def emit_tap(self, signal: object, payload: object, sender: object) -> None:
        """Open the span of the emit being delivered, and make it current.

        Called by the delivery loop before the subscribers (a tap), with the
        emit's metadata set as the current event.
        """
        metadata = CURRENT_EVENT.get()
        if metadata is None:  # pragma: no cover - taps make plans need metadata
            return
        span = self.tracer.start_span(
            f"emit {metadata.event}",
            attributes={
                "commerce_events.event": metadata.event,
                "commerce_events.event_id": str(metadata.id),
            },
        )
        previous = otel_context.get_current()
        # The observer puts *previous* back (no token: an emit interrupted by a
        # BaseException never reaches it, and a token could not be reset then).
        otel_context.attach(trace.set_span_in_context(span))
        _EMITS.set((*_EMITS.get(), (metadata.id, span, previous)))

    def emit_observer(self, delivery: Delivery) -> None:
        """End the span of a delivered emit, with its subscribers' failures."""
        if delivery.status != "delivered":
            return  # muted or queued: no tap ran, no span is open
        opened = _EMITS.get()
        if not opened or opened[-1][0] != delivery.metadata.id:
            return
        _, span, previous = opened[-1]
        _EMITS.set(opened[:-1])
        otel_context.attach(previous)
        span.set_attribute("commerce_events.subscribers", len(delivery.calls))
        failed = [call for call in delivery.calls if call.error is not None]
        for call in failed:
            assert call.error is not None  # noqa: S101 - filtered above
            span.record_exception(
                call.error, attributes={"commerce_events.subscriber": call.name}
            )
        if failed:
            span.set_status(
                Status(StatusCode.ERROR, f"{len(failed)} subscriber(s) failed")
            )
        span.end()
