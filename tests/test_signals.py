"""Tests for commerce_events.signals: Oscar-style module attributes."""

import blinker
import pytest

from commerce_events import (
    BasketAddition,
    BasketLineQuantityChanged,
    BasketLineRemoved,
    BasketsMerged,
    BasketViewed,
    CheckoutStepCompleted,
    EventSignal,
    OrderCancelled,
    OrderLineStatusChanged,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
    OrderStatusChanged,
    PaymentFailed,
    PostCheckout,
    PostPayment,
    PrePayment,
    ProductSearch,
    ProductViewed,
    ReviewAdded,
    StartCheckout,
    UserLoggedIn,
    UserRegistered,
    VoucherAddition,
    VoucherDenied,
    VoucherRemoval,
    WishlistProductAdded,
    WishlistProductRemoved,
    catalogue,
    emit,
    namespace,
    signals,
    subscribe,
)
from commerce_events.exceptions import PayloadError

BUILT_INS = {
    "product_viewed": ProductViewed,
    "product_search": ProductSearch,
    "user_registered": UserRegistered,
    "user_logged_in": UserLoggedIn,
    "wishlist_product_added": WishlistProductAdded,
    "wishlist_product_removed": WishlistProductRemoved,
    "basket_viewed": BasketViewed,
    "basket_addition": BasketAddition,
    "basket_line_quantity_changed": BasketLineQuantityChanged,
    "basket_line_removed": BasketLineRemoved,
    "voucher_addition": VoucherAddition,
    "voucher_removal": VoucherRemoval,
    "voucher_denied": VoucherDenied,
    "baskets_merged": BasketsMerged,
    "start_checkout": StartCheckout,
    "checkout_step_completed": CheckoutStepCompleted,
    "pre_payment": PrePayment,
    "payment_failed": PaymentFailed,
    "post_payment": PostPayment,
    "post_checkout": PostCheckout,
    "order_placed": OrderPlaced,
    "order_paid": OrderPaid,
    "order_status_changed": OrderStatusChanged,
    "order_line_status_changed": OrderLineStatusChanged,
    "order_shipped": OrderShipped,
    "order_cancelled": OrderCancelled,
    "order_refunded": OrderRefunded,
    "review_added": ReviewAdded,
}


class ProductDetailView:
    """Stands for Oscar's product detail view (the sender)."""


class TestModuleAttributes:
    def test_exports_every_built_in_and_the_alias(self):
        """The module exports every built-in event and review_created."""
        assert set(BUILT_INS) | {"review_created"} == set(signals.__all__)

    def test_every_built_in_is_listed_here(self):
        """These tests list every event the catalogue module registers."""
        assert set(BUILT_INS) == {
            spec.name
            for spec in catalogue()
            if spec.payload_type.__module__ == "commerce_events._catalogue"
        }

    @pytest.mark.parametrize("name", sorted([*BUILT_INS, "review_created"]))
    def test_attributes_are_the_namespace_signals(self, name):
        """Each attribute is the very signal registered under its name."""
        sig = getattr(signals, name)

        assert namespace[name] is sig
        assert isinstance(sig, EventSignal)
        assert isinstance(sig, blinker.NamedSignal)

    @pytest.mark.parametrize(("name", "payload_type"), sorted(BUILT_INS.items()))
    def test_attributes_reach_their_payload_class(self, name, payload_type):
        """Each attribute's name and payload_type match its event."""
        sig = getattr(signals, name)

        assert name == sig.name
        assert payload_type is sig.payload_type

    def test_review_created_is_review_added(self):
        """review_created is the same object as review_added."""
        assert signals.review_added is signals.review_created


class TestOscarStyleUse:
    def test_oscar_receive_product_view(self):
        """Oscar's receive_product_view(sender, product, user, **kwargs) works."""
        calls = []

        def receive_product_view(sender, product, user, **kwargs):
            calls.append((sender, product, user, kwargs))

        signals.product_viewed.connect(receive_product_view)
        view, product = ProductDetailView(), object()

        signals.product_viewed.send(sender=view, product=product, user=None)

        assert [
            (
                view,
                product,
                None,
                {"request": None, "response": None, "signal": signals.product_viewed},
            )
        ] == calls

    def test_receiver_naming_every_field(self):
        """A receiver naming every field besides **kwargs gets each of them."""
        calls = []

        def receive(sender, product, user, request, response, **kwargs):
            calls.append((sender, product, user, request, response, kwargs))

        signals.product_viewed.connect(receive)
        view, product, user, request = ProductDetailView(), object(), object(), object()

        signals.product_viewed.send(view, product=product, user=user, request=request)

        assert [
            (view, product, user, request, None, {"signal": signals.product_viewed})
        ] == calls

    def test_send_reaches_typed_subscribers(self):
        """Oscar-style send() delivers the payload to typed subscribers."""
        calls = []
        subscribe(OrderPlaced, calls.append)
        order = object()

        signals.order_placed.send(sender=ProductDetailView(), order=order)

        assert [OrderPlaced(order=order)] == calls

    def test_emit_reaches_oscar_receivers(self):
        """emit() calls receivers connected through the signals module."""
        calls = []
        signals.review_created.connect(
            lambda sender, **fields: calls.append((sender, fields["review"]))
        )
        review = object()

        emit(ReviewAdded(review=review), sender="reviews")

        assert [("reviews", review)] == calls

    def test_send_returns_receivers_and_values(self):
        """send() returns blinker's [(receiver, value)] list."""

        def receive(sender, **kwargs):
            return "seen"

        signals.user_registered.connect(receive)

        assert [(receive, "seen")] == signals.user_registered.send(
            sender=None, user=object()
        )

    def test_invalid_send_calls_nobody(self):
        """send() with a missing required field raises PayloadError and calls nobody."""
        calls = []
        signals.basket_addition.connect(lambda sender, **f: calls.append(sender))

        with pytest.raises(PayloadError) as info:
            signals.basket_addition.send(sender=None, user=object())

        assert ["product"] == list(info.value.fields)
        assert [] == calls
