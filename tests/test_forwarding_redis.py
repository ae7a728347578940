"""Fault tests for commerce_events.forwarding.redis: a consumer that survives Redis.

Each test has a redis-server of its own (``redis_server`` in conftest.py), which
it restarts, fills, or whose consumer group it deletes, while a consumer runs.
"""

from __future__ import annotations

import io
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from commerce_events import (
    EventMetadata,
    OrderPlaced,
    emit,
    event,
    field,
    subscribe,
    upcaster,
)
from commerce_events._cli import main
from commerce_events.cloudevents import to_cloudevent
from commerce_events.exceptions import ForwardingError, SubscriberError, UpcastError
from commerce_events.forwarding import Backoff, forward
from commerce_events.forwarding._deadline import MAX_BLOCKED
from commerce_events.forwarding.redis import (
    DEAD_LETTER_REASON,
    RedisSeenIds,
    RedisStreamConsumer,
    RedisStreamForwarder,
    dead_letters,
    redrive,
)
from commerce_events.serialization import register_identity

WAIT = 20.0  # seconds: the bound of every wait for another thread
FAST = Backoff(initial=0.02, maximum=0.1)


class Order:
    def __init__(self, number: str) -> None:
        self.pk = number


def load_order(number: str) -> Order:
    """The identity's load hook: failing as badly as hooks can."""
    if number == "oom":
        raise MemoryError
    if number == "recursion":
        raise RecursionError("maximum recursion depth exceeded")
    return Order(number)


@pytest.fixture(autouse=True)
def _identities() -> None:
    register_identity("order", load=load_order)


@pytest.fixture
def client(redis_server: Any) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url, socket_timeout=5)
    yield client
    client.close()


def envelope(number: int | str) -> dict[str, Any]:
    return to_cloudevent(OrderPlaced(order=Order(str(number))), source="/shop/web")


def delivered() -> queue.Queue[str]:
    """Every OrderPlaced delivered in this process: its order's number."""
    arrived: queue.Queue[str] = queue.Queue()

    def put(payload: Any, metadata: EventMetadata) -> None:
        arrived.put(payload.order.pk)

    subscribe(OrderPlaced, put, with_metadata=True)
    return arrived


def drain(arrived: queue.Queue[str], count: int) -> list[str]:
    return [arrived.get(timeout=WAIT) for _ in range(count)]


class Running:
    """A consumer's run() in a thread, stopped at the end of the with block."""

    def __init__(self, consumer: RedisStreamConsumer) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=consumer.run, kwargs={"stop": self.stop, "block_ms": 20}
        )

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=WAIT)
        assert not self.thread.is_alive()


def wait_for(text: str, caplog: pytest.LogCaptureFixture) -> None:
    deadline = time.monotonic() + WAIT
    while text not in caplog.text:
        assert time.monotonic() < deadline, f"never logged: {text!r}"
        time.sleep(0.01)


class TestSurvives:
    def test_server_restart(self, redis_server, client, caplog):
        """Connection lost, then a new empty server (group gone): it carries on."""
        arrived = delivered()
        consumer = RedisStreamConsumer(
            client, "orders", "mailer", "m1", seen=RedisSeenIds(client), backoff=FAST
        )
        forwarder = RedisStreamForwarder(client, "orders")
        with caplog.at_level(logging.INFO), Running(consumer):
            forwarder.send(envelope(1))
            assert ["1"] == drain(arrived, 1)
            redis_server.stop()
            wait_for("retrying in", caplog)
            redis_server.start()  # no persistence: stream and group are gone
            wait_for("reading redis stream 'orders' again", caplog)
            forwarder.send(envelope(2))
            forwarder.send(envelope(3))
            assert ["2", "3"] == drain(arrived, 2)
        assert "ConnectionError" in caplog.text
        assert arrived.empty()

    def test_group_deleted(self, client, caplog):
        """NOGROUP: the group is created again, and says so; nothing twice."""
        arrived = delivered()
        consumer = RedisStreamConsumer(
            client, "orders", "mailer", "m1", seen=RedisSeenIds(client), backoff=FAST
        )
        forwarder = RedisStreamForwarder(client, "orders")
        with caplog.at_level(logging.INFO), Running(consumer):
            forwarder.send(envelope(1))
            assert ["1"] == drain(arrived, 1)
            client.xgroup_destroy("orders", "mailer")
            wait_for("is gone", caplog)
            forwarder.send(envelope(2))
            assert ["2"] == drain(arrived, 1)
            # The new group read the stream from its start: entry 1 again,
            # dropped by the seen ids.
            wait_for("skipped duplicate", caplog)
        assert "creating it again" in caplog.text
        assert arrived.empty()

    def test_server_full(self, client, caplog):
        """OOM: the dead letter cannot be written; retried until there is room."""
        arrived = delivered()
        client.xadd("orders", {"envelope": "not json"})
        forwarder = RedisStreamForwarder(client, "orders")
        forwarder.send(envelope(1))
        consumer = RedisStreamConsumer(client, "orders", "mailer", "m1", backoff=FAST)
        consumer.ensure_group()
        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("maxmemory", 1)  # full
        with caplog.at_level(logging.INFO), Running(consumer):
            wait_for("OutOfMemoryError", caplog)
            assert 0 == client.xlen("orders:dead")
            client.config_set("maxmemory", 0)  # room again
            assert ["1"] == drain(arrived, 1)
            deadline = time.monotonic() + WAIT
            while not client.xlen("orders:dead") and time.monotonic() < deadline:
                time.sleep(0.01)
        assert 1 == client.xlen("orders:dead")
        assert 0 == client.xpending("orders", "mailer")["pending"]

    def test_timeouts(self, redis_server, caplog):
        """A frozen server times the reads out; the consumer waits it out."""
        arrived = delivered()
        client = redis.Redis.from_url(redis_server.url, socket_timeout=0.2)
        consumer = RedisStreamConsumer(client, "orders", "mailer", "m1", backoff=FAST)
        consumer.ensure_group()
        with caplog.at_level(logging.INFO), Running(consumer):
            redis_server.freeze()
            try:
                wait_for("TimeoutError", caplog)
            finally:
                redis_server.thaw()
            RedisStreamForwarder(client, "orders").send(envelope(5))
            assert ["5"] == drain(arrived, 1)
        client.close()

    def test_resp3(self, redis_server):
        """A RESP3 client (protocol=3) reads, claims and dead-letters like RESP2."""
        client = redis.Redis.from_url(redis_server.url, protocol=3)
        arrived = delivered()
        forwarder = RedisStreamForwarder(client, "orders")
        for number in range(3):
            forwarder.send(envelope(number))
        client.xadd("orders", {"envelope": "[1"})
        consumer = RedisStreamConsumer(client, "orders", "mailer", "m1")
        assert 4 == consumer.run_once()
        assert ["0", "1", "2"] == drain(arrived, 3)
        assert 1 == client.xlen("orders:dead")
        client.close()


DEEP = "[" * 100_000 + "]" * 100_000  # RecursionError in json.loads


class TestUnreadable:
    def test_poison_mixed_with_good_entries(self, client, caplog):
        """Every unreadable entry is dead-lettered, with its fields and why."""
        arrived = delivered()
        forwarder = RedisStreamForwarder(client, "orders")
        hostile = {
            "deep": {"envelope": DEEP, "trace": "abc"},
            "not json": {"envelope": "{not json"},
            "no envelope": {"something": "else"},
            "nan": {"envelope": json.dumps(envelope(9)).replace('"9"', "NaN")},
            "wrong data": {
                "envelope": json.dumps({**envelope(9), "data": {"user": None}})
            },
            "oom": {"envelope": json.dumps(envelope("oom"))},
            "recursion": {"envelope": json.dumps(envelope("recursion"))},
            "newline id": {
                "envelope": json.dumps({**envelope(9), "id": "x\nFORGED", "type": 5})
            },
        }
        for number, fields in enumerate(hostile.values()):
            forwarder.send(envelope(number))
            client.xadd("orders", fields)
        consumer = RedisStreamConsumer(client, "orders", "mailer", "m1")

        with caplog.at_level(logging.ERROR):
            while consumer.run_once():
                pass

        assert [str(n) for n in range(len(hostile))] == drain(arrived, len(hostile))
        letters = dead_letters(client, "orders:dead")
        assert len(hostile) == len(letters)
        reasons = {
            name: letter.reason for name, letter in zip(hostile, letters, strict=True)
        }
        assert reasons["deep"].startswith("EnvelopeError")
        assert "nested deeper than 32 levels" in reasons["deep"]
        assert "MemoryError" in reasons["oom"]
        assert "RecursionError" in reasons["recursion"]
        assert "NaN is not a JSON number" in reasons["nan"]
        assert {"envelope": DEEP, "trace": "abc"} == letters[0].fields
        assert reasons["not json"].startswith("EnvelopeError")
        assert "no 'envelope' field" in reasons["no envelope"]
        assert reasons["wrong data"].startswith("PayloadError")
        assert all(letter.stream == "orders" for letter in letters)
        assert 0 == client.xpending("orders", "mailer")["pending"]
        assert all("\n" not in record.getMessage() for record in caplog.records)

    def test_dead_letters_redriven(self, client):
        """Redrive puts dead letters back on their stream, then deletes them."""
        client.xadd("orders", {"envelope": "{}"})
        consumer = RedisStreamConsumer(client, "orders", "mailer", "m1")
        assert 1 == consumer.run_once()
        [letter] = dead_letters(client, "orders:dead")
        assert letter.reason.startswith("EnvelopeError")
        assert {"envelope": "{}"} == letter.fields
        arrived = delivered()
        good = json.dumps(envelope(7))
        # A fixed version of the entry would be sent back the same way.
        client.xadd(
            "orders:dead",
            {"envelope": good, DEAD_LETTER_REASON: "x", "dead:stream": "orders"},
        )
        assert 2 == redrive(client, "orders:dead")
        assert 0 == client.xlen("orders:dead")
        while consumer.run_once():
            pass
        assert ["7"] == drain(arrived, 1)
        assert 1 == client.xlen("orders:dead")  # "{}" is still unreadable

    def test_redrive_chosen_ids(self, client):
        for _ in range(3):
            client.xadd("orders", {"envelope": "{}"})
        consumer = RedisStreamConsumer(client, "orders", "mailer", "m1")
        assert 3 == consumer.run_once()
        first, *_ = dead_letters(client, "orders:dead")
        assert 1 == redrive(client, "orders:dead", [first.id])
        assert 2 == client.xlen("orders:dead")
        assert 4 == client.xlen("orders")


@event("test_redis_rated")
class RatedV1:
    """A product was rated (version 1: out of 5)."""

    stars: int = field(doc="1 to 5")


@event("test_redis_rated", version=2)
class Rated:
    """A product was rated (version 2: out of 100)."""

    score: int = field(doc="1 to 100")


@upcaster(RatedV1, to=Rated)
def _to_score(old: RatedV1) -> Rated:
    return Rated(score=old.stars * 20)


class TestVersions:
    def test_older_versions_upcast_unread_dead_lettered(self, client):
        """reads=: version 1 arrives upcast; version 3 is dead-lettered, with why."""
        got: list[Rated] = []
        subscribe(Rated, got.append)
        forwarder = RedisStreamForwarder(client, "ratings")
        forwarder.send(to_cloudevent(RatedV1(stars=2), source="/s"))
        forwarder.send(to_cloudevent(Rated(score=90), source="/s"))
        forwarder.send(
            {
                **to_cloudevent(Rated(score=1), source="/s"),
                "type": "io.commerce-events.test_redis_rated.v3",
            }
        )
        consumer = RedisStreamConsumer(
            client, "ratings", "raters", "r1", reads={Rated: {1, 2}}
        )

        while consumer.run_once():
            pass

        assert [Rated(score=40), Rated(score=90)] == got
        [letter] = dead_letters(client, "ratings:dead")
        assert (
            "version 3 of 'test_redis_rated' is not read here (this process reads "
            "versions 1, 2)"
        ) in letter.reason

    def test_wrong_declaration(self, client):
        with pytest.raises(UpcastError, match="names two classes"):
            RedisStreamConsumer(
                client, "ratings", "raters", "r1", reads={Rated: {2}, RatedV1: {1}}
            )


class TestDelivery:
    def test_own_pending_entries_first(self, client):
        """After a restart, a consumer first reads what it was given before."""
        failing = [True]

        @subscribe(OrderPlaced)
        def flaky(event: OrderPlaced) -> None:
            if failing[0]:
                raise ConnectionError("mail server down")

        arrived = delivered()
        RedisStreamForwarder(client, "orders").send(envelope(1))
        first = RedisStreamConsumer(
            client, "orders", "mailer", "m1", claim_idle_ms=None
        )
        assert 0 == first.run_once()  # failed: pending for m1
        failing[0] = False
        restarted = RedisStreamConsumer(
            client, "orders", "mailer", "m1", claim_idle_ms=None
        )
        assert 1 == restarted.run_once()
        assert ["1"] == drain(arrived, 1)
        assert 0 == client.xpending("orders", "mailer")["pending"]

    def test_reclaimed_entry_delivered_once(self, client):
        """A claimed entry whose first consumer is still at it is not delivered twice."""
        inside, release = threading.Event(), threading.Event()
        calls: list[str] = []

        @subscribe(OrderPlaced)
        def slow(event: OrderPlaced) -> None:
            calls.append(event.order.pk)
            inside.set()
            release.wait(WAIT)

        RedisStreamForwarder(client, "orders").send(envelope(1))
        seen = RedisSeenIds(client)
        first = RedisStreamConsumer(client, "orders", "mailer", "m1", seen=seen)
        second = RedisStreamConsumer(
            client, "orders", "mailer", "m2", seen=seen, claim_idle_ms=0
        )
        second.ensure_group()
        thread = threading.Thread(target=first.run_once)
        thread.start()
        assert inside.wait(WAIT)
        assert 0 == second.run_once()  # claims it, finds it busy: stays pending
        release.set()
        thread.join(timeout=WAIT)
        assert 0 == second.run_once()
        assert ["1"] == calls
        assert 0 == client.xpending("orders", "mailer")["pending"]

    def test_failed_delivery_released(self, client):
        """A failed delivery gives the event up: the retry delivers it."""
        attempts: list[uuid.UUID] = []

        @subscribe(OrderPlaced, with_metadata=True)
        def flaky(event: OrderPlaced, metadata: EventMetadata) -> None:
            attempts.append(metadata.id)
            if len(attempts) == 1:
                raise ConnectionError("mail server down")

        RedisStreamForwarder(client, "orders").send(envelope(1))
        seen = RedisSeenIds(client)
        consumer = RedisStreamConsumer(
            client, "orders", "mailer", "m1", seen=seen, claim_idle_ms=0
        )
        assert 0 == consumer.run_once()
        assert 1 == consumer.run_once()
        assert 2 == len(attempts)
        assert attempts[0] in seen


def limited_client(
    server: Any, client: redis.Redis, *, keys: str, commands: list[str]
) -> redis.Redis:
    """A client logged in as a user whose ACL allows *keys* and *commands* only."""
    secret = uuid.uuid4().hex
    client.acl_setuser(
        "relay", enabled=True, passwords=[f"+{secret}"], keys=[keys], commands=commands
    )
    return redis.Redis.from_url(server.url, username="relay", password=secret)


class TestBatches:
    """send_many / send_json_many: the relay's way, one script per batch."""

    def entries(self, client: redis.Redis) -> list[str]:
        return [
            json.loads(fields[b"envelope"])["data"]["order"]
            for _, fields in client.xrange("orders")
        ]

    def test_in_order_in_one_command(self, client):
        """A batch is one EVALSHA: the entries arrive in order, nothing else sent."""
        forwarder = RedisStreamForwarder(client, "orders")
        client.config_resetstat()
        forwarder.send_many([envelope(number) for number in range(5)])
        forwarder.send_json_many([json.dumps(envelope(n)) for n in range(5, 205)])
        forwarder.send_json_many([])  # nothing to do: no command
        assert [str(number) for number in range(205)] == self.entries(client)
        calls = {
            name: stats["calls"]
            for name, stats in client.info("commandstats").items()
            if name in {"cmdstat_evalsha", "cmdstat_eval", "cmdstat_script|load"}
        }
        # The first EVALSHA finds no script: it is loaded once, then EVALSHA again.
        assert {"cmdstat_evalsha": 3, "cmdstat_script|load": 1} == calls

    def test_trimmed_to_maxlen(self, client):
        forwarder = RedisStreamForwarder(client, "orders", maxlen=10)
        for start in range(0, 1000, 100):
            forwarder.send_json_many(
                [json.dumps(envelope(n)) for n in range(start, start + 100)]
            )
        entries = self.entries(client)
        # MAXLEN ~ trims whole radix-tree nodes (100 entries by default).
        assert 10 <= len(entries) <= 200
        assert "999" == entries[-1]

    def test_resp3(self, redis_server):
        client = redis.Redis.from_url(redis_server.url, protocol=3)
        RedisStreamForwarder(client, "orders").send_json_many(
            [json.dumps(envelope(n)) for n in range(3)]
        )
        assert ["0", "1", "2"] == self.entries(client)
        client.close()

    def test_server_refusing_scripts(self, redis_server, client, caplog):
        """An ACL without EVAL: pipelines instead, said once, tried once."""
        limited = limited_client(
            redis_server,
            client,
            keys="*",
            commands=["+@all", "-eval", "-evalsha", "-script"],
        )
        forwarder = RedisStreamForwarder(limited, "orders")
        with caplog.at_level(logging.WARNING, logger="commerce_events.forwarding"):
            forwarder.send_json_many([json.dumps(envelope(n)) for n in range(3)])
            forwarder.send_json_many([json.dumps(envelope(n)) for n in range(3, 6)])
        assert [str(number) for number in range(6)] == self.entries(client)
        [record] = caplog.records
        assert "redis refuses scripts" in record.getMessage()
        assert "pipelines from now on" in record.getMessage()
        limited.close()

    def test_server_without_scripting(self, configured_redis_server, caplog):
        """EVALSHA renamed away ("unknown command"): pipelines, no envelope logged."""
        server = configured_redis_server(
            "--rename-command", "EVALSHA", "", "--rename-command", "EVAL", ""
        )
        client = redis.Redis.from_url(server.url)
        forwarder = RedisStreamForwarder(client, "orders")
        with caplog.at_level(logging.WARNING, logger="commerce_events.forwarding"):
            forwarder.send_json_many([json.dumps(envelope(n)) for n in range(3)])
            forwarder.send_json_many([json.dumps(envelope(3))])
        assert ["0", "1", "2", "3"] == self.entries(client)
        [record] = caplog.records
        assert "scripts unknown to the server" in record.getMessage()
        assert "specversion" not in caplog.text
        client.close()

    def test_no_permission_for_the_key_raised(self, redis_server, client):
        """A NOPERM for the stream's key is the batch's failure, not a refusal."""
        limited = limited_client(
            redis_server, client, keys="other*", commands=["+@all"]
        )
        forwarder = RedisStreamForwarder(limited, "orders")
        with pytest.raises(redis.exceptions.NoPermissionError):
            forwarder.send_json_many([json.dumps(envelope(1))])
        client.acl_setuser("relay", keys=["*"])
        client.config_resetstat()
        forwarder.send_json_many([json.dumps(envelope(2))])
        assert ["2"] == self.entries(client)
        # Still a script, not a pipeline (which sends no EVALSHA at all).
        assert "cmdstat_evalsha" in client.info("commandstats")
        limited.close()

    def test_maxlen_checked(self, client):
        for wrong in (0, -5, 1.5, True):
            with pytest.raises(ValueError, match="maxlen must be a positive int"):
                RedisStreamForwarder(client, "orders", maxlen=wrong)

    def test_errors_of_the_appends_raised(self, client):
        """A WRONGTYPE (or OOM) is the batch's failure, not a reason for pipelines."""
        client.set("orders", "not a stream")
        forwarder = RedisStreamForwarder(client, "orders")
        with pytest.raises(redis.exceptions.ResponseError, match="WRONGTYPE"):
            forwarder.send_json_many([json.dumps(envelope(1))])
        client.delete("orders")
        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("maxmemory", 1)
        try:
            with pytest.raises(redis.exceptions.OutOfMemoryError):
                forwarder.send_json_many([json.dumps(envelope(2))])
        finally:
            client.config_set("maxmemory", 0)
        client.config_resetstat()
        forwarder.send_json_many([json.dumps(envelope(3))])
        assert ["3"] == self.entries(client)
        # Still a script, not a pipeline.
        assert 1 == client.info("commandstats")["cmdstat_evalsha"]["calls"]

    def test_frozen_server(self, redis_server):
        """A batch to a frozen server fails within the forwarder's bound."""
        client = redis.Redis.from_url(redis_server.url)
        client.ping()
        forwarder = RedisStreamForwarder(client, "orders", timeout=0.2)
        redis_server.freeze()
        try:
            with pytest.raises(TimeoutError, match=r"within 0\.2 s"):
                forwarder.send_json_many([json.dumps(envelope(1))])
        finally:
            redis_server.thaw()
        client.close()


class TestBoundedWaits:
    def test_frozen_server(self, redis_server):
        """A frozen (SIGSTOP) server: the emit fails within the forwarder's bound."""
        client = redis.Redis.from_url(redis_server.url)  # no socket timeouts at all
        client.ping()
        forward(OrderPlaced, to=RedisStreamForwarder(client, "orders", timeout=0.5))
        redis_server.freeze()
        try:
            started = time.monotonic()
            with pytest.raises(SubscriberError) as caught:
                emit(OrderPlaced(order=Order("1")))
            elapsed = time.monotonic() - started
        finally:
            redis_server.thaw()
        [error] = caught.value.exceptions
        assert isinstance(error, ForwardingError)
        assert "TimeoutError: no answer from the broker within 0.5 s" in str(error)
        assert elapsed < 0.5 + 2.0, elapsed  # the bound, and some scheduling slack
        print(f"frozen redis-server: emit returned after {elapsed:.2f} s")
        # The send went on in the background: the entry arrives after all.
        deadline = time.monotonic() + WAIT
        while not client.xlen("orders") and time.monotonic() < deadline:
            time.sleep(0.01)
        assert 1 == client.xlen("orders")
        client.close()

    def test_hung_sends_are_bounded_too(self, redis_server):
        """Past MAX_BLOCKED hung sends, sends fail at once: threads never pile up."""
        client = redis.Redis.from_url(redis_server.url)
        client.ping()
        forwarder = RedisStreamForwarder(client, "orders", timeout=0.05)
        redis_server.freeze()
        try:
            for _ in range(MAX_BLOCKED):
                with pytest.raises(TimeoutError, match=r"within 0\.05 s"):
                    forwarder.send(envelope(1))
            with pytest.raises(TimeoutError, match="earlier sends are still waiting"):
                forwarder.send(envelope(1))
        finally:
            redis_server.thaw()
        deadline = time.monotonic() + WAIT
        while client.xlen("orders") < MAX_BLOCKED and time.monotonic() < deadline:
            time.sleep(0.01)
        assert MAX_BLOCKED == client.xlen("orders")
        forwarder.send(envelope(2))  # threads free again
        client.close()

    def test_timeout_checked(self, client):
        with pytest.raises(ValueError, match="timeout must be positive"):
            RedisStreamForwarder(client, "orders", timeout=-1)


class TestDeadLettersCommand:
    def test_list_then_redrive(self, redis_server, client):
        """python -m commerce_events dead-letters: list, then send back."""
        client.xadd("orders", {"envelope": "not json\nFORGED"})
        client.xadd("orders", {"envelope": "{}"})
        assert 2 == RedisStreamConsumer(client, "orders", "mailer", "m1").run_once()
        base = ["dead-letters", "--redis", redis_server.url, "--stream", "orders"]

        out = io.StringIO()
        assert 0 == main(base, out)
        lines = out.getvalue().splitlines()
        assert "2 dead letters in 'orders:dead'" == lines[-1]
        assert 3 == len(lines)  # a newline in a reason never makes a line
        assert "EnvelopeError" in lines[0]

        out = io.StringIO()
        assert 0 == main([*base, "--json", "--count", "1"], out)
        [letter] = [json.loads(line) for line in out.getvalue().splitlines()]
        assert {"envelope": "not json\nFORGED"} == letter["fields"]
        assert "orders" == letter["stream"]

        out = io.StringIO()
        assert 0 == main([*base, "--redrive", letter["id"]], out)
        assert "sent 1 dead letters back\n" == out.getvalue()
        assert 1 == client.xlen("orders:dead")
        out = io.StringIO()
        assert 0 == main([*base, "--redrive"], out)
        assert "sent 1 dead letters back\n" == out.getvalue()
        assert 0 == client.xlen("orders:dead")
        assert 4 == client.xlen("orders")
