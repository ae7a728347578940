"""Tests for commerce_events._cli: ``python -m commerce_events catalogue``."""

import io
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import commerce_events
from commerce_events import GROUPS, catalogue
from commerce_events._cli import main

CUSTOM_MODULE = "custom_events_test_cli"
CUSTOM_EVENT = "points_awarded_test_cli"
CUSTOM_SOURCE = textwrap.dedent(
    f'''
    from commerce_events import event, field


    @event("{CUSTOM_EVENT}")
    class PointsAwardedTestCli:
        """Raised when loyalty points are awarded (defined by test_cli)."""

        member: str = field(doc="The loyalty scheme member")
        points: int = field(doc="How many points were awarded")
        reason: str | None = field(default=None, doc="Why they were awarded")
    '''
)


@pytest.fixture(name="custom_module")
def _custom_module(tmp_path, monkeypatch):
    """Make a module defining a custom event importable, and return its name."""
    (tmp_path / f"{CUSTOM_MODULE}.py").write_text(CUSTOM_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return CUSTOM_MODULE


def run(*argv: str) -> str:
    """Run the command line in-process and return what it printed."""
    out = io.StringIO()
    assert 0 == main(list(argv), out=out)
    return out.getvalue()


def cells(line: str) -> list[str]:
    """Split a table row into its cells (separated by two spaces or more)."""
    return re.split(r"\s{2,}", line.strip())


def is_heading(block: str) -> bool:
    """Whether a block is a group heading: a title underlined with "="."""
    lines = block.splitlines()
    return 2 == len(lines) and "=" * len(lines[0]) == lines[1]


def sections(text: str) -> dict[str, list[str]]:
    """Split the text catalogue by group heading: the events under each."""
    result: dict[str, list[str]] = {}
    heading = None
    for block in text.strip().split("\n\n"):
        if is_heading(block):
            heading = block.splitlines()[0]
            assert heading not in result, f"{heading} appears twice"
            result[heading] = []
        else:
            assert heading is not None, "an event comes before any heading"
            result[heading].append(block.split()[0])
    return result


def blocks(text: str) -> dict[str, tuple[str, list[str], dict[str, list[str]]]]:
    """Split the text catalogue by event: (title, summary lines, rows by field)."""
    result = {}
    for block in text.strip().split("\n\n"):
        if is_heading(block):
            continue
        title, *rest = block.splitlines()
        header = next(i for i, line in enumerate(rest) if cells(line)[0] == "field")
        rows = {cells(line)[0]: cells(line) for line in rest[header:]}
        # "name -> Class" or "name v2 (alias: ...) -> Class": by name and version.
        result[title.split(" -> ")[0].split(" (alias")[0]] = (
            title,
            rest[:header],
            rows,
        )
    return result


def label(spec: Any) -> str:
    """How the text catalogue titles an event: its name, and versions after 1."""
    return spec.name if spec.version == 1 else f"{spec.name} v{spec.version}"


def grouped(specs) -> dict[str, list[str]]:
    """The model of the headings: each group's title and its events, in order."""
    result: dict[str, list[str]] = {}
    for spec in specs:
        result.setdefault(f"{spec.group.upper()} EVENTS", []).append(spec.name)
    return result


class TestMain:
    def test_module_entry_point(self):
        """python -m commerce_events catalogue prints every built-in event."""
        completed = subprocess.run(
            [sys.executable, "-m", "commerce_events", "catalogue"],
            capture_output=True,
            text=True,
            check=False,
        )

        assert 0 == completed.returncode
        assert "" == completed.stderr
        for spec in catalogue():
            if spec.payload_type.__module__.startswith("commerce_events."):
                assert spec.name in completed.stdout

    def test_main_module_exits_with_mains_status(self, monkeypatch, capsys):
        """``__main__`` runs main() with the command line and exits with its status."""
        monkeypatch.setattr(
            sys, "argv", ["commerce_events", "catalogue", "--group", "order"]
        )

        # As ``python -m`` runs it (runpy would meet pytest's import hook).
        path = Path(commerce_events.__file__).with_name("__main__.py")
        code = compile(path.read_text(encoding="utf-8"), str(path), "exec")
        with pytest.raises(SystemExit) as info:
            exec(code, {"__name__": "__main__", "__package__": "commerce_events"})  # noqa: S102 - the module's own code

        assert 0 == info.value.code
        assert ["ORDER EVENTS"] == list(sections(capsys.readouterr().out))

    def test_text_lists_every_event(self):
        """The table has a block per event naming its payload class and doc."""
        text = blocks(run("catalogue"))

        assert [label(spec) for spec in catalogue()] == list(text)
        for spec in catalogue():
            title, summary, _rows = text[label(spec)]
            expected_summary = [f"  {spec.doc.splitlines()[0]}"] if spec.doc else []
            assert title.endswith(f"-> {spec.payload_type.__qualname__}")
            assert expected_summary == summary
            for alias in spec.aliases:
                assert alias in title

    def test_text_groups_events_under_headings(self):
        """Each group has one heading, in catalogue order, above its events."""
        headings = sections(run("catalogue"))

        assert grouped(catalogue()) == headings
        journey = [f"{group.upper()} EVENTS" for group in GROUPS]
        assert journey == list(headings)[: len(GROUPS)]

    def test_headings_are_underlined(self):
        """A heading is underlined with "=" and separated from its first event."""
        lines = run("catalogue").splitlines()

        assert ["BROWSING EVENTS", "=" * 15, "", "product_viewed -> ProductViewed"] == (
            lines[:4]
        )

    @pytest.mark.parametrize("group", GROUPS)
    def test_group_option_keeps_only_that_group(self, group):
        """--group GROUP prints that group's heading and events only."""
        text = run("catalogue", "--group", group)

        assert {f"{group.upper()} EVENTS": [s.name for s in catalogue(group)]} == (
            sections(text)
        )
        assert [label(s) for s in catalogue(group)] == list(blocks(text))

    def test_group_option_with_json(self):
        """--group with --format json gives that group's entries only."""
        data = json.loads(run("catalogue", "--format", "json", "--group", "order"))

        assert [spec.name for spec in catalogue("order")] == [e["name"] for e in data]
        assert {"order"} == {entry["group"] for entry in data}

    def test_text_lists_every_field(self):
        """Each field has a row with its name, required/optional and its doc."""
        text = blocks(run("catalogue"))

        for spec in catalogue():
            _title, _summary, rows = text[label(spec)]
            assert ["field", "accepts", "presence", "doc"] == rows["field"]
            assert ["field", *spec.field_names] == list(rows)
            for fs in spec.fields:
                presence = "required" if fs.required else "optional"
                expected = [presence, fs.doc] if fs.doc else [presence]
                assert expected == rows[fs.name][2:]

    def test_text_for_product_viewed(self):
        """The product_viewed block reads as a table of its four fields."""
        title, summary, rows = blocks(run("catalogue"))["product_viewed"]

        assert "product_viewed -> ProductViewed" == title
        assert ["  Raised when a product detail page is viewed."] == summary
        assert [
            ("field", "presence", "doc"),
            ("product", "required", "The product being viewed"),
            ("user", "optional", "The user in question"),
            ("request", "optional", "The request instance"),
            ("response", "optional", "The response instance"),
        ] == [(row[0], row[2], row[3]) for row in rows.values()]

    def test_json_format(self):
        """--format json gives every event with its class, doc and fields."""
        data = json.loads(run("catalogue", "--format", "json"))

        assert [spec.name for spec in catalogue()] == [entry["name"] for entry in data]
        for spec, entry in zip(catalogue(), data, strict=True):
            cls = spec.payload_type
            assert f"{cls.__module__}.{cls.__qualname__}" == entry["payload_type"]
            assert list(spec.aliases) == entry["aliases"]
            assert spec.doc == entry["doc"]
            assert spec.group == entry["group"]
            assert [(f.name, f.required, f.doc) for f in spec.fields] == [
                (f["name"], f["required"], f["doc"]) for f in entry["fields"]
            ]

    def test_json_for_review_added(self):
        """The JSON entry of review_added lists its alias and field presence."""
        data = {
            entry["name"]: entry
            for entry in json.loads(run("catalogue", "--format", "json"))
        }
        entry = data["review_added"]

        assert ["review_created"] == entry["aliases"]
        assert "commerce_events._catalogue.ReviewAdded" == entry["payload_type"]
        assert [
            ("review", True),
            ("user", False),
            ("request", False),
            ("response", False),
        ] == [(f["name"], f["required"]) for f in entry["fields"]]

    def test_import_includes_custom_events(self, custom_module):
        """--import MODULE adds the events that module defines to the table."""
        output = run("catalogue", "--import", custom_module)
        title, summary, rows = blocks(output)[CUSTOM_EVENT]

        assert CUSTOM_EVENT in sections(output)["CUSTOM EVENTS"]
        assert f"{CUSTOM_EVENT} -> PointsAwardedTestCli" == title
        assert ["  Raised when loyalty points are awarded (defined by test_cli)."] == (
            summary
        )
        assert [
            ("field", "presence", "doc"),
            ("member", "required", "The loyalty scheme member"),
            ("points", "required", "How many points were awarded"),
            ("reason", "optional", "Why they were awarded"),
        ] == [(row[0], row[2], row[3]) for row in rows.values()]

    def test_import_includes_custom_events_in_json(self, custom_module):
        """--import MODULE with --format json includes the custom events."""
        data = json.loads(
            run("catalogue", "--format", "json", "--import", custom_module)
        )
        entry = {e["name"]: e for e in data}[CUSTOM_EVENT]

        assert f"{CUSTOM_MODULE}.PointsAwardedTestCli" == entry["payload_type"]
        assert [("member", True), ("points", True), ("reason", False)] == [
            (f["name"], f["required"]) for f in entry["fields"]
        ]

    def test_command_is_required(self, capsys):
        """Without a command, the usage is printed and the exit status is 2."""
        with pytest.raises(SystemExit) as info:
            main([], out=io.StringIO())

        assert 2 == info.value.code
        assert "usage" in capsys.readouterr().err


def fails(capsys, *argv: str) -> str:
    """Run the command line in-process, expecting a user's mistake: the message."""
    with pytest.raises(SystemExit) as info:
        main(list(argv), out=io.StringIO())
    captured = capsys.readouterr()

    assert 2 == info.value.code
    assert "" == captured.out
    return captured.err


class TestMistakes:
    """A user's mistake is one argparse-style line and exit status 2."""

    def test_unknown_group_lists_the_groups(self, capsys):
        err = fails(capsys, "catalogue", "--group", "baskets")
        groups = ", ".join(dict.fromkeys(spec.group for spec in catalogue()))

        assert (
            "python -m commerce_events catalogue: error: --group: unknown group "
            f"'baskets' (the groups are: {groups}); "
            "did you mean 'basket'?\n"
        ) == err

    def test_unknown_group_with_json(self, capsys):
        """Never an empty list with exit status 0."""
        err = fails(capsys, "catalogue", "--group", "nothing", "--format", "json")

        assert err.startswith("python -m commerce_events catalogue: error: --group:")
        assert 1 == err.count("\n")

    def test_custom_group_is_known_after_import(self, tmp_path, monkeypatch):
        """A custom event's group counts once its module is imported."""
        source = CUSTOM_SOURCE.replace(
            f'@event("{CUSTOM_EVENT}")',
            '@event("tier_reached_test_cli", group="loyalty")',
        )
        (tmp_path / "loyalty_events_test_cli.py").write_text(source)
        monkeypatch.syspath_prepend(str(tmp_path))

        out = run(
            "catalogue", "--import", "loyalty_events_test_cli", "--group", "loyalty"
        )

        assert ["LOYALTY EVENTS"] == list(sections(out))
        assert "tier_reached_test_cli" in out

    def test_help_lists_the_groups_and_formats(self, capsys):
        with pytest.raises(SystemExit):
            main(["catalogue", "--help"], out=io.StringIO())
        text = " ".join(capsys.readouterr().out.split())

        assert f"only the events of this group: {', '.join(GROUPS)}" in text
        assert "text: readable tables (the default)" in text

    def test_unknown_event(self, capsys):
        err = fails(capsys, "schema", "--event", "order_place")

        assert (
            "python -m commerce_events schema: error: --event: no event is "
            "registered as 'order_place'; did you mean 'order_paid', "
            "'order_placed'?\n"
        ) == err

    @pytest.mark.parametrize("command", ["catalogue", "schema"])
    def test_module_that_cannot_be_imported(self, capsys, command):
        err = fails(capsys, command, "--import", "nonexistent.module")

        assert (
            f"python -m commerce_events {command}: error: --import "
            "nonexistent.module: cannot import it: No module named 'nonexistent'\n"
        ) == err

    def test_output_with_check_is_refused(self, capsys, tmp_path):
        """--check writes no export, so -o would be silently ignored."""
        saved = tmp_path / "saved.json"
        saved.write_text(json.dumps({}))
        output = tmp_path / "out.json"

        err = fails(capsys, "schema", "-o", str(output), "--check", str(saved))

        assert "error: -o/--output cannot be used with --check" in err
        assert not output.exists()

    def test_no_traceback_from_the_module_entry_point(self):
        completed = subprocess.run(
            [sys.executable, "-m", "commerce_events", "schema", "--event", "x"],
            capture_output=True,
            text=True,
            check=False,
        )

        assert 2 == completed.returncode
        assert "Traceback" not in completed.stderr
        assert 1 == completed.stderr.count("\n")

    def test_closed_pipe_ends_quietly(self):
        """``catalogue --format json | head`` ends without a BrokenPipeError."""
        with subprocess.Popen(
            [sys.executable, "-m", "commerce_events", "catalogue", "--format", "json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as process:
            assert process.stdout is not None
            process.stdout.close()  # the reader leaves before anything is read
            _, err = process.communicate()

        assert "" == err
        assert 1 == process.returncode
