"""The shops' transactional outbox: ``order_placed`` for the workers.

Each shop forwards ``OrderPlaced`` to an outbox table, written in the same
transaction as the order (here the order is kept in memory, so the transaction
holds only the row), and a relay moves the rows to the workers' broker::

    python -m commerce_events relay --redis redis://localhost:6379/0 \\
        --database sqlite:///$TMPDIR/commerce_events_shop_outbox.sqlite3
    python examples/shops/manage.py commerce_events_relay --forwarder my.broker:app

Flask and FastAPI write through SQLAlchemy (an SQLite file); Django through
its ORM, in ``transaction.atomic``.
"""

# Django ships no type information.
# mypy: disable-error-code="import-untyped"
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from commerce_events import OrderPlaced
from commerce_events.forwarding import Forwarder, Forwarding, forward
from commerce_events.serialization import register_identity

DATABASE = os.environ.get(
    "SHOP_OUTBOX_DATABASE",
    f"sqlite:///{Path(tempfile.gettempdir()) / 'commerce_events_shop_outbox.sqlite3'}",
)
"""The Flask and FastAPI shops' outbox database (SQLAlchemy URL)."""

_transaction: Callable[[], AbstractContextManager[Any]] = nullcontext
_forwarding: Forwarding | None = None
_close: Callable[[], None] | None = None


def order_transaction() -> AbstractContextManager[Any]:
    """The transaction an order is placed in: its event's row commits with it."""
    return _transaction()


def _user_identity(user: Any) -> object:
    return getattr(user, "pk", None) or user.email


def _wire(
    to: Forwarder,
    transaction: Callable[[], AbstractContextManager[Any]],
    close: Callable[[], None] | None = None,
) -> None:
    global _forwarding, _transaction, _close  # noqa: PLW0603 - the shop's one outbox
    if _forwarding is not None:
        _forwarding.cancel()  # wired again (a second app, Django's ready())
    if _close is not None:
        _close()  # the previous app's database connections
    # Orders are identified by their number, customers by their e-mail
    # (Django's users by their primary key).
    register_identity("order", dump=lambda order: order.number)
    register_identity("user", dump=_user_identity)
    _forwarding = forward(OrderPlaced, to=to, source="/shop/web")
    _transaction = transaction
    _close = close


def wire_sqlalchemy(url: str | None = None) -> Any:
    """Forward ``OrderPlaced`` to an outbox table through SQLAlchemy.

    Returns:
        The outbox's engine and table, as ``(engine, table)``.
    """
    import sqlalchemy as sa
    from sqlalchemy.orm import scoped_session, sessionmaker

    from commerce_events.outbox.sqlalchemy import SQLAlchemyOutbox, outbox_table

    engine = sa.create_engine(url or DATABASE)
    metadata = sa.MetaData()
    table = outbox_table(metadata)
    metadata.create_all(engine)
    session = scoped_session(sessionmaker(engine))

    def close() -> None:
        session.remove()
        engine.dispose()

    _wire(SQLAlchemyOutbox(table, session), session.begin, close)
    return engine, table


def wire_django() -> None:
    """Forward ``OrderPlaced`` to the Django app's outbox, in ``atomic`` blocks."""
    from django.db import transaction

    from commerce_events.contrib.django.outbox import DjangoOutbox

    _wire(DjangoOutbox(), transaction.atomic)
