"""The command line: ``python -m commerce_events catalog``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from . import _catalogue  # noqa: F401 - registers the built-in events
from ._payload import FieldSpec, PayloadSpec
from ._registry import catalog

__all__ = ["main"]


def _table(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        indent
        + "  ".join(
            cell.ljust(width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]


def format_catalog(specs: Sequence[PayloadSpec]) -> str:
    """Render the catalogue as a readable plain-text table, by group."""
    lines: list[str] = []
    group = None
    for spec in specs:
        if spec.group != group:
            group = spec.group
            heading = f"{group} events"
            lines += [heading.upper(), "=" * len(heading), ""]
        title = spec.name
        if spec.aliases:
            title += f" (alias: {', '.join(spec.aliases)})"
        summary = spec.doc.splitlines()[0] if spec.doc else ""
        lines.append(f"{title} -> {spec.payload_type.__qualname__}")
        if summary:
            lines.append(f"  {summary}")
        rows = [["field", "accepts", "presence", "doc"]]
        for fs in spec.fields:
            need = "required" if fs.required else "optional"
            rows.append(
                [
                    fs.name,
                    fs.expect
                    + (" | None" if fs.none_ok and "None" not in fs.expect else ""),
                    need,
                    fs.doc,
                ]
            )
        lines.extend(_table(rows))
        lines.append("")
    return "\n".join(lines)


def _field_label(fs: FieldSpec) -> str:
    if fs.domain is not None:
        return fs.name
    expect = fs.expect.removesuffix(" | None")
    return f"{fs.name} ({expect})"


def catalog_as_rst(specs: Sequence[PayloadSpec]) -> str:
    """Render the catalogue as reStructuredText tables, one per group."""
    head = ("Signal", "Payload class", "Required", "Optional")
    blocks: list[str] = []
    for group in dict.fromkeys(spec.group for spec in specs):
        rows = [
            (
                f"``{spec.name}``",
                f"``{spec.payload_type.__name__}``",
                ", ".join(_field_label(f) for f in spec.fields if f.required),
                ", ".join(_field_label(f) for f in spec.fields if not f.required),
            )
            for spec in specs
            if spec.group == group
        ]
        widths = [max(len(r[i]) for r in (head, *rows)) for i in range(4)]
        border = " ".join("=" * w for w in widths)

        def line(cells: Sequence[str], widths: list[int] = widths) -> str:
            return " ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))

        table = [border, line(head), border, *(line(r) for r in rows), border]
        blocks.append(f"**{group}**\n\n" + "\n".join(t.rstrip() for t in table) + "\n")
    return "\n".join(blocks)


def _dotted(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def catalog_as_json(specs: Sequence[PayloadSpec]) -> list[dict[str, object]]:
    """The catalogue as JSON-ready data."""
    return [
        {
            "name": spec.name,
            "group": spec.group,
            "aliases": list(spec.aliases),
            "payload_type": _dotted(spec.payload_type),
            "doc": spec.doc,
            "fields": [
                {
                    "name": fs.name,
                    "accepts": fs.expect,
                    "required": fs.required,
                    "none_ok": fs.none_ok,
                    "domain": fs.domain,
                    "doc": fs.doc,
                }
                for fs in spec.fields
            ],
        }
        for spec in specs
    ]


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; return the exit status."""
    stream = out if out is not None else sys.stdout
    parser = argparse.ArgumentParser(
        prog="python -m commerce_events",
        description="Inspect the commerce_events catalogue.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser(
        "catalog", help="list every registered event and its fields"
    )
    show.add_argument("--format", choices=("text", "json", "rst"), default="text")
    show.add_argument("--group", help="only the events of this group")
    show.add_argument(
        "--import",
        dest="modules",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE first (to include the custom events it defines)",
    )
    from .schema import add_schema_parser, main_schema

    add_schema_parser(commands)
    from .outbox._cli import add_relay_parser, main_relay

    add_relay_parser(commands)
    from .forwarding._cli import add_dead_letters_parser, main_dead_letters

    add_dead_letters_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "schema":
        return main_schema(args, stream)
    if args.command == "relay":
        return main_relay(args, stream)
    if args.command == "dead-letters":
        return main_dead_letters(args, stream)
    import importlib

    for module in args.modules:
        importlib.import_module(module)
    specs = catalog(args.group)
    if args.format == "json":
        json.dump(catalog_as_json(specs), stream, indent=2)
        stream.write("\n")
    elif args.format == "rst":
        stream.write(catalog_as_rst(specs))
    else:
        stream.write(format_catalog(specs))
    return 0
