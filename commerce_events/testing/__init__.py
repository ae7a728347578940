"""Test helpers: capture what the bus emits, and choose who listens.

::

    from commerce_events.testing import capture_events

    def test_checkout_emits(client):
        with capture_events(OrderPlaced) as captured:
            client.post("/checkout")
        captured.assert_emitted_once(OrderPlaced, order=the_order)

Hypothesis strategies for payloads are in
:mod:`commerce_events.testing.strategies` (needs the ``hypothesis`` extra). The
pytest plugin (:mod:`commerce_events.testing.pytest_plugin`, loaded
automatically) offers the ``captured_events`` and ``isolated_subscriptions``
fixtures.
"""

from __future__ import annotations

from ._capture import CapturedEvent, CapturedEvents, capture_events
from ._contract import SubscriberContractError, check_subscriber
from ._isolation import isolated_subscriptions, performing_nothing, performing_only

__all__ = [
    "CapturedEvent",
    "CapturedEvents",
    "SubscriberContractError",
    "capture_events",
    "check_subscriber",
    "isolated_subscriptions",
    "performing_nothing",
    "performing_only",
]
