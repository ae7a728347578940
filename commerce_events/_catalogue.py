"""The built-in catalogue: django-oscar's eleven documented signals.

Defined with the public :func:`~commerce_events.event` decorator, exactly as an
application defines its own events. Docstrings and field docs come from Oscar's
signals documentation.
"""

from __future__ import annotations

from ._context import FROM_REQUEST
from ._domain import (
    Basket,
    Order,
    Product,
    Request,
    Response,
    Review,
    User,
    View,
    Voucher,
)
from ._payload import field
from ._registry import event

__all__ = [
    "BasketAddition",
    "OrderPlaced",
    "PostCheckout",
    "PostPayment",
    "PrePayment",
    "ProductSearch",
    "ProductViewed",
    "ReviewAdded",
    "StartCheckout",
    "UserRegistered",
    "VoucherAddition",
]

_REQUEST = "The request instance"
_USER = "The user in question"
_RESPONSE = "The response instance"


@event("product_viewed")
class ProductViewed:
    """Raised when a product detail page is viewed.

    .. versionadded:: 0.1.0
    """

    product: Product = field(doc="The product being viewed")
    user: User | None = field(default=None, doc=_USER)
    request: Request | None = field(default=None, doc=_REQUEST)
    response: Response | None = field(default=None, doc=_RESPONSE)


@event("product_search")
class ProductSearch:
    """Raised when a search is performed.

    .. versionadded:: 0.1.0
    """

    query: str = field(doc="The search term (may be empty)")
    user: User | None = field(default=None, doc=_USER)


@event("user_registered")
class UserRegistered:
    """Raised when a user registers.

    .. versionadded:: 0.1.0
    """

    user: User = field(default=FROM_REQUEST, doc=_USER)
    request: Request | None = field(default=None, doc=_REQUEST)


@event("basket_addition")
class BasketAddition:
    """Raised when a product is added to a basket.

    .. versionadded:: 0.1.0
    """

    product: Product = field(doc="The product being added")
    user: User | None = field(default=None, doc=_USER)
    request: Request | None = field(default=None, doc=_REQUEST)


@event("voucher_addition")
class VoucherAddition:
    """Raised when a valid voucher is added to a basket.

    .. versionadded:: 0.1.0
    """

    basket: Basket = field(doc="The basket in question")
    voucher: Voucher = field(doc="The voucher in question")


@event("start_checkout")
class StartCheckout:
    """Raised when the customer begins the checkout process.

    .. versionadded:: 0.1.0
    """

    request: Request = field(default=FROM_REQUEST, doc=_REQUEST)


@event("pre_payment")
class PrePayment:
    """Raised immediately before attempting to take payment in the checkout.

    .. versionadded:: 0.1.0
    """

    view: View = field(doc="The view class instance")


@event("post_payment")
class PostPayment:
    """Raised immediately after payment has been taken.

    .. versionadded:: 0.1.0
    """

    view: View = field(doc="The view class instance")


@event("order_placed")
class OrderPlaced:
    """Raised by the order creator when an order is placed.

    .. versionadded:: 0.1.0
    """

    order: Order = field(doc="The order created")
    user: User | None = field(
        default=None,
        doc=(
            "The user creating the order (not necessarily the user linked to "
            "the order instance!)"
        ),
    )


@event("post_checkout")
class PostCheckout:
    """Raised when a customer completes the checkout process.

    .. versionadded:: 0.1.0
    """

    order: Order = field(doc="The order created")
    user: User | None = field(default=None, doc="The user who completed the checkout")
    request: Request | None = field(default=None, doc=_REQUEST)
    response: Response | None = field(default=None, doc=_RESPONSE)


@event("review_added", aliases=("review_created",))
class ReviewAdded:
    """Raised when a review is added.

    Oscar's documentation titles it ``review_created``; both names resolve to
    this event.

    .. versionadded:: 0.1.0
    """

    review: Review = field(doc="The review that was created")
    user: User | None = field(default=None, doc="The user performing the action")
    request: Request | None = field(default=None, doc=_REQUEST)
    response: Response | None = field(default=None, doc=_RESPONSE)
