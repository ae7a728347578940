"""Tests for commerce_events.outbox.sqlalchemy: the outbox on SQLite files and PostgreSQL.

Every test runs against a real database: an SQLite file, and a PostgreSQL
cluster that the test run starts (see ``postgres_url`` in conftest.py). Relays
run as real processes (``python -m commerce_events relay``) where the test is
about processes: killed, stopped by SIGTERM, or two at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from commerce_events import EventMetadata, OrderPlaced, emit, subscribe, unsubscribe
from commerce_events.cloudevents import to_cloudevent
from commerce_events.forwarding import Backoff, forward
from commerce_events.forwarding.redis import (
    RedisSeenIds,
    RedisStreamConsumer,
    RedisStreamForwarder,
)
from commerce_events.outbox import DEFAULT_BATCH, Relay
from commerce_events.outbox.sqlalchemy import (
    SQLAlchemyOutbox,
    SQLAlchemyOutboxStore,
    outbox_table,
)
from commerce_events.serialization import register_identity

WAIT = 30.0  # seconds: the bound of every wait for another process or thread
ROOT = Path(__file__).resolve().parents[1]


class Order:
    """An order, as a shop's model: identified by its number."""

    def __init__(self, number: str) -> None:
        self.pk = number

    def __repr__(self) -> str:
        return f"Order({self.pk!r})"


@pytest.fixture(autouse=True)
def _identities() -> None:
    register_identity("order", load=Order)


@pytest.fixture(params=["sqlite", "sqlite-without-returning", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[sa.Engine, sa.Table]]:
    """An engine with an empty outbox table: an SQLite file, or PostgreSQL.

    ``sqlite-without-returning`` is SQLite as before 3.35 (no ``DELETE ...
    RETURNING``), so the store selects, then deletes: the path of the
    databases without RETURNING.
    """
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    engine = sa.create_engine(url)
    if request.param == "sqlite-without-returning":
        engine.dialect.delete_returning = False
    metadata = sa.MetaData()
    table = outbox_table(metadata)
    orders = sa.Table(
        "orders", metadata, sa.Column("number", sa.String(20), primary_key=True)
    )
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine, table
    metadata.drop_all(engine)
    engine.dispose()
    del orders


def rows(engine: sa.Engine, table: sa.Table) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(sa.select(table).order_by(table.c.id)))


def place_orders(
    engine: sa.Engine, table: sa.Table, numbers: range, *, commit: bool = True
) -> list[str]:
    """Place orders through a Session, each emitting OrderPlaced; return the event ids."""
    ids: list[str] = []

    def record(payload: Any, metadata: EventMetadata) -> None:
        ids.append(str(metadata.id))

    subscribe(OrderPlaced, record, with_metadata=True)
    factory = scoped_session(sessionmaker(engine))
    with forward(OrderPlaced, to=SQLAlchemyOutbox(table, factory)):
        session = factory()
        for number in numbers:
            session.execute(
                sa.text("INSERT INTO orders (number) VALUES (:n)"), {"n": str(number)}
            )
            emit(OrderPlaced(order=Order(str(number))))
        if commit:
            session.commit()
        else:
            session.rollback()
        factory.remove()
    unsubscribe(OrderPlaced, record)
    return ids


class TestOutboxForwarder:
    def test_commits_with_the_order(self, engine):
        """The envelope is a row of the order's transaction, written on commit."""
        engine, table = engine
        ids = place_orders(engine, table, range(3))

        found = rows(engine, table)
        assert ids == [row.event_id for row in found]
        assert ["io.commerce-events.order_placed.v1"] * 3 == [row.type for row in found]
        envelope = json.loads(found[0].envelope)
        assert {"order": "0", "user": None} == envelope["data"]
        assert ids[0] == envelope["id"]
        assert found[0].created.tzinfo is not None or engine.dialect.name == "sqlite"

    def test_rolls_back_with_the_order(self, engine):
        """A rolled-back order leaves no row: nothing is ever announced."""
        engine, table = engine
        ids = place_orders(engine, table, range(5), commit=False)
        assert 5 == len(ids)
        assert [] == rows(engine, table)
        with engine.connect() as connection:
            assert (
                0 == connection.execute(sa.text("SELECT count(*) FROM orders")).one()[0]
            )

    def test_through_a_connection(self, engine):
        """A Connection (Core) is written to in its transaction, like a Session."""
        engine, table = engine
        with (
            engine.connect() as connection,
            forward(OrderPlaced, to=SQLAlchemyOutbox(table, connection)),
        ):
            emit(OrderPlaced(order=Order("1")))
            connection.rollback()
            emit(OrderPlaced(order=Order("2")))
            connection.commit()
        assert [{"order": "2", "user": None}] == [
            json.loads(row.envelope)["data"] for row in rows(engine, table)
        ]

    def test_through_a_session(self, engine):
        """A Session given directly is used as is."""
        engine, table = engine
        with Session(engine) as session, session.begin():
            SQLAlchemyOutbox(table, session).send(
                {"id": "e-1", "type": "t", "data": {}}
            )
        assert ["e-1"] == [row.event_id for row in rows(engine, table)]

    def test_destination_and_repr(self, engine):
        engine, table = engine
        outbox = SQLAlchemyOutbox(table, lambda: Session(engine))
        assert "outbox table 'commerce_events_outbox'" == outbox.destination
        assert "<SQLAlchemyOutbox 'commerce_events_outbox'>" == repr(outbox)
        assert "commerce_events_outbox" in repr(SQLAlchemyOutboxStore(engine, table))


class ListForwarder:
    """Keeps what it is sent; fails while *down* is set."""

    destination = "a list"

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.down = False

    def send(self, envelope: Any, /) -> None:
        if self.down:
            raise ConnectionRefusedError("the broker is down")
        self.sent.append(envelope)


class FailsAfter(ListForwarder):
    """Accepts *n* envelopes, then fails."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def send(self, envelope: Any, /) -> None:
        if len(self.sent) == self.n:
            raise ConnectionRefusedError("the broker went down")
        super().send(envelope)


class BatchForwarder(ListForwarder):
    """Takes a batch at a time (send_many), as dicts."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def send(self, envelope: Any, /) -> None:
        raise AssertionError("send_many is preferred")

    def send_many(self, envelopes: Any, /) -> None:
        self.batches.append(len(envelopes))
        self.sent.extend(envelopes)


class TestStore:
    def test_batches_in_order(self, engine):
        """A pass sends the oldest rows first, then deletes them."""
        engine, table = engine
        ids = place_orders(engine, table, range(7))
        target = ListForwarder()
        relay = Relay(SQLAlchemyOutboxStore(engine, table), target, batch=3)

        assert [3, 3, 1, 0] == [relay.run_once() for _ in range(4)]
        assert ids == [envelope["id"] for envelope in target.sent]
        assert [] == rows(engine, table)
        assert 7 == relay.sent

    def test_batches_through_send_many(self, engine):
        """A forwarder with send_many gets each batch at once, as dicts."""
        engine, table = engine
        ids = place_orders(engine, table, range(5))
        target = BatchForwarder()
        relay = Relay(SQLAlchemyOutboxStore(engine, table), target, batch=3)
        while relay.run_once():
            pass
        assert [3, 2] == target.batches
        assert ids == [envelope["id"] for envelope in target.sent]

    def test_failed_send_keeps_the_rest(self, engine):
        """Rows the broker accepted are deleted; the failed one and later stay."""
        engine, table = engine
        ids = place_orders(engine, table, range(5))
        target = FailsAfter(2)
        relay = Relay(SQLAlchemyOutboxStore(engine, table), target, batch=5)

        with pytest.raises(ConnectionRefusedError):
            relay.run_once()
        assert ids[:2] == [envelope["id"] for envelope in target.sent]
        assert ids[2:] == [row.event_id for row in rows(engine, table)]
        target.n = 5
        assert 3 == relay.run_once()
        assert ids == [envelope["id"] for envelope in target.sent]

    def test_failed_batch_leaves_every_row_as_it_was(self, engine):
        """A broker refusing the whole batch: each row stays, id and time alike."""
        engine, table = engine
        place_orders(engine, table, range(4))
        before = rows(engine, table)
        target = ListForwarder()
        target.down = True
        relay = Relay(SQLAlchemyOutboxStore(engine, table), target, batch=3)

        with pytest.raises(ConnectionRefusedError):
            relay.run_once()
        assert before == rows(engine, table)
        target.down = False
        assert [3, 1] == [relay.run_once(), relay.run_once()]
        assert [row.event_id for row in before] == [e["id"] for e in target.sent]

    def test_batch_left_without_deleting(self, engine):
        """A store's batch keeps every row its user did not delete."""
        engine, table = engine
        place_orders(engine, table, range(5))
        before = rows(engine, table)
        store = SQLAlchemyOutboxStore(engine, table)
        with store.batch(4) as batch:
            assert [row.id for row in before[:4]] == [row.id for row in batch.rows]
            batch.delete([batch.rows[1].id])
        assert [before[0], *before[2:]] == rows(engine, table)
        with store.batch(4) as batch:
            pass
        assert [before[0], *before[2:]] == rows(engine, table)

    def test_lag(self, engine):
        """Rows pending, and the oldest one's age."""
        engine, table = engine
        store = SQLAlchemyOutboxStore(engine, table)
        assert "0 rows pending" == str(store.lag())
        assert store.lag().oldest is None
        place_orders(engine, table, range(4))
        lag = store.lag()
        assert 4 == lag.pending
        assert lag.oldest is not None
        assert 0 <= lag.oldest.total_seconds() < WAIT
        assert str(lag).startswith("4 rows pending, oldest ")

    def test_concurrent_batches_take_different_rows(self, engine):
        """A batch locks its rows: a second relay meanwhile gets other rows or waits."""
        engine, table = engine
        place_orders(engine, table, range(6))
        store = SQLAlchemyOutboxStore(engine, table)
        other: list[list[int]] = []
        with store.batch(3) as first:
            taken = [row.id for row in first.rows]

            def second() -> None:
                with store.batch(3) as batch:
                    other.append([row.id for row in batch.rows])
                    batch.delete([row.id for row in batch.rows])

            thread = threading.Thread(target=second)
            thread.start()
            thread.join(timeout=0.5 if engine.dialect.name == "sqlite" else WAIT)
            first.delete(taken)
        thread.join(timeout=WAIT)
        assert 1 == len(other)
        assert not set(taken) & set(other[0])
        assert 6 == len(taken) + len(other[0])


class TestRelayLoop:
    def test_backs_off_while_the_broker_is_down(self, engine, caplog):
        """A failing broker is logged and retried; nothing is lost."""
        engine, table = engine
        ids = place_orders(engine, table, range(4))
        target = ListForwarder()
        target.down = True
        relay = Relay(
            SQLAlchemyOutboxStore(engine, table),
            target,
            batch=2,
            poll_interval=0.01,
            backoff=Backoff(initial=0.01, maximum=0.05),
            log_interval=0.01,
        )
        stop = threading.Event()
        thread = threading.Thread(target=relay.run, args=(stop,))
        with caplog.at_level("INFO", logger="commerce_events.outbox"):
            thread.start()
            deadline = time.monotonic() + WAIT
            while "retrying in" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.01)
            assert 4 == len(rows(engine, table))
            target.down = False
            while len(target.sent) < 4 and time.monotonic() < deadline:
                time.sleep(0.01)
            stop.set()
            thread.join(timeout=WAIT)
        assert not thread.is_alive()
        assert ids == [envelope["id"] for envelope in target.sent]
        assert "ConnectionRefusedError: the broker is down" in caplog.text
        assert "relaying to a list again" in caplog.text
        assert "relay stopped after 4 rows to a list; 0 rows pending" in caplog.text

    def test_arguments_checked(self, engine):
        engine, table = engine
        store = SQLAlchemyOutboxStore(engine, table)
        with pytest.raises(ValueError, match="batch must be a positive int"):
            Relay(store, ListForwarder(), batch=0)
        with pytest.raises(ValueError, match="must be positive"):
            Relay(store, ListForwarder(), poll_interval=0)
        assert f"<Relay to a list, batch {DEFAULT_BATCH}>" == repr(
            Relay(store, ListForwarder())
        )


# -- real processes, a real broker -------------------------------------------------


def relay_command(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "commerce_events", "relay", "--database", url, *args]


def run_env(tmp_path: Path) -> dict[str, str]:
    """The environment of relay processes: the test's helper modules importable."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}


def consume_all(client: redis.Redis, stream: str) -> list[str]:
    """Deliver every entry of *stream* once through a consumer with seen ids; return the ids."""
    delivered: list[str] = []

    def record(payload: Any, metadata: EventMetadata) -> None:
        delivered.append(str(metadata.id))

    subscribe(OrderPlaced, record, with_metadata=True)
    consumer = RedisStreamConsumer(
        client, stream, "mailer", "mailer-1", seen=RedisSeenIds(client)
    )
    while consumer.run_once():
        pass
    return delivered


def stream_ids(client: redis.Redis, stream: str) -> list[str]:
    return [
        json.loads(fields[b"envelope"])["id"] for _, fields in client.xrange(stream)
    ]


class TestFaults:
    def test_orders_committed_while_the_broker_is_down(
        self, engine, redis_server, caplog
    ):
        """Broker down while 50 orders commit: after it returns, each arrives once."""
        engine, table = engine
        redis_server.stop()
        ids = place_orders(engine, table, range(50))  # the emits never touch Redis
        client = redis.Redis.from_url(redis_server.url, socket_timeout=5)
        relay = Relay(
            SQLAlchemyOutboxStore(engine, table),
            RedisStreamForwarder(client, "orders"),
            batch=20,
            poll_interval=0.01,
            backoff=Backoff(initial=0.05, maximum=0.2),
        )
        stop = threading.Event()
        thread = threading.Thread(target=relay.run, args=(stop,))
        with caplog.at_level("INFO", logger="commerce_events.outbox"):
            thread.start()
            deadline = time.monotonic() + WAIT
            while "retrying in" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.01)
            assert 50 == len(rows(engine, table))
            redis_server.start()
            while rows(engine, table) and time.monotonic() < deadline:
                time.sleep(0.05)
            stop.set()
            thread.join(timeout=WAIT)
        assert [] == rows(engine, table)
        assert ids == stream_ids(client, "orders")  # in order
        assert ids == consume_all(client, "orders")  # each once: 0 lost
        client.close()

    def test_relay_killed_mid_batch(self, engine, redis_server, tmp_path):
        """SIGKILL mid-batch: 0 lost; duplicates at most one batch, dropped by seen ids."""
        engine, table = engine
        ids = place_orders(engine, table, range(100))
        (tmp_path / "dying.py").write_text(
            textwrap.dedent(
                f"""
                import os, signal, redis
                from commerce_events.forwarding.redis import RedisStreamForwarder

                class Dying:
                    # Sends one by one, and dies after 37 envelopes: mid-batch.
                    def __init__(self):
                        self.inner = RedisStreamForwarder(
                            redis.Redis.from_url({redis_server.url!r}), "orders"
                        )
                        self.sent = 0

                    def send(self, envelope):
                        self.inner.send(envelope)
                        self.sent += 1
                        if self.sent == 37:
                            os.kill(os.getpid(), signal.SIGKILL)
                """
            )
        )
        url = engine.url.render_as_string(hide_password=False)
        killed = subprocess.run(
            relay_command(url, "--forwarder", "dying:Dying", "--batch", "25", "--once"),
            env=run_env(tmp_path),
            capture_output=True,
            timeout=WAIT,
            check=False,
        )
        assert -signal.SIGKILL == killed.returncode, killed.stderr
        client = redis.Redis.from_url(redis_server.url)
        assert 37 == client.xlen("orders")
        assert 100 - 25 == len(rows(engine, table))  # the first batch committed

        done = subprocess.run(
            relay_command(
                url, "--redis", redis_server.url, "--stream", "orders", "--once"
            ),
            env=run_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=True,
        )
        assert "relayed 75 rows" in done.stdout
        sent = stream_ids(client, "orders")
        duplicates = len(sent) - len(set(sent))
        assert 12 == duplicates  # rows 26-37, sent before the kill, again after
        assert set(ids) == set(sent)  # 0 lost
        assert ids == consume_all(client, "orders")  # duplicates dropped
        client.close()

    def test_stops_on_sigterm(self, engine, redis_server, tmp_path):
        """SIGTERM ends the relay loop cleanly (exit status 0, a last log line)."""
        engine, table = engine
        url = engine.url.render_as_string(hide_password=False)
        process = subprocess.Popen(
            relay_command(
                url,
                "--redis",
                redis_server.url,
                "--poll",
                "0.05",
                "--log-interval",
                "0.1",
            ),
            env=run_env(tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stderr is not None
            first = process.stderr.readline()
            assert "relaying the outbox to redis stream 'commerce-events'" in first
            ids = place_orders(engine, table, range(3))
            client = redis.Redis.from_url(redis_server.url)
            deadline = time.monotonic() + WAIT
            while client.xlen("commerce-events") < 3 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert ids == stream_ids(client, "commerce-events")
            client.close()
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=WAIT)
            err = process.stderr.read()
        finally:
            process.kill()
            process.wait(timeout=WAIT)
            process.stderr.close()
        assert 0 == process.returncode
        assert (
            "relay stopped after 3 rows to redis stream 'commerce-events'; "
            "0 rows pending"
        ) in err

    def test_lag_command(self, engine, tmp_path):
        engine, table = engine
        place_orders(engine, table, range(2))
        url = engine.url.render_as_string(hide_password=False)
        done = subprocess.run(
            relay_command(url, "--lag"),
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=True,
            env=run_env(tmp_path),
        )
        assert done.stdout.startswith("2 rows pending, oldest ")


def fill(engine: sa.Engine, table: sa.Table, count: int) -> None:
    """Write *count* rows at once, their event ids UUID(int=0) and up."""
    with engine.begin() as connection:
        connection.execute(
            sa.insert(table),
            [
                {
                    "event_id": str(uuid.UUID(int=n)),
                    "type": "io.commerce-events.order_placed.v1",
                    "envelope": json.dumps({"id": str(uuid.UUID(int=n))}),
                    "created": dt.datetime.now(dt.UTC),
                }
                for n in range(count)
            ],
        )


def test_two_relays_on_postgres(postgres_url, redis_server, tmp_path):
    """Two relays at once over 10,000 rows: each event sent exactly once."""
    engine = sa.create_engine(postgres_url)
    metadata = sa.MetaData()
    table = outbox_table(metadata, "outbox_two_relays")
    metadata.drop_all(engine)
    metadata.create_all(engine)
    try:
        count = 10_000
        fill(engine, table, count)
        (tmp_path / "meeting.py").write_text(
            textwrap.dedent(
                f"""
                import os, pathlib, time, redis
                from commerce_events.forwarding.redis import RedisStreamForwarder

                class Meeting(RedisStreamForwarder):
                    # Each relay holds its first batch until the other one has
                    # one too: both surely work at the same time.
                    def __init__(self):
                        super().__init__(
                            redis.Redis.from_url({redis_server.url!r}), "orders"
                        )
                        self.met = False

                    def send_json_many(self, texts):
                        if not self.met:
                            here = pathlib.Path({str(tmp_path)!r})
                            (here / f"relay-{{os.getpid()}}").touch()
                            deadline = time.monotonic() + 60
                            while (
                                len(list(here.glob("relay-*"))) < 2
                                and time.monotonic() < deadline
                            ):
                                time.sleep(0.01)
                            self.met = True
                        super().send_json_many(texts)
                """
            )
        )
        command = relay_command(
            postgres_url,
            "--table",
            "outbox_two_relays",
            "--forwarder",
            "meeting:Meeting",
            "--batch",
            "50",
            "--once",
        )
        relays = [
            subprocess.Popen(
                command,
                env=run_env(tmp_path),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [relay.communicate(timeout=120) for relay in relays]
        assert [0, 0] == [relay.returncode for relay in relays], outputs
        relayed = [int(out.split()[1]) for out, _ in outputs]
        client = redis.Redis.from_url(redis_server.url)
        sent = stream_ids(client, "orders")
        client.close()
        assert count == sum(relayed)
        assert all(relayed), relayed  # both did part of the work
        print(f"two relays on PostgreSQL: {relayed} rows, {len(sent)} sent")
        assert count == len(sent) == len(set(sent))  # each once, none skipped
        with engine.connect() as connection:
            assert (
                0
                == connection.execute(
                    sa.select(sa.func.count()).select_from(table)
                ).one()[0]
            )
    finally:
        metadata.drop_all(engine)
        engine.dispose()


def test_relays_failing_at_once_on_postgres(postgres_url):
    """Three relays, each refusing part of its batches at random: 0 lost, 0 left.

    A partly refused batch is rolled back and its accepted rows deleted on
    their own, while the other relays take batches around it.
    """
    engine = sa.create_engine(postgres_url, pool_size=6)
    metadata = sa.MetaData()
    table = outbox_table(metadata, "outbox_failing_relays")
    metadata.drop_all(engine)
    metadata.create_all(engine)
    count = 3000
    fill(engine, table, count)

    class Refusing:
        """Refuses about one send in 40: the rest of that batch waits."""

        destination = "a refusing broker"

        def __init__(self, seed: int) -> None:
            self.random = random.Random(seed)  # noqa: S311 - a schedule, not a secret
            self.sent: list[str] = []

        def send(self, envelope: Any, /) -> None:
            if self.random.random() < 1 / 40:
                raise ConnectionRefusedError("refused")
            self.sent.append(envelope["id"])

    brokers = [Refusing(seed) for seed in range(3)]
    store = SQLAlchemyOutboxStore(engine, table)
    errors: list[BaseException] = []

    def work(broker: Refusing) -> None:
        relay = Relay(store, broker, batch=25)
        try:
            deadline = time.monotonic() + WAIT * 4
            while rows_left() and time.monotonic() < deadline:
                with contextlib.suppress(ConnectionRefusedError):
                    relay.run_once()
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    def rows_left() -> int:
        with engine.connect() as connection:
            return connection.execute(
                sa.select(sa.func.count()).select_from(table)
            ).scalar_one()

    try:
        threads = [threading.Thread(target=work, args=(b,)) for b in brokers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=WAIT * 5)
        assert not errors
        assert 0 == rows_left()
        sent = [event_id for broker in brokers for event_id in broker.sent]
        assert {str(uuid.UUID(int=n)) for n in range(count)} == set(sent)  # 0 lost
        assert all(broker.sent for broker in brokers)  # all three worked
        # Duplicates (at least once): rows accepted in a partly refused batch
        # that another relay took between the rollback and their deletion.
        print(f"{len(sent)} sends, {len(sent) - count} duplicates, {count} rows")
    finally:
        metadata.drop_all(engine)
        engine.dispose()


# -- the store against a model --------------------------------------------------


class Flaky:
    """A broker accepting *accept* envelopes of the next pass, then failing.

    With *batches*, it takes a pass at once (send_json_many), all or nothing.
    """

    destination = "a flaky broker"

    def __init__(self, sent: list[str]) -> None:
        self.sent = sent
        self.accept: int | None = None

    def send(self, envelope: Any, /) -> None:
        if self.accept is not None:
            if self.accept == 0:
                raise ConnectionRefusedError("the broker went down")
            self.accept -= 1
        self.sent.append(envelope["id"])


class FlakyBatches(Flaky):
    def send(self, envelope: Any, /) -> None:
        raise AssertionError("send_json_many is preferred")

    def send_json_many(self, texts: Any, /) -> None:
        if self.accept is not None and self.accept < len(texts):
            raise ConnectionRefusedError("the broker went down")
        self.sent.extend(json.loads(text)["id"] for text in texts)


class OutboxMachine(RuleBasedStateMachine):
    """Orders committed or rolled back, relay passes failing anywhere.

    The model: the ids of committed rows not yet accepted, in order. Every
    pass must send a prefix of them, delete exactly what the broker accepted,
    and leave every other row as it was (id and time included).
    """

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="outbox-machine-"))
        self.engine = sa.create_engine(f"sqlite:///{self.directory / 'shop.sqlite3'}")
        metadata = sa.MetaData()
        self.table = outbox_table(metadata)
        metadata.create_all(self.engine)
        self.pending: list[str] = []
        self.sent: list[str] = []
        self.store = SQLAlchemyOutboxStore(self.engine, self.table)
        self.row_of: dict[str, Any] = {}

    @initialize(returning=st.booleans())
    def choose_path(self, returning: bool) -> None:
        if not returning:
            self.engine.dialect.delete_returning = False
            self.store = SQLAlchemyOutboxStore(self.engine, self.table)

    @rule(count=st.integers(0, 6), commit=st.booleans())
    def place_orders(self, count: int, commit: bool) -> None:
        with self.engine.connect() as connection:
            transaction = connection.begin()
            outbox = SQLAlchemyOutbox(self.table, connection)
            ids: list[str] = []
            for number in range(count):
                envelope = to_cloudevent(
                    OrderPlaced(order=Order(str(number))), source="/s"
                )
                outbox.send(envelope)
                ids.append(envelope["id"])
            if commit:
                transaction.commit()
                self.pending.extend(ids)
            else:
                transaction.rollback()
        for row in rows(self.engine, self.table):
            self.row_of.setdefault(row.event_id, row)

    @rule(
        batch=st.integers(1, 8),
        accept=st.none() | st.integers(0, 8),
        batches=st.booleans(),
    )
    def relay_pass(self, batch: int, accept: int | None, batches: bool) -> None:
        broker = (FlakyBatches if batches else Flaky)(self.sent)
        broker.accept = accept
        relay = Relay(self.store, broker, batch=batch)
        taken = self.pending[:batch]
        if batches:
            accepted = len(taken) if accept is None or accept >= len(taken) else 0
        else:
            accepted = len(taken) if accept is None else min(accept, len(taken))
        before = len(self.sent)
        try:
            assert accepted == relay.run_once()
        except ConnectionRefusedError:
            assert accepted < len(taken)
        else:
            assert accepted == len(taken)
        assert taken[:accepted] == self.sent[before:]
        del self.pending[:accepted]

    @invariant()
    def rows_are_the_pending_ones_as_they_were(self) -> None:
        left = rows(self.engine, self.table)
        assert self.pending == [row.event_id for row in left]
        assert all(row == self.row_of[row.event_id] for row in left)

    def teardown(self) -> None:
        self.engine.dispose()
        shutil.rmtree(self.directory, ignore_errors=True)


OutboxMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=20, deadline=None
)
TestOutboxMachine = OutboxMachine.TestCase
