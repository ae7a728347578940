"""Tests for commerce_events._observing: a record of every delivery."""

from __future__ import annotations

import logging

import pytest

from commerce_events import (
    Delivery,
    OrderPlaced,
    ProductViewed,
    add_observer,
    deferred,
    emit,
    muted,
    remove_observer,
    subscribe,
)
from commerce_events._subscriptions import route_for_type
from commerce_events.exceptions import SubscriberError


@pytest.fixture(name="deliveries")
def _deliveries():
    recorded: list[Delivery] = []
    add_observer(recorded.append)
    yield recorded
    remove_observer(recorded.append)


def test_delivered_with_each_subscriber(deliveries):
    def fine(event: OrderPlaced) -> None:
        pass

    def broken(event: OrderPlaced) -> None:
        raise ValueError("nope")

    subscribe(OrderPlaced, fine)
    subscribe(OrderPlaced, broken)
    with pytest.raises(SubscriberError):
        emit(OrderPlaced(order="1"), sender="view")

    (delivery,) = deliveries
    assert ("order_placed", "delivered", "view") == (
        delivery.event,
        delivery.status,
        delivery.sender,
    )
    assert [fine, broken] == [call.subscriber for call in delivery.calls]
    assert delivery.calls[0].error is None
    assert isinstance(delivery.calls[1].error, ValueError)
    assert all(call.seconds >= 0 for call in delivery.calls)
    assert delivery.calls[1].name.endswith("broken")


def test_muted_and_deferred(deliveries):
    with muted(OrderPlaced):
        emit(OrderPlaced(order="m"))
    with deferred():
        emit(OrderPlaced(order="d"))
        assert ["muted", "deferred"] == [d.status for d in deliveries]
    assert ["muted", "deferred", "delivered"] == [d.status for d in deliveries]
    assert deliveries[1].metadata.id == deliveries[2].metadata.id


def test_an_observers_failure_is_logged_not_raised(caplog):
    def broken(delivery: Delivery) -> None:
        raise RuntimeError("observer bug")

    add_observer(broken)
    try:
        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            emit(ProductViewed(product=1))
    finally:
        assert remove_observer(broken) is True
    assert "observer bug" in caplog.text


def test_no_observer_no_cost():
    """Without observers, the fast path stays; with one, it is left."""
    subscribe(ProductViewed)(lambda e: None)
    emit(ProductViewed(product=1))
    assert route_for_type(ProductViewed).fast is not None

    def observer(delivery: Delivery) -> None:
        pass

    add_observer(observer)
    try:
        emit(ProductViewed(product=1))
        assert route_for_type(ProductViewed).fast is None
    finally:
        remove_observer(observer)
    emit(ProductViewed(product=1))
    assert route_for_type(ProductViewed).fast is not None


def test_remove_unknown_observer():
    assert remove_observer(print) is False


def test_not_callable():
    with pytest.raises(TypeError):
        add_observer("log")  # type: ignore[arg-type]
