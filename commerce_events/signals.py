"""The built-in events' signals, as module attributes (Oscar-style imports).

``from commerce_events.signals import product_viewed`` gives the same object as
``commerce_events.namespace["product_viewed"]``, much as
``oscar.apps.catalogue.signals.product_viewed`` does in django-oscar::

    product_viewed.connect(receive_product_view)
    product_viewed.send(sender=view, product=product, user=user)

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from typing import Final

from . import _catalogue  # noqa: F401 - registers the built-in events
from ._dispatch import EventSignal
from ._registry import namespace

__all__ = [
    "basket_addition",
    "order_placed",
    "post_checkout",
    "post_payment",
    "pre_payment",
    "product_search",
    "product_viewed",
    "review_added",
    "review_created",
    "start_checkout",
    "user_registered",
    "voucher_addition",
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
review_created: Final[EventSignal] = review_added
"""The name Oscar's documentation uses for :data:`review_added`."""
