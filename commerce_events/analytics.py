"""The Segment (e-commerce spec v2) and GA4 names of the built-in events.

So an analytics subscriber can forward events without a table of its own::

    @subscribe(BasketAddition)
    def to_segment(event: BasketAddition) -> None:
        segment.track(user_id, analytics_names(BasketAddition).segment, {...})

``None`` means the service has no equivalent event. Some events map loosely,
and the table says which on purpose:

- ``order_placed`` is the purchase; ``post_checkout`` (the thank-you page) maps
  to nothing, so a purchase is never counted twice;
- ``basket_line_quantity_changed`` maps to nothing: depending on the direction
  it is an addition or a removal, which the subscriber knows and the table
  cannot;
- ``user_registered`` and ``user_logged_in`` are outside Segment's e-commerce
  spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from ._registry import namespace, signal

__all__ = ["ANALYTICS_NAMES", "AnalyticsNames", "analytics_names"]


@attrs.frozen
class AnalyticsNames:
    """An event's names in the analytics services.

    Attributes:
        segment: The Segment e-commerce spec v2 event name, or None.
        ga4: The GA4 recommended event name, or None.
    """

    segment: str | None
    ga4: str | None


_NONE: Final = AnalyticsNames(None, None)

ANALYTICS_NAMES: Final[Mapping[str, AnalyticsNames]] = MappingProxyType(
    {
        # browsing
        "product_viewed": AnalyticsNames("Product Viewed", "view_item"),
        "product_search": AnalyticsNames("Products Searched", "search"),
        # customer
        "user_registered": AnalyticsNames(None, "sign_up"),
        "user_logged_in": AnalyticsNames(None, "login"),
        "wishlist_product_added": AnalyticsNames(
            "Product Added to Wishlist", "add_to_wishlist"
        ),
        "wishlist_product_removed": AnalyticsNames(
            "Product Removed from Wishlist", None
        ),
        # basket
        "basket_addition": AnalyticsNames("Product Added", "add_to_cart"),
        "basket_line_removed": AnalyticsNames("Product Removed", "remove_from_cart"),
        "basket_line_quantity_changed": _NONE,
        "basket_viewed": AnalyticsNames("Cart Viewed", "view_cart"),
        "baskets_merged": _NONE,
        "voucher_addition": AnalyticsNames("Coupon Applied", None),
        "voucher_removal": AnalyticsNames("Coupon Removed", None),
        "voucher_denied": AnalyticsNames("Coupon Denied", None),
        # checkout
        "start_checkout": AnalyticsNames("Checkout Started", "begin_checkout"),
        "checkout_step_completed": AnalyticsNames("Checkout Step Completed", None),
        "pre_payment": _NONE,
        "post_payment": AnalyticsNames("Payment Info Entered", "add_payment_info"),
        "payment_failed": _NONE,
        "post_checkout": _NONE,
        # order
        "order_placed": AnalyticsNames("Order Completed", "purchase"),
        "order_status_changed": AnalyticsNames("Order Updated", None),
        "order_line_status_changed": _NONE,
        "order_paid": _NONE,
        "order_cancelled": AnalyticsNames("Order Cancelled", None),
        "order_refunded": AnalyticsNames("Order Refunded", "refund"),
        "order_shipped": _NONE,
        # review
        "review_added": AnalyticsNames("Product Reviewed", None),
    }
)
"""Built-in event name -> its Segment and GA4 names.
"""


def analytics_names(event: str | type[Any]) -> AnalyticsNames:
    """Return the Segment and GA4 names of an event (by name, alias or class).

    Custom events have no analytics names (both None).

    Raises:
        UnknownEventError: No event has that name.
        NotAPayloadError: The class is not a registered payload class.
    """
    name = signal(event).name if not isinstance(event, str) else namespace[event].name
    return ANALYTICS_NAMES.get(name, _NONE)
