"""``python -m commerce_events dead-letters``: list and re-drive dead letters."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from .._limits import printable

__all__ = ["add_dead_letters_parser", "main_dead_letters"]


def add_dead_letters_parser(commands: Any) -> None:
    """Add the ``dead-letters`` command to the CLI's subparsers."""
    dead = commands.add_parser(
        "dead-letters",
        help="list a Redis stream's dead letters, or send them back (--redrive)",
        description=(
            "List the entries a RedisStreamConsumer dead-lettered, with the reason; "
            "with --redrive, send them back to their stream."
        ),
    )
    dead.add_argument("--redis", required=True, metavar="URL", help="Redis URL")
    dead.add_argument(
        "--stream", required=True, help="the consumed stream (its <stream>:dead)"
    )
    dead.add_argument(
        "--dead-letter", help="the dead-letter stream, if not <stream>:dead"
    )
    dead.add_argument("--count", type=int, default=100, help="how many to list")
    dead.add_argument("--json", action="store_true", help="one JSON object a line")
    dead.add_argument(
        "--redrive",
        nargs="*",
        metavar="ID",
        help="send these dead letters (all without IDs) back to their stream",
    )


def main_dead_letters(args: argparse.Namespace, out: TextIO) -> int:
    """Run the ``dead-letters`` command; return the exit status."""
    import redis

    from .redis import dead_letters, redrive

    client = redis.Redis.from_url(args.redis, socket_timeout=10)
    stream = args.dead_letter or f"{args.stream}:dead"
    try:
        if args.redrive is not None:
            sent = redrive(client, stream, args.redrive or None)
            out.write(f"sent {sent} dead letters back\n")
            return 0
        letters = dead_letters(client, stream, count=args.count)
        for letter in letters:
            if args.json:
                out.write(
                    json.dumps(
                        {
                            "id": letter.id,
                            "stream": letter.stream,
                            "entry_id": letter.entry_id,
                            "reason": letter.reason,
                            "fields": dict(letter.fields),
                        }
                    )
                    + "\n"
                )
            else:
                reason = printable(letter.reason)
                out.write(f"{letter.id}  {letter.stream} {letter.entry_id}  {reason}\n")
        if not args.json:
            out.write(f"{len(letters)} dead letters in {stream!r}\n")
        return 0
    finally:
        client.close()
