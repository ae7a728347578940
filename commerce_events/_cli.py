"""The command line: ``python -m commerce_events catalog``."""

from __future__ import annotations

import argparse
import difflib
import importlib
import json
import os
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from . import _catalogue  # noqa: F401 - registers the built-in events
from ._payload import FieldSpec, PayloadSpec
from ._registry import GROUPS, catalog, namespace
from .exceptions import UnknownEventError

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


def _fail(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    """Report a user's mistake as argparse does: one line, exit status 2."""
    parser.exit(2, f"{parser.prog}: error: {message}\n")


def _import_modules(parser: argparse.ArgumentParser, modules: Sequence[str]) -> None:
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            _fail(parser, f"--import {module}: cannot import it: {exc}")


def _check_group(parser: argparse.ArgumentParser, group: str) -> None:
    groups = list(dict.fromkeys(spec.group for spec in catalog()))
    if group in groups:
        return
    message = f"--group: unknown group {group!r} (the groups are: {', '.join(groups)})"
    close = difflib.get_close_matches(group, groups, n=1)
    if close:
        message += f"; did you mean {close[0]!r}?"
    _fail(parser, message)


def _check_schema_options(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> None:
    if args.output is not None and args.check is not None:
        _fail(
            parser,
            "-o/--output cannot be used with --check (--check writes no export: "
            "it compares the current catalogue with a saved one)",
        )
    for name in args.events:
        try:
            namespace[name]
        except UnknownEventError as exc:
            _fail(parser, f"--event: {exc}")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; return the exit status.

    A user's mistake (an unknown group or event, a module that cannot be
    imported, contradictory options) is one line on standard error and exit
    status 2, as argparse reports a bad option. A closed pipe (``| head``) ends
    the output quietly.
    """
    stream = out if out is not None else sys.stdout
    parser = argparse.ArgumentParser(
        prog="python -m commerce_events",
        description="Inspect the commerce_events catalogue.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser(
        "catalog", help="list every registered event and its fields"
    )
    show.add_argument(
        "--format",
        choices=("text", "json", "rst"),
        default="text",
        help="text: readable tables (the default); json: the same as data; "
        "rst: the reStructuredText tables of the docs",
    )
    show.add_argument(
        "--group",
        help=f"only the events of this group: {', '.join(GROUPS)}, or the group "
        "of a custom event",
    )
    show.add_argument(
        "--import",
        dest="modules",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE first (to include the custom events it defines)",
    )
    from .schema import add_schema_parser, main_schema

    schema = add_schema_parser(commands)
    args = parser.parse_args(argv)
    command = schema if args.command == "schema" else show
    _import_modules(command, args.modules)
    try:
        if args.command == "schema":
            _check_schema_options(schema, args)
            return main_schema(args, stream)
        if args.group is not None:
            _check_group(show, args.group)
        _write_catalog(stream, args.format, catalog(args.group))
    except BrokenPipeError:
        if out is not None:
            raise
        # The reader left (``| head``): stop writing, and send what Python
        # still flushes at exit to nowhere, rather than a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return 0


def _write_catalog(
    stream: TextIO, output_format: str, specs: Sequence[PayloadSpec]
) -> None:
    if output_format == "json":
        json.dump(catalog_as_json(specs), stream, indent=2)
        stream.write("\n")
    elif output_format == "rst":
        stream.write(catalog_as_rst(specs))
    else:
        stream.write(format_catalog(specs))
