"""The built-in catalogue: django-oscar's signals and the order lifecycle.

Defined with the public :func:`~commerce_events.event` decorator, exactly as an
application defines its own events. The eleven events of Oscar's signals
documentation keep its docstrings and field docs; the four Oscar sends without
documenting them take the arguments its code sends; the rest fill the gaps
shops keep asking Oscar for (basket removals, payment failure, refunds,
cancellations, shipping), following Segment, GA4, Saleor, Shopify and Solidus.
Money is always a ``Decimal`` with an ISO 4217 currency code, never a float.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from . import validators
from ._context import FROM_REQUEST
from ._domain import (
    Basket,
    Line,
    Order,
    Product,
    Request,
    Response,
    Review,
    Session,
    User,
    View,
    Voucher,
    Wishlist,
)
from ._payload import field
from ._registry import event

__all__ = [
    "BasketAddition",
    "BasketLineQuantityChanged",
    "BasketLineRemoved",
    "BasketViewed",
    "BasketsMerged",
    "CheckoutStepCompleted",
    "OrderCancelled",
    "OrderLineStatusChanged",
    "OrderPaid",
    "OrderPlaced",
    "OrderRefunded",
    "OrderShipped",
    "OrderStatusChanged",
    "PaymentFailed",
    "PostCheckout",
    "PostPayment",
    "PrePayment",
    "ProductSearch",
    "ProductViewed",
    "ReviewAdded",
    "StartCheckout",
    "UserLoggedIn",
    "UserRegistered",
    "VoucherAddition",
    "VoucherDenied",
    "VoucherRemoval",
    "WishlistProductAdded",
    "WishlistProductRemoved",
]

_REQUEST = "The request instance"
_USER = "The user in question"
_RESPONSE = "The response instance"
_AMOUNT = "The amount, a Decimal (never a float)"
_CURRENCY = "The amount's currency code, three capital letters (ISO 4217), such as EUR"


# -- browsing ------------------------------------------------------------------


@event("product_viewed", group="browsing")
class ProductViewed:
    """Raised when a product detail page is viewed."""

    product: Product = field(doc="The product being viewed")
    user: User | None = field(default=None, doc=_USER)
    request: Request | None = field(default=None, doc=_REQUEST)
    response: Response | None = field(default=None, doc=_RESPONSE)


@event("product_search", group="browsing")
class ProductSearch:
    """Raised when a search is performed."""

    query: str = field(doc="The search term (may be empty)")
    user: User | None = field(default=None, doc=_USER)
    session: Session | None = field(
        default=None, doc="The session (Oscar's search view sends it)"
    )


# -- customer ------------------------------------------------------------------


@event("user_registered", group="customer")
class UserRegistered:
    """Raised when a user registers."""

    user: User = field(default=FROM_REQUEST, doc=_USER)
    request: Request | None = field(default=None, doc=_REQUEST)


@event("user_logged_in", group="customer")
class UserLoggedIn:
    """Raised when a user logs in (Oscar's own signal, not Django's)."""

    user: User = field(default=FROM_REQUEST, doc="The user who logged in")
    request: Request | None = field(default=None, doc=_REQUEST)
    old_session_key: str | None = field(
        default=None,
        doc="The session key before login cycled it (to move anonymous data over)",
    )


@event("wishlist_product_added", group="customer")
class WishlistProductAdded:
    """Raised when a product is added to a wishlist."""

    wishlist: Wishlist = field(doc="The wishlist")
    product: Product = field(doc="The product added")
    user: User | None = field(default=None, doc=_USER)


@event("wishlist_product_removed", group="customer")
class WishlistProductRemoved:
    """Raised when a product is removed from a wishlist."""

    wishlist: Wishlist = field(doc="The wishlist")
    product: Product = field(doc="The product removed")
    user: User | None = field(default=None, doc=_USER)


# -- basket --------------------------------------------------------------------


@event("basket_viewed", group="basket")
class BasketViewed:
    """Raised when the basket page is viewed."""

    basket: Basket = field(doc="The basket viewed")
    user: User | None = field(default=None, doc=_USER)
    request: Request | None = field(default=None, doc=_REQUEST)


@event("basket_addition", group="basket")
class BasketAddition:
    """Raised when a product is added to a basket."""

    product: Product = field(doc="The product being added")
    user: User | None = field(default=None, doc=_USER)
    request: Request | None = field(default=None, doc=_REQUEST)


@event("basket_line_quantity_changed", group="basket")
class BasketLineQuantityChanged:
    """Raised when the quantity of a basket line changes."""

    basket: Basket = field(doc="The basket in question")
    line: Line = field(doc="The basket line")
    old_quantity: int = field(
        doc="The quantity before", validator=validators.stock_level
    )
    new_quantity: int = field(
        doc="The quantity after; differs from old_quantity",
        validator=[validators.stock_level, validators.differs_from("old_quantity")],
    )
    user: User | None = field(default=None, doc=_USER)
    request: Request | None = field(default=None, doc=_REQUEST)


@event("basket_line_removed", group="basket")
class BasketLineRemoved:
    """Raised when a line (a product and its quantity) leaves a basket."""

    basket: Basket = field(doc="The basket in question")
    product: Product = field(doc="The product removed")
    quantity: int = field(
        doc="How many were in the basket (at least 1)", validator=validators.quantity
    )
    line: Line | None = field(default=None, doc="The basket line, if it exists")
    user: User | None = field(default=None, doc=_USER)
    request: Request | None = field(default=None, doc=_REQUEST)


@event("voucher_addition", group="basket")
class VoucherAddition:
    """Raised when a valid voucher is added to a basket."""

    basket: Basket = field(doc="The basket in question")
    voucher: Voucher = field(doc="The voucher in question")


@event("voucher_removal", group="basket")
class VoucherRemoval:
    """Raised when a voucher is removed from a basket."""

    basket: Basket = field(doc="The basket in question")
    voucher: Voucher = field(doc="The voucher in question")
    reason: str | None = field(
        default=None,
        doc='Why: "user", "no_discount" (it gave none), "inactive", ...',
    )


@event("voucher_denied", group="basket")
class VoucherDenied:
    """Raised when a voucher code is refused (unknown, expired, not applicable)."""

    basket: Basket = field(doc="The basket in question")
    code: str = field(doc="The code the customer entered")
    reason: str = field(doc="Why it was refused, for humans")
    user: User | None = field(default=None, doc=_USER)


@event("baskets_merged", group="basket")
class BasketsMerged:
    """Raised when an anonymous basket is merged into a user's basket at login."""

    basket: Basket = field(doc="The basket that remains")
    merged_basket: Basket = field(doc="The basket merged into it (now empty)")
    user: User | None = field(default=None, doc=_USER)
    request: Request | None = field(default=None, doc=_REQUEST)


# -- checkout ------------------------------------------------------------------


@event("start_checkout", group="checkout")
class StartCheckout:
    """Raised when the customer begins the checkout process."""

    request: Request = field(default=FROM_REQUEST, doc=_REQUEST)
    email: str | None = field(
        default=None, doc="The guest's email address, for a guest checkout"
    )


@event("checkout_step_completed", group="checkout")
class CheckoutStepCompleted:
    """Raised when a step of the checkout (address, shipping, payment) is done."""

    step: str = field(
        doc='The step: "shipping_address", "shipping_method", "payment_details", ...',
        validator=attrs.validators.min_len(1),
    )
    basket: Basket | None = field(default=None, doc="The basket being checked out")
    shipping_method: str | None = field(default=None, doc="The shipping method chosen")
    payment_method: str | None = field(default=None, doc="The payment method chosen")
    user: User | None = field(default=None, doc=_USER)
    request: Request | None = field(default=None, doc=_REQUEST)


@event("pre_payment", group="checkout")
class PrePayment:
    """Raised immediately before attempting to take payment in the checkout."""

    view: View = field(doc="The view class instance")


@event("payment_failed", group="checkout")
class PaymentFailed:
    """Raised when taking payment fails (declined, gateway error, ...)."""

    order_number: str = field(
        doc="The order number reserved for this checkout",
        validator=attrs.validators.min_len(1),
    )
    error: str = field(doc="What went wrong, for humans")
    amount: Decimal = field(doc=_AMOUNT, validator=validators.money_amount)
    currency: str = field(doc=_CURRENCY, validator=validators.currency_code)
    basket: Basket | None = field(default=None, doc="The basket being paid for")
    user: User | None = field(default=None, doc=_USER)


@event("post_payment", group="checkout")
class PostPayment:
    """Raised immediately after payment has been taken."""

    view: View = field(doc="The view class instance")


@event("post_checkout", group="checkout")
class PostCheckout:
    """Raised when a customer completes the checkout process."""

    order: Order = field(doc="The order created")
    user: User | None = field(default=None, doc="The user who completed the checkout")
    request: Request | None = field(default=None, doc=_REQUEST)
    response: Response | None = field(default=None, doc=_RESPONSE)


# -- order ---------------------------------------------------------------------


@event("order_placed", group="order")
class OrderPlaced:
    """Raised by the order creator when an order is placed."""

    order: Order = field(doc="The order created")
    user: User | None = field(
        default=None,
        doc=(
            "The user creating the order (not necessarily the user linked to "
            "the order instance!)"
        ),
    )


@event("order_paid", group="order")
class OrderPaid:
    """Raised when payment for an order has been taken."""

    order: Order = field(doc="The order paid for")
    amount: Decimal = field(doc=_AMOUNT, validator=validators.money_amount)
    currency: str = field(doc=_CURRENCY, validator=validators.currency_code)
    payment_reference: str | None = field(
        default=None, doc="The payment provider's reference"
    )


@event("order_status_changed", group="order")
class OrderStatusChanged:
    """Raised when an order's status changes."""

    order: Order = field(doc="The order")
    old_status: str = field(doc="The status before (may be empty)")
    new_status: str = field(
        doc="The status after; differs from old_status",
        validator=validators.differs_from("old_status"),
    )


@event("order_line_status_changed", group="order")
class OrderLineStatusChanged:
    """Raised when the status of one line of an order changes."""

    line: Line = field(doc="The order line")
    old_status: str = field(doc="The status before (may be empty)")
    new_status: str = field(
        doc="The status after; differs from old_status",
        validator=validators.differs_from("old_status"),
    )


@event("order_shipped", group="order")
class OrderShipped:
    """Raised when (part of) an order is shipped."""

    order: Order = field(doc="The order shipped")
    tracking_code: str | None = field(default=None, doc="The carrier's tracking code")


@event("order_cancelled", group="order")
class OrderCancelled:
    """Raised when an order is cancelled."""

    order: Order = field(doc="The order cancelled")
    reason: str | None = field(default=None, doc="Why, for humans")
    user: User | None = field(default=None, doc="Who cancelled it")


@event("order_refunded", group="order")
class OrderRefunded:
    """Raised when (part of) an order is refunded."""

    order: Order = field(doc="The order refunded")
    amount: Decimal = field(doc=_AMOUNT, validator=validators.money_amount)
    currency: str = field(doc=_CURRENCY, validator=validators.currency_code)
    reason: str | None = field(default=None, doc="Why, for humans")


# -- review --------------------------------------------------------------------


@event("review_added", aliases=("review_created",), group="review")
class ReviewAdded:
    """Raised when a review is added.

    Oscar's documentation titles it ``review_created``; both names resolve to
    this event.
    """

    review: Review = field(doc="The review that was created")
    user: User | None = field(default=None, doc="The user performing the action")
    request: Request | None = field(default=None, doc=_REQUEST)
    response: Response | None = field(default=None, doc=_RESPONSE)
