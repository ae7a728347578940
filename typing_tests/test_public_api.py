"""Static types of the public API (type-checked, never run)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, assert_type
from uuid import UUID

import commerce_events
from commerce_events import (
    EventMetadata,
    EventSignal,
    OrderPlaced,
    PayloadSpec,
    ProductViewed,
    catalogue,
    deferred,
    emit,
    emit_async,
    event,
    field,
    muted,
    signals,
    subscribe,
    subscribed,
    unsubscribe,
)


class Product:
    sku: str = "sku-1"


# -- payload classes: dataclass_transform makes __init__ and fields visible ---

viewed = ProductViewed(product=Product(), user=None)
assert_type(viewed.product, Any)
ProductViewed(prodct=Product())  # type: ignore[call-arg]
viewed.product = Product()  # type: ignore[misc]


@event("typing_tests_points_awarded")
class PointsAwarded:
    """A custom event, defined like the built-in ones."""

    customer: str = field(doc="Who earns the points")
    points: int = field(doc="How many")
    reason: str | None = None


awarded = PointsAwarded(customer="c-1", points=10)
assert_type(awarded.points, int)
assert_type(awarded.reason, str | None)
PointsAwarded(customer="c-1", points="ten")  # type: ignore[arg-type]
PointsAwarded(customer="c-1")  # type: ignore[call-arg]


# -- subscribe keeps the subscriber's type and checks it against the payload --


@subscribe(ProductViewed)
def count_view(event: ProductViewed) -> None:
    pass


assert_type(count_view, Callable[[ProductViewed], None])


@subscribe(PointsAwarded, priority=10, on_error="log")
def total_points(event: PointsAwarded) -> int:
    return event.points


assert_type(total_points, Callable[[PointsAwarded], int])
assert_type(total_points(awarded), int)


@subscribe(ProductViewed)  # type: ignore[arg-type]
def wrong_payload(event: OrderPlaced) -> None:
    pass


subscribe(ProductViewed, count_view)
subscribe(OrderPlaced, count_view)  # type: ignore[arg-type]
subscribe(ProductViewed, on_error="ignore")  # type: ignore[call-overload]
unsubscribe(ProductViewed, count_view)
with subscribed(ProductViewed, count_view) as temporary:
    assert_type(temporary, Callable[[ProductViewed], None])


# -- async subscribers and metadata ---------------------------------------------


@subscribe(OrderPlaced)
async def confirm(event: OrderPlaced) -> str:
    return "sent"


async def awaits_confirm() -> None:
    assert_type(await confirm(OrderPlaced(order=object())), str)


@subscribe(OrderPlaced, with_metadata=True)
def trace(event: OrderPlaced, metadata: EventMetadata) -> None:
    assert_type(metadata.cause, UUID | None)


assert_type(trace, Callable[[OrderPlaced, EventMetadata], None])


@subscribe(OrderPlaced, with_metadata=True)  # type: ignore[arg-type]
def forgot_metadata(event: OrderPlaced) -> None:
    pass


async def in_a_loop() -> None:
    await emit_async(OrderPlaced(order=object()), concurrent=True)
    await emit_async(42)  # type: ignore[arg-type]
    async with deferred():
        await emit_async(OrderPlaced(order=object()))


with deferred(), muted(ProductViewed):
    emit(ProductViewed(product=Product()))


# -- emit takes payloads only ---------------------------------------------------

emit(viewed, sender=object())
emit(awarded)
emit(42)  # type: ignore[arg-type]
emit("product_viewed")  # type: ignore[arg-type]


# -- Oscar-style signals stay blinker signals -----------------------------------


def receive_product_view(
    sender: object, product: Any, user: Any, **kwargs: Any
) -> None:
    pass


assert_type(signals.product_viewed, EventSignal)
connected = signals.product_viewed.connect(receive_product_view)
assert_type(connected(object(), product=Product(), user=None), None)
results = signals.product_viewed.send(object(), product=Product())
assert_type(results, list[tuple[Callable[..., Any], Any]])
assert_type(commerce_events.namespace["order_placed"], EventSignal)
assert_type(catalogue(), tuple[PayloadSpec, ...])
