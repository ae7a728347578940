"""Static types of versions and upcasters (type-checked, never run)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import assert_type

from commerce_events import event, field, upcast, upcaster
from commerce_events.cloudevents import from_cloudevent
from commerce_events.forwarding import consume_envelope


@event("typing_tests_placed")
class PlacedV1:
    """Version 1."""

    order: str = field(doc="The order")


@event("typing_tests_placed", version=2)
class Placed:
    """Version 2: a version is an ordinary payload class."""

    order: str = field(doc="The order")
    total: Decimal = field(doc="Its total")


assert_type(Placed(order="1", total=Decimal(1)).total, Decimal)


@event("typing_tests_placed", version="3")  # type: ignore[arg-type]
class PlacedV3:
    order: str = field(doc="The order")


# -- upcaster: the function goes from the older class to the newer -------------


@upcaster(PlacedV1, to=Placed)
def add_total(old: PlacedV1) -> Placed:
    return Placed(order=old.order, total=Decimal(0))


assert_type(add_total, Callable[[PlacedV1], Placed])


@upcaster(PlacedV1, to=Placed)  # type: ignore[arg-type]
def backwards(old: Placed) -> PlacedV1:
    return PlacedV1(order=old.order)


@upcaster(PlacedV1, to=Placed)  # type: ignore[arg-type]
def returns_nothing(old: PlacedV1) -> None:
    pass


assert_type(upcast(PlacedV1(order="1"), Placed), Placed)

# -- consumers declare the versions they read ----------------------------------

assert_type(from_cloudevent({}, Placed, reads={Placed: {1, 2}}), Placed)
consume_envelope({}, reads={Placed: [1, 2]})
consume_envelope({}, reads={Placed: "12"})  # type: ignore[dict-item]
