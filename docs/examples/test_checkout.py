"""A shop's tests, using the fixtures of the commerce_events pytest plugin."""

from commerce_events import OrderPlaced, emit, subscribe


def place_order(number: str) -> None:
    """The shop's checkout (here, just what it emits)."""
    emit(OrderPlaced(order=number), sender="checkout")


def test_checkout_announces_the_order(captured_events):
    place_order("100042")
    captured_events.assert_emitted_once(OrderPlaced, order="100042", sender="checkout")


def test_a_subscriber_added_here_does_not_leak(isolated_subscriptions):
    received = []
    subscribe(OrderPlaced, received.append)
    place_order("100043")
    assert [event.order for event in received] == ["100043"]
