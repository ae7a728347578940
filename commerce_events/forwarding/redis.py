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
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs

try:
    import redis.exceptions
except ImportError as _exc:  # pragma: no cover - depends on the installation
    msg = (
        "commerce_events.forwarding.redis needs redis-py: install the redis extra, "
        "pip install 'commerce-events[redis]'"
    )
    raise ImportError(msg) from _exc

from .._limits import printable
from .._upcasting import Reads, reading
from ..exceptions import DeliveryInProgressError, EnvelopeError
from . import DEFAULT_TIMEOUT, Backoff, SeenStore, _deliver, _load
from . import _dumps_envelope as dumps_envelope
from ._deadline import call_within

if TYPE_CHECKING:
    import redis as redis_module
    from redis.commands.core import Script

__all__ = [
    "DEAD_LETTER_REASON",
    "ENVELOPE_FIELD",
    "DeadLetter",
    "RedisSeenIds",
    "RedisStreamConsumer",
    "RedisStreamForwarder",
    "dead_letters",
    "redrive",
]

logger: Final = logging.getLogger("commerce_events.forwarding.redis")

ENVELOPE_FIELD: Final = "envelope"
"""The stream entries' field holding the envelope (as JSON).
"""


# Appends ARGV[2..] to the stream KEYS[1] as envelope fields, in order;
# ARGV[1] is MAXLEN (0: no trimming). One command for a whole relay batch.
_APPEND_SCRIPT: Final = f"""
local maxlen = tonumber(ARGV[1])
for i = 2, #ARGV do
  if maxlen > 0 then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', '{ENVELOPE_FIELD}', ARGV[i])
  else
    redis.call('XADD', KEYS[1], '*', '{ENVELOPE_FIELD}', ARGV[i])
  end
end
return #ARGV - 1
"""


def _scripts_refusal(error: redis.exceptions.ResponseError) -> str | None:
    """Why the server refuses to run scripts at all, or None for another error.

    An ACL without EVALSHA says NOPERM naming the command (a NOPERM for the
    stream's key is the batch's failure); a server or proxy without scripting
    says the command is unknown. Errors of the XADDs themselves (OOM,
    WRONGTYPE) are the batch's failure too.
    """
    message = str(error).lower()
    if isinstance(error, redis.exceptions.NoPermissionError) and (
        "'eval" in message or "'script" in message
    ):
        return "no permission to run scripts"
    if message.startswith("unknown command") and (
        "'eval" in message or "'script" in message
    ):
        return "scripts unknown to the server"
    return None


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisStreamForwarder:
    """Appends each envelope to a Redis stream (``XADD``).

    Args:
        client: A :class:`redis.Redis` client. Give it timeouts and few
            retries (``socket_timeout=2, socket_connect_timeout=2,
            retry=Retry(NoBackoff(), 1)``): redis-py's defaults retry a dead
            server for seconds.
        stream: The stream's key.
        maxlen: Trim the stream to about this many entries (``MAXLEN ~``);
            default: never trim. Trimmed entries are gone even if a consumer
            group has not read them yet.
        timeout: The longest a send may block an emit, in seconds, whatever
            the client does (a frozen server): past it the send fails with a
            ``TimeoutError`` (the forwarding subscriber's
            :class:`~commerce_events.exceptions.ForwardingError`), though the
            entry may still arrive. None waits as long as the client does.

    .. versionchanged:: 0.2.0
       *timeout*.
    """

    def __init__(
        self,
        client: redis_module.Redis,
        stream: str,
        *,
        maxlen: int | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> None:
        if timeout is not None and not timeout > 0:
            msg = f"timeout must be positive or None, got {timeout!r}"
            raise ValueError(msg)
        if maxlen is not None and (
            not isinstance(maxlen, int) or isinstance(maxlen, bool) or maxlen < 1
        ):
            msg = f"maxlen must be a positive int or None, got {maxlen!r}"
            raise ValueError(msg)
        self.client = client
        self.stream = stream
        self.maxlen = maxlen
        self.timeout = timeout
        # Computes the script's SHA1 only: nothing is sent until a batch.
        self._script: Script = client.register_script(_APPEND_SCRIPT)
        self._scripts_refused = False

    @property
    def destination(self) -> str:
        """Where envelopes go, for errors and logs."""
        return f"redis stream {self.stream!r}"

    def send(self, envelope: Mapping[str, Any], /) -> None:
        """Append *envelope* (as JSON) to the stream, within *timeout*."""
        fields: dict[Any, Any] = {ENVELOPE_FIELD: dumps_envelope(envelope)}
        call_within(
            lambda: self.client.xadd(
                self.stream, fields, maxlen=self.maxlen, approximate=True
            ),
            self.timeout,
        )

    def send_many(self, envelopes: Sequence[Mapping[str, Any]], /) -> None:
        """Append *envelopes*, in order, in one round trip.

        Used by the outbox relay; see :meth:`send_json_many`.
        """
        self.send_json_many([dumps_envelope(e) for e in envelopes])

    def send_json_many(self, texts: Sequence[str], /) -> None:
        """Append envelopes already written as JSON, in order, in one command.

        The relay's way: outbox rows hold the envelopes as this forwarder
        writes them, so they go as they are, never parsed and written again.
        The batch is one server-side script (``EVALSHA``) running an ``XADD``
        per envelope: one command for the client to write and one reply to
        read, instead of one each per entry, and no other client's entries in
        between. A server that refuses scripts (an ACL without ``EVAL``, a
        proxy without scripting) gets a pipeline of ``XADD`` instead, from
        then on, logged once. A batch that fails midway (the server full, the
        connection lost) may have appended part of it: the relay sends the
        whole batch again (at least once).
        """
        if not texts:
            return
        call_within(lambda: self._append(texts), self.timeout)

    def _append(self, texts: Sequence[str]) -> None:
        if self._scripts_refused:
            self._append_in_pipeline(texts)
            return
        try:
            self._script(keys=[self.stream], args=[self.maxlen or 0, *texts])
        except redis.exceptions.ResponseError as exc:
            # The reason only: the server's message quotes the envelopes.
            refusal = _scripts_refusal(exc)
            if refusal is None:
                raise
            logger.warning(
                "redis refuses scripts (%s): batches for stream %r go in "
                "pipelines from now on",
                refusal,
                self.stream,
            )
            self._scripts_refused = True
            self._append_in_pipeline(texts)

    def _append_in_pipeline(self, texts: Sequence[str]) -> None:
        with self.client.pipeline(transaction=False) as pipeline:
            for text in texts:
                fields: dict[Any, Any] = {ENVELOPE_FIELD: text}
                pipeline.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)
            pipeline.execute()

    def __repr__(self) -> str:
        return f"<RedisStreamForwarder {self.stream!r}>"


class RedisSeenIds:
    """Event ids already delivered, shared by every consumer through Redis.

    Each id is a key (``<prefix><id>``) that expires after *ttl*, so the store
    stays bounded; a duplicate arriving later than that is delivered again.

    Consumers take an event before delivering it with one atomic command
    (``SET key pending NX PX lease GET``): if two consumers get the same entry
    (one reclaimed it from the other), only one delivers it; the other leaves
    the entry pending (:class:`~commerce_events.exceptions.DeliveryInProgressError`).
    A consumer that dies mid-delivery holds the event for *lease* at most.

    Args:
        client: A :class:`redis.Redis` client.
        prefix: The keys' prefix.
        ttl: How long an id is remembered.
        lease: How long a consumer may take to deliver an event before another
            one may deliver it instead.

    .. versionchanged:: 0.2.0
       Takes events atomically (*lease*).
    """

    def __init__(
        self,
        client: redis_module.Redis,
        *,
        prefix: str = "commerce_events:seen:",
        ttl: dt.timedelta = dt.timedelta(days=1),
        lease: dt.timedelta = dt.timedelta(minutes=5),
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.ttl = ttl
        self.lease = lease

    def __contains__(self, event_id: object, /) -> bool:
        return self.client.get(f"{self.prefix}{event_id}") == _DONE

    def begin(self, event_id: uuid.UUID, /) -> str:
        """Take *event_id* for delivery: ``"new"``, ``"done"`` or ``"busy"``."""
        previous = self.client.set(
            f"{self.prefix}{event_id}", _PENDING, nx=True, px=self.lease, get=True
        )
        if previous is None:
            return "new"
        return "done" if previous == _DONE else "busy"

    def release(self, event_id: uuid.UUID, /) -> None:
        """Give *event_id* up after a failed delivery (a retry may take it)."""
        self.client.delete(f"{self.prefix}{event_id}")

    def add(self, event_id: uuid.UUID, /) -> None:
        """Remember *event_id* as delivered, for *ttl*."""
        self.client.set(f"{self.prefix}{event_id}", _DONE, ex=self.ttl)

    def __repr__(self) -> str:
        return f"<RedisSeenIds {self.prefix!r}>"


_PENDING: Final = b"pending"
_DONE: Final = b"1"  # what 0.1 wrote: ids it remembered stay remembered

# Redis errors that pass: the server restarts, is full, is loading its data,
# times out. The consumer logs them and tries again after a backoff.
_TRANSIENT: Final = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class RedisStreamConsumer:
    """Reads envelopes from a stream in a consumer group and emits them.

    Every consumer group gets every entry; the consumers of one group share
    them. See the module documentation for acknowledgements, retries and the
    dead-letter stream.

    Args:
        client: A :class:`redis.Redis` client (RESP2 or RESP3).
        stream: The stream's key.
        group: The consumer group (created, with the stream, if missing).
        consumer: This consumer's name within the group.
        seen: Drop duplicates by event id.
        sender: The sender the subscribers see.
        type_prefix: The prefix the envelopes' ``type`` must have; default:
            :func:`~commerce_events.cloudevents.get_type_prefix`.
        reads: Older versions read as the class they are upcast to
            (``{OrderPlaced: {1, 2}}``); an envelope of a version not read is
            dead-lettered with the versions this consumer reads.
        batch: How many entries to read at a time.
        claim_idle_ms: Claim entries left pending (failed, or their consumer
            died) for this long; None never claims.
        max_deliveries: Attempts before an entry is dead-lettered.
        dead_letter: The dead-letter stream; default ``<stream>:dead``.
        backoff: The waits of :meth:`run` while Redis fails.

    .. versionchanged:: 0.2.0
       Survives Redis (:meth:`run`), reads its own pending entries first,
       claims with ``XAUTOCLAIM``, reads RESP3, dead-letters every unreadable
       entry with its fields and the reason.
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
        type_prefix: str | None = None,
        reads: Reads | None = None,
        batch: int = 10,
        claim_idle_ms: int | None = 60_000,
        max_deliveries: int = 5,
        dead_letter: str | None = None,
        backoff: Backoff | None = None,
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
        self._reading = reading(reads)
        self.batch = batch
        self.claim_idle_ms = claim_idle_ms
        self.max_deliveries = max_deliveries
        self.dead_letter: str = (
            dead_letter if dead_letter is not None else f"{stream}:dead"
        )
        self.backoff: Backoff = backoff if backoff is not None else Backoff()
        self._group_ready = False
        # On start, this consumer's own pending entries (delivered to it
        # before a crash or restart) come first: read from id 0 until none.
        self._own_pending = True
        self._claim_from = "0-0"

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

        First this consumer's own pending entries (after a start), then
        entries other consumers left pending for longer than *claim_idle_ms*
        (``XAUTOCLAIM``), then new ones. Failures of subscribers are logged
        (with the entry and event ids) and leave the entry pending; entries
        that cannot be read are dead-lettered. Errors of Redis itself are
        raised (:meth:`run` survives them); a missing group (``NOGROUP``) is
        created again.

        Returns:
            How many entries were handled (delivered, dropped as duplicates or
            dead-lettered).
        """
        try:
            return self._run_once(block_ms)
        except redis.exceptions.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            logger.warning(
                "the consumer group %r of redis stream %r is gone (%s); "
                "creating it again",
                self.group,
                self.stream,
                exc,
            )
            self._group_ready = False
            self._own_pending = True
            self.ensure_group()
            return 0

    def _run_once(self, block_ms: int | None) -> int:
        if not self._group_ready:
            self.ensure_group()
        if self._own_pending:
            entries = _entries(
                self.client.xreadgroup(
                    self.group, self.consumer, {self.stream: "0"}, count=self.batch
                )
            )
            if entries:
                return sum(self._handle_pending(e, fields) for e, fields in entries)
            self._own_pending = False
        handled = self._claim()
        response = self.client.xreadgroup(
            self.group,
            self.consumer,
            {self.stream: ">"},
            count=self.batch,
            block=block_ms,
        )
        for entry_id, fields in _entries(response):
            handled += self._handle(entry_id, fields)
        return handled

    def run(self, *, stop: threading.Event | None = None, block_ms: int = 1000) -> None:
        """Handle entries until *stop* is set (forever without one).

        Redis failing (connection lost, server restarting or full, timeouts)
        never ends the loop: each failure is logged (WARNING) and retried after
        the *backoff* waits; recovering is logged too.
        """
        if block_ms < 1:
            msg = "block_ms must be at least 1 (0 would block forever)"
            raise ValueError(msg)
        stop = stop if stop is not None else threading.Event()
        delays: Iterator[float] | None = None
        while not stop.is_set():
            try:
                self.run_once(block_ms=block_ms)
            except (*_TRANSIENT, redis.exceptions.ResponseError) as exc:
                # Entries read before the failure are pending for this
                # consumer: read them first again, rather than after
                # claim_idle_ms.
                self._own_pending = True
                if delays is None:
                    delays = self.backoff.delays()
                delay = next(delays)
                logger.warning(
                    "reading redis stream %r failed (%s: %s); retrying in %.1f s",
                    self.stream,
                    type(exc).__name__,
                    exc,
                    delay,
                )
                stop.wait(delay)
                continue
            if delays is not None:
                delays = None
                logger.info("reading redis stream %r again", self.stream)

    def _claim(self) -> int:
        if self.claim_idle_ms is None:
            return 0
        reply: Any = self.client.xautoclaim(
            self.stream,
            self.group,
            self.consumer,
            self.claim_idle_ms,
            start_id=self._claim_from,
            count=self.batch,
        )
        self._claim_from = _text(reply[0])
        claimed = [(entry_id, fields) for entry_id, fields in reply[1] if fields]
        if not claimed:
            return 0
        return sum(self._handle_pending(e, fields) for e, fields in claimed)

    def _handle_pending(self, entry_id: Any, fields: Any) -> int:
        """Handle an entry delivered before: dead-letter it after max_deliveries."""
        entry_id = _text(entry_id)
        if not fields:
            # Trimmed from the stream while pending: nothing to deliver.
            self.client.xack(self.stream, self.group, entry_id)
            return 1
        info: Any = self.client.xpending_range(
            self.stream, self.group, min=entry_id, max=entry_id, count=1
        )
        deliveries = int(info[0]["times_delivered"]) if info else 1
        if deliveries > self.max_deliveries:
            self._bury(
                entry_id,
                fields,
                f"not delivered after {deliveries - 1} attempts (see the "
                "consumer's log for each failure)",
            )
            return 1
        return self._handle(entry_id, fields)

    def _handle(self, entry_id: Any, fields: Mapping[Any, Any]) -> int:
        entry_id = _text(entry_id)
        raw = fields.get(ENVELOPE_FIELD, fields.get(ENVELOPE_FIELD.encode()))
        try:
            if raw is None:
                raise EnvelopeError({"<entry>": f"no {ENVELOPE_FIELD!r} field"})
            loaded = _load(raw, self.type_prefix, "ignore", self._reading)
        except Exception as exc:  # noqa: BLE001 - whatever it is, it is unreadable
            # RecursionError, MemoryError, EnvelopeError, PayloadError...:
            # never readable here, retrying cannot help.
            self._bury(entry_id, fields, f"{type(exc).__name__}: {exc}")
            return 1
        try:
            _deliver(
                loaded, seen=self.seen, sender=self.sender, destination=self.stream
            )
        except (*_TRANSIENT, redis.exceptions.ResponseError):
            # Redis itself (the seen ids) failed, not the subscribers (their
            # failures come as a SubscriberError): not the entry's fault.
            raise
        except DeliveryInProgressError as exc:
            logger.info(
                "%s; entry %s of redis stream %r stays pending",
                exc,
                entry_id,
                self.stream,
            )
            return 0
        except Exception:
            metadata = loaded.metadata
            logger.exception(
                "consuming %r (id %s) from redis stream %r (entry %s) failed; it "
                "stays pending and is retried",
                metadata.event,
                metadata.id,
                self.stream,
                entry_id,
                extra={
                    "event_name": metadata.event,
                    "event_id": str(metadata.id),
                    "entry_id": entry_id,
                },
            )
            return 0
        self.client.xack(self.stream, self.group, entry_id)
        return 1

    def _bury(self, entry_id: str, fields: Mapping[Any, Any], reason: str) -> None:
        # The dead letter keeps every field of the entry as it was, and says
        # where it came from and why it is here.
        dead: dict[Any, Any] = {**fields}
        dead.update(
            {
                DEAD_LETTER_REASON: reason[:_MAX_REASON],
                "dead:stream": self.stream,
                "dead:group": self.group,
                "dead:entry_id": entry_id,
            }
        )
        self.client.xadd(self.dead_letter, dead)
        self.client.xack(self.stream, self.group, entry_id)
        event, event_id = _describe(
            fields.get(ENVELOPE_FIELD, fields.get(ENVELOPE_FIELD.encode()))
        )
        logger.error(
            "moved %s (id %s), entry %s of redis stream %r, to %r: %s",
            event,
            event_id,
            entry_id,
            self.stream,
            self.dead_letter,
            printable(reason[:_MAX_REASON]),
            extra={"event_name": event, "event_id": event_id, "entry_id": entry_id},
        )

    def __repr__(self) -> str:
        return (
            f"<RedisStreamConsumer {self.stream!r} group={self.group!r} "
            f"consumer={self.consumer!r}>"
        )


DEAD_LETTER_REASON: Final = "dead:reason"
"""The dead letters' field saying why the entry is there.

Beside it, ``dead:stream``, ``dead:group`` and ``dead:entry_id`` say where it
came from; every other field is the original entry's.
"""

_MAX_REASON: Final = 2000  # characters of an exception message kept


@attrs.frozen
class DeadLetter:
    """An entry of a dead-letter stream (see :func:`dead_letters`).

    Attributes:
        id: The dead letter's entry id.
        stream: The stream the entry came from.
        entry_id: Its id there.
        reason: Why it was dead-lettered.
        fields: The original entry's fields.
    """

    id: str
    stream: str
    entry_id: str
    reason: str
    fields: Mapping[str, str]


def _dead_letter(entry_id: Any, raw: Mapping[Any, Any]) -> DeadLetter:
    fields = {_text(k): _text(v) for k, v in raw.items()}
    return DeadLetter(
        id=_text(entry_id),
        stream=fields.pop("dead:stream", ""),
        entry_id=fields.pop("dead:entry_id", ""),
        reason=fields.pop(DEAD_LETTER_REASON, fields.pop("error", "")),
        fields={k: v for k, v in fields.items() if k != "dead:group"},
    )


def dead_letters(
    client: redis_module.Redis, dead_letter: str, *, count: int = 100
) -> list[DeadLetter]:
    """The oldest *count* entries of a dead-letter stream."""
    reply: Any = client.xrange(dead_letter, count=count)
    return [_dead_letter(entry_id, fields) for entry_id, fields in reply]


def redrive(
    client: redis_module.Redis,
    dead_letter: str,
    ids: Iterable[str] | None = None,
) -> int:
    """Send dead letters back to their streams, as new entries; delete them here.

    Fix the cause first (deploy the consumer that reads them, or a fixed load
    hook). Each dead letter goes back with its original fields; it is removed
    from *dead_letter* once re-added.

    Args:
        client: A :class:`redis.Redis` client.
        dead_letter: The dead-letter stream.
        ids: The dead letters to send back; default: all of them.

    Returns:
        How many were sent back.
    """
    wanted = None if ids is None else set(ids)
    sent = 0
    start = "-"
    while True:
        reply: Any = client.xrange(dead_letter, min=start, count=100)
        if not reply:
            return sent
        for entry_id, raw in reply:
            letter = _dead_letter(entry_id, raw)
            if wanted is not None and letter.id not in wanted:
                continue
            if not letter.stream:
                continue  # not one of ours: it cannot say where it came from
            original: dict[Any, Any] = {**letter.fields}
            client.xadd(letter.stream, original)
            client.xdel(dead_letter, letter.id)
            sent += 1
        start = "(" + _text(reply[-1][0])


def _entries(response: Any) -> list[tuple[Any, Mapping[Any, Any]]]:
    """The (id, fields) entries of an XREADGROUP reply, RESP2 or RESP3."""
    if not response:
        return []
    streams = (
        response.values() if isinstance(response, dict) else (s for _, s in response)
    )
    return [entry for entries in streams for entry in _flat(entries)]


def _flat(entries: Any) -> Iterable[tuple[Any, Mapping[Any, Any]]]:
    # An entry is a pair (id, fields); RESP3 nests each stream's entries in
    # one more list (which may be empty).
    for item in entries:
        if len(item) == 2 and isinstance(item[0], (bytes, str)):  # noqa: PLR2004
            yield item
        else:
            yield from _flat(item)


def _describe(raw: object) -> tuple[str, str]:
    """Best-effort event type and id of a raw envelope, for logs."""
    try:
        envelope = json.loads(raw) if isinstance(raw, (str, bytes)) else None
    except Exception:  # noqa: BLE001 - RecursionError, MemoryError: unreadable
        envelope = None
    if not isinstance(envelope, dict):
        return "an unreadable entry", "?"
    return printable(repr(envelope.get("type", "?"))[:200]), printable(
        str(envelope.get("id", "?"))[:200]
    )
