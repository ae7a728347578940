"""The built-in events' signals, as module attributes (Oscar-style imports).

``from commerce_events.signals import product_viewed`` gives the same object as
``commerce_events.namespace["product_viewed"]``, much as
``oscar.apps.catalogue.signals.product_viewed`` does in django-oscar::

    product_viewed.connect(receive_product_view)
    product_viewed.send(sender=view, product=product, user=user)
"""

from __future__ import annotations

from typing import Final

from . import _catalogue  # noqa: F401 - registers the built-in events
from ._registry import namespace
from ._signal import EventSignal

__all__ = [
    "basket_addition",
    "basket_line_quantity_changed",
    "basket_line_removed",
    "basket_viewed",
    "baskets_merged",
    "checkout_step_completed",
    "order_cancelled",
    "order_line_status_changed",
    "order_paid",
    "order_placed",
    "order_refunded",
    "order_shipped",
    "order_status_changed",
    "payment_failed",
    "post_checkout",
    "post_payment",
    "pre_payment",
    "product_search",
    "product_viewed",
    "review_added",
    "review_created",
    "start_checkout",
    "user_logged_in",
    "user_registered",
    "voucher_addition",
    "voucher_denied",
    "voucher_removal",
    "wishlist_product_added",
    "wishlist_product_removed",
]

product_viewed: Final[EventSignal] = namespace["product_viewed"]
product_search: Final[EventSignal] = namespace["product_search"]
user_registered: Final[EventSignal] = namespace["user_registered"]
basket_addition: Final[EventSignal] = namespace["basket_addition"]
voucher_addition: Final[EventSignal] = namespace["voucher_addition"]
start_checkout: Final[EventSignal] = namespace["start_checkout"]
pre_payment: Final[EventSignal] = namespace["pre_payment"]
post_payment: Final[EventSignal] = namespace["post_payment"]
order_placed: Final[EventSignal] = namespace["order_placed"]
post_checkout: Final[EventSignal] = namespace["post_checkout"]
review_added: Final[EventSignal] = namespace["review_added"]
user_logged_in: Final[EventSignal] = namespace["user_logged_in"]
voucher_removal: Final[EventSignal] = namespace["voucher_removal"]
order_status_changed: Final[EventSignal] = namespace["order_status_changed"]
order_line_status_changed: Final[EventSignal] = namespace["order_line_status_changed"]
wishlist_product_added: Final[EventSignal] = namespace["wishlist_product_added"]
wishlist_product_removed: Final[EventSignal] = namespace["wishlist_product_removed"]
basket_line_removed: Final[EventSignal] = namespace["basket_line_removed"]
basket_line_quantity_changed: Final[EventSignal] = namespace[
    "basket_line_quantity_changed"
]
basket_viewed: Final[EventSignal] = namespace["basket_viewed"]
baskets_merged: Final[EventSignal] = namespace["baskets_merged"]
voucher_denied: Final[EventSignal] = namespace["voucher_denied"]
checkout_step_completed: Final[EventSignal] = namespace["checkout_step_completed"]
payment_failed: Final[EventSignal] = namespace["payment_failed"]
order_paid: Final[EventSignal] = namespace["order_paid"]
order_cancelled: Final[EventSignal] = namespace["order_cancelled"]
order_refunded: Final[EventSignal] = namespace["order_refunded"]
order_shipped: Final[EventSignal] = namespace["order_shipped"]
review_created: Final[EventSignal] = review_added
"""The name Oscar's documentation uses for :data:`review_added`."""
