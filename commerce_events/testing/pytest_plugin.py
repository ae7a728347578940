"""The pytest plugin: fixtures for testing code that emits or subscribes.

Loaded automatically (the ``pytest11`` entry point) wherever commerce_events is
installed. It imports only pytest and commerce_events: no web framework, and
not Hypothesis.

Fixtures:

``captured_events``
    A :class:`~commerce_events.testing.CapturedEvents` recording every event
    emitted during the test.
``isolated_subscriptions``
    Restores every event's subscriptions after the test, so subscribers a test
    adds do not leak into the next one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from . import CapturedEvents, capture_events
from . import isolated_subscriptions as _isolated_subscriptions

__all__ = ["captured_events", "isolated_subscriptions"]


@pytest.fixture
def captured_events() -> Iterator[CapturedEvents]:
    """Every event emitted during the test, with assertion helpers."""
    with capture_events() as captured:
        yield captured


@pytest.fixture
def isolated_subscriptions() -> Iterator[None]:
    """Undo, after the test, every subscription change it made."""
    with _isolated_subscriptions():
        yield
