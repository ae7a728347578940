"""The package as released: the Pythons it claims, its license, its sdist.

The sdist is built here (about five seconds) and checked to carry the whole
source tree its tests read; ``nox -s sdist`` (run by ``.ci/run``) goes further
and runs the test suite from an unpacked sdist.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# What the sdist is for: the package, its tests, and what they read.
SOURCE_TREE = (
    "commerce_events",
    "tests",
    "typing_tests",
    "docs",
    "examples",
    "benchmarks",
)
NOT_SOURCE = ("__pycache__", "_build", ".hypothesis", ".pytest_cache", ".mypy_cache",
              ".ruff_cache")  # fmt: skip


def nox_pythons() -> list[str]:
    """The ``PYTHONS`` list of noxfile.py: what the test sessions run on."""
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "PYTHONS"
            for target in node.targets
        ):
            return list(ast.literal_eval(node.value))
    raise AssertionError("noxfile.py has no PYTHONS")


class TestMetadata:
    def test_classifiers_are_the_tested_pythons(self):
        """Every Python the classifiers claim is tested, and only those."""
        prefix = "Programming Language :: Python :: 3."
        claimed = [
            c.removeprefix("Programming Language :: Python :: ")
            for c in PYPROJECT["project"]["classifiers"]
            if c.startswith(prefix)
        ]

        assert nox_pythons() == claimed

    def test_requires_python_is_the_oldest_tested(self):
        assert f">={nox_pythons()[0]}" == PYPROJECT["project"]["requires-python"]

    def test_license_file(self):
        text = (ROOT / "LICENSE").read_text(encoding="utf-8")

        assert "MIT" == PYPROJECT["project"]["license"]
        assert text.startswith("MIT License\n")
        assert ["LICENSE"] == PYPROJECT["project"]["license-files"]


class TestBenchmarksDocument:
    def test_is_self_contained(self):
        """It speaks of what the repository has: no issue numbers, no outside harness."""
        text = (ROOT / "BENCHMARKS.rst").read_text(encoding="utf-8")

        assert [] == [
            word for word in ("issue #", "peers_bench", "/work/") if word in text
        ]

    def test_its_commands_run_what_the_repository_has(self):
        text = (ROOT / "BENCHMARKS.rst").read_text(encoding="utf-8")

        assert "$ nox -s bench" in text
        assert (ROOT / "benchmarks" / "__main__.py").is_file()


def source_files() -> set[str]:
    """The files of the source tree, relative to the root, without caches."""
    files = {"pyproject.toml", "README.rst", "CHANGELOG.rst", "LICENSE", "noxfile.py"}
    for top in SOURCE_TREE:
        for path in (ROOT / top).rglob("*"):
            relative = path.relative_to(ROOT)
            if path.is_file() and not any(p in NOT_SOURCE for p in relative.parts):
                files.add(relative.as_posix())
    return files


@pytest.fixture(name="sdist_names", scope="module")
def _sdist_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The files in a freshly built sdist, relative to its top directory."""
    out = tmp_path_factory.mktemp("sdist")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    built = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert 0 == built.returncode, built.stderr
    (archive,) = out.glob("commerce_events-*.tar.gz")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    top = archive.name.removesuffix(".tar.gz") + "/"
    return {name.removeprefix(top) for name in names if name.startswith(top)}


class TestSdist:
    def test_carries_the_whole_source_tree(self, sdist_names):
        """Its tests read docs/api, examples and benchmarks: all are there."""
        assert [] == sorted(source_files() - sdist_names)

    def test_api_reference_is_there(self, sdist_names):
        """``tests/test_docs.py`` checks the API reference against ``__all__``."""
        assert "docs/api/commerce_events.rst" in sdist_names

    def test_no_caches_or_virtual_environments(self, sdist_names):
        assert [] == sorted(
            name
            for name in sdist_names
            if {".venv", "__pycache__", "_build", ".nox"} & set(name.split("/"))
        )
