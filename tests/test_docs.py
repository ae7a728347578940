"""The documentation covers the public API, and its examples in docstrings run.

The pages themselves are built, and their examples run, by ``nox -s docs``
(``sphinx-build -n -W`` and the doctest builder); these tests keep the API
reference complete without building it: a name added to a module's ``__all__``
and left out of ``docs/api/`` fails here.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
import re
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

import commerce_events

ROOT = Path(__file__).parent.parent
API = ROOT / "docs" / "api"

# ``.. autoclass:: commerce_events.X``, ``.. py:class:: X`` (with ``:module:``).
DIRECTIVE = re.compile(r"^\.\. (auto\w+|py:\w+)::\s+([\w.]+)", re.MULTILINE)
OPTION = re.compile(r"^\s+:[\w-]+:")
MODULE_OPTION = re.compile(r"^\s+:module:\s+([\w.]+)")


# Modules whose names Django's conventions impose (the app's model, migrations
# and management commands): not API; contrib-django.rst describes them.
_DJANGO_CONVENTIONS = tuple(
    f"commerce_events.contrib.django.{name}"
    for name in ("models", "migrations", "management")
)


def public_module_names() -> list[str]:
    """Every importable module of the package without a private component."""
    names = [commerce_events.__name__]
    for info in pkgutil.walk_packages(
        commerce_events.__path__, prefix=f"{commerce_events.__name__}."
    ):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts):
            continue
        if info.name.startswith(_DJANGO_CONVENTIONS):
            continue
        names.append(info.name)
    return sorted(names)


def documented() -> tuple[set[str], set[str]]:
    """The modules and the objects ``docs/api/*.rst`` documents, by full name."""
    modules: set[str] = set()
    objects: set[str] = set()
    for page in sorted(API.glob("*.rst")):
        lines = page.read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            match = DIRECTIVE.match(line)
            if match is None:
                continue
            kind, name = match.groups()
            if kind in ("automodule", "py:module"):
                modules.add(name)
                continue
            for option in lines[index + 1 :]:
                if not OPTION.match(option):
                    break  # the directive's options end here
                found = MODULE_OPTION.match(option)
                if found is not None:
                    name = f"{found.group(1)}.{name}"
            objects.add(name)
    return modules, objects


def exported(module: types.ModuleType) -> Iterator[str]:
    yield from getattr(module, "__all__", ())


class TestApiReference:
    def test_every_public_module_has_a_page(self):
        """Each public module is documented with ``automodule``."""
        modules, _ = documented()

        assert [] == [name for name in public_module_names() if name not in modules]

    @pytest.mark.parametrize("module_name", public_module_names())
    def test_every_exported_name_is_documented(self, module_name):
        """Every name in a public module's ``__all__`` is in the API reference."""
        module = importlib.import_module(module_name)
        modules, objects = documented()

        missing = []
        for name in exported(module):
            full = f"{module_name}.{name}"
            # A lazily loaded name (the django-debug-toolbar panel, which needs
            # Django's settings) is documented if its full name is.
            value = module.__dict__.get(name)
            if isinstance(value, types.ModuleType):
                if value.__name__ not in modules:
                    missing.append(full)
            elif full not in objects:
                missing.append(full)
        assert [] == missing

    def test_documents_nothing_that_is_not_exported(self):
        """A documented name exists, and is exported by its module."""
        _, objects = documented()

        stale = []
        for full in sorted(objects):
            module_name, _, name = full.rpartition(".")
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                # A method or attribute documented under its class.
                continue
            if name not in getattr(module, "__all__", ()):
                stale.append(full)
        assert [] == stale


def modules_with_docstring_examples() -> list[str]:
    """The modules whose source has ``>>>`` examples, private ones included
    (they hold the docstrings of what the package re-exports)."""
    names = []
    for info in pkgutil.walk_packages(
        commerce_events.__path__, prefix=f"{commerce_events.__name__}."
    ):
        spec = importlib.util.find_spec(info.name)
        origin = spec.origin if spec is not None else None
        if origin and ">>>" in Path(origin).read_text(encoding="utf-8"):
            names.append(info.name)
    return sorted(names)


class TestDocstringExamples:
    @pytest.mark.parametrize("module_name", modules_with_docstring_examples())
    def test_examples_run(self, module_name):
        """The ``>>>`` examples of the API reference do what they show."""
        module = importlib.import_module(module_name)
        globs = {**vars(commerce_events), **vars(module)}
        finder = doctest.DocTestFinder(exclude_empty=True)
        runner = doctest.DocTestRunner(
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        )
        for test in finder.find(module, module_name, globs=globs):
            runner.run(test)

        assert 0 == runner.summarize(verbose=False).failed
