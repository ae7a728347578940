"""Tests for commerce_events.testing.pytest_plugin: fixtures and autoloading."""

from __future__ import annotations

import subprocess
import sys

import pytest

from commerce_events import ProductSearch, emit, subscribe
from commerce_events.testing import CapturedEvents

pytest_plugins = ["pytester"]

STRICT_INI = """
[pytest]
addopts = -p no:cacheprovider --strict-markers --strict-config
filterwarnings = error
"""


@pytest.fixture(name="inner")
def _inner(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytest project with no conftest: whatever it uses comes from the plugin."""
    pytester.makeini(STRICT_INI)
    return pytester


class TestCapturedEventsFixture:
    def test_records_what_the_test_emits(self, captured_events):
        """The fixture records every event emitted during the test."""
        emit(ProductSearch(query="shoes"))

        assert isinstance(captured_events, CapturedEvents)
        assert [ProductSearch(query="shoes")] == list(captured_events.payloads)

    def test_is_available_without_setup(self, inner):
        """A project with no conftest gets the fixture through the entry point."""
        inner.makepyfile(
            """
            from commerce_events import ProductViewed, emit

            def test_with_fixture(captured_events):
                emit(ProductViewed(product="p"))
                assert captured_events.of_type(ProductViewed)
                captured_events.assert_emitted_once(ProductViewed, product="p")
            """
        )

        inner.runpytest_subprocess().assert_outcomes(passed=1)

    def test_stops_recording_after_the_test(self, inner):
        """Each test gets its own recording; nothing is carried over."""
        inner.makepyfile(
            """
            from commerce_events import ProductSearch, emit

            def test_first(captured_events):
                emit(ProductSearch(query="first"))

            def test_second(captured_events):
                emit(ProductSearch(query="second"))
                assert ["second"] == [p.query for p in captured_events.payloads]
            """
        )

        inner.runpytest().assert_outcomes(passed=2)


class TestIsolatedSubscriptionsFixture:
    def test_subscribers_do_not_leak_into_the_next_test(self, inner):
        """A subscriber added in one test is gone in the next."""
        inner.makepyfile(
            """
            from commerce_events import ProductSearch, signal, subscribe

            def test_subscribes(isolated_subscriptions):
                subscribe(ProductSearch, print)
                assert signal(ProductSearch).receivers

            def test_sees_no_subscriber():
                assert not signal(ProductSearch).receivers
            """
        )

        inner.runpytest().assert_outcomes(passed=2)

    def test_without_it_subscribers_leak(self, inner):
        """Without the fixture the same subscriber leaks: the fixture is needed."""
        inner.makepyfile(
            """
            from commerce_events import ProductSearch, signal, subscribe, unsubscribe

            def test_subscribes():
                subscribe(ProductSearch, print)

            def test_sees_the_subscriber():
                assert signal(ProductSearch).receivers
                unsubscribe(ProductSearch, print)
            """
        )

        inner.runpytest().assert_outcomes(passed=2)

    def test_restores_subscribers_removed_by_the_test(self, isolated_subscriptions):
        """Used here directly, it lets a test remove subscribers safely."""
        received: list[ProductSearch] = []
        subscribe(ProductSearch, received.append)
        emit(ProductSearch(query="q"))

        assert [ProductSearch(query="q")] == received


class TestImports:
    def test_imports_no_web_framework_and_not_hypothesis(self):
        """Loading the plugin imports neither a web framework nor Hypothesis."""
        script = (
            "import sys\n"
            "import commerce_events.testing.pytest_plugin\n"
            "banned = {'django', 'flask', 'fastapi', 'starlette', 'werkzeug',\n"
            "          'hypothesis'}\n"
            "print(sorted(banned & {m.split('.')[0] for m in sys.modules}))\n"
        )

        result = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
        )

        assert "[]\n" == result.stdout
