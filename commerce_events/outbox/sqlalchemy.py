"""The outbox with SQLAlchemy, for Flask, FastAPI and plain applications.

Needs the ``sqlalchemy`` extra (``postgres`` adds psycopg).

Add the table to your metadata (so ``metadata.create_all`` and Alembic's
autogenerate know it), and forward events to it through your session::

    from sqlalchemy.orm import scoped_session, sessionmaker
    from commerce_events import OrderPlaced
    from commerce_events.forwarding import forward
    from commerce_events.outbox.sqlalchemy import SQLAlchemyOutbox, outbox_table

    outbox = outbox_table(Base.metadata)
    Session = scoped_session(sessionmaker(engine))
    forward(OrderPlaced, to=SQLAlchemyOutbox(outbox, Session))

    with Session.begin():             # the order's transaction
        Session.add(order)
        emit(OrderPlaced(order=order))  # the row commits (or not) with the order

In another process, relay the rows to the broker::

    python -m commerce_events relay --database postgresql+psycopg://shop@db/shop \\
        --redis redis://broker:6379/0 --stream shop-events

or from Python, with :class:`~commerce_events.outbox.Relay` and
:class:`SQLAlchemyOutboxStore`. SQLite works with no setup (one relay at a
time: SQLite locks the whole database for a writer); PostgreSQL (extra
``postgres``) lets several relays share the work.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

try:
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.dml import ReturningDelete
except ImportError as _exc:  # pragma: no cover - depends on the installation
    msg = (
        "commerce_events.outbox.sqlalchemy needs SQLAlchemy: install the "
        "sqlalchemy extra, pip install 'commerce-events[sqlalchemy]'"
    )
    raise ImportError(msg) from _exc

from ..forwarding import _dumps_envelope as dumps_envelope
from . import DEFAULT_TABLE, Lag, OutboxBatch, OutboxRow

__all__ = ["SQLAlchemyOutbox", "SQLAlchemyOutboxStore", "outbox_table"]


def outbox_table(
    metadata: sa.MetaData, name: str = DEFAULT_TABLE, *, schema: str | None = None
) -> sa.Table:
    """Define the outbox table in *metadata*.

    Columns: ``id`` (the relay order), ``event_id``, ``type``, ``envelope``
    (JSON text) and ``created``; the same as the Django model's, so one relay
    reads either.

    Args:
        metadata: Your application's metadata.
        name: The table's name.
        schema: The table's schema (PostgreSQL), if not the default one.
    """
    return sa.Table(
        name,
        metadata,
        sa.Column(
            "id",
            # SQLite only autoincrements an INTEGER PRIMARY KEY.
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(255), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        schema=schema,
    )


def _row_columns(table: sa.Table) -> tuple[sa.Column[Any], ...]:
    c = table.c
    return (c.id, c.event_id, c.type, c.envelope, c.created)


def _row_values(envelope: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "event_id": str(envelope["id"]),
        "type": str(envelope["type"]),
        "envelope": dumps_envelope(envelope),
        "created": dt.datetime.now(dt.UTC),
    }


class SQLAlchemyOutbox:
    """A forwarder that writes envelopes to the outbox, in your transaction.

    Args:
        table: The outbox table (:func:`outbox_table`).
        session: Where to write: a :class:`~sqlalchemy.orm.Session` or
            :class:`~sqlalchemy.engine.Connection`, or a callable returning the
            current one (a ``scoped_session``, Flask-SQLAlchemy's
            ``db.session``, a function reading your request's session). The row
            is part of that session's transaction: it is written when the
            transaction commits, and never if it rolls back.
    """

    def __init__(
        self,
        table: sa.Table,
        session: Session | Connection | Callable[[], Session | Connection],
    ) -> None:
        self.table = table
        self.session = session
        self._insert = sa.insert(table)

    @property
    def destination(self) -> str:
        """Where envelopes go, for errors and logs."""
        return f"outbox table {self.table.fullname!r}"

    def _target(self) -> Session | Connection:
        session = self.session
        if isinstance(session, (Session, Connection)):
            return session
        return session()

    def send(self, envelope: Mapping[str, Any], /) -> None:
        """Insert *envelope* as a row, in the current transaction."""
        self._target().execute(self._insert, _row_values(envelope))

    def __repr__(self) -> str:
        return f"<SQLAlchemyOutbox {self.table.fullname!r}>"


class _Batch:
    """Rows selected and locked; ``delete`` deletes the accepted ones."""

    __slots__ = ("_connection", "_table", "rows")

    def __init__(
        self, connection: Connection, table: sa.Table, rows: Sequence[OutboxRow]
    ) -> None:
        self._connection = connection
        self._table = table
        self.rows = rows

    def delete(self, ids: Sequence[int], /) -> None:
        self._connection.execute(
            sa.delete(self._table).where(self._table.c.id.in_(ids))
        )


class _TakenBatch:
    """Rows already deleted in the transaction; ``delete`` confirms them.

    Taking a batch is one ``DELETE ... RETURNING`` instead of a ``SELECT``
    and a ``DELETE``: half the statements, on the relay's busiest path.
    """

    __slots__ = ("confirmed", "rows")

    def __init__(self, rows: Sequence[OutboxRow]) -> None:
        self.rows = rows
        self.confirmed: list[int] = []

    def delete(self, ids: Sequence[int], /) -> None:
        self.confirmed.extend(ids)

    def complete(self) -> bool:
        """Whether every row taken was confirmed (the usual pass)."""
        return len(set(self.confirmed)) == len(self.rows)


class _GiveBack(Exception):  # noqa: N818 - a signal to roll back, not an error
    """Rolls a taken batch back: every row is in the outbox again."""


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite keeps no time zone: the rows were written in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _outbox_rows(result: Iterable[Sequence[Any]]) -> list[OutboxRow]:
    """Rows of :func:`_row_columns`, as OutboxRows, in their order."""
    rows = [
        OutboxRow(pk, event_id, kind, envelope, _utc(created))
        for pk, event_id, kind, envelope, created in result
    ]
    # DELETE ... RETURNING promises no order.
    rows.sort(key=_by_id)
    return rows


_by_id: Final = operator.attrgetter("id")


class SQLAlchemyOutboxStore:
    """The outbox, as a relay reads it through SQLAlchemy.

    Each batch is one transaction that takes its rows:

    - PostgreSQL: ``DELETE ... WHERE id = ANY(ARRAY(SELECT ... FOR UPDATE
      SKIP LOCKED)) RETURNING``, so concurrent relays take different rows,
      and the deletion commits only once the broker accepted the batch;
    - SQLite (3.35 or later): ``DELETE ... RETURNING``, which takes the
      database's write lock first, so relays take turns;
    - other databases: ``SELECT ... FOR UPDATE SKIP LOCKED``, then a
      ``DELETE`` of the rows the broker accepted.

    When the broker refuses part of a batch taken with ``DELETE ...
    RETURNING``, the take is rolled back (nothing is written back: no
    trigger, identity or cascade sees it) and the rows the broker accepted
    are deleted in a transaction of their own.

    Args:
        engine: The database's engine.
        table: The outbox table (:func:`outbox_table`).
    """

    def __init__(self, engine: Engine, table: sa.Table) -> None:
        self.engine = engine
        self.table = table
        dialect = engine.dialect.name
        self._postgres = dialect == "postgresql"
        self._lock_sqlite = dialect == "sqlite"
        oldest = sa.select(table.c.id).order_by(table.c.id).limit(sa.bindparam("limit"))
        self._select = (
            sa.select(*_row_columns(table))
            .order_by(table.c.id)
            .limit(sa.bindparam("limit"))
            .with_for_update(skip_locked=True)
        )
        self._take: ReturningDelete[Any] | None = None
        if self._postgres:
            # ANY(ARRAY(subquery)): the ids are computed once, then found
            # through the primary key, whatever the planner's statistics say.
            locked = oldest.with_for_update(skip_locked=True).scalar_subquery()
            self._take = (
                sa.delete(table)
                .where(table.c.id == sa.any_(sa.func.array(locked)))
                .returning(*_row_columns(table))
            )
        elif self._lock_sqlite and engine.dialect.delete_returning:
            self._take = (
                sa.delete(table)
                .where(table.c.id.in_(oldest.scalar_subquery()))
                .returning(*_row_columns(table))
            )

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            if self._postgres:
                # Losing this commit in a server crash only sends the batch
                # again (consumers drop duplicates): no need to wait for the
                # WAL flush, which would cost more than the batch itself.
                connection.execute(sa.text("SET LOCAL synchronous_commit = off"))
            yield connection

    @contextmanager
    def batch(self, limit: int, /) -> Iterator[OutboxBatch]:
        """Take the oldest *limit* rows (see :meth:`.OutboxStore.batch`)."""
        if self._take is None:
            with self._transaction() as connection:
                if self._lock_sqlite:
                    # A write first, so that this transaction holds SQLite's
                    # write lock before it reads: two relays cannot read the
                    # same rows.
                    connection.execute(sa.delete(self.table).where(sa.false()))
                result = connection.execute(self._select, {"limit": limit})
                yield _Batch(connection, self.table, _outbox_rows(result))
            return
        taken = _TakenBatch(())
        try:
            with self._transaction() as connection:
                result = connection.execute(self._take, {"limit": limit})
                taken = _TakenBatch(_outbox_rows(result))
                yield taken
                if not taken.complete():
                    raise _GiveBack
        except _GiveBack:
            # The broker refused part of the batch: the take is rolled back,
            # and the rows it accepted are deleted on their own. (Should this
            # relay die in between, or another take them first, they are sent
            # again: at least once.)
            if taken.confirmed:
                with self._transaction() as connection:
                    _Batch(connection, self.table, ()).delete(taken.confirmed)

    def lag(self) -> Lag:
        """How many rows wait, and the age of the oldest."""
        query = sa.select(sa.func.count(), sa.func.min(self.table.c.created))
        with self.engine.connect() as connection:
            pending, oldest = connection.execute(query).one()
        if not pending or oldest is None:
            return Lag(0, None)
        age = dt.datetime.now(dt.UTC) - _utc(oldest)
        return Lag(pending, max(age, dt.timedelta(0)))

    def __repr__(self) -> str:
        return f"<SQLAlchemyOutboxStore {self.table.fullname!r} on {self.engine.url!r}>"
