"""Shared test setup: Hypothesis profiles, per-test isolation of the bus, real servers."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn

import psycopg
import pytest
import redis
from hypothesis import HealthCheck, settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from commerce_events import _domain, _serialization_hooks, _settings
from commerce_events.testing import strategies

settings.register_profile(
    "default",
    deadline=timedelta(milliseconds=500),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fast", parent=settings.get_profile("default"), max_examples=10
)
settings.register_profile(
    "ci", parent=settings.get_profile("default"), max_examples=200
)
# ``nox -s coverage``: the tracer slows every call, so a deadline would time it.
settings.register_profile(
    "coverage", parent=settings.get_profile("default"), deadline=None
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _isolated_bus() -> Iterator[None]:
    """Every test (README doctests included) starts and ends with the same bus."""
    declared = _domain.domain_classes()
    identities = dict(_serialization_hooks._hooks)
    domain_strategies = dict(strategies._domain_strategies)
    with _settings.isolated_state():
        yield
    strategies._domain_strategies.clear()
    strategies._domain_strategies.update(domain_strategies)
    _serialization_hooks._hooks.clear()
    _serialization_hooks._hooks.update(identities)
    _domain.declare_domain_classes(
        **{name: declared.get(name) for name in _domain._known}
    )


# -- real servers, started by the test run --------------------------------------------

WAIT = 10.0  # seconds: the bound of every wait for a server to start or stop


def free_port() -> int:
    """A TCP port nobody listens on, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _missing(what: str, install: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not installed: CI must run these tests")
    pytest.skip(f"{what} is not installed ({install}; .ci/run installs it)")


class RedisServer:
    """A redis-server of our own (no persistence), which tests may stop and restart."""

    def __init__(self, directory: Path, port: int | None = None, *options: str) -> None:
        self.executable = shutil.which("redis-server") or _missing(
            "redis-server", "apt-get install redis-server"
        )
        self.options = options  # more configuration, as redis-server arguments
        self.directory = directory
        self.port = port if port is not None else free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server, and wait until it answers."""
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                *self.options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis(port=self.port, retry=Retry(NoBackoff(), 0))
        try:
            deadline = time.monotonic() + WAIT
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"redis-server did not start on port {self.port}")
                    time.sleep(0.01)
        finally:
            client.close()

    def stop(self) -> None:
        """Stop the server (its data is gone: no persistence)."""
        process, self.process = self.process, None
        if process is None:
            return
        process.send_signal(signal.SIGCONT)  # in case a test froze it
        process.terminate()
        try:
            process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=WAIT)

    def freeze(self) -> None:
        """SIGSTOP the server: connections stay open, nothing answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT the server."""
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server shared by the session, on 127.0.0.1 and a free port."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own, to restart, fill or freeze."""
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def _celery_with_worker(
    name: str,
    redis_url: str,
    databases: tuple[int, int],
    tasks: Callable[[Any], object],
) -> Iterator[Any]:
    # Imported here: only the modules that use Celery need it installed.
    from celery import Celery
    from celery.contrib.testing.worker import start_worker

    broker, backend = databases
    app = Celery(
        name,
        broker=f"{redis_url}/{broker}",
        backend=f"{redis_url}/{backend}",
        set_as_current=False,
    )
    app.conf.update(
        result_expires=None,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
    )
    tasks(app)
    # The worker sets the root logger's level (to CRITICAL here): give it back,
    # or every later test that reads logged failures hears nothing.
    root_level = logging.getLogger().level
    try:
        with start_worker(
            app,
            pool="solo",
            perform_ping_check=False,
            shutdown_timeout=30.0,
            loglevel="CRITICAL",
        ):
            yield app
    finally:
        logging.getLogger().setLevel(root_level)


@pytest.fixture(scope="session")
def celery_with_worker() -> Callable[..., contextlib.AbstractContextManager[Any]]:
    """A Celery app on two databases of a Redis, with a worker in a thread.

    ``with celery_with_worker(name, redis_url, (broker_db, backend_db), tasks)
    as app``: *tasks* makes the app's tasks before the worker starts.
    """
    return _celery_with_worker


@pytest.fixture
def configured_redis_server(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    """Starts a redis-server with more configuration: ``start("--option", "value")``."""
    servers: list[RedisServer] = []

    def start(*options: str) -> RedisServer:
        server = RedisServer(tmp_path / f"redis-{len(servers)}", None, *options)
        server.directory.mkdir()
        servers.append(server)
        server.start()
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


def _postgres_bin(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))),
        None,
    )
    return found or _missing("PostgreSQL", "apt-get install postgresql")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server of our own: a temporary cluster on a free port.

    As root (CI), the server runs as the ``postgres`` system user, which owns
    the cluster's directory. The URL is SQLAlchemy's (psycopg 3).
    """
    initdb, postgres = _postgres_bin("initdb"), _postgres_bin("postgres")
    as_postgres: list[str] = []
    directory = Path(tempfile.mkdtemp(prefix="commerce-events-pg-"))
    if os.geteuid() == 0:
        as_postgres = ["runuser", "-u", "postgres", "--"]
        shutil.chown(directory, "postgres", "postgres")
    data = directory / "data"
    port = free_port()
    subprocess.run(
        [*as_postgres, initdb, "-D", str(data), "-U", "postgres", "--auth=trust"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    process = subprocess.Popen(
        [
            *as_postgres,
            postgres,
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(directory),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=50",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + WAIT
        while True:
            try:
                psycopg.connect(
                    host="127.0.0.1", port=port, user="postgres", dbname="postgres"
                ).close()
                break
            except psycopg.OperationalError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"PostgreSQL did not start on port {port}")
                time.sleep(0.05)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        process.terminate()  # runuser passes SIGTERM on: a "smart" shutdown
        try:
            process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=WAIT)
        shutil.rmtree(directory, ignore_errors=True)


def _forget_event(name: str) -> None:
    """Unregister every version of an event (and its upcasters).

    For tests that generate events by the hundred: names are global, and a
    catalogue that grows with every example slows and skews the tests that
    draw from it (``any_payload()``).
    """
    from commerce_events import _registry, _subscriptions, _upcasting

    with _registry._lock:
        for found in _registry._VERSIONS.pop(name, {}).values():
            _subscriptions.ROUTES.pop(found.payload_type, None)
            _upcasting._UPCASTERS.pop(found.payload_type, None)
            for alias in found.spec.aliases:
                dict.pop(_registry.namespace, alias, None)
        dict.pop(_registry.namespace, name, None)


@pytest.fixture
def forget_event() -> Callable[[str], None]:
    """``forget_event(name)``: unregister a generated event after its example.

    A function with no state of its own, so that Hypothesis tests may take it
    (suppress ``HealthCheck.function_scoped_fixture`` there).
    """
    return _forget_event
