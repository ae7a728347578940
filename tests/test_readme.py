"""README.rst stays true and clean: its lines for newcomers, its doctests.

Its examples run as doctests (``--doctest-glob`` in pyproject.toml). A doctest
file runs outside the tests' per-test isolation, so it must leave the bus as it
found it: ``pytest README.rst tests/test_dispatch.py`` once failed 49 tests,
because README's subscribers were still subscribed.
"""

from __future__ import annotations

import doctest
import tomllib
from pathlib import Path

import pytest

import commerce_events

ROOT = Path(__file__).parent.parent
README = ROOT / "README.rst"
PYTEST_OPTIONS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
    "tool"
]["pytest"]["ini_options"]


def doctest_files() -> list[Path]:
    """The files pytest runs as doctests: each ``--doctest-glob`` at the root."""
    patterns = [
        option.removeprefix("--doctest-glob=")
        for option in PYTEST_OPTIONS["addopts"]
        if option.startswith("--doctest-glob=")
    ]
    return sorted(path for pattern in patterns for path in ROOT.glob(pattern))


def subscriptions() -> dict[str, list[object]]:
    """Every event's receivers, by event name."""
    return {
        name: list(signal.receivers.values())
        for name, signal in commerce_events.namespace.items()
    }


def console_line(text: str, marker: str) -> str:
    """The first ``$ `` line after *marker*, as ``.ci/run`` reads it."""
    after = text.split(f"\n{marker}\n", 1)[1]
    for line in after.splitlines():
        if line.strip().startswith("$ "):
            return line.strip().removeprefix("$ ")
    raise AssertionError(f"no console line after {marker}")


class TestDoctestFiles:
    def test_readme_is_one_of_them(self):
        assert [README] == doctest_files()

    @pytest.mark.parametrize("path", doctest_files(), ids=lambda path: path.name)
    def test_leaves_no_subscription_behind(self, path):
        """Run alone, its examples pass, and every subscriber they add is gone."""
        before = subscriptions()
        flags = 0
        for name in PYTEST_OPTIONS["doctest_optionflags"]:
            flags |= doctest.OPTIONFLAGS_BY_NAME[name]

        result = doctest.testfile(
            str(path), module_relative=False, optionflags=flags, verbose=False
        )

        assert (0, True) == (result.failed, result.attempted > 0)
        assert before == subscriptions()


class TestQuickStart:
    """CI runs exactly these lines (``.ci/run`` finds them by their markers)."""

    def test_demo_line(self):
        line = console_line(README.read_text(encoding="utf-8"), ".. ci-demo-line")

        assert line.startswith("python3 -m venv .venv && ")
        assert line.endswith(" && .venv/bin/python examples/demo.py")

    def test_test_line_installs_the_tests_group_from_the_checkout(self):
        line = console_line(README.read_text(encoding="utf-8"), ".. ci-test-line")

        assert "-m pip install -e . --group tests" in line
        assert line.endswith(" && .venv/bin/python -m pytest")

    def test_says_it_installs_from_a_checkout(self):
        """Not published yet: ``pip install commerce-events`` would fail."""
        text = README.read_text(encoding="utf-8")

        assert "not published on PyPI yet" in text
        assert "pip install commerce-events" not in text
