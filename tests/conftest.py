"""Shared test setup: Hypothesis profiles and per-test isolation of the bus."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings

from commerce_events import _domain, _serialization_hooks, _settings

settings.register_profile(
    "default",
    deadline=timedelta(milliseconds=500),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fast", parent=settings.get_profile("default"), max_examples=10
)
settings.register_profile(
    "ci", parent=settings.get_profile("default"), max_examples=200
)
# ``nox -s coverage``: the tracer slows every call, so a deadline would time it.
settings.register_profile(
    "coverage", parent=settings.get_profile("default"), deadline=None
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _isolated_bus() -> Iterator[None]:
    """Every test (README doctests included) starts and ends with the same bus."""
    declared = _domain.domain_classes()
    identities = dict(_serialization_hooks._hooks)
    with _settings.isolated_state():
        yield
    _serialization_hooks._hooks.clear()
    _serialization_hooks._hooks.update(identities)
    _domain.declare_domain_classes(
        **{name: declared.get(name) for name in _domain._known}
    )
