"""``python -m commerce_events relay``: relay an outbox table to a broker."""

from __future__ import annotations

import argparse
import logging
from typing import Any, TextIO

from ..forwarding import Forwarder
from . import DEFAULT_BATCH, DEFAULT_TABLE, Relay

__all__ = ["add_relay_parser", "main_relay"]


def add_relay_parser(commands: Any) -> None:
    """Add the ``relay`` command to the CLI's subparsers."""
    relay = commands.add_parser(
        "relay",
        help="relay an outbox table to a broker until SIGTERM",
        description=(
            "Move the rows of an outbox table (SQLAlchemy URL) to a Redis stream, "
            "a Celery app or any forwarder, in order and at least once."
        ),
    )
    relay.add_argument(
        "--database", required=True, metavar="URL", help="SQLAlchemy database URL"
    )
    relay.add_argument("--table", default=DEFAULT_TABLE, help="the outbox table")
    relay.add_argument("--schema", help="the outbox table's schema")
    target = relay.add_mutually_exclusive_group()
    target.add_argument("--redis", metavar="URL", help="relay to a Redis stream")
    target.add_argument(
        "--celery", metavar="MODULE:APP", help="relay to a Celery app's task"
    )
    target.add_argument(
        "--forwarder",
        metavar="MODULE:NAME",
        help="relay to this forwarder (or what calling it returns)",
    )
    relay.add_argument("--stream", default="commerce-events", help="Redis stream")
    relay.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        help="Redis socket timeout, in seconds (default 5)",
    )
    relay.add_argument("--task", help="Celery task name")
    relay.add_argument(
        "--batch",
        type=int,
        default=DEFAULT_BATCH,
        help=f"rows per batch (default {DEFAULT_BATCH})",
    )
    relay.add_argument(
        "--poll", type=float, default=1.0, help="seconds between polls when idle"
    )
    relay.add_argument(
        "--log-interval",
        type=float,
        default=60.0,
        help="seconds between progress logs",
    )
    relay.add_argument(
        "--once", action="store_true", help="relay what is there, then exit"
    )
    relay.add_argument(
        "--lag", action="store_true", help="print the rows pending and exit"
    )


def _forwarder(args: argparse.Namespace) -> Forwarder:
    from ._run import load_forwarder

    if args.redis:
        import redis

        from ..forwarding.redis import RedisStreamForwarder

        client = redis.Redis.from_url(
            args.redis,
            socket_timeout=args.timeout,
            socket_connect_timeout=args.timeout,
        )
        return RedisStreamForwarder(client, args.stream)
    if args.celery:
        from ..forwarding.celery import DEFAULT_TASK_NAME, CeleryForwarder

        module_name, _, name = args.celery.partition(":")
        import importlib

        app = getattr(importlib.import_module(module_name), name)
        return CeleryForwarder(app, args.task or DEFAULT_TASK_NAME)
    if args.forwarder:
        return load_forwarder(args.forwarder)
    msg = "give --redis, --celery or --forwarder"
    raise ValueError(msg)


def main_relay(args: argparse.Namespace, out: TextIO) -> int:
    """Run the ``relay`` command; return the exit status."""
    import sqlalchemy as sa

    from ._run import run_until_signalled
    from .sqlalchemy import SQLAlchemyOutboxStore, outbox_table

    engine = sa.create_engine(args.database)
    try:
        table = outbox_table(sa.MetaData(), args.table, schema=args.schema)
        store = SQLAlchemyOutboxStore(engine, table)
        if args.lag:
            out.write(f"{store.lag()}\n")
            return 0
        try:
            relay = Relay(
                store,
                _forwarder(args),
                batch=args.batch,
                poll_interval=args.poll,
                log_interval=args.log_interval,
            )
        except ValueError as exc:
            out.write(f"error: {exc}\n")
            return 2
        if args.once:
            total = 0
            while sent := relay.run_once():
                total += sent
            out.write(f"relayed {total} rows\n")
            return 0
        if not logging.getLogger().handlers:
            logging.basicConfig(
                level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
            )
        run_until_signalled(relay)
        return 0
    finally:
        engine.dispose()
