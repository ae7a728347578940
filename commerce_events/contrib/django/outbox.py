# Django ships no type information; its objects are Any here.
# mypy: disable-error-code="import-untyped"
"""The outbox with Django: events that commit (or roll back) with the order.

Add ``"commerce_events.contrib.django"`` to ``INSTALLED_APPS`` and run
``manage.py migrate`` (it creates the ``commerce_events_outbox`` table), then
forward events to the outbox::

    from commerce_events import OrderPlaced, emit
    from commerce_events.forwarding import forward
    from commerce_events.contrib.django.outbox import DjangoOutbox

    forward(OrderPlaced, to=DjangoOutbox())

    with transaction.atomic():
        order = Order.objects.create(...)
        emit(OrderPlaced(order=order))  # the row commits (or not) with the order

and relay the table to the broker in another process, with a forwarder your
settings module (or any module) provides::

    python manage.py commerce_events_relay --forwarder myshop.events:broker

Rows are written with the ORM, on the database connection's current
transaction: inside ``atomic`` they commit with it; outside one (autocommit)
each row commits at once, like any other write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connections, transaction
from django.db.models import Count, Min
from django.utils import timezone

from ...forwarding import _dumps_envelope as dumps_envelope
from ...outbox import DEFAULT_TABLE, Lag, OutboxBatch, OutboxRow

_TABLE: str = DEFAULT_TABLE  # the model's db_table


def _model() -> Any:
    """The model, imported when first used (models need configured settings)."""
    from .models import OutboxMessage

    return OutboxMessage


__all__ = ["DjangoOutbox", "DjangoOutboxStore"]


class DjangoOutbox:
    """A forwarder that writes envelopes to the outbox, in the current transaction.

    Args:
        using: The database alias to write to.
    """

    def __init__(self, using: str = "default") -> None:
        self.using = using

    @property
    def destination(self) -> str:
        """Where envelopes go, for errors and logs."""
        return f"outbox table {_TABLE!r} of {self.using!r}"

    def send(self, envelope: Mapping[str, Any], /) -> None:
        """Insert *envelope* as a row, in the connection's current transaction."""
        _model().objects.using(self.using).create(
            event_id=str(envelope["id"]),
            type=str(envelope["type"]),
            envelope=dumps_envelope(envelope),
            created=timezone.now(),
        )

    def __repr__(self) -> str:
        return f"<DjangoOutbox {self.using!r}>"


class _Batch:
    __slots__ = ("rows", "using")

    def __init__(self, using: str, rows: Sequence[OutboxRow]) -> None:
        self.using = using
        self.rows = rows

    def delete(self, ids: Sequence[int], /) -> None:
        _model().objects.using(self.using).filter(id__in=ids).delete()


def _utc(value: dt.datetime) -> dt.datetime:
    # USE_TZ = False stores local naive times.
    return value if timezone.is_aware(value) else timezone.make_aware(value)


class DjangoOutboxStore:
    """The outbox, as a relay reads it through the Django ORM.

    Each batch is one ``atomic`` block that locks its rows
    (``select_for_update(skip_locked=True)`` on PostgreSQL, so concurrent
    relays take different rows; on SQLite the batch takes the database's write
    lock first, so relays take turns).

    Args:
        using: The database alias.
    """

    def __init__(self, using: str = "default") -> None:
        self.using = using

    @contextmanager
    def batch(self, limit: int, /) -> Iterator[OutboxBatch]:
        """Lock the oldest *limit* rows (see :meth:`.OutboxStore.batch`)."""
        atomic: Any = transaction.atomic
        with atomic(using=self.using):
            connection = connections[self.using]
            if connection.vendor == "postgresql":
                # Losing this commit in a server crash only sends the batch
                # again (consumers drop duplicates): no need to wait for the
                # WAL flush, which would cost more than the batch itself.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            if connection.vendor == "sqlite":
                # A write first, so that this transaction holds SQLite's write
                # lock before it reads: two relays cannot read the same rows.
                table = connection.ops.quote_name(_TABLE)
                with connection.cursor() as cursor:
                    cursor.execute(f"DELETE FROM {table} WHERE 1 = 0")  # noqa: S608 - a quoted model table name
            messages = (
                _model()
                .objects.using(self.using)
                .select_for_update(skip_locked=True)
                .order_by("id")[:limit]
            )
            rows = [
                OutboxRow(
                    id=message.id,
                    event_id=message.event_id,
                    type=message.type,
                    envelope=message.envelope,
                    created=_utc(message.created),
                )
                for message in messages
            ]
            yield _Batch(self.using, rows)

    def lag(self) -> Lag:
        """How many rows wait, and the age of the oldest."""
        found = (
            _model()
            .objects.using(self.using)
            .aggregate(pending=Count("id"), oldest=Min("created"))
        )
        if not found["pending"]:
            return Lag(0, None)
        age = timezone.now() - _utc(found["oldest"])
        return Lag(found["pending"], max(age, dt.timedelta(0)))

    def __repr__(self) -> str:
        return f"<DjangoOutboxStore {self.using!r}>"
