"""Forwarding: the same typed events in workers and other services.

The bus is in-process. To reach a background worker or another service, a
*forwarder* subscribes to events and hands each one, as a CloudEvents envelope
(:mod:`commerce_events.cloudevents`), to a proven engine; on the other side, a
consumer reads the envelopes back into typed payloads and emits them on its own
bus, so worker-side subscribers are ordinary ``@subscribe(OrderPlaced)`` code.

- Sending: :func:`forward` with a :class:`Forwarder`:
  :class:`~commerce_events.forwarding.celery.CeleryForwarder` (extra
  ``celery``) sends a named Celery task,
  :class:`~commerce_events.forwarding.redis.RedisStreamForwarder` (extra
  ``redis``) appends to a Redis stream; any object with a ``send(envelope)``
  method will do (a Kafka producer, an outbox table, a test list).
- Receiving: :func:`consume_envelope`, wrapped for you by
  :func:`~commerce_events.forwarding.celery.make_celery_task` and
  :class:`~commerce_events.forwarding.redis.RedisStreamConsumer`.

Delivery is at least once: engines redeliver, so consumers may see an event
twice. Every envelope carries the id of its emit; pass ``seen=SeenIds()`` (or a
shared store such as :class:`~commerce_events.forwarding.redis.RedisSeenIds`) to
drop duplicates, or make subscribers idempotent.

A failed send (the broker is down) is a
:class:`~commerce_events.exceptions.ForwardingError` raised by the forwarder's
subscriber, so it follows the subscription's failure policy: raised with the
other failures after every subscriber ran (the default), or logged with the
event's id and type (``on_error="log"``). It is never dropped silently, but a
logged failure is a lost event: for guaranteed delivery, write the envelope to
an *outbox* table in the same database transaction as the order (a forwarder
whose ``send`` inserts a row), and relay the table to the broker from another
process, deleting rows once the broker acknowledged them. Only a write that
commits or rolls back with the order itself can neither lose an event nor
announce a rolled-back one; ``commit_hook=`` (send after commit) only avoids the
second.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from .. import tracing
from .._context import EventMetadata
from .._delivery import deliver
from .._failures import policy_of
from .._scopes import CommitHook
from .._settings import OnError
from .._subscribe import subscribe, unsubscribe
from .._subscriptions import ANY, route_for_type
from .._upcasting import Reading, Reads, reading
from ..cloudevents import _check_source, _parse, _read, event_type, to_cloudevent
from ..exceptions import (
    DeliveryInProgressError,
    ForwardingError,
    SerializationError,
)
from ..serialization import Unknown

__all__ = [
    "DEFAULT_TIMEOUT",
    "Backoff",
    "Forwarder",
    "Forwarding",
    "SeenIds",
    "SeenStore",
    "consume_envelope",
    "destination_of",
    "forward",
]

logger: Final = logging.getLogger("commerce_events.forwarding")

DEFAULT_TIMEOUT: Final = 5.0
"""The longest the Redis and Celery forwarders' sends block an emit by
default, in seconds (their ``timeout=``).
"""

DEFAULT_SOURCE: Final = "/commerce_events"
"""The envelopes' ``source`` when :func:`forward` is not given one.
"""


@runtime_checkable
class Forwarder(Protocol):
    """Sends envelopes to an engine: anything with a ``send(envelope)`` method.

    ``send`` gets a CloudEvents envelope (a dict of JSON data) and returns once
    the engine has it; it raises when it could not hand it over. A
    ``destination`` attribute, if any, names where envelopes go in errors and
    logs.
    """

    def send(self, envelope: Mapping[str, Any], /) -> None:
        """Hand *envelope* to the engine, or raise."""
        ...


def destination_of(forwarder: object) -> str:
    """A forwarder's ``destination``, else its repr, for errors and logs."""
    destination = getattr(forwarder, "destination", None)
    return destination if isinstance(destination, str) else repr(forwarder)


@attrs.frozen
class Backoff:
    """Exponential backoff: the waits between attempts while a broker is down.

    Attributes:
        initial: The first wait, in seconds.
        maximum: The longest wait, in seconds.
        factor: How much longer each wait is than the one before.

    Used by :class:`~commerce_events.outbox.Relay` and
    :class:`~commerce_events.forwarding.redis.RedisStreamConsumer`.
    """

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0

    def delays(self) -> Iterator[float]:
        """The waits, one per failed attempt in a row."""
        delay = self.initial
        while True:
            yield delay
            delay = min(self.maximum, delay * self.factor)


def _dumps_envelope(envelope: Mapping[str, Any]) -> str:
    """An envelope as compact JSON text (no NaN; non-ASCII kept as is)."""
    return json.dumps(
        envelope, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


class SeenStore(Protocol):
    """Remembers the ids of events already delivered, to drop duplicates.

    A store shared by several consumers may also have ``begin(event_id)``,
    which atomically takes an event for delivery and returns ``"new"`` (taken:
    deliver it), ``"done"`` (delivered already: a duplicate) or ``"busy"``
    (another consumer is delivering it), and ``release(event_id)``, called
    when the delivery failed. :func:`consume_envelope` uses them when present,
    so two consumers can never both deliver one event.
    """

    def __contains__(self, event_id: object, /) -> bool:
        """Whether *event_id* was delivered already."""
        ...

    def add(self, event_id: uuid.UUID, /) -> None:
        """Remember that *event_id* was delivered."""
        ...


class SeenIds:
    """The ids of the last *maxsize* events delivered by this process.

    Thread-safe and bounded: the oldest ids are forgotten first, so a duplicate
    arriving after *maxsize* other events is delivered again. Consumers in
    several processes each have their own; share a store between them
    (:class:`~commerce_events.forwarding.redis.RedisSeenIds`) to drop
    duplicates across processes.

    Args:
        maxsize: How many ids to remember.
    """

    def __init__(self, maxsize: int = 10_000) -> None:
        if not isinstance(maxsize, int) or maxsize < 1:
            msg = f"maxsize must be a positive int, got {maxsize!r}"
            raise ValueError(msg)
        self._maxsize = maxsize
        self._ids: OrderedDict[uuid.UUID, None] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, event_id: object, /) -> bool:
        return event_id in self._ids

    def add(self, event_id: uuid.UUID, /) -> None:
        """Remember *event_id*, forgetting the oldest id when full."""
        with self._lock:
            self._ids[event_id] = None
            self._ids.move_to_end(event_id)
            while len(self._ids) > self._maxsize:
                self._ids.popitem(last=False)

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        return f"<SeenIds {len(self._ids)}/{self._maxsize}>"


# Events that consumers in this process received: forwarders never send them
# back (a worker sharing the web process's configuration would otherwise
# forward every event it receives, forever). Events their subscribers emit are
# new events, and are forwarded.
_received = SeenIds(10_000)


class _Forward:
    """The subscriber that :func:`forward` subscribes: envelope, then send."""

    __slots__ = ("commit_hook", "forwarder", "source", "type_prefix")

    def __init__(
        self,
        forwarder: Forwarder,
        source: str,
        type_prefix: str | None,
        commit_hook: CommitHook | None,
    ) -> None:
        self.forwarder: Forwarder = forwarder
        self.source: str = source
        self.type_prefix: str | None = type_prefix
        self.commit_hook: CommitHook | None = commit_hook

    def __call__(self, payload: Any, metadata: EventMetadata, /) -> None:
        if metadata.id in _received:
            return
        try:
            envelope = to_cloudevent(
                payload,
                source=self.source,
                type_prefix=self.type_prefix,
                metadata=metadata,
            )
        except SerializationError as exc:
            raise self._error(metadata, exc) from exc
        traced = tracing.active
        if traced is not None:
            if traced.sends_in_span():
                # A producer span around the send (or its scheduling, with a
                # commit hook); the envelope carries its trace context.
                with traced.producing(envelope, destination_of(self.forwarder)):
                    self._hand_over(payload, envelope, metadata)
                return
            traced.inject(envelope)
        self._hand_over(payload, envelope, metadata)

    def _hand_over(
        self, payload: Any, envelope: dict[str, Any], metadata: EventMetadata
    ) -> None:
        if self.commit_hook is None:
            self._send(envelope, metadata)
        else:
            self.commit_hook(
                lambda: self._send_after_commit(payload, envelope, metadata)
            )

    def _send(self, envelope: Mapping[str, Any], metadata: EventMetadata) -> None:
        try:
            self.forwarder.send(envelope)
        except Exception as exc:
            raise self._error(metadata, exc) from exc

    def _send_after_commit(
        self, payload: Any, envelope: Mapping[str, Any], metadata: EventMetadata
    ) -> None:
        # Called by the transaction, after the subscriber returned: apply the
        # subscription's failure policy here.
        try:
            self._send(envelope, metadata)
        except ForwardingError as exc:
            route = route_for_type(type(payload))
            if policy_of(route, route.record_for(self)) == "log":
                _log_failure(exc)
            else:
                raise

    def _error(self, metadata: EventMetadata, exc: Exception) -> ForwardingError:
        return ForwardingError(
            metadata.event,
            metadata.id,
            destination_of(self.forwarder),
            f"{type(exc).__name__}: {exc}",
        )

    def __repr__(self) -> str:
        return f"<forward to {destination_of(self.forwarder)}>"


def _log_failure(exc: ForwardingError) -> None:
    """Log a forwarding failure (ERROR, with its traceback) with id and type."""
    logger.error(
        "%s",
        exc,
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={
            "event_name": exc.event,
            "event_id": str(exc.event_id),
            "destination": exc.destination,
        },
    )


class Forwarding:
    """What :func:`forward` returns: the forwarding of some events.

    Use :meth:`cancel` (or a ``with`` block) to stop forwarding.

    Attributes:
        payload_types: The forwarded events.
        forwarder: Where they go.
    """

    def __init__(
        self, payload_types: tuple[type[Any], ...], subscriber: _Forward, sender: Any
    ) -> None:
        self.payload_types = payload_types
        self.forwarder: Forwarder = subscriber.forwarder
        self._subscriber = subscriber
        self._sender = sender

    def cancel(self) -> None:
        """Stop forwarding; cancelling twice does nothing."""
        for payload_type in self.payload_types:
            unsubscribe(payload_type, self._subscriber, sender=self._sender)

    def __enter__(self) -> Forwarding:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cancel()

    def __repr__(self) -> str:
        names = ", ".join(t.__qualname__ for t in self.payload_types)
        return f"<Forwarding {names} to {destination_of(self.forwarder)}>"


def _check_forwardable(payload_type: type[Any], type_prefix: str | None = None) -> None:
    """Refuse an event that :func:`forward` could not forward.

    Raises:
        NotAPayloadError: *payload_type* is not a registered payload class.
        SerializationError: The event has a required field that is never
            serialized (``start_checkout``'s request), so no consumer could
            rebuild it.
        ValueError: *type_prefix* is not a valid prefix.
    """
    event_type(payload_type, type_prefix=type_prefix)  # registered? prefix ok?
    spec = route_for_type(payload_type).spec
    unserializable = {
        fs.name: (
            "required, but never serialized (it may hold secrets): no consumer "
            "could rebuild this event"
        )
        for fs in spec.fields
        if fs.sensitive and fs.required
    }
    if unserializable:
        raise SerializationError(spec.name, spec.payload_type, unserializable)


def forward(
    *payload_types: type[Any],
    to: Forwarder,
    source: str = DEFAULT_SOURCE,
    type_prefix: str | None = None,
    commit_hook: CommitHook | None = None,
    sender: Any = ANY,
    priority: int = 0,
    on_error: OnError | None = None,
) -> Forwarding:
    """Send every emit of these events to *to*, as CloudEvents envelopes.

    Subscribes one subscriber to each event. It builds the envelope from the
    payload and the emit's metadata (so the envelope's ``id`` and ``time`` are
    the emit's), then calls ``to.send(envelope)``. Events emitted inside
    ``with deferred():`` are forwarded when the block succeeds, like any
    subscriber's; with *commit_hook* the send itself waits for the surrounding
    transaction (``commit_hook=django.db.transaction.on_commit``).

    An event that a consumer of this process received is never forwarded again
    by it, so web and worker processes may share one configuration. With
    opentelemetry-api, envelopes carry the current trace context
    (:doc:`/tracing`).

    Args:
        payload_types: The events to forward.
        to: The forwarder (see :class:`Forwarder`).
        source: The envelopes' ``source``: identify your service
            (``"/shop/web"``).
        type_prefix: The prefix of the envelopes' ``type``; default: the
            process's (:func:`~commerce_events.cloudevents.set_type_prefix`),
            read when each envelope is written.
        commit_hook: Called as ``commit_hook(send)`` to send after the
            transaction commits (and never if it rolls back). The envelope is
            built at once, so serialization errors are raised by the emit.
        sender: Only forward emits from this sender.
        priority: The subscriber's priority.
        on_error: The subscriber's failure policy (``"raise"`` or ``"log"``);
            it also decides what a failed send after commit does.

    Returns:
        A :class:`Forwarding`; ``.cancel()`` stops forwarding.

    Raises:
        NotAPayloadError: A class is not a registered payload class.
        SerializationError: An event has a required field that is never
            serialized (``start_checkout``'s request), so no consumer could
            rebuild it.
        TypeError: *to* has no ``send`` method, or no event is given.
        EnvelopeError: *source* is not a URI reference (RFC 3986).
        ValueError: *type_prefix* is malformed.
    """
    if not payload_types:
        msg = "forward() takes at least one payload class: forward(OrderPlaced, to=...)"
        raise TypeError(msg)
    if not callable(getattr(to, "send", None)):
        msg = (
            f"forward(to=...) takes an object with a send(envelope) method, got {to!r}"
        )
        raise TypeError(msg)
    _check_source(source)
    for payload_type in payload_types:
        _check_forwardable(payload_type, type_prefix)
    subscriber = _Forward(to, source, type_prefix, commit_hook)
    for payload_type in payload_types:
        subscribe(
            payload_type,
            subscriber,
            sender=sender,
            priority=priority,
            on_error=on_error,
            weak=False,
            with_metadata=True,
        )
    return Forwarding(payload_types, subscriber, sender)


def consume_envelope(
    envelope: Mapping[str, Any] | str | bytes,
    /,
    *,
    seen: SeenStore | None = None,
    sender: Any = None,
    type_prefix: str | None = None,
    unknown: Unknown = "ignore",
    reads: Reads | None = None,
) -> Any:
    """Emit a received envelope's payload on this process's bus.

    The payload is rebuilt (and validated) from the envelope, then delivered to
    this process's subscribers with the envelope's metadata: ``metadata.id``
    is the id of the original emit, and events the subscribers emit have it as
    their cause. Muting and ``deferred()`` apply as to any emit. With
    opentelemetry-api, the delivery continues the envelope's trace
    (:doc:`/tracing`).

    Args:
        envelope: The CloudEvents envelope, as a dict or JSON text.
        seen: Drop the envelope if its id is in *seen*; remember it once
            delivered (a failed delivery is not remembered, so a redelivery is
            tried again). See :class:`SeenStore` for stores shared between
            consumers.
        sender: The sender the subscribers see.
        type_prefix: The prefix the envelope's ``type`` must have; default:
            :func:`~commerce_events.cloudevents.get_type_prefix`.
        unknown: What to do with data fields this process does not know.
        reads: Older versions read as the class they are upcast to
            (``{OrderPlaced: {1, 2}}``); see
            :func:`~commerce_events.cloudevents.from_cloudevent`.

    Returns:
        The delivered payload, or None for a duplicate.

    Raises:
        EnvelopeError: The envelope cannot be read (retrying will not help).
        PayloadError: Its data is invalid (or a load hook failed).
        SubscriberError: Subscribers with the ``"raise"`` policy failed.
        AsyncDeliveryError: The event has async subscribers and no bridge
            reaches them from here (see ``set_async_bridge``).
        DeliveryInProgressError: Another consumer is delivering this event
            (a shared *seen* store says so): try again later.
        UpcastError: *reads* asks for a version no upcaster leads from, or an
            upcaster returned another class.
    """
    loaded = _load(envelope, type_prefix, unknown, reading(reads))
    return _deliver(loaded, seen=seen, sender=sender)


@attrs.frozen
class _Loaded:
    """A read envelope: its attributes, payload and metadata."""

    attributes: Mapping[str, Any]
    payload: Any
    metadata: EventMetadata


def _load(
    envelope: Mapping[str, Any] | str | bytes,
    type_prefix: str | None,
    unknown: Unknown,
    reads: Reading,
) -> _Loaded:
    """Read an envelope into its payload and metadata (raises if unreadable)."""
    attributes = _parse(envelope)
    read = _read(attributes, type_prefix, reads=reads)
    return _Loaded(attributes, read.payload(unknown), read.metadata)


def _deliver(
    loaded: _Loaded,
    *,
    seen: SeenStore | None,
    sender: Any,
    destination: str | None = None,
) -> Any:
    """Deliver a read payload unless *seen* has it; remember it once delivered.

    With tracing, the delivery continues the envelope's trace, in a consumer
    span named after *destination* (else the event).
    """
    traced = tracing.active
    if traced is None:
        return _deliver_once(loaded.payload, loaded.metadata, seen, sender)
    with traced.consuming(loaded.attributes, loaded.metadata, destination):
        return _deliver_once(loaded.payload, loaded.metadata, seen, sender)


def _deliver_once(
    payload: Any, metadata: EventMetadata, seen: SeenStore | None, sender: Any
) -> Any:
    begin = getattr(seen, "begin", None)
    if seen is not None:
        state = begin(metadata.id) if begin is not None else None
        if state == "busy":
            raise DeliveryInProgressError(metadata.event, metadata.id)
        if state == "done" or (state is None and metadata.id in seen):
            logger.info(
                "skipped duplicate %r (id %s)",
                metadata.event,
                metadata.id,
                extra={"event_name": metadata.event, "event_id": str(metadata.id)},
            )
            return None
    _received.add(metadata.id)
    # The id is remembered only once the event was really delivered: not when
    # it was muted, nor when the deferred() block it was queued in failed.
    try:
        deliver(
            route_for_type(type(payload)),
            payload,
            sender,
            None,
            metadata,
            after=None if seen is None else lambda: seen.add(metadata.id),
        )
    except BaseException:
        release = getattr(seen, "release", None)
        if begin is not None and release is not None:
            release(metadata.id)  # let a redelivery try again at once
        raise
    return payload
