"""Tests for commerce_events._subscribe: subscribe, unsubscribe, subscribed."""

import pytest

from commerce_events import (
    EventSignal,
    ProductViewed,
    emit,
    signal,
    subscribe,
    subscribed,
    unsubscribe,
)
from commerce_events.exceptions import (
    NotAPayloadError,
)


class NotRegistered:
    """A class that was never registered as an event."""


class CheckoutView:
    """Stands for a web framework view class (a sender)."""


def _product() -> object:
    return object()


@pytest.fixture(name="sig")
def _sig() -> EventSignal:
    return signal(ProductViewed)


@pytest.fixture(name="payload")
def _payload() -> ProductViewed:
    return ProductViewed(product=_product())


class TestSubscribe:
    def test_decorator_returns_the_function_unchanged(self):
        """Used as a decorator, subscribe returns the very function it was given."""

        def on_view(payload):
            pass

        assert on_view is subscribe(ProductViewed)(on_view)

    def test_call_form_returns_the_function_unchanged(self):
        """subscribe(PayloadCls, fn) subscribes fn and returns it unchanged."""

        def on_view(payload):
            pass

        assert on_view is subscribe(ProductViewed, on_view)

    def test_typed_subscriber_is_called_with_the_payload(self, payload):
        """A typed subscriber is called with the emitted payload as its argument."""
        calls = []

        @subscribe(ProductViewed)
        def on_view(p):
            calls.append(p)

        emit(payload)

        assert [payload] == calls
        assert payload is calls[0]

    def test_call_form_subscriber_is_called(self, payload):
        """A subscriber added with the call form receives emits like a decorated one."""
        calls = []
        subscribe(ProductViewed, calls.append)

        emit(payload)

        assert [payload] == calls

    def test_unsubscribe_stops_delivery(self, payload):
        """After unsubscribe the function is no longer called."""
        calls = []

        def on_view(p):
            calls.append(p)

        subscribe(ProductViewed, on_view)
        unsubscribe(ProductViewed, on_view)
        emit(payload)

        assert [] == calls

    def test_unsubscribe_of_a_stranger_does_nothing(self, payload):
        """Unsubscribing a function that was never subscribed is a no-op."""

        def stranger(p):
            pass

        unsubscribe(ProductViewed, stranger)
        emit(payload)

    def test_subscribed_subscribes_for_the_block_only(self, payload):
        """subscribed() delivers inside the with block and not after it."""
        calls = []

        def on_view(p):
            calls.append(p)

        with subscribed(ProductViewed, on_view) as subscriber:
            assert on_view is subscriber
            emit(payload)
        emit(payload)

        assert [payload] == calls

    def test_subscribed_unsubscribes_on_exception(self, payload):
        """subscribed() removes the subscription even when the block raises."""
        calls = []

        def on_view(p):
            calls.append(p)

        with pytest.raises(KeyError), subscribed(ProductViewed, on_view):
            raise KeyError("boom")
        emit(payload)

        assert [] == calls

    def test_subscribing_to_a_non_payload_class_fails(self):
        """subscribe() with a class that is not a registered payload raises."""
        with pytest.raises(NotAPayloadError):
            subscribe(NotRegistered, lambda p: None)

    def test_resubscribing_after_unsubscribe_puts_it_last(self, payload):
        """A function unsubscribed then subscribed again runs after the others."""
        calls = []

        def first(p):
            calls.append("first")

        def second(p):
            calls.append("second")

        subscribe(ProductViewed, first)
        subscribe(ProductViewed, second)
        unsubscribe(ProductViewed, first)
        subscribe(ProductViewed, first)
        emit(payload)

        assert ["second", "first"] == calls

    def test_unsubscribed_typed_function_can_connect_oscar_style(self, sig, payload):
        """A function no longer subscribed typed can be connected Oscar-style."""
        calls = []

        def both(first, **fields):
            calls.append((first, fields))

        subscribe(ProductViewed, both)
        unsubscribe(ProductViewed, both)
        sig.connect(both)
        emit(payload, sender="shop")

        assert 1 == len(calls)
        assert "shop" == calls[0][0]
