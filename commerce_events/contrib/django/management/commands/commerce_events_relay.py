# Django ships no type information; its objects are Any here.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any
"""``manage.py commerce_events_relay``: relay the outbox to a broker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandError

from .....outbox import DEFAULT_BATCH, Relay
from .....outbox._run import load_forwarder, run_until_signalled
from ...outbox import DjangoOutboxStore

if TYPE_CHECKING:
    # Django ships no types: what this command uses of its base class.
    class BaseCommand:
        stdout: Any
else:
    from django.core.management.base import BaseCommand

__all__ = ["Command"]


class Command(BaseCommand):
    """Relay the outbox to a broker until SIGTERM (or once, with ``--once``)."""

    help = (
        "Relay the commerce_events outbox to a forwarder (Redis Streams, Celery, "
        "yours) until SIGTERM; --lag prints how far behind it is."
    )

    def add_arguments(self, parser: Any) -> None:
        """The command's options."""
        parser.add_argument(
            "--forwarder",
            metavar="MODULE:NAME",
            help="the forwarder (or a function returning it) to relay to",
        )
        parser.add_argument("--database", default="default", help="database alias")
        parser.add_argument(
            "--batch",
            type=int,
            default=DEFAULT_BATCH,
            help=f"rows per batch (default {DEFAULT_BATCH})",
        )
        parser.add_argument(
            "--poll", type=float, default=1.0, help="seconds between polls when idle"
        )
        parser.add_argument(
            "--once", action="store_true", help="relay what is there, then exit"
        )
        parser.add_argument(
            "--lag", action="store_true", help="print the rows pending and exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Relay, or print the lag."""
        store = DjangoOutboxStore(options["database"])
        if options["lag"]:
            self.stdout.write(str(store.lag()))
            return
        if not options["forwarder"]:
            msg = "--forwarder MODULE:NAME is required to relay"
            raise CommandError(msg)
        try:
            forwarder = load_forwarder(options["forwarder"])
            relay = Relay(
                store, forwarder, batch=options["batch"], poll_interval=options["poll"]
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["once"]:
            total = 0
            while sent := relay.run_once():
                total += sent
            self.stdout.write(f"relayed {total} rows")
            return
        run_until_signalled(relay)
