"""The Django outbox: model, migration, forwarder, store and management command.

Against the example shop's SQLite test database (migrated by Django's own test
database creation, so the app's migration runs) and a real PostgreSQL
(``postgres_url``), added as the database alias ``"pg"``.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("django", reason="Django is not installed")

import sqlalchemy as sa
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections, transaction

from commerce_events import EventMetadata, OrderPlaced, emit, subscribe, unsubscribe
from commerce_events.forwarding import forward
from commerce_events.outbox import Relay
from commerce_events.serialization import register_identity

Messages: Any = None  # the model: imported once Django is set up
DjangoOutbox: Any = None
DjangoOutboxStore: Any = None


@pytest.fixture(autouse=True)
def _models(django_db: None) -> None:
    global Messages, DjangoOutbox, DjangoOutboxStore  # noqa: PLW0603
    from commerce_events.contrib.django import outbox
    from commerce_events.contrib.django.models import OutboxMessage

    Messages = OutboxMessage
    DjangoOutbox, DjangoOutboxStore = outbox.DjangoOutbox, outbox.DjangoOutboxStore


class Order:
    def __init__(self, number: str) -> None:
        self.pk = number


class ListForwarder:
    """Keeps what it is sent (the relay's broker in these tests)."""

    destination = "a list"
    sent: list[Any] = []  # noqa: RUF012 - the command builds its own instance

    def __init__(self) -> None:
        ListForwarder.sent = self.sent = []

    def send(self, envelope: Any, /) -> None:
        self.sent.append(envelope)


@pytest.fixture(params=["default", "pg"])
def using(request: pytest.FixtureRequest, django_db: None) -> Iterator[str]:
    """A database alias with the outbox migrated and empty: SQLite, then PostgreSQL."""
    register_identity("order", load=Order)
    alias: str = request.param
    if alias == "pg" and "pg" not in connections.settings:
        url = sa.make_url(request.getfixturevalue("postgres_url"))
        connections.settings.update(
            connections.configure_settings(
                {
                    "default": dict(connections.settings["default"]),
                    "pg": {
                        "ENGINE": "django.db.backends.postgresql",
                        "NAME": url.database,
                        "USER": url.username,
                        "HOST": url.host,
                        "PORT": url.port,
                    },
                }
            )
        )
        call_command("migrate", "commerce_events", database="pg", verbosity=0)
    Messages.objects.using(alias).all().delete()
    yield alias
    Messages.objects.using(alias).all().delete()
    connections.close_all()


def place_orders(using: str, count: int, *, fail: bool = False) -> list[str]:
    """Emit OrderPlaced *count* times in one ``atomic`` block; return the ids."""
    ids: list[str] = []

    def record(payload: Any, metadata: EventMetadata) -> None:
        ids.append(str(metadata.id))

    subscribe(OrderPlaced, record, with_metadata=True)
    try:
        with forward(OrderPlaced, to=DjangoOutbox(using)), transaction.atomic(using):
            for number in range(count):
                emit(OrderPlaced(order=Order(str(number))))
            if fail:
                raise RuntimeError("payment declined")
    except RuntimeError:
        pass
    finally:
        unsubscribe(OrderPlaced, record)
    return ids


class TestDjangoOutbox:
    def test_commits_with_the_atomic_block(self, using):
        ids = place_orders(using, 3)
        rows = list(Messages.objects.using(using).order_by("id"))
        assert ids == [row.event_id for row in rows]
        assert {"order": "0", "user": None} == json.loads(rows[0].envelope)["data"]
        assert "io.commerce-events.order_placed.v1" == rows[0].type
        assert "io.commerce-events.order_placed.v1 " + ids[0] == str(rows[0])

    def test_rolls_back_with_the_atomic_block(self, using):
        ids = place_orders(using, 3, fail=True)
        assert 3 == len(ids)
        assert 0 == Messages.objects.using(using).count()

    def test_relay(self, using):
        """Batches in order; rows deleted once sent; lag before and after."""
        ids = place_orders(using, 5)
        store = DjangoOutboxStore(using)
        assert 5 == store.lag().pending
        target = ListForwarder()
        relay = Relay(store, target, batch=2)
        assert [2, 2, 1, 0] == [relay.run_once() for _ in range(4)]
        assert ids == [envelope["id"] for envelope in target.sent]
        assert "0 rows pending" == str(store.lag())

    # PostgreSQL only: the shop's SQLite test database lives in memory, where
    # a second connection gets "table is locked" at once instead of waiting.
    @pytest.mark.parametrize("using", ["pg"], indirect=True)
    def test_concurrent_batches_take_different_rows(self, using):
        """SKIP LOCKED: a second relay meanwhile gets the next rows."""
        place_orders(using, 4)
        store = DjangoOutboxStore(using)
        other: list[list[int]] = []
        with store.batch(2) as first:
            taken = [row.id for row in first.rows]

            def second() -> None:
                with store.batch(2) as batch:
                    other.append([row.id for row in batch.rows])
                    batch.delete(other[0])
                connections.close_all()

            thread = threading.Thread(target=second)
            thread.start()
            thread.join(timeout=10)
            first.delete(taken)
        thread.join(timeout=10)
        assert 1 == len(other)
        assert 2 == len(other[0])
        assert not set(taken) & set(other[0])

    def test_destination_and_repr(self, using):
        assert f"outbox table 'commerce_events_outbox' of {using!r}" == (
            DjangoOutbox(using).destination
        )
        assert f"<DjangoOutbox {using!r}>" == repr(DjangoOutbox(using))
        assert f"<DjangoOutboxStore {using!r}>" == repr(DjangoOutboxStore(using))


class TestCommand:
    def test_relays_once(self, using):
        ids = place_orders(using, 3)
        out = io.StringIO()
        call_command(
            "commerce_events_relay",
            "--forwarder",
            f"{__name__}:ListForwarder",
            "--database",
            using,
            "--once",
            stdout=out,
        )
        assert "relayed 3 rows" in out.getvalue()
        assert ids == [envelope["id"] for envelope in ListForwarder.sent]

    def test_lag(self, using):
        place_orders(using, 2)
        out = io.StringIO()
        call_command("commerce_events_relay", "--lag", "--database", using, stdout=out)
        assert out.getvalue().startswith("2 rows pending, oldest ")

    def test_errors(self, using):
        with pytest.raises(CommandError, match="--forwarder MODULE:NAME is required"):
            call_command("commerce_events_relay", "--database", using)
        with pytest.raises(CommandError, match="expected module:attribute"):
            call_command("commerce_events_relay", "--forwarder", "nothing")
        with pytest.raises(CommandError, match="is not a forwarder"):
            call_command("commerce_events_relay", "--forwarder", "json:decoder")


def test_migration_matches_the_model(django_db):
    """The shipped migration is the model's: makemigrations finds nothing to add."""
    call_command(
        "makemigrations", "commerce_events", "--check", "--dry-run", verbosity=0
    )
