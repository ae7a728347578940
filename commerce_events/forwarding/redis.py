"""Forward events through Redis Streams (extra ``redis``).

In the web process, append every ``order_placed`` to a stream::

    import redis
    from commerce_events import OrderPlaced, forward
    from commerce_events.forwarding.redis import RedisStreamForwarder

    client = redis.Redis.from_url("redis://localhost:6379/0")
    forward(OrderPlaced, to=RedisStreamForwarder(client, "shop-events"))

In the worker, read the stream in a consumer group and emit what arrives on the
worker's bus::

    from commerce_events.forwarding.redis import RedisSeenIds, RedisStreamConsumer

    consumer = RedisStreamConsumer(
        client, "shop-events", group="mailer", consumer="mailer-1",
        seen=RedisSeenIds(client),
    )
    consumer.run()  # or consumer.run_once() from your own loop

Each entry has one field, ``envelope``: the CloudEvents envelope as JSON. The
consumer acknowledges (``XACK``) an entry once its subscribers succeeded. A
failed entry stays pending and is claimed again (``XCLAIM``) after
*claim_idle_ms*; after *max_deliveries* attempts, or at once if it cannot be an
event at all, it is moved to a dead-letter stream (``<stream>:dead``) with the
reason, and acknowledged.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

try:
    import redis.exceptions
except ImportError as _exc:  # pragma: no cover - depends on the installation
    msg = (
        "commerce_events.forwarding.redis needs redis-py: install the redis extra, "
        "pip install 'commerce-events[redis]'"
    )
    raise ImportError(msg) from _exc

from .._serialization_errors import EnvelopeError
from ..cloudevents import DEFAULT_TYPE_PREFIX
from . import SeenStore, consume_envelope
from . import _dumps_envelope as dumps_envelope

if TYPE_CHECKING:
    import redis as redis_module

__all__ = [
    "ENVELOPE_FIELD",
    "RedisSeenIds",
    "RedisStreamConsumer",
    "RedisStreamForwarder",
]

logger: Final = logging.getLogger("commerce_events.forwarding.redis")

ENVELOPE_FIELD: Final = "envelope"
"""The stream entries' field holding the envelope (as JSON).

.. versionadded:: 0.1.0
"""


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisStreamForwarder:
    """Appends each envelope to a Redis stream (``XADD``).

    Args:
        client: A :class:`redis.Redis` client.
        stream: The stream's key.
        maxlen: Trim the stream to about this many entries (``MAXLEN ~``);
            default: never trim. Trimmed entries are gone even if a consumer
            group has not read them yet.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self, client: redis_module.Redis, stream: str, *, maxlen: int | None = None
    ) -> None:
        self.client = client
        self.stream = stream
        self.maxlen = maxlen

    @property
    def destination(self) -> str:
        """Where envelopes go, for errors and logs."""
        return f"redis stream {self.stream!r}"

    def send(self, envelope: Mapping[str, Any], /) -> None:
        """Append *envelope* (as JSON) to the stream."""
        self.client.xadd(
            self.stream,
            {ENVELOPE_FIELD: dumps_envelope(envelope)},
            maxlen=self.maxlen,
            approximate=True,
        )

    def send_many(self, envelopes: Sequence[Mapping[str, Any]], /) -> None:
        """Append *envelopes*, in order, in one round trip (a pipeline).

        Used by the outbox relay. If it raises, any number of them may have
        been appended: the relay sends them all again (at least once).
        """
        with self.client.pipeline(transaction=False) as pipeline:
            for envelope in envelopes:
                pipeline.xadd(
                    self.stream,
                    {ENVELOPE_FIELD: dumps_envelope(envelope)},
                    maxlen=self.maxlen,
                    approximate=True,
                )
            pipeline.execute()

    def __repr__(self) -> str:
        return f"<RedisStreamForwarder {self.stream!r}>"


class RedisSeenIds:
    """Event ids already delivered, shared by every consumer through Redis.

    Each id is a key (``<prefix><id>``) that expires after *ttl*, so the store
    stays bounded; a duplicate arriving later than that is delivered again.

    Args:
        client: A :class:`redis.Redis` client.
        prefix: The keys' prefix.
        ttl: How long an id is remembered.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        client: redis_module.Redis,
        *,
        prefix: str = "commerce_events:seen:",
        ttl: dt.timedelta = dt.timedelta(days=1),
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.ttl = ttl

    def __contains__(self, event_id: object, /) -> bool:
        return bool(self.client.exists(f"{self.prefix}{event_id}"))

    def add(self, event_id: uuid.UUID, /) -> None:
        """Remember *event_id* for *ttl*."""
        self.client.set(f"{self.prefix}{event_id}", 1, ex=self.ttl)

    def __repr__(self) -> str:
        return f"<RedisSeenIds {self.prefix!r}>"


class RedisStreamConsumer:
    """Reads envelopes from a stream in a consumer group and emits them.

    Every consumer group gets every entry; the consumers of one group share
    them. See the module documentation for acknowledgements, retries and the
    dead-letter stream.

    Args:
        client: A :class:`redis.Redis` client.
        stream: The stream's key.
        group: The consumer group (created, with the stream, if missing).
        consumer: This consumer's name within the group.
        seen: Drop duplicates by event id.
        sender: The sender the subscribers see.
        type_prefix: The prefix the envelopes' ``type`` must have.
        batch: How many entries to read at a time.
        claim_idle_ms: Claim entries left pending (failed, or their consumer
            died) for this long; None never claims.
        max_deliveries: Attempts before an entry is dead-lettered.
        dead_letter: The dead-letter stream; default ``<stream>:dead``.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        client: redis_module.Redis,
        stream: str,
        group: str,
        consumer: str,
        *,
        seen: SeenStore | None = None,
        sender: Any = None,
        type_prefix: str = DEFAULT_TYPE_PREFIX,
        batch: int = 10,
        claim_idle_ms: int | None = 60_000,
        max_deliveries: int = 5,
        dead_letter: str | None = None,
    ) -> None:
        if batch < 1 or max_deliveries < 1:
            msg = "batch and max_deliveries must be at least 1"
            raise ValueError(msg)
        self.client = client
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.seen = seen
        self.sender = sender
        self.type_prefix = type_prefix
        self.batch = batch
        self.claim_idle_ms = claim_idle_ms
        self.max_deliveries = max_deliveries
        self.dead_letter: str = (
            dead_letter if dead_letter is not None else f"{stream}:dead"
        )
        self._group_ready = False

    def ensure_group(self) -> None:
        """Create the consumer group (and the stream) unless they exist.

        A new group starts at the beginning of the stream, so entries added
        before the first consumer started are not missed.
        """
        try:
            self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.exceptions.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def run_once(self, *, block_ms: int | None = None) -> int:
        """Handle the entries available now (waiting up to *block_ms* for some).

        First claims entries pending for longer than *claim_idle_ms*, then
        reads new ones. Failures are logged (with the entry and event ids) and
        leave the entry pending; they are never raised.

        Returns:
            How many entries were handled (delivered, dropped as duplicates or
            dead-lettered).
        """
        if not self._group_ready:
            self.ensure_group()
        handled = self._claim()
        response = self.client.xreadgroup(
            self.group,
            self.consumer,
            {self.stream: ">"},
            count=self.batch,
            block=block_ms,
        )
        for entry_id, fields in _entries(response):
            handled += self._handle(_text(entry_id), fields)
        return handled

    def run(self, *, stop: threading.Event | None = None, block_ms: int = 1000) -> None:
        """Handle entries until *stop* is set (forever without one)."""
        if block_ms < 1:
            msg = "block_ms must be at least 1 (0 would block forever)"
            raise ValueError(msg)
        while stop is None or not stop.is_set():
            self.run_once(block_ms=block_ms)

    def _claim(self) -> int:
        if self.claim_idle_ms is None:
            return 0
        pending: Any = self.client.xpending_range(
            self.stream,
            self.group,
            min="-",
            max="+",
            count=self.batch,
            idle=self.claim_idle_ms,
        )
        handled = 0
        for info in pending:
            entry_id = _text(info["message_id"])
            claimed: Any = self.client.xclaim(
                self.stream, self.group, self.consumer, self.claim_idle_ms, [entry_id]
            )
            if not claimed or not claimed[0][1]:
                # Trimmed from the stream while pending: nothing to deliver.
                self.client.xack(self.stream, self.group, entry_id)
                continue
            fields = claimed[0][1]
            if int(info["times_delivered"]) >= self.max_deliveries:
                self._bury(
                    entry_id,
                    fields,
                    f"failed {info['times_delivered']} deliveries",
                )
                handled += 1
            else:
                handled += self._handle(entry_id, fields)
        return handled

    def _handle(self, entry_id: str, fields: Mapping[Any, Any]) -> int:
        raw = fields.get(ENVELOPE_FIELD, fields.get(ENVELOPE_FIELD.encode()))
        try:
            if raw is None:
                raise EnvelopeError({"<entry>": f"no {ENVELOPE_FIELD!r} field"})
            consume_envelope(
                raw,
                seen=self.seen,
                sender=self.sender,
                type_prefix=self.type_prefix,
            )
        except EnvelopeError as exc:
            # Never readable here: retrying cannot help.
            self._bury(entry_id, fields, str(exc))
            return 1
        except Exception:
            event, event_id = _describe(raw)
            logger.exception(
                "consuming %s (id %s) from redis stream %r (entry %s) failed; it "
                "stays pending and is retried",
                event,
                event_id,
                self.stream,
                entry_id,
                extra={"event_name": event, "event_id": event_id, "entry_id": entry_id},
            )
            return 0
        self.client.xack(self.stream, self.group, entry_id)
        return 1

    def _bury(self, entry_id: str, fields: Mapping[Any, Any], reason: str) -> None:
        raw = fields.get(ENVELOPE_FIELD, fields.get(ENVELOPE_FIELD.encode(), b""))
        event, event_id = _describe(raw)
        self.client.xadd(
            self.dead_letter,
            {
                ENVELOPE_FIELD: raw,
                "error": reason,
                "stream": self.stream,
                "group": self.group,
                "entry_id": entry_id,
            },
        )
        self.client.xack(self.stream, self.group, entry_id)
        logger.error(
            "moved %s (id %s), entry %s of redis stream %r, to %r: %s",
            event,
            event_id,
            entry_id,
            self.stream,
            self.dead_letter,
            reason,
            extra={"event_name": event, "event_id": event_id, "entry_id": entry_id},
        )

    def __repr__(self) -> str:
        return (
            f"<RedisStreamConsumer {self.stream!r} group={self.group!r} "
            f"consumer={self.consumer!r}>"
        )


def _entries(response: Any) -> Iterable[tuple[Any, Mapping[Any, Any]]]:
    """The (id, fields) entries of an XREADGROUP reply, RESP2 or RESP3."""
    if not response:
        return ()
    streams = (
        response.values() if isinstance(response, dict) else (s for _, s in response)
    )
    return [entry for entries in streams for entry in _flat(entries)]


def _flat(entries: Any) -> Iterable[tuple[Any, Mapping[Any, Any]]]:
    # RESP3 nests one more list level per stream.
    for entry in entries:
        if entry and isinstance(entry[0], list):
            yield from entry
        else:
            yield entry


def _describe(raw: object) -> tuple[str, str]:
    """Best-effort event type and id of a raw envelope, for logs."""
    try:
        envelope = json.loads(raw) if isinstance(raw, (str, bytes)) else None
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict):
        return "an unreadable entry", "?"
    return repr(envelope.get("type", "?")), str(envelope.get("id", "?"))
