"""Development sessions: one per concern. ``nox -l`` lists them."""

from __future__ import annotations

import os

import nox

nox.needs_version = ">=2025.02.09"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint", "typing", "docs", "demo"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHON = "3.11"


def _install(session: nox.Session, *groups: str) -> None:
    session.install("-e", ".")
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (README doctests included)."""
    _install(session, "tests")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typing(session: nox.Session) -> None:
    """Type-check the package and typing_tests/ with mypy --strict and pyright."""
    _install(session, "typing")
    session.run("mypy", "--strict")
    # pyright finds the session's packages only when told its interpreter.
    session.run("pyright", f"--pythonpath={session.bin}/python")
    # Every public name fully typed.
    session.run(
        "pyright",
        "--verifytypes",
        "commerce_events",
        "--ignoreexternal",
        env={"PATH": f"{session.bin}:{os.environ['PATH']}"},
    )


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the docs (nitpicky, warnings are errors) and run every example."""
    _install(session, "docs")
    build = ("-T", "-W", "--keep-going", "-E")
    session.run("sphinx-build", "-n", *build, "-b", "html", "docs", "docs/_build/html")
    session.run("sphinx-build", *build, "-b", "doctest", "docs", "docs/_build/doctest")


@nox.session(python=PYTHON, default=False)
def stress(session: nox.Session) -> None:
    """Run the reliability tests at full size (100k threaded emits, 1M soak...)."""
    _install(session, "tests")
    session.run(
        "python",
        "-m",
        "pytest",
        "tests/test_reliability.py",
        "--durations=0",
        *session.posargs,
        env={"COMMERCE_EVENTS_STRESS": "1"},
    )


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Measure emit against its limits and its peers; ``-- --quick`` for a smoke run."""
    _install(session, "bench")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """Run the scripted customer journey."""
    session.install("-e", ".")
    session.run("python", "examples/demo.py")
