"""Static types of the subscribing API added for real shops (never run)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, assert_type

from commerce_events import (
    Delivery,
    EventMetadata,
    OrderPaid,
    OrderPlaced,
    add_observer,
    remove_observer,
    signals,
    subscribe,
    subscribe_all,
    unsubscribe,
    unsubscribe_all,
)

# -- several events: the payload is the union ------------------------------------


@subscribe(OrderPlaced, OrderPaid)
def on_order(event: OrderPlaced | OrderPaid) -> None:
    pass


assert_type(on_order, Callable[[OrderPlaced | OrderPaid], None])


@subscribe(OrderPlaced, OrderPaid)  # type: ignore[arg-type]
def only_placed(event: OrderPlaced) -> None:
    pass


# -- once, and unsubscribe's answer ------------------------------------------------


@subscribe(OrderPlaced, once=True)
def first_order(event: OrderPlaced) -> None:
    pass


assert_type(unsubscribe(OrderPlaced, first_order), bool)

# -- catch-all subscriptions -------------------------------------------------------


@subscribe_all
def audit(event: object) -> None:
    pass


# subscribe_all returns the very function, with its own (named) signature.
kept: Callable[[object], None] = audit


@subscribe_all(group="basket", with_metadata=True, on_error="log")
def audit_basket(event: object, metadata: EventMetadata) -> None:
    pass


kept_with_metadata: Callable[[object, EventMetadata], None] = audit_basket
assert_type(unsubscribe_all(audit), bool)
subscribe_all(group="basket", on_error="ignore")  # type: ignore[call-overload]

# -- observers ---------------------------------------------------------------------


def observer(delivery: Delivery) -> None:
    assert_type(delivery.metadata, EventMetadata)
    assert_type(delivery.calls[0].seconds, float)


add_observer(observer)
assert_type(remove_observer(observer), bool)

# -- Django's Signal API -------------------------------------------------------------

Results = list[tuple[Callable[..., Any], Any]]
assert_type(signals.order_placed.send_robust(None, order="1"), Results)
assert_type(signals.order_placed.disconnect(first_order), bool)
assert_type(signals.order_placed.has_listeners(), bool)


async def django_async() -> None:
    assert_type(await signals.order_placed.asend(None, order="1"), Results)
    assert_type(await signals.order_placed.asend_robust(None, order="1"), Results)
