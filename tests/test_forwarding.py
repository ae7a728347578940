"""Tests for commerce_events.forwarding: events beyond one process.

The Redis and Celery tests run against a real ``redis-server`` started here
(127.0.0.1, a free port, no persistence) and a real Celery worker consuming
from it. Without redis-server they are skipped, except in CI, where they fail.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import socket
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
import redis
from celery import Celery
from celery.contrib.testing.worker import start_worker
from redis.backoff import NoBackoff
from redis.retry import Retry

from commerce_events import (
    EventMetadata,
    OrderPlaced,
    PostCheckout,
    ProductSearch,
    StartCheckout,
    deferred,
    emit,
    muted,
    subscribe,
)
from commerce_events import _serialization_hooks as hooks
from commerce_events.cloudevents import EnvelopeError, to_cloudevent
from commerce_events.exceptions import (
    NotAPayloadError,
    SerializationError,
    SubscriberError,
)
from commerce_events.forwarding import (
    Forwarder,
    Forwarding,
    ForwardingError,
    SeenIds,
    consume_envelope,
    destination_of,
    forward,
)
from commerce_events.forwarding.celery import (
    DEFAULT_TASK_NAME,
    CeleryForwarder,
    make_celery_task,
)
from commerce_events.forwarding.redis import (
    RedisSeenIds,
    RedisStreamConsumer,
    RedisStreamForwarder,
)
from commerce_events.serialization import register_identity

WAIT = 10.0  # seconds: the bound of every wait for another process or thread
WORKER = "worker"  # the sender of events a consumer emits in these tests


class Order:
    """An order, as a shop's model: identified by its number."""

    def __init__(self, number: str) -> None:
        self.pk = number

    def __eq__(self, other: object) -> bool:
        return type(other) is Order and other.pk == self.pk

    def __hash__(self) -> int:
        return hash(self.pk)

    def __repr__(self) -> str:
        return f"Order({self.pk!r})"


class ListForwarder:
    """A forwarder keeping what it is sent (an outbox in a list)."""

    destination = "a list"

    def __init__(self) -> None:
        self.sent: list[Mapping[str, Any]] = []

    def send(self, envelope: Mapping[str, Any], /) -> None:
        self.sent.append(envelope)


class DownForwarder:
    """A forwarder whose engine is down."""

    def send(self, envelope: Mapping[str, Any], /) -> None:
        raise ConnectionRefusedError("the broker is down")


@pytest.fixture(autouse=True)
def _identities() -> Iterator[None]:
    """Every test starts and ends with the same identity hooks."""
    saved = dict(hooks._hooks)
    register_identity("order", load=Order)
    yield
    hooks._hooks.clear()
    hooks._hooks.update(saved)


def emitted_ids(payload_type: type[Any], sender: Any = None) -> list[uuid.UUID]:
    """Subscribe a recorder of the ids of *payload_type*'s emits from *sender*."""
    ids: list[uuid.UUID] = []

    def record(payload: Any, metadata: EventMetadata) -> None:
        ids.append(metadata.id)

    subscribe(payload_type, record, sender=sender, with_metadata=True)
    return ids


def collect(
    payload_type: type[Any], **options: Any
) -> queue.Queue[tuple[Any, EventMetadata]]:
    """Subscribe a subscriber putting (payload, metadata) on a queue."""
    arrived: queue.Queue[tuple[Any, EventMetadata]] = queue.Queue()

    def put(payload: Any, metadata: EventMetadata) -> None:
        arrived.put((payload, metadata))

    subscribe(payload_type, put, with_metadata=True, **options)
    return arrived


# -- forward ------------------------------------------------------------------------


class TestForward:
    def test_sends_the_emit_as_an_envelope(self):
        """Each emit is sent once, as an envelope with the emit's id."""
        outbox = ListForwarder()
        ids = emitted_ids(OrderPlaced)
        forward(OrderPlaced, to=outbox, source="/shop/web")

        emit(OrderPlaced(order=Order("100042")))

        [envelope] = outbox.sent
        assert str(ids[0]) == envelope["id"]
        assert "/shop/web" == envelope["source"]
        assert "io.commerce-events.order_placed.v1" == envelope["type"]
        assert {"order": "100042", "user": None} == envelope["data"]

    def test_several_events(self):
        """One forwarding covers every event it is given, and only those."""
        outbox = ListForwarder()
        forward(OrderPlaced, ProductSearch, to=outbox)

        emit(OrderPlaced(order=Order("1")))
        emit(ProductSearch(query="mug"))
        emit(PostCheckout(order=Order("1")))

        assert [
            "io.commerce-events.order_placed.v1",
            "io.commerce-events.product_search.v1",
        ] == [e["type"] for e in outbox.sent]

    def test_cancel(self):
        """A cancelled forwarding sends nothing more."""
        outbox = ListForwarder()
        forwarding = forward(OrderPlaced, to=outbox)

        forwarding.cancel()
        forwarding.cancel()
        emit(OrderPlaced(order=Order("1")))

        assert [] == outbox.sent

    def test_with_block(self):
        """Used as a context manager, a forwarding lasts for the block."""
        outbox = ListForwarder()

        with forward(OrderPlaced, to=outbox) as forwarding:
            emit(OrderPlaced(order=Order("1")))

        emit(OrderPlaced(order=Order("2")))
        assert 1 == len(outbox.sent)
        assert "<Forwarding OrderPlaced to a list>" == repr(forwarding)

    def test_sender_filter(self):
        """sender= forwards only one emitter's events."""
        outbox = ListForwarder()
        forward(OrderPlaced, to=outbox, sender="checkout")

        emit(OrderPlaced(order=Order("1")), sender="admin")
        emit(OrderPlaced(order=Order("2")), sender="checkout")

        assert ["2"] == [e["data"]["order"] for e in outbox.sent]

    def test_deferred(self):
        """Inside deferred(), events are sent when the block succeeds, never on failure."""
        outbox = ListForwarder()
        forward(OrderPlaced, to=outbox)

        with deferred():
            emit(OrderPlaced(order=Order("1")))
            assert [] == outbox.sent
        with pytest.raises(RuntimeError), deferred():
            emit(OrderPlaced(order=Order("2")))
            raise RuntimeError("payment declined")

        assert ["1"] == [e["data"]["order"] for e in outbox.sent]

    def test_commit_hook(self):
        """With commit_hook, the send waits for the transaction to commit."""
        outbox = ListForwarder()
        on_commit: list[Callable[[], None]] = []
        ids = emitted_ids(OrderPlaced)
        forward(OrderPlaced, to=outbox, commit_hook=on_commit.append)

        emit(OrderPlaced(order=Order("1")))
        assert [] == outbox.sent

        on_commit.pop()()
        assert [str(ids[0])] == [e["id"] for e in outbox.sent]

    def test_serialization_errors_raised_at_emit_even_after_commit(self):
        """With commit_hook, an unserializable payload still fails the emit."""
        on_commit: list[Callable[[], None]] = []
        forward(OrderPlaced, to=ListForwarder(), commit_hook=on_commit.append)

        with pytest.raises(SubscriberError) as error:
            emit(OrderPlaced(order=object()))

        assert [] == on_commit
        assert isinstance(error.value.exceptions[0].__cause__, SerializationError)

    def test_never_forwards_what_it_received(self):
        """A received event is not sent back; events its subscribers emit are."""
        outbox = ListForwarder()
        forward(OrderPlaced, PostCheckout, to=outbox)

        @subscribe(OrderPlaced, sender=WORKER)
        def thank(event: OrderPlaced) -> None:
            emit(PostCheckout(order=event.order))

        received = to_cloudevent(OrderPlaced(order=Order("7")), source="/shop/web")
        consume_envelope(received, sender=WORKER)

        [sent] = outbox.sent
        assert "io.commerce-events.post_checkout.v1" == sent["type"]
        assert received["id"] == sent["causationid"]

    def test_required_sensitive_fields_refused(self):
        """An event no consumer could rebuild cannot be forwarded."""
        with pytest.raises(SerializationError) as error:
            forward(StartCheckout, to=ListForwarder())

        assert ["request"] == list(error.value.fields)

    def test_arguments_checked(self):
        """Forwarding needs events, registered ones, and a forwarder."""
        with pytest.raises(TypeError, match="at least one"):
            forward(to=ListForwarder())
        with pytest.raises(TypeError, match="send"):
            forward(OrderPlaced, to=object())  # type: ignore[arg-type]
        with pytest.raises(NotAPayloadError):
            forward(Order, to=ListForwarder())
        with pytest.raises(ValueError, match="source"):
            forward(OrderPlaced, to=ListForwarder(), source="")
        with pytest.raises(ValueError, match="type_prefix"):
            forward(OrderPlaced, to=ListForwarder(), type_prefix="a b")

    def test_protocol(self):
        """Anything with send(envelope) is a Forwarder."""
        assert isinstance(ListForwarder(), Forwarder)
        assert not isinstance(object(), Forwarder)
        assert "a list" == destination_of(ListForwarder())
        assert "<forwarding>" == destination_of(
            type("F", (), {"__repr__": lambda s: "<forwarding>"})()
        )
        assert isinstance(forward(OrderPlaced, to=ListForwarder()), Forwarding)


class TestFailures:
    def test_raised_by_default(self):
        """A failed send is raised, after every subscriber ran, with id and type."""
        ids = emitted_ids(OrderPlaced)
        ran: list[str] = []
        forward(OrderPlaced, to=DownForwarder(), priority=10)
        subscribe(OrderPlaced, lambda event: ran.append("after"))

        with pytest.raises(SubscriberError) as error:
            emit(OrderPlaced(order=Order("1")))

        [failure] = error.value.exceptions
        assert isinstance(failure, ForwardingError)
        assert ("order_placed", ids[0]) == (failure.event, failure.event_id)
        assert f"could not forward 'order_placed' (id {ids[0]})" in str(failure)
        assert isinstance(failure.__cause__, ConnectionRefusedError)
        assert ["after"] == ran

    def test_logged_on_request(self, caplog):
        """With on_error="log", a failed send is logged with id and type."""
        ids = emitted_ids(OrderPlaced)
        forward(OrderPlaced, to=DownForwarder(), on_error="log")

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            emit(OrderPlaced(order=Order("1")))

        [record] = caplog.records
        assert "order_placed" in caplog.text
        assert str(ids[0]) in caplog.text
        assert isinstance(record.exc_info[1], ForwardingError)

    def test_after_commit_logged(self, caplog):
        """A send failing after commit follows the policy: logged here."""
        on_commit: list[Callable[[], None]] = []
        ids = emitted_ids(OrderPlaced)
        forward(
            OrderPlaced,
            to=DownForwarder(),
            commit_hook=on_commit.append,
            on_error="log",
        )
        emit(OrderPlaced(order=Order("1")))

        with caplog.at_level(logging.ERROR, logger="commerce_events.forwarding"):
            on_commit.pop()()

        [record] = caplog.records
        assert str(ids[0]) == record.event_id
        assert "order_placed" == record.event_name
        assert str(ids[0]) in record.getMessage()

    def test_after_commit_raised(self):
        """A send failing after commit follows the policy: raised by default."""
        on_commit: list[Callable[[], None]] = []
        forward(OrderPlaced, to=DownForwarder(), commit_hook=on_commit.append)
        emit(OrderPlaced(order=Order("1")))

        with pytest.raises(ForwardingError, match="order_placed"):
            on_commit.pop()()

    def test_redis_down(self):
        """A Redis forwarder pointed at a closed port raises, naming the event."""
        client = redis.Redis(port=_free_port(), retry=Retry(NoBackoff(), 0))
        ids = emitted_ids(OrderPlaced)
        forward(OrderPlaced, to=RedisStreamForwarder(client, "orders"))

        with pytest.raises(SubscriberError) as error:
            emit(OrderPlaced(order=Order("1")))

        [failure] = error.value.exceptions
        assert ids[0] == failure.event_id
        assert "redis stream 'orders'" == failure.destination
        assert isinstance(failure.__cause__, redis.ConnectionError)

    def test_celery_broker_down(self, caplog):
        """A Celery forwarder whose broker is down: logged with id and type."""
        app = Celery(
            "down", broker=f"redis://127.0.0.1:{_free_port()}/0", set_as_current=False
        )
        ids = emitted_ids(OrderPlaced)
        forwarder = CeleryForwarder(app, retry_policy={"max_retries": 0})
        forward(OrderPlaced, to=forwarder, on_error="log")

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            emit(OrderPlaced(order=Order("1")))

        [record] = caplog.records
        failure = record.exc_info[1]
        assert isinstance(failure, ForwardingError)
        assert ids[0] == failure.event_id
        assert f"celery task {DEFAULT_TASK_NAME!r}" == failure.destination
        assert str(ids[0]) in caplog.text


# -- consume_envelope ---------------------------------------------------------------


class TestConsumeEnvelope:
    def test_emits_the_typed_payload(self):
        """The payload is emitted here, typed, with the original id and time."""
        arrived = collect(OrderPlaced)
        envelope = to_cloudevent(OrderPlaced(order=Order("7")), source="/shop/web")

        payload = consume_envelope(envelope)

        assert OrderPlaced(order=Order("7")) == payload
        delivered, metadata = arrived.get_nowait()
        assert payload is delivered
        assert envelope["id"] == str(metadata.id)
        assert dt.datetime.fromisoformat(envelope["time"]) == metadata.time

    def test_json_text(self):
        """An envelope may arrive as JSON text."""
        envelope = to_cloudevent(OrderPlaced(order=Order("7")), source="/s")

        assert OrderPlaced(order=Order("7")) == consume_envelope(json.dumps(envelope))

    def test_causes(self):
        """Events emitted by the consumer's subscribers have the original as cause."""
        causes = collect(PostCheckout)

        @subscribe(OrderPlaced)
        def thank(event: OrderPlaced) -> None:
            emit(PostCheckout(order=event.order))

        envelope = to_cloudevent(OrderPlaced(order=Order("7")), source="/s")
        consume_envelope(envelope)

        assert envelope["id"] == str(causes.get_nowait()[1].cause)

    def test_duplicates_dropped(self):
        """With seen=, a redelivered envelope is dropped by its id."""
        arrived = collect(OrderPlaced)
        seen = SeenIds()
        envelope = to_cloudevent(OrderPlaced(order=Order("7")), source="/s")

        assert consume_envelope(envelope, seen=seen) is not None
        assert consume_envelope(envelope, seen=seen) is None
        assert 1 == arrived.qsize()

    def test_failed_delivery_not_remembered(self):
        """A delivery that failed is tried again when redelivered."""
        attempts: list[int] = []

        @subscribe(OrderPlaced)
        def flaky(event: OrderPlaced) -> None:
            attempts.append(1)
            if len(attempts) == 1:
                raise ConnectionError("mail server down")

        seen = SeenIds()
        envelope = to_cloudevent(OrderPlaced(order=Order("7")), source="/s")
        with pytest.raises(SubscriberError):
            consume_envelope(envelope, seen=seen)
        consume_envelope(envelope, seen=seen)

        assert 2 == len(attempts)
        assert uuid.UUID(envelope["id"]) in seen

    def test_muted(self):
        """Muting applies to consumed events like to any emit."""
        arrived = collect(OrderPlaced)

        with muted(OrderPlaced):
            consume_envelope(to_cloudevent(OrderPlaced(order=Order("7")), source="/s"))

        assert arrived.empty()

    def test_invalid_envelope(self):
        """An envelope that cannot be read is an EnvelopeError."""
        with pytest.raises(EnvelopeError):
            consume_envelope({"specversion": "1.0"})


class TestSeenIds:
    def test_bounded(self):
        """The oldest ids are forgotten first."""
        seen = SeenIds(maxsize=2)
        first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

        for event_id in (first, second, third):
            seen.add(event_id)

        assert first not in seen
        assert second in seen
        assert third in seen
        assert 2 == len(seen)
        assert "<SeenIds 2/2>" == repr(seen)

    def test_recently_seen_kept(self):
        """Seeing an id again makes it the newest."""
        seen = SeenIds(maxsize=2)
        first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

        seen.add(first)
        seen.add(second)
        seen.add(first)
        seen.add(third)

        assert first in seen
        assert second not in seen

    @pytest.mark.parametrize("maxsize", [0, -1, 1.5])
    def test_maxsize_checked(self, maxsize):
        """The size is a positive int."""
        with pytest.raises(ValueError, match="maxsize"):
            SeenIds(maxsize)


class TestCeleryTask:
    def test_registered_with_acks_late(self):
        """The task has the default name and is acknowledged after it ran."""
        app = Celery("tasks", set_as_current=False)

        task = make_celery_task(app)

        assert DEFAULT_TASK_NAME == task.name
        assert task.acks_late is True
        assert DEFAULT_TASK_NAME in app.tasks

    def test_options(self):
        """Task options are passed to Celery."""
        app = Celery("tasks", set_as_current=False)

        task = make_celery_task(app, "shop.events", acks_late=False, max_retries=7)

        assert ("shop.events", False, 7) == (
            task.name,
            task.acks_late,
            task.max_retries,
        )

    def test_forwarder(self):
        """The forwarder names its task."""
        forwarder = CeleryForwarder(Celery("t", set_as_current=False), "shop.events")

        assert "celery task 'shop.events'" == forwarder.destination
        assert "<CeleryForwarder 'shop.events'>" == repr(forwarder)


# -- a real Redis, a real Celery worker ------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(name="client")
def _client(redis_url: str) -> Iterator[redis.Redis]:
    """A client of database 0, emptied first."""
    client = redis.Redis.from_url(f"{redis_url}/0")
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(scope="module")
def celery_app(redis_url: str) -> Iterator[Celery]:
    """A Celery app on that Redis (broker and results), with a running worker."""
    app = Celery(
        "test_forwarding",
        broker=f"{redis_url}/1",
        backend=f"{redis_url}/2",
        set_as_current=False,
    )
    app.conf.update(
        # Results without expiry: Celery's expiring write uses a Redis command
        # that redis-py deprecates (a warning, so an error in this suite).
        result_expires=None,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
    )
    make_celery_task(app, sender=WORKER)
    with start_worker(
        app,
        pool="solo",
        perform_ping_check=False,
        shutdown_timeout=WAIT,
        loglevel="WARNING",
    ):
        yield app


class TestCelery:
    def test_order_reaches_a_typed_subscriber_in_the_worker(self, celery_app):
        """web process -> Redis -> Celery worker -> typed subscriber."""
        ids = emitted_ids(OrderPlaced, sender="checkout")
        in_worker = collect(OrderPlaced, sender=WORKER, priority=-100)
        forward(OrderPlaced, to=CeleryForwarder(celery_app), source="/shop/web")

        emit(OrderPlaced(order=Order("100042")), sender="checkout")

        payload, metadata = in_worker.get(timeout=WAIT)
        assert isinstance(payload, OrderPlaced)
        assert OrderPlaced(order=Order("100042")) == payload
        assert ids == [metadata.id]
        result = celery_app.AsyncResult(str(metadata.id))
        assert str(metadata.id) == result.get(timeout=WAIT)

    def test_task_id_is_the_event_id(self, celery_app):
        """The task's id is the event's: redeliveries and retries share it."""
        in_worker = collect(OrderPlaced, sender=WORKER)
        envelope = to_cloudevent(OrderPlaced(order=Order("1")), source="/s")

        CeleryForwarder(celery_app).send(envelope)

        assert envelope["id"] == str(in_worker.get(timeout=WAIT)[1].id)
        assert envelope["id"] == celery_app.AsyncResult(envelope["id"]).get(
            timeout=WAIT
        )


class TestRedisStreams:
    def test_order_reaches_a_typed_subscriber(self, client):
        """web process -> Redis stream -> consumer group -> typed subscriber."""
        ids = emitted_ids(OrderPlaced, sender="checkout")
        in_worker = collect(OrderPlaced, sender=WORKER)
        forward(OrderPlaced, to=RedisStreamForwarder(client, "orders"))
        emit(OrderPlaced(order=Order("100042")), sender="checkout")
        consumer = RedisStreamConsumer(
            client, "orders", "mailer", "mailer-1", sender=WORKER
        )

        assert 1 == consumer.run_once()

        payload, metadata = in_worker.get_nowait()
        assert OrderPlaced(order=Order("100042")) == payload
        assert ids == [metadata.id]
        assert 0 == client.xpending("orders", "mailer")["pending"]

    def test_every_group_gets_every_event(self, client):
        """Two groups each get the event; entries added before the group too."""
        forwarder = RedisStreamForwarder(client, "orders", maxlen=100)
        forwarder.send(to_cloudevent(OrderPlaced(order=Order("1")), source="/s"))
        arrived = collect(OrderPlaced)

        for group in ("mailer", "warehouse"):
            assert 1 == RedisStreamConsumer(client, "orders", group, "c1").run_once()

        assert 2 == arrived.qsize()

    def test_duplicates_dropped(self, client):
        """The same envelope twice is delivered once, and both entries acknowledged."""
        arrived = collect(OrderPlaced)
        envelope = to_cloudevent(OrderPlaced(order=Order("1")), source="/s")
        forwarder = RedisStreamForwarder(client, "orders")
        forwarder.send(envelope)
        forwarder.send(envelope)
        seen = RedisSeenIds(client, ttl=dt.timedelta(minutes=5))
        consumer = RedisStreamConsumer(client, "orders", "mailer", "c1", seen=seen)

        assert 2 == consumer.run_once()

        assert 1 == arrived.qsize()
        assert uuid.UUID(envelope["id"]) in seen
        assert 0 < client.ttl(f"commerce_events:seen:{envelope['id']}") <= 300
        assert 0 == client.xpending("orders", "mailer")["pending"]

    def test_failures_retried_then_dead_lettered(self, client, caplog):
        """A failing entry stays pending, is claimed again, then dead-lettered."""

        @subscribe(OrderPlaced)
        def broken(event: OrderPlaced) -> None:
            raise ConnectionError("mail server down")

        envelope = to_cloudevent(OrderPlaced(order=Order("1")), source="/s")
        RedisStreamForwarder(client, "orders").send(envelope)
        consumer = RedisStreamConsumer(
            client, "orders", "mailer", "c1", claim_idle_ms=0, max_deliveries=2
        )

        with caplog.at_level(logging.ERROR, logger="commerce_events.forwarding"):
            assert 0 == consumer.run_once()  # first delivery fails
            assert 1 == client.xpending("orders", "mailer")["pending"]
            assert 0 == consumer.run_once()  # claimed, second delivery fails
            assert 1 == consumer.run_once()  # claimed, dead-lettered

        assert 0 == client.xpending("orders", "mailer")["pending"]
        [(_, dead)] = client.xrange("orders:dead")
        assert envelope == json.loads(dead[b"envelope"])
        assert dead[b"dead:reason"].startswith(b"not delivered after 2 attempts")
        assert b"orders" == dead[b"dead:stream"]
        assert b"mailer" == dead[b"dead:group"]
        assert all(envelope["id"] in r.getMessage() for r in caplog.records)
        assert 3 == len(caplog.records)

    def test_unreadable_entries_dead_lettered_at_once(self, client, caplog):
        """Entries that cannot be events are dead-lettered without retries."""
        client.xadd("orders", {"envelope": "not json"})
        client.xadd("orders", {"something": "else"})
        client.xadd("orders", {"envelope": json.dumps({"specversion": "1.0"})})
        consumer = RedisStreamConsumer(client, "orders", "mailer", "c1")

        with caplog.at_level(logging.ERROR, logger="commerce_events.forwarding"):
            assert 3 == consumer.run_once()

        assert 3 == client.xlen("orders:dead")
        assert 0 == client.xpending("orders", "mailer")["pending"]
        assert 3 == len(caplog.records)

    def test_run_until_stopped(self, client):
        """run() handles entries as they come, until stopped."""
        in_worker = collect(OrderPlaced, sender=WORKER)
        consumer = RedisStreamConsumer(client, "orders", "mailer", "c1", sender=WORKER)
        consumer.ensure_group()
        stop = threading.Event()
        thread = threading.Thread(
            target=consumer.run, kwargs={"stop": stop, "block_ms": 50}
        )
        thread.start()
        try:
            forward(OrderPlaced, to=RedisStreamForwarder(client, "orders"))
            emit(OrderPlaced(order=Order("9")))

            assert OrderPlaced(order=Order("9")) == in_worker.get(timeout=WAIT)[0]
        finally:
            stop.set()
            thread.join(timeout=WAIT)
        assert not thread.is_alive()

    def test_ensure_group_is_idempotent(self, client):
        """Creating the group twice is fine."""
        consumer = RedisStreamConsumer(client, "orders", "mailer", "c1")

        consumer.ensure_group()
        consumer.ensure_group()

        assert [b"mailer"] == [g["name"] for g in client.xinfo_groups("orders")]


class TestRedisObjects:
    """What needs no server: a client connects only when used."""

    client = redis.Redis(port=1)

    def test_arguments_checked(self):
        """Sizes are at least 1, and run() never blocks forever."""
        with pytest.raises(ValueError, match="at least 1"):
            RedisStreamConsumer(self.client, "orders", "g", "c", batch=0)
        with pytest.raises(ValueError, match="block_ms"):
            RedisStreamConsumer(self.client, "orders", "g", "c").run(block_ms=0)

    def test_reprs(self):
        """Forwarder, consumer and store say what they are."""
        assert "<RedisStreamForwarder 'orders'>" == repr(
            RedisStreamForwarder(self.client, "orders")
        )
        assert "<RedisStreamConsumer 'orders' group='g' consumer='c'>" == repr(
            RedisStreamConsumer(self.client, "orders", "g", "c")
        )
        assert "<RedisSeenIds 'commerce_events:seen:'>" == repr(
            RedisSeenIds(self.client)
        )
