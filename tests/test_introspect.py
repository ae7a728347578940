"""Tests for commerce_events._introspect: what may subscribe, checked at once."""

import pytest

from commerce_events import (
    EventSignal,
    OrderPlaced,
    ProductViewed,
    emit,
    set_default_on_error,
    signal,
    subscribe,
)
from commerce_events.exceptions import (
    SubscriberSignatureError,
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


class TestSubscriberChecks:
    @pytest.mark.parametrize(
        "subscriber",
        [
            lambda: None,
            lambda a, b: None,
            lambda *, payload: None,
            lambda **kwargs: None,
        ],
        ids=["no-params", "two-required", "keyword-only", "kwargs-only"],
    )
    def test_wrong_arity_is_rejected_at_subscribe_time(self, sig, subscriber):
        """A typed subscriber that cannot take one positional argument is refused."""
        before = dict(sig.receivers)

        with pytest.raises(SubscriberSignatureError) as info:
            subscribe(ProductViewed, subscriber)

        assert "product_viewed" == info.value.event
        assert subscriber is info.value.subscriber
        assert before == dict(sig.receivers)

    def test_decorator_rejects_wrong_arity(self):
        """The decorator form refuses a wrong signature when it is applied."""
        with pytest.raises(SubscriberSignatureError):

            @subscribe(ProductViewed)
            def on_view():
                pass

    def test_annotation_with_another_payload_is_rejected(self, sig):
        """A subscriber annotated with another payload class is refused."""

        def on_order(e: OrderPlaced) -> None:
            pass

        with pytest.raises(SubscriberSignatureError) as info:
            subscribe(ProductViewed, on_order)

        assert "OrderPlaced" in info.value.reason
        assert not sig.receivers

    def test_rejected_subscriber_never_fails_at_emit_time(self, payload):
        """A refused subscriber is not connected, so emitting raises nothing."""

        def on_order(e: OrderPlaced) -> None:
            raise AssertionError

        with pytest.raises(SubscriberSignatureError):
            subscribe(ProductViewed, on_order)

        emit(payload)

    @pytest.mark.parametrize(
        "subscriber",
        [
            lambda p, extra=None: None,
            lambda *args: None,
            lambda p, /: None,
        ],
        ids=["optional-extra", "varargs", "positional-only"],
    )
    def test_compatible_signatures_are_accepted(self, payload, subscriber):
        """Signatures that can take the payload positionally are accepted."""
        subscribe(ProductViewed, subscriber)

        emit(payload)

    def test_matching_annotations_are_accepted(self, payload):
        """Annotations with the payload class, a union with it, or object pass."""
        calls = []

        def exact(p: ProductViewed) -> None:
            calls.append("exact")

        def optional(p: ProductViewed | None) -> None:
            calls.append("optional")

        def anything(p: object) -> None:
            calls.append("anything")

        for fn in (exact, optional, anything):
            subscribe(ProductViewed, fn)
        emit(payload)

        assert ["exact", "optional", "anything"] == calls

    @pytest.mark.parametrize(
        "receiver",
        [
            lambda: None,
            lambda sender: None,
            lambda sender, product: None,
            lambda product, user, request, response: None,
        ],
        ids=["no-params", "sender-only", "missing-fields", "no-sender"],
    )
    def test_incompatible_oscar_receivers_are_rejected(self, sig, receiver):
        """connect() refuses receivers that cannot accept (sender, **fields)."""
        with pytest.raises(SubscriberSignatureError):
            sig.connect(receiver)

        assert not sig.receivers

    def test_async_generator_is_rejected(self, sig):
        """subscribe() refuses async generator functions, which can never run."""

        async def on_view(p):
            yield

        with pytest.raises(SubscriberSignatureError):
            subscribe(ProductViewed, on_view)

        assert not sig.receivers

    def test_typed_then_oscar_style_is_rejected(self, sig):
        """A function subscribed typed cannot also be connected Oscar-style."""

        def both(first, **fields):
            pass

        subscribe(ProductViewed, both)

        with pytest.raises(SubscriberSignatureError):
            sig.connect(both)

    def test_oscar_style_then_typed_is_rejected(self, sig):
        """A function connected Oscar-style cannot also be subscribed typed."""

        def both(first, **fields):
            pass

        sig.connect(both)

        with pytest.raises(SubscriberSignatureError):
            subscribe(ProductViewed, both)

    @pytest.mark.parametrize("not_callable", [42, "on_view", object()])
    def test_non_callables_raise_type_error(self, sig, not_callable):
        """subscribe(), its decorator form and connect() refuse non-callables."""
        with pytest.raises(TypeError):
            subscribe(ProductViewed, not_callable)
        with pytest.raises(TypeError):
            subscribe(ProductViewed)(not_callable)
        with pytest.raises(TypeError):
            sig.connect(not_callable)

        assert not sig.receivers

    def test_invalid_on_error_raises_value_error(self, sig):
        """Every way of giving an unknown failure policy raises ValueError."""

        def on_view(p):
            pass

        def receive(sender, **fields):
            pass

        with pytest.raises(ValueError, match="on_error"):
            subscribe(ProductViewed, on_view, on_error="ignore")
        with pytest.raises(ValueError, match="on_error"):
            subscribe(ProductViewed, on_error="ignore")
        with pytest.raises(ValueError, match="on_error"):
            sig.connect(receive, on_error="ignore")
        with pytest.raises(ValueError, match="on_error"):
            set_default_on_error("ignore")
        with pytest.raises(ValueError, match="on_error"):
            set_default_on_error("ignore", ProductViewed)

        assert not sig.receivers
