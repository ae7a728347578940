"""Fault tests for commerce_events.forwarding.celery, with a real Celery worker.

The worker runs in this process (Celery's ``start_worker``, solo pool) on a
redis-server started by the test run (``redis_url`` in conftest.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from celery.signals import task_retry

from commerce_events import OrderPlaced, emit, event, field, subscribe, upcaster
from commerce_events.cloudevents import to_cloudevent
from commerce_events.exceptions import ForwardingError, SubscriberError, UpcastError
from commerce_events.forwarding import forward
from commerce_events.forwarding.celery import (
    POISON,
    CeleryForwarder,
    make_celery_task,
)
from commerce_events.serialization import register_identity

WAIT = 30.0  # seconds: the bound of every wait for the worker
TASK = "tests.consume"
READS_TASK = "tests.consume_reads"


@event("test_celery_rated")
class RatedV1:
    """A product was rated (version 1: out of 5)."""

    stars: int = field(doc="1 to 5")


@event("test_celery_rated", version=2)
class Rated:
    """A product was rated (version 2: out of 100)."""

    score: int = field(doc="1 to 100")


@upcaster(RatedV1, to=Rated)
def _to_score(old: RatedV1) -> Rated:
    return Rated(score=old.stars * 20)


class Order:
    def __init__(self, number: str) -> None:
        self.pk = number


@pytest.fixture(autouse=True)
def _identities() -> None:
    register_identity("order", load=Order)


retries: list[str] = []


@task_retry.connect
def _count_retry(request: Any = None, **kwargs: Any) -> None:
    retries.append(request.id if request is not None else "?")


@pytest.fixture(scope="module")
def app(redis_url: str, celery_with_worker: Any) -> Iterator[Celery]:
    """A Celery app on that Redis, with the default task options, and a worker."""

    def tasks(app: Celery) -> None:
        make_celery_task(app, TASK)
        make_celery_task(app, READS_TASK, reads={Rated: {1}})

    with celery_with_worker("test_forwarding_celery", redis_url, (3, 4), tasks) as app:
        yield app


class TestTaskOptions:
    def test_defaults(self):
        """Late acks, given back if the worker dies, retries with backoff but not of poison."""
        app = Celery("options", set_as_current=False)
        task = make_celery_task(app)
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True
        assert (Exception,) == task.autoretry_for
        assert POISON == task.dont_autoretry_for
        assert 5 == task.max_retries
        assert task.retry_backoff is True
        assert task.retry_jitter is True

    def test_overridden(self):
        app = Celery("options", set_as_current=False)
        task = make_celery_task(app, max_retries=0, reject_on_worker_lost=False)
        assert 0 == task.max_retries
        assert task.reject_on_worker_lost is False


class TestWorker:
    def test_poison_fails_at_once(self, app):
        """An unreadable envelope fails without a retry."""
        retries.clear()
        result = app.send_task(TASK, args=({"specversion": "1.0"},))
        result.get(timeout=WAIT, propagate=False)
        assert "FAILURE" == result.state
        assert "EnvelopeError" in result.traceback
        assert "id: missing (required)" in str(result.result)
        assert [] == retries

    def test_transient_failures_retried(self, app):
        """A subscriber failing twice: retried with backoff, then delivered once."""
        retries.clear()
        calls: list[str] = []

        @subscribe(OrderPlaced)
        def flaky(event: OrderPlaced) -> None:
            calls.append(event.order.pk)
            if len(calls) < 3:
                raise ConnectionError("mail server down")

        envelope = to_cloudevent(OrderPlaced(order=Order("7")), source="/s")
        CeleryForwarder(app, TASK).send(envelope)
        result = app.AsyncResult(envelope["id"])
        assert envelope["id"] == result.get(timeout=WAIT)
        assert ["7", "7", "7"] == calls
        assert [envelope["id"]] * 2 == retries


class TestVersions:
    def test_older_version_read_through_upcaster(self, app):
        """The worker reads version 1 as version 2, as its reads= says."""
        got: list[Rated] = []
        subscribe(Rated, got.append)

        envelope = to_cloudevent(RatedV1(stars=4), source="/s")
        CeleryForwarder(app, READS_TASK).send(envelope)

        assert envelope["id"] == app.AsyncResult(envelope["id"]).get(timeout=WAIT)
        assert [Rated(score=80)] == got

    def test_unread_version_is_poison(self, app):
        """A version the worker does not read fails at once, naming those it reads."""
        retries.clear()
        envelope = {
            **to_cloudevent(Rated(score=1), source="/s"),
            "type": "io.commerce-events.test_celery_rated.v3",
        }
        result = app.send_task(READS_TASK, args=(envelope,))
        result.get(timeout=WAIT, propagate=False)

        assert "FAILURE" == result.state
        assert "this process reads versions 1, 2" in str(result.result)
        assert [] == retries

    def test_wrong_declaration_fails_at_once(self):
        """reads= is checked when the task is made, not per message."""
        app = Celery("reads", set_as_current=False)
        with pytest.raises(UpcastError, match="version 7"):
            make_celery_task(app, reads={Rated: {7}})


class TestBoundedWaits:
    def test_frozen_broker(self, redis_server):
        """A frozen (SIGSTOP) broker: the emit fails within the forwarder's bound."""
        app = Celery("frozen", broker=f"{redis_server.url}/0", set_as_current=False)
        app.conf.broker_connection_retry_on_startup = True
        app.send_task("warm.up")  # connected before the broker freezes
        forward(OrderPlaced, to=CeleryForwarder(app, TASK, timeout=0.5))
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
        print(f"frozen Celery broker: emit returned after {elapsed:.2f} s")

    def test_timeout_checked(self):
        app = Celery("t", set_as_current=False)
        with pytest.raises(ValueError, match="timeout must be positive"):
            CeleryForwarder(app, timeout=0)


WORKER_APP = """
import os, pathlib, signal

from celery import Celery

from commerce_events import OrderPlaced, subscribe
from commerce_events.forwarding.celery import make_celery_task
from commerce_events.serialization import register_identity

HERE = pathlib.Path(__file__).parent
app = Celery("lost", broker={broker!r}, backend={backend!r})
app.conf.update(
    result_expires=None,
    broker_connection_retry_on_startup=True,
    worker_prefetch_multiplier=1,
)
register_identity("order", load=str)


@subscribe(OrderPlaced)
def die_the_first_time(event):
    if not (HERE / "died").exists():
        (HERE / "died").touch()
        os.kill(os.getpid(), signal.SIGKILL)  # the pool process, mid-task
    (HERE / "delivered").write_text(event.order)


make_celery_task(app, {task!r})
"""


def test_worker_lost_mid_task(redis_url, tmp_path):
    """A worker process killed mid-task: the task goes back, and is delivered."""
    broker, backend = f"{redis_url}/5", f"{redis_url}/6"
    (tmp_path / "lostapp.py").write_text(
        WORKER_APP.format(broker=broker, backend=backend, task=TASK)
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "lostapp", "worker", "--pool",
         "prefork", "--concurrency", "1", "--loglevel", "WARNING"],
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        sender = Celery("sender", broker=broker, set_as_current=False)
        envelope = to_cloudevent(OrderPlaced(order=Order("42")), source="/s")
        CeleryForwarder(sender, TASK).send(envelope)
        deadline = time.monotonic() + 60
        while not (tmp_path / "delivered").exists():
            assert worker.poll() is None, "the worker itself stopped"
            assert time.monotonic() < deadline, "never delivered"
            time.sleep(0.05)
    finally:
        worker.terminate()
        _, errors = worker.communicate(timeout=WAIT)
    assert (tmp_path / "died").exists()
    assert "42" == (tmp_path / "delivered").read_text()
    assert "WorkerLostError" in errors
