"""Tests for commerce_events.debug_log: one log line per emit, off by default."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from commerce_events import (
    OrderPlaced,
    ProductSearch,
    deferred,
    emit,
    muted,
    subscribe,
)
from commerce_events.debug_log import DEFAULT_LOGGER, DeliveryLog, log_deliveries

LOGGER = logging.getLogger(DEFAULT_LOGGER)


@pytest.fixture(name="deliveries")
def _deliveries(caplog: pytest.LogCaptureFixture) -> Iterator[DeliveryLog]:
    """The log switched on, captured at DEBUG; switched off after the test."""
    caplog.set_level(logging.DEBUG, logger=DEFAULT_LOGGER)
    log = log_deliveries()
    yield log
    log.stop()


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == DEFAULT_LOGGER]


class CheckoutView:
    """A sender whose repr would leak what it holds."""

    def __init__(self) -> None:
        self.card = "4242 4242 4242 4242"

    def __repr__(self) -> str:
        return f"CheckoutView(card={self.card!r})"


def send_confirmation(event: OrderPlaced) -> None:
    pass


def charge_card(event: OrderPlaced) -> None:
    raise ConnectionError("gateway down")


class TestLogDeliveries:
    def test_one_line_per_emit_with_subscribers_and_times(self, deliveries, caplog):
        subscribe(OrderPlaced, send_confirmation)

        emit(OrderPlaced(order="100042"), sender="checkout")

        [line] = lines(caplog)
        head, _, calls = line.partition(" ms: ")
        assert head.startswith("order_placed from 'checkout': 1 subscriber in ")
        assert calls.startswith(f"{__name__}.send_confirmation ")
        assert calls.endswith(" ms")

    def test_an_emit_without_subscribers(self, deliveries, caplog):
        emit(ProductSearch(query="mug"))

        assert [
            line.startswith("product_search from None: 0 subscribers in ")
            for line in lines(caplog)
        ] == [True]

    def test_failures_are_named(self, deliveries, caplog):
        subscribe(OrderPlaced, charge_card, on_error="log")

        emit(OrderPlaced(order="100042"))

        assert f"{__name__}.charge_card " in lines(caplog)[0]
        assert lines(caplog)[0].endswith(" ms (raised ConnectionError)")

    def test_senders_are_named_safely(self, deliveries, caplog):
        """An object by its type, never its repr; a class or function by name."""
        emit(OrderPlaced(order="1"), sender=CheckoutView())
        emit(OrderPlaced(order="2"), sender=CheckoutView)
        emit(OrderPlaced(order="3"), sender=send_confirmation)
        emit(OrderPlaced(order="4"), sender="x" * 100)

        senders = [line.split(" from ")[1].split(": ")[0] for line in lines(caplog)]
        assert [
            "<CheckoutView>",
            "CheckoutView",
            "send_confirmation",
            "'" + "x" * 17 + "..." + "x" * 18 + "'",
        ] == senders
        assert "4242" not in caplog.text

    def test_muted_and_deferred(self, deliveries, caplog):
        subscribe(OrderPlaced, send_confirmation)
        with muted(OrderPlaced):
            emit(OrderPlaced(order="1"))
        with deferred():
            emit(OrderPlaced(order="2"))

        first, queued, delivered = lines(caplog)
        assert first.startswith("order_placed from None: muted (id ")
        assert queued.startswith("order_placed from None: deferred (id ")
        assert delivered.startswith("order_placed from None: 1 subscriber in ")

    def test_nothing_below_the_loggers_level(self, deliveries, caplog):
        LOGGER.setLevel(logging.INFO)

        emit(OrderPlaced(order="100042"))

        assert [] == lines(caplog)

    def test_same_logger_twice_logs_once(self, deliveries, caplog):
        again = log_deliveries(DEFAULT_LOGGER, level=logging.INFO)

        emit(OrderPlaced(order="100042"))

        assert again is deliveries
        assert [logging.INFO] == [r.levelno for r in caplog.records]

    def test_stop(self, deliveries, caplog):
        assert deliveries.stop()
        assert not deliveries.stop()

        emit(OrderPlaced(order="100042"))

        assert [] == lines(caplog)
        renewed = log_deliveries()
        assert renewed is not deliveries  # a new one once stopped
        assert renewed.stop()

    def test_emits_are_not_observed_until_switched_on(self, caplog):
        """Off by default: importing the module registers nothing."""
        caplog.set_level(logging.DEBUG, logger=DEFAULT_LOGGER)

        emit(OrderPlaced(order="100042"))

        assert [] == lines(caplog)
