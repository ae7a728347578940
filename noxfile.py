"""Development sessions: one per concern. ``nox -l`` lists them."""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

import nox

nox.needs_version = ">=2025.02.09"
# virtualenv, not uv: the wheel tests build and install with the session's pip,
# which uv-made environments lack.
nox.options.default_venv_backend = "virtualenv"
nox.options.sessions = ["tests", "coverage", "lint", "typing", "docs", "demo"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHON = "3.11"
# Every Python the classifiers claim (tests/test_project.py keeps them equal);
# nox finds each as python3.X on PATH (.ci/run puts pyenv's there).
PYTHONS = ["3.11", "3.12", "3.13"]


def _install(session: nox.Session, *groups: str) -> None:
    session.install("-e", ".")
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite (README doctests included) on every supported Python."""
    _install(session, "tests")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHONS[-1])
def coverage(session: nox.Session) -> None:
    """Run the test suite measuring branch coverage; fail under the floor.

    On the newest Python, so that CI's coverage run is also its run of the
    suite there. The floor is ``fail_under`` in pyproject.toml's
    ``[tool.coverage.report]``.
    """
    _install(session, "tests", "coverage")
    session.run("coverage", "erase")
    session.run(
        "coverage",
        "run",
        "-m",
        "pytest",
        *session.posargs,
        env={"HYPOTHESIS_PROFILE": "coverage"},
    )
    session.run("coverage", "combine", "--quiet")
    session.run("coverage", "report")


@nox.session(python=PYTHON, default=False)
def sdist(session: nox.Session) -> None:
    """Build the sdist, then run its own test suite from an unpacked copy.

    Proves the sdist carries everything its tests need (docs, examples...).
    """
    session.install(*nox.project.dependency_groups(PYPROJECT, "tests"))
    tmp = Path(session.create_tmp()).resolve()
    shutil.rmtree(tmp / "sdist", ignore_errors=True)
    session.run("python", "-m", "build", "--sdist", "--outdir", str(tmp / "sdist"))
    (archive,) = (tmp / "sdist").glob("commerce_events-*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(tmp / "sdist", filter="data")
    unpacked = tmp / "sdist" / archive.name.removesuffix(".tar.gz")
    # The sdist's own package, not the checkout's editable one.
    session.install(str(unpacked))
    session.chdir(unpacked)
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
    # The production-shaped phase forwards events: the serialization extra.
    session.install("-e", ".[serialization]")
    session.install(*nox.project.dependency_groups(PYPROJECT, "bench"))
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """Run the scripted customer journey."""
    session.install("-e", ".")
    session.run("python", "examples/demo.py")


# django-oscar's own test suite, run against a checkout of its repository (its
# tests are not in the sdist): stock, then with commerce_events.contrib.oscar
# installed, which replaces Oscar's signal objects by ours.
OSCAR_VERSION = "4.2.1"
OSCAR_TEST_DEPS = [
    f"django-oscar=={OSCAR_VERSION}",
    "django>=5.2,<5.3",  # Oscar's own test matrix tops out at Django 5.2
    "Whoosh>=2.7,<2.8",
    "WebTest>=3.0.0,<4.0.0",
    "django-webtest>=1.9,<1.10",
    "pytest-django>=4.9.0,<5.0",
    "pytest-xdist>=3.6.1,<4.0.0",
    "freezegun>=1.5.1,<2.0.0",
    "pytz",
    "sorl-thumbnail>=12.10.0,<13.0.0",
    "easy-thumbnails>=2.9,<2.11",
    "django-environ>=0.4,<0.13",
    "whitenoise>=6.7.0,<6.12",
    "pycountry",
]
OSCAR_SETTINGS = """\
import os

from tests.settings import *  # noqa: F403 - Oscar's test settings, then ours

# Oscar's settings give every xdist worker the same on-disk Whoosh index:
# workers clearing and writing it at once fail random search and product
# tests (FileNotFoundError in whoosh), stock or not. One index per worker.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
HAYSTACK_CONNECTIONS = {  # noqa: F405
    "default": {
        **HAYSTACK_CONNECTIONS["default"],  # noqa: F405
        "PATH": f"{HAYSTACK_CONNECTIONS['default']['PATH']}-{_WORKER}",  # noqa: F405
    }
}
"""
OSCAR_APP = """
INSTALLED_APPS = [*INSTALLED_APPS, "commerce_events.contrib.oscar"]  # noqa: F405
"""


@nox.session(name="oscar-suite", python=PYTHON, default=False)
@nox.parametrize("variant", ["stock", "commerce_events"])
def oscar_suite(session: nox.Session, variant: str) -> None:
    """Run django-oscar's test suite: ``-- /path/to/checkout [pytest args]``.

    The checkout is a django-oscar 4.2 source tree (its ``tests/`` directory
    and ``setup.cfg``); the installed Oscar is the PyPI release of the same
    version. SQLite, two xdist workers.
    """
    if not session.posargs:
        session.error("give the path of a django-oscar checkout: -- /path/to/it")
    checkout, *pytest_args = session.posargs
    session.install("-e", ".", *OSCAR_TEST_DEPS)
    settings_dir = os.path.abspath(session.create_tmp())
    with open(os.path.join(settings_dir, "ce_oscar_settings.py"), "w") as f:
        f.write(OSCAR_SETTINGS + (OSCAR_APP if variant == "commerce_events" else ""))
    env = {
        # pytest-django reads these settings before Oscar's conftest turns
        # --sqlite into the same two variables.
        "DATABASE_ENGINE": "django.db.backends.sqlite3",
        "DATABASE_NAME": ":memory:",
        "DJANGO_SETTINGS_MODULE": "ce_oscar_settings",
        "PYTHONPATH": os.pathsep.join([os.path.abspath(checkout), settings_dir]),
    }
    session.chdir(checkout)
    session.run(
        "python",
        "-m",
        "pytest",
        "--sqlite",
        "-n",
        "2",
        "-q",
        "-p",
        "no:cacheprovider",
        *pytest_args,
        env=env,
    )
