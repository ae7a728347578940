"""The toolkit from an installed wheel: entry points work with no setup.

Entry points exist only once the package is installed, so these tests build a
wheel of the checkout, install it with its ``hypothesis`` extra into a fresh
virtual environment (dependencies come from the package index), and run code
there from a directory where the checkout is not importable. About ten seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What a test session in the fresh environment must not inherit from this one.
_LEAKY = (
    "PYTHONPATH",
    "PYTHONHOME",
    "VIRTUAL_ENV",
    "HYPOTHESIS_NO_PLUGINS",
    "PYTEST_ADDOPTS",
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
    "PYTEST_PLUGINS",
)


def _run(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY}
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(name="wheel", scope="module")
def _wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of the checkout."""
    base = tmp_path_factory.mktemp("dist")
    built = _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", base, ROOT,
        cwd=base,
    )  # fmt: skip
    assert 0 == built.returncode, built.stderr
    (wheel,) = base.glob("commerce_events-*.whl")
    return wheel


def _environment(base: Path, *requirements: str) -> tuple[Path, Path]:
    """A fresh venv in *base* with *requirements* installed: (python, work dir)."""
    created = _run(sys.executable, "-m", "venv", base / "venv", cwd=base)
    assert 0 == created.returncode, created.stderr
    bin_dir = "Scripts" if os.name == "nt" else "bin"
    python = base / "venv" / bin_dir / "python"
    installed = _run(python, "-m", "pip", "install", "-q", *requirements, cwd=base)
    assert 0 == installed.returncode, installed.stderr
    work = base / "work"
    work.mkdir()
    return python, work


@pytest.fixture(name="fresh", scope="module")
def _fresh(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The wheel with its hypothesis extra, and pytest: (its python, a work dir)."""
    return _environment(
        tmp_path_factory.mktemp("fresh"), f"{wheel}[hypothesis]", "pytest"
    )


@pytest.fixture(name="bare", scope="module")
def _bare(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The wheel alone, no extra: (its python, a work dir)."""
    return _environment(tmp_path_factory.mktemp("bare"), str(wheel))


class TestBareInstall:
    """Without any extra, the package and its public surface still work."""

    def test_names_of_extras_do_not_break_the_package(self, bare):
        """import *, hasattr and dir() work; the lazy names say which extra."""
        python, work = bare
        script = textwrap.dedent(
            """
            import commerce_events
            namespace = {}
            exec("from commerce_events import *", namespace)
            assert "emit" in namespace and "OrderPlaced" in namespace
            assert "to_dict" not in namespace
            assert not hasattr(commerce_events, "to_dict")
            assert not hasattr(commerce_events, "forward")
            names = dir(commerce_events)
            assert "catalogue" in names and "to_dict" not in names
            try:
                commerce_events.from_dict
            except AttributeError as exc:
                assert "pip install 'commerce-events[serialization]'" in str(exc)
            else:
                raise AssertionError("from_dict without cattrs")
            for module, extra in [
                ("commerce_events.serialization", "serialization"),
                ("commerce_events.testing.strategies", "hypothesis"),
            ]:
                try:
                    __import__(module)
                except ImportError as exc:
                    assert f"commerce-events[{extra}]" in str(exc), exc
                else:
                    raise AssertionError(module)
            print(len(commerce_events.catalogue()))
            """
        )

        result = _run(python, "-W", "error", "-c", script, cwd=work)

        assert 0 == result.returncode, result.stderr
        assert int(result.stdout) >= 28


class TestInstalledWheel:
    def test_from_type_needs_no_setup(self, fresh):
        """A plain script draws valid payloads with ``st.from_type``."""
        python, work = fresh
        script = textwrap.dedent(
            """
            import commerce_events
            from hypothesis import given, settings, strategies as st
            from commerce_events import OrderPlaced

            drawn = []

            @settings(max_examples=30, database=None)
            @given(st.from_type(OrderPlaced))
            def draw(event):
                drawn.append(event)

            draw()
            print(commerce_events.__file__)
            print({type(e).__name__ for e in drawn}, all(e.order for e in drawn))
            """
        )

        result = _run(python, "-W", "error", "-c", script, cwd=work)

        assert 0 == result.returncode, result.stderr
        location, drawn = result.stdout.splitlines()
        assert not Path(location).is_relative_to(ROOT)
        assert "{'OrderPlaced'} True" == drawn

    def test_the_issue_snippets_pass_under_pytest(self, fresh):
        """The documented snippets pass, the plugin's fixture autoloaded."""
        python, work = fresh
        (work / "test_snippets.py").write_text(
            textwrap.dedent(
                """
                import pytest
                from hypothesis import given, strategies as st
                from commerce_events import OrderPlaced, ProductViewed, emit
                from commerce_events.testing import capture_events, strategies as ces

                the_order = object()

                def send_confirmation(event):
                    assert event.order is not None

                class Client:
                    def post(self, path):
                        emit(OrderPlaced(order=the_order))

                @pytest.fixture
                def client():
                    return Client()

                @given(ces.payloads(OrderPlaced))
                def test_confirmation_never_crashes(event):
                    send_confirmation(event)

                @given(st.from_type(ProductViewed))
                def test_counter(event):
                    assert type(event) is ProductViewed

                def test_checkout_emits(client):
                    with capture_events(OrderPlaced) as captured:
                        client.post("/checkout")
                    captured.assert_emitted_once(OrderPlaced, order=the_order)

                def test_with_fixture(captured_events):
                    emit(ProductViewed(product="p"))
                    assert captured_events.of_type(ProductViewed)
                """
            )
        )

        result = _run(
            python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error",
            "test_snippets.py",
            cwd=work,
        )  # fmt: skip

        assert 0 == result.returncode, result.stdout + result.stderr
        assert "4 passed" in result.stdout
