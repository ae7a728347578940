"""The transactional outbox: events that commit (or roll back) with the order.

A forwarder that sends to a broker during the request can lose an event (the
broker is down: a logged failure is a lost event) or announce an order that
then rolls back. An *outbox forwarder* does neither: its ``send`` writes the
envelope as a row of an outbox table, in the caller's current database
transaction, so the row commits or rolls back with the order. A *relay*, in
another process, moves committed rows to the broker (any forwarder: Redis
Streams, Celery, your own) and deletes them once the broker accepted them.

- SQLAlchemy (Flask, FastAPI, plain): :mod:`commerce_events.outbox.sqlalchemy`
  (extra ``sqlalchemy``; ``postgres`` adds psycopg).
- Django: :mod:`commerce_events.contrib.django.outbox`, with its model and
  migration in the Django app.
- Relaying: :class:`Relay`, run by ``python -m commerce_events relay`` or
  ``manage.py commerce_events_relay``.

Delivery is at least once: a relay that dies after the broker accepted a
batch but before it deleted the rows sends that batch again, so consumers drop
duplicates by event id (``seen=``). Rows are sent in the order they were
written; several relays may run at once on PostgreSQL (each locks its batch
with ``FOR UPDATE SKIP LOCKED``, so no row is sent by two of them in one pass),
and then the order holds within each relay's batches only.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Final, Protocol, cast

import attrs

from ..forwarding import Backoff, Forwarder, destination_of

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_TABLE",
    "Lag",
    "OutboxBatch",
    "OutboxRow",
    "OutboxStore",
    "Relay",
]

logger: Final = logging.getLogger("commerce_events.outbox")

DEFAULT_TABLE: Final = "commerce_events_outbox"
"""The outbox table's name, in SQLAlchemy and Django alike.
"""

DEFAULT_BATCH: Final = 500
"""Rows a relay sends in one pass, unless told otherwise.

Each pass costs a transaction (with its commit) and a round trip to the
broker whatever its size, so small batches spend most of their time on those;
500 rows of envelopes are a few hundred kilobytes. A relay that dies mid-pass
sends that batch again (consumers drop duplicates by id).
"""


@attrs.frozen
class OutboxRow:
    """One row of the outbox: an envelope waiting for the broker.

    Attributes:
        id: The row's id; rows are relayed in this order.
        event_id: The envelope's ``id`` (the emit's id).
        type: The envelope's ``type``.
        envelope: The envelope, as JSON text.
        created: When the row was written (UTC).
    """

    id: int
    event_id: str
    type: str
    envelope: str
    created: dt.datetime


@attrs.frozen
class Lag:
    """How far behind a relay is.

    Attributes:
        pending: Rows not relayed yet.
        oldest: The age of the oldest of them (None when there is none).
    """

    pending: int
    oldest: dt.timedelta | None

    def __str__(self) -> str:
        if self.oldest is None:
            return "0 rows pending"
        age = self.oldest.total_seconds()
        return f"{self.pending} rows pending, oldest {age:.1f} s"


class OutboxBatch(Protocol):
    """Rows locked for one relay pass (see :meth:`OutboxStore.batch`)."""

    rows: Sequence[OutboxRow]

    def delete(self, ids: Sequence[int], /) -> None:
        """Delete these rows, in the batch's transaction."""
        ...


class OutboxStore(Protocol):
    """Where a relay reads the outbox: one per database library."""

    def batch(self, limit: int, /) -> AbstractContextManager[OutboxBatch]:
        """Lock the oldest *limit* unlocked rows in a transaction.

        Leaving the block without an exception commits (the rows deleted with
        ``batch.delete`` are gone); an exception rolls back.
        """
        ...

    def lag(self) -> Lag:
        """How many rows wait, and the age of the oldest."""
        ...


class Relay:
    """Moves outbox rows to a forwarder: in order, in batches, at least once.

    Each pass locks the oldest *batch* rows, hands their envelopes to the
    forwarder (its ``send_json_many(texts)`` or ``send_many(envelopes)`` when
    it has one, so a Redis forwarder sends a batch in one round trip, as the
    JSON text the rows hold; else ``send`` for each), and
    deletes the rows the broker accepted, in the same transaction. A send that
    fails leaves its row, and every row after it, for the next pass; the relay
    then waits (:class:`~commerce_events.forwarding.Backoff`) before trying
    again.

    Args:
        store: The outbox: a
            :class:`~commerce_events.outbox.sqlalchemy.SQLAlchemyOutboxStore` or
            :class:`~commerce_events.contrib.django.outbox.DjangoOutboxStore`.
        forwarder: Where the envelopes go.
        batch: How many rows one pass sends at most (:data:`DEFAULT_BATCH`).
        poll_interval: How long :meth:`run` waits when the outbox is empty, in
            seconds.
        backoff: The waits while the forwarder fails (default: 0.5 s,
            doubling, at most 30 s).
        log_interval: How often :meth:`run` logs its progress and lag, in
            seconds (INFO, on the ``commerce_events.outbox`` logger).
    """

    def __init__(
        self,
        store: OutboxStore,
        forwarder: Forwarder,
        *,
        batch: int = DEFAULT_BATCH,
        poll_interval: float = 1.0,
        backoff: Backoff | None = None,
        log_interval: float = 60.0,
    ) -> None:
        if not isinstance(batch, int) or batch < 1:
            msg = f"batch must be a positive int, got {batch!r}"
            raise ValueError(msg)
        if poll_interval <= 0 or log_interval <= 0:
            msg = "poll_interval and log_interval must be positive"
            raise ValueError(msg)
        self.store = store
        self.forwarder = forwarder
        self.batch = batch
        self.poll_interval = poll_interval
        self.backoff: Backoff = backoff if backoff is not None else Backoff()
        self.log_interval = log_interval
        self.sent: int = 0
        """Rows relayed by this relay since it was created."""
        # Optional methods of a forwarder, for whole batches.
        send_many = getattr(forwarder, "send_many", None)
        self._send_many = (
            cast("Callable[[Sequence[Mapping[str, Any]]], None]", send_many)
            if callable(send_many)
            else None
        )
        send_json = getattr(forwarder, "send_json_many", None)
        self._send_json = (
            cast("Callable[[Sequence[str]], None]", send_json)
            if callable(send_json)
            else None
        )

    def run_once(self) -> int:
        """Relay one batch; return how many rows it relayed.

        Raises:
            Exception: What the forwarder raised (the rows it did not accept
                stay in the outbox); errors of the database.
        """
        failure: Exception | None = None
        with self.store.batch(self.batch) as batch:
            rows = batch.rows
            if not rows:
                return 0
            accepted = 0
            try:
                if self._send_json is not None:
                    self._send_json([row.envelope for row in rows])
                    accepted = len(rows)
                elif self._send_many is not None:
                    self._send_many([json.loads(row.envelope) for row in rows])
                    accepted = len(rows)
                else:
                    for row in rows:
                        self.forwarder.send(json.loads(row.envelope))
                        accepted += 1
            except Exception as exc:  # noqa: BLE001 - raised after the commit
                failure = exc
            # Commit what the broker accepted even if a later send failed, so
            # that the next pass starts where this one stopped.
            if accepted:
                batch.delete([row.id for row in rows[:accepted]])
        self.sent += accepted
        if failure is not None:
            raise failure
        return accepted

    def lag(self) -> Lag:
        """How many rows wait, and the age of the oldest."""
        return self.store.lag()

    def run(self, stop: threading.Event | None = None) -> None:
        """Relay until *stop* is set (forever without one).

        Failures never end the loop: a failing forwarder (or database) is
        logged (WARNING) and retried after the *backoff* waits; the first
        pass that succeeds again is logged too. Setting *stop* ends the loop
        after the current pass: rows are never left half-relayed.
        """
        stop = stop if stop is not None else threading.Event()
        delays: Iterator[float] | None = None
        next_log = time.monotonic() + self.log_interval
        logger.info(
            "relaying the outbox to %s, %d rows a batch",
            destination_of(self.forwarder),
            self.batch,
        )
        while not stop.is_set():
            try:
                relayed = self.run_once()
            except Exception as exc:  # noqa: BLE001 - logged; the loop lives on
                if delays is None:
                    delays = self.backoff.delays()
                delay = next(delays)
                logger.warning(
                    "relaying to %s failed (%s: %s); retrying in %.1f s",
                    destination_of(self.forwarder),
                    type(exc).__name__,
                    exc,
                    delay,
                )
                stop.wait(delay)
                continue
            if delays is not None:
                delays = None
                logger.info("relaying to %s again", destination_of(self.forwarder))
            if time.monotonic() >= next_log:
                next_log = time.monotonic() + self.log_interval
                self._log_progress("relayed %d rows to %s; %s")
            if relayed < self.batch:
                stop.wait(self.poll_interval)
        self._log_progress("relay stopped after %d rows to %s; %s")

    def _log_progress(self, message: str) -> None:
        destination = destination_of(self.forwarder)
        try:
            lag = self.lag()
        except Exception as exc:  # noqa: BLE001 - progress is informational
            logger.info(message, self.sent, destination, f"lag unknown ({exc})")
            return
        logger.info(
            message,
            self.sent,
            destination,
            lag,
            extra={
                "pending": lag.pending,
                "oldest_seconds": None
                if lag.oldest is None
                else lag.oldest.total_seconds(),
            },
        )

    def __repr__(self) -> str:
        return f"<Relay to {destination_of(self.forwarder)}, batch {self.batch}>"
