"""The command line: ``python -m commerce_events catalogue`` and ``schema``."""

from __future__ import annotations

import argparse
import difflib
import importlib
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn, TextIO

from . import _catalogue  # noqa: F401 - registers the built-in events
from ._payload import FieldSpec, PayloadSpec
from ._registry import GROUPS, catalogue, namespace, versions
from .exceptions import SerializationError, UnknownEventError

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


def format_catalogue(specs: Sequence[PayloadSpec]) -> str:
    """Render the catalogue as a readable plain-text table, by group."""
    lines: list[str] = []
    group = None
    for spec in specs:
        if spec.group != group:
            group = spec.group
            heading = f"{group} events"
            lines += [heading.upper(), "=" * len(heading), ""]
        title = spec.name
        if spec.version != 1:
            title += f" v{spec.version}"
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


def catalogue_as_rst(specs: Sequence[PayloadSpec]) -> str:
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


def catalogue_as_json(specs: Sequence[PayloadSpec]) -> list[dict[str, object]]:
    """The catalogue as JSON-ready data."""
    return [
        {
            "name": spec.name,
            "version": spec.version,
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
    groups = list(dict.fromkeys(spec.group for spec in catalogue()))
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
    for given, option in ((args.output, "-o/--output"), (args.out, "--out")):
        if given is not None and args.check is not None:
            _fail(
                parser,
                f"{option} cannot be used with --check (--check writes no "
                f"export: it compares the current catalogue with a saved one)",
            )
    if args.base_uri is not None:
        from ._schema_ids import set_schema_base_uri

        try:
            set_schema_base_uri(args.base_uri)
        except ValueError as exc:
            _fail(parser, f"--base-uri: {exc}")
    for name in args.events:
        try:
            namespace[name]
        except UnknownEventError as exc:
            _fail(parser, f"--event: {exc}")


def main(
    argv: Sequence[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the command line; return the exit status.

    A user's mistake (an unknown group or event, a module that cannot be
    imported, contradictory options) is one line on standard error and exit
    status 2, as argparse reports a bad option. A closed pipe (``| head``) ends
    the output quietly.
    """
    stream = out if out is not None else sys.stdout
    errors = err if err is not None else sys.stderr
    parser = argparse.ArgumentParser(
        prog="python -m commerce_events",
        description="Inspect the commerce_events catalogue.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser(
        "catalogue", help="list every registered event and its fields"
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
    _add_import_option(show)
    schema = _add_schema_parser(commands)
    leaving: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {}
    try:
        # Leaving the process needs the serialization extra (cattrs); without
        # it, the commands that do are not offered.
        from .forwarding._cli import add_dead_letters_parser, main_dead_letters
        from .outbox._cli import add_relay_parser, main_relay
    except ImportError:
        pass
    else:
        add_relay_parser(commands)
        add_dead_letters_parser(commands)
        leaving = {"relay": main_relay, "dead-letters": main_dead_letters}
    args = parser.parse_args(argv)
    if args.command in leaving:
        return leaving[args.command](args, stream)
    command = schema if args.command == "schema" else show
    _import_modules(command, args.modules)
    try:
        if args.command == "schema":
            _check_schema_options(schema, args)
            return _main_schema(args, stream, errors)
        if args.group is not None:
            _check_group(show, args.group)
        _write_catalogue(stream, args.format, catalogue(args.group))
    except BrokenPipeError:
        if out is not None:
            raise
        # The reader left (``| head``): stop writing, and send what Python
        # still flushes at exit to nowhere, rather than a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return 0


def _write_catalogue(
    stream: TextIO, output_format: str, specs: Sequence[PayloadSpec]
) -> None:
    if output_format == "json":
        json.dump(catalogue_as_json(specs), stream, indent=2)
        stream.write("\n")
    elif output_format == "rst":
        stream.write(catalogue_as_rst(specs))
    else:
        stream.write(format_catalogue(specs))


def _add_import_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--import",
        dest="modules",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE first (to include the custom events it defines)",
    )


# -- schema --------------------------------------------------------------------------


def _add_schema_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "schema",
        help="export the JSON Schemas of the events, or check them for breaking "
        "changes",
        description=(
            "Print the JSON Schema of every event's data (the contract other "
            "services consume), or compare it with a saved export and fail on "
            "breaking changes."
        ),
    )
    _add_import_option(parser)
    parser.add_argument(
        "--event",
        dest="events",
        action="append",
        default=[],
        metavar="NAME",
        help="only this event, every version of it (repeat for several)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the export to FILE instead of standard output",
    )
    parser.add_argument(
        "--check",
        metavar="SAVED",
        help="compare with the export saved in SAVED; exit status 1 on breaking "
        "changes to a saved version (a new version beside it is fine)",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="write one schema file per event version (DIR/<event>/v<N>.json) "
        "and DIR/index.json, ready to serve at the base URI",
    )
    parser.add_argument(
        "--base-uri",
        metavar="URI",
        help="the base of the schemas' $id (and of envelopes' dataschema), "
        "where DIR is served: https://schemas.myshop.example/events/",
    )
    return parser


def _main_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``python -m commerce_events schema``: 0; with ``--check``, 1 if breaking.

    Events with a field that has no JSON form are left out of the export, with
    a warning on *err*: they stay in-process events. An unreadable saved export
    is exit status 2.
    """
    from .schema import catalogue_schema, json_schema

    specs = (
        tuple(spec for name in args.events for spec in versions(name).values())
        if args.events
        else catalogue()
    )
    exported: list[type[Any]] = []
    for spec in specs:
        try:
            json_schema(spec.payload_type)
        except SerializationError as exc:
            err.write(f"warning: {spec.name} left out: {exc}\n")
        else:
            exported.append(spec.payload_type)
    current = catalogue_schema(exported)
    if args.check is not None:
        return _check(args.check, current, out, err)
    if args.out is not None:
        from .schema import write_schemas

        written = write_schemas(args.out, exported)
        err.write(f"wrote {len(written) - 1} schemas and {written[-1]}\n")
        if args.output is None:
            return 0
    text = json.dumps(current, indent=2, ensure_ascii=False) + "\n"
    if args.output is not None:
        with open(args.output, "w", encoding="utf-8") as file:
            file.write(text)
    else:
        out.write(text)
    return 0


def _check(
    saved_path: str, current: Mapping[str, Any], out: TextIO, err: TextIO
) -> int:
    from .schema import compare_schemas, needs_new_version

    try:
        with open(saved_path, encoding="utf-8") as file:
            saved = json.load(file)
        changes = compare_schemas(saved, current)
    except (OSError, ValueError) as exc:
        err.write(f"error: cannot check against {saved_path}: {exc}\n")
        return 2
    for change in changes:
        out.write(f"{change}\n")
    for event, version in needs_new_version(changes).items():
        out.write(
            f"{event}: breaking changes to version {version} need a new version: "
            f"keep version {version}'s payload class as it was and register the "
            f"new contract beside it, @event({event!r}, version=N), with an "
            f"@upcaster from version {version}\n"
        )
    breaking = sum(change.breaking for change in changes)
    if breaking:
        noun = "change" if breaking == 1 else "changes"
        out.write(f"{breaking} breaking {noun} (compared with {saved_path})\n")
        return 1
    out.write(f"no breaking changes (compared with {saved_path})\n")
    return 0
