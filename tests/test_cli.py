"""Tests for commerce_events._cli: ``python -m commerce_events catalogue``."""

import io
import json
import re
import subprocess
import sys
import textwrap

import pytest

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
        result[title.split()[0]] = (title, rest[:header], rows)
    return result


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

    def test_text_lists_every_event(self):
        """The table has a block per event naming its payload class and doc."""
        text = blocks(run("catalogue"))

        assert [spec.name for spec in catalogue()] == list(text)
        for spec in catalogue():
            title, summary, _rows = text[spec.name]
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
        assert [s.name for s in catalogue(group)] == list(blocks(text))

    def test_group_option_with_json(self):
        """--group with --format json gives that group's entries only."""
        data = json.loads(run("catalogue", "--format", "json", "--group", "order"))

        assert [spec.name for spec in catalogue("order")] == [e["name"] for e in data]
        assert {"order"} == {entry["group"] for entry in data}

    def test_text_lists_every_field(self):
        """Each field has a row with its name, required/optional and its doc."""
        text = blocks(run("catalogue"))

        for spec in catalogue():
            _title, _summary, rows = text[spec.name]
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
