"""Trace context across processes, with OpenTelemetry (extra ``otel``).

With opentelemetry-api importable, :func:`~commerce_events.forwarding.forward`
writes the current W3C trace context into every envelope, as the CloudEvents
Distributed Tracing extension's ``traceparent`` and ``tracestate`` attributes,
and the consumers (:func:`~commerce_events.forwarding.consume_envelope`, the
Redis and Celery consumers) continue that trace while they deliver: the
worker's subscribers run in the request's trace. Forwarding and consuming are
spans of their own (``send <destination>``, ``process <destination>``);
spans around each emit (``emit <event>``) are opt-in.

Without opentelemetry-api nothing of this happens, and nothing is paid.
Only the API is needed: your application configures the SDK and its exporter
(or an agent does), as for any instrumented library.

See :doc:`/tracing` for what a trace shows and how to set it up.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Final

import attrs

from . import _observing, _subscriptions, _trace_attributes

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

    from ._otel import Tracing

__all__ = [
    "TRACEPARENT",
    "TRACESTATE",
    "TracingSettings",
    "configure_tracing",
    "tracing_available",
    "tracing_settings",
]

TRACEPARENT: Final = _trace_attributes.TRACEPARENT
"""The envelope attribute holding the W3C ``traceparent`` of the emit."""

TRACESTATE: Final = _trace_attributes.TRACESTATE
"""The envelope attribute holding the W3C ``tracestate``, when there is one."""


@attrs.frozen
class TracingSettings:
    """What is traced (see :func:`configure_tracing`).

    Attributes:
        propagate: Forwarded envelopes carry the trace context, and consumers
            continue it.
        spans: Spans around forwarding (``send <destination>``, kind
            PRODUCER, inside a recorded trace only) and consuming
            (``process <destination>``, kind CONSUMER).
        emit_spans: A span around each emit of every event (``emit <event>``),
            with its subscribers' failures.
        tracer_provider: Where spans go; None: OpenTelemetry's global one.
    """

    propagate: bool = True
    spans: bool = True
    emit_spans: bool = False
    tracer_provider: TracerProvider | None = None


def _load_otel() -> type[Tracing] | None:
    try:
        from ._otel import Tracing
    except ImportError:
        return None
    return Tracing


_tracing_class: Final = _load_otel()
_settings = TracingSettings()
_lock = threading.Lock()


def tracing_available() -> bool:
    """Whether opentelemetry-api is importable, so that anything is traced."""
    return _tracing_class is not None


def _make(settings: TracingSettings) -> Tracing | None:
    if _tracing_class is None or not (settings.propagate or settings.spans):
        return None
    return _tracing_class(
        propagate=settings.propagate,
        spans=settings.spans,
        tracer_provider=settings.tracer_provider,
    )


# What forwarders and consumers use: None when nothing is traced.
active: Tracing | None = _make(_settings)


def tracing_settings() -> TracingSettings:
    """The current settings."""
    return _settings


def configure_tracing(
    *,
    propagate: bool = True,
    spans: bool = True,
    emit_spans: bool = False,
    tracer_provider: TracerProvider | None = None,
) -> TracingSettings:
    """Choose what is traced, for the whole process.

    Called with no arguments, it restores the defaults: trace context
    propagated, spans around forwarding and consuming, no emit spans, the
    global tracer provider.

    Emit spans are opt-in because they cost every emit of every event: while
    they are on, every emit takes the general delivery loop (a tap opens the
    span before the subscribers, an observer ends it after them) instead of
    the plain loop over subscribers. Off, emits pay nothing for tracing.

    Args:
        propagate: Write the trace context into forwarded envelopes, and
            continue it in consumers.
        spans: Spans around forwarding and consuming.
        emit_spans: A span around each emit of every event.
        tracer_provider: Where spans go; default: OpenTelemetry's global
            provider (``opentelemetry.trace.set_tracer_provider``).

    Returns:
        The settings now in force.

    Raises:
        ImportError: *emit_spans* without opentelemetry-api (install the
            ``otel`` extra).
    """
    global _settings, active
    if emit_spans and _tracing_class is None:
        msg = (
            "emit_spans needs opentelemetry-api: install the otel extra, "
            "pip install 'commerce-events[otel]'"
        )
        raise ImportError(msg)
    settings = TracingSettings(propagate, spans, emit_spans, tracer_provider)
    with _lock:
        previous = active
        if previous is not None and _settings.emit_spans:
            _subscriptions.remove_tap(previous.tap)
            _observing.remove_observer(previous.observer)
        tracing = _make(settings)
        if emit_spans:
            if tracing is None:  # neither propagated nor spans: emit spans only
                assert _tracing_class is not None  # noqa: S101 - checked above
                tracing = _tracing_class(
                    propagate=False, spans=False, tracer_provider=tracer_provider
                )
            _subscriptions.add_tap(tracing.tap)
            _observing.add_observer(tracing.observer)
        _settings, active = settings, tracing
    return settings
