"""Integrations are optional: the core imports no framework, and a missing one
is named with the extra to install."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

FRAMEWORKS = ("flask", "werkzeug", "django", "starlette", "fastapi")


def forget(monkeypatch: pytest.MonkeyPatch, *packages: str) -> None:
    """Forget *packages* and their modules, if imported, until the test ends."""
    for name in list(sys.modules):
        if any(name == p or name.startswith(f"{p}.") for p in packages):
            monkeypatch.delitem(sys.modules, name)


def hide(monkeypatch: pytest.MonkeyPatch, package: str) -> None:
    """Make *package* unimportable until the test ends."""
    forget(monkeypatch, package)
    monkeypatch.setitem(sys.modules, package, None)


class TestOptional:
    def test_core_imports_no_framework(self) -> None:
        """The core and the pure WSGI/ASGI middlewares import no web framework."""
        code = (
            "import sys, commerce_events, commerce_events.contrib.wsgi, "
            "commerce_events.contrib.asgi; "
            f"print(sorted(set({FRAMEWORKS!r}) & set(sys.modules)))"
        )

        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )

        assert "[]" == out.stdout.strip()

    @pytest.mark.parametrize(
        ("module", "framework", "extra"),
        [
            ("commerce_events.contrib.flask", "flask", "flask"),
            ("commerce_events.contrib.django.apps", "django", "django"),
            ("commerce_events.contrib.django.middleware", "django", "django"),
            ("commerce_events.contrib.starlette", "starlette", "starlette"),
            ("commerce_events.contrib.fastapi", "fastapi", "fastapi"),
            ("commerce_events.contrib.oscar", "oscar", "oscar"),
            (
                "commerce_events.contrib.django.debug_toolbar",
                "debug_toolbar",
                "django-debug-toolbar",
            ),
            (
                "commerce_events.contrib.flask_debugtoolbar",
                "flask_debugtoolbar",
                "flask-debugtoolbar",
            ),
        ],
    )
    def test_missing_framework(
        self, monkeypatch: pytest.MonkeyPatch, module: str, framework: str, extra: str
    ) -> None:
        """Importing an integration without its framework names the extra."""
        hide(monkeypatch, framework)
        forget(
            monkeypatch,
            module,
            "commerce_events.contrib.django",
            "commerce_events.contrib.oscar",
        )

        with pytest.raises(ImportError) as caught:
            importlib.import_module(module)

        assert f"pip install 'commerce-events[{extra}]'" in str(caught.value)
