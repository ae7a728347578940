"""``python -m benchmarks.outbox``: the outbox's costs, against the raw parts.

Two comparisons, on SQLite (a file) and PostgreSQL (a cluster of its own):

- **Relay throughput**: rows relayed to a Redis stream by
  :class:`~commerce_events.outbox.Relay` (lock a batch, send it in one
  pipeline, delete it, commit), against raw redis-py ``XADD`` of the same
  envelopes in a pipeline of the same batch size (no database at all). Target:
  at least 0.5x.
- **Outbox write**: :class:`~commerce_events.outbox.sqlalchemy.SQLAlchemyOutbox`
  ``.send(envelope)`` inside a transaction, against a bare ``INSERT`` of the
  same row (values prepared beforehand) on the same connection. Target: at
  most 1.5x.

Wall-clock time (the servers are other processes), interleaved rounds, the
median ratio. The servers are started here, on 127.0.0.1 and free ports, and
stopped after; PostgreSQL is skipped (and said so) when it is not installed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import redis
import sqlalchemy as sa

from commerce_events import OrderPlaced
from commerce_events.cloudevents import to_cloudevent
from commerce_events.forwarding.redis import ENVELOPE_FIELD, RedisStreamForwarder
from commerce_events.outbox import DEFAULT_BATCH, Relay
from commerce_events.outbox.sqlalchemy import (
    SQLAlchemyOutbox,
    SQLAlchemyOutboxStore,
    outbox_table,
)

WAIT = 15.0


class _Order:
    def __init__(self, pk: int) -> None:
        self.pk = pk


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait(ready: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while True:
        try:
            ready()
            return
        except Exception:  # noqa: BLE001 - not up yet, whatever the client says
            if time.monotonic() > deadline:
                msg = f"{what} did not start"
                raise RuntimeError(msg) from None
            time.sleep(0.05)


@contextlib.contextmanager
def _redis(directory: Path) -> Iterator[str]:
    port = _free_port()
    server = shutil.which("redis-server") or "redis-server"
    process = subprocess.Popen(  # noqa: S603 - the machine's own redis-server
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(port=port)
    try:
        _wait(client.ping, "redis-server")
        yield f"redis://127.0.0.1:{port}"
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=WAIT)


def _postgres_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(candidates[-1]) if candidates else None


@contextlib.contextmanager
def _postgres() -> Iterator[str | None]:
    initdb, postgres = _postgres_binary("initdb"), _postgres_binary("postgres")
    if initdb is None or postgres is None:
        yield None
        return
    directory = Path(tempfile.mkdtemp(prefix="outbox-bench-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        as_postgres = ["runuser", "-u", "postgres", "--"]
        shutil.chown(directory, "postgres", "postgres")
    port = _free_port()
    data = str(directory / "data")
    subprocess.run(  # noqa: S603 - the machine's own PostgreSQL binaries
        [*as_postgres, initdb, "-D", data, "-U", "postgres", "--auth=trust"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 - the machine's own PostgreSQL binaries
        [*as_postgres, postgres, "-D", data, "-p", str(port), "-k", str(directory),
         "-c", "listen_addresses=127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    engine = sa.create_engine(url)
    try:
        _wait(lambda: engine.connect().close(), "PostgreSQL")
        yield url
    finally:
        engine.dispose()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=WAIT)
        shutil.rmtree(directory, ignore_errors=True)


def _envelopes(count: int) -> list[dict[str, Any]]:
    return [
        to_cloudevent(OrderPlaced(order=_Order(100_000 + n)), source="/shop/web")
        for n in range(count)
    ]


def _rows(envelopes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    now = dt.datetime.now(dt.UTC)
    return [
        {
            "event_id": e["id"],
            "type": e["type"],
            "envelope": json.dumps(e, separators=(",", ":")),
            "created": now,
        }
        for e in envelopes
    ]


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def bench_relay(
    url: str, redis_url: str, envelopes: list[dict[str, Any]], batch: int, rounds: int
) -> tuple[float, float, float]:
    """Rows per second: the relay, raw XADD pipelines; and their median ratio."""
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    table = outbox_table(metadata, "bench_outbox")
    metadata.drop_all(engine)
    metadata.create_all(engine)
    client = redis.Redis.from_url(redis_url)
    rows = _rows(envelopes)
    texts = [row["envelope"] for row in rows]
    relay = Relay(
        SQLAlchemyOutboxStore(engine, table),
        RedisStreamForwarder(client, "relay"),
        batch=batch,
    )

    def fill() -> None:
        with engine.begin() as connection:
            connection.execute(sa.insert(table), rows)

    def relay_all() -> None:
        while relay.run_once():
            pass

    def raw() -> None:
        for start in range(0, len(texts), batch):
            with client.pipeline(transaction=False) as pipeline:
                for text in texts[start : start + batch]:
                    pipeline.xadd("raw", {ENVELOPE_FIELD: text})
                pipeline.execute()

    relayed: list[float] = []
    raws: list[float] = []
    for _ in range(rounds):
        client.delete("relay", "raw")
        fill()
        relayed.append(_timed(relay_all))
        raws.append(_timed(raw))
        assert client.xlen("relay") == len(rows)  # noqa: S101 - a sanity check
    client.close()
    metadata.drop_all(engine)
    engine.dispose()
    ratios = [r / x for r, x in zip(raws, relayed, strict=True)]
    count = len(rows)
    return (
        count / statistics.median(relayed),
        count / statistics.median(raws),
        statistics.median(ratios),
    )


def bench_write(
    url: str, envelopes: list[dict[str, Any]], rounds: int
) -> tuple[float, float, float]:
    """Microseconds a row: the outbox's send, a bare INSERT; their median ratio."""
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    table = outbox_table(metadata, "bench_write")
    metadata.drop_all(engine)
    metadata.create_all(engine)
    rows = _rows(envelopes)
    insert = sa.insert(table)

    def outbox() -> None:
        with engine.begin() as connection:
            forwarder = SQLAlchemyOutbox(table, connection)
            for envelope in envelopes:
                forwarder.send(envelope)

    def bare() -> None:
        with engine.begin() as connection:
            for row in rows:
                connection.execute(insert, row)

    sent: list[float] = []
    inserted: list[float] = []
    for _ in range(rounds):
        sent.append(_timed(outbox))
        inserted.append(_timed(bare))
        with engine.begin() as connection:
            connection.execute(sa.delete(table))
    metadata.drop_all(engine)
    engine.dispose()
    ratios = [s / b for s, b in zip(sent, inserted, strict=True)]
    count = len(rows)
    return (
        statistics.median(sent) / count * 1e6,
        statistics.median(inserted) / count * 1e6,
        statistics.median(ratios),
    )


def main(argv: list[str] | None = None) -> int:
    """Run both comparisons on SQLite and PostgreSQL; print a table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.outbox")
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: few rows, one round"
    )
    args = parser.parse_args(argv)
    rows, rounds = (200, 1) if args.quick else (args.rows, args.rounds)
    envelopes = _envelopes(rows)
    with (
        tempfile.TemporaryDirectory() as scratch,
        _redis(Path(scratch)) as redis_url,
        _postgres() as postgres_url,
    ):
        databases = {"SQLite": f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"}
        if postgres_url is not None:
            databases["PostgreSQL"] = postgres_url
        else:
            print("PostgreSQL is not installed: its rows are skipped")
        print(f"{rows} rows, batches of {args.batch}, {rounds} rounds (medians)")
        for name, url in databases.items():
            relay, raw, ratio = bench_relay(
                url, redis_url, envelopes, args.batch, rounds
            )
            print(
                f"{name:<10} relay to Redis   {relay:>9,.0f} rows/s   raw XADD "
                f"pipeline {raw:>9,.0f} rows/s   relay/raw {ratio:.2f}x "
                f"(target >= 0.5x)"
            )
            sent, bare, ratio = bench_write(url, envelopes, rounds)
            print(
                f"{name:<10} outbox write     {sent:>9.1f} us/row   bare INSERT "
                f"{bare:>13.1f} us/row   outbox/bare {ratio:.2f}x (target <= 1.5x)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
