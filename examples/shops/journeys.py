"""The journey the example shops are tested with, the same for every framework.

The shops' tests (``tests/contrib/test_examples_*.py``) first walk a customer's
first visit (the one Oscar's eleven signals describe: product page, search,
registration, basket, voucher, checkout, payment, review), then
:func:`return_visit` with the same client: log out and in again, fill and
edit a basket, have a voucher refused, have a card declined, pay with another
card, and cancel the first order. :data:`EVENTS` is every event the whole
journey emits, in order, each with its payload summarised by :func:`summary`.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from http import HTTPStatus
from typing import Any, Final, Protocol

import attrs
from shop.domain import DECLINED_CARD, Basket, Line, Order, Product, Review, Voucher

EMAIL: Final = "alice@example.com"
GOOD_CARD: Final = "4242 4242 4242 4242"
REFUSED_CODE: Final = "SPRING"
CANCELLED_BY_CUSTOMER: Final = "Cancelled at the customer's request"


class Browser(Protocol):
    """What a journey needs from a framework's test client."""

    def get(self, path: str) -> Any: ...
    def post(self, path: str, data: dict[str, str]) -> Any: ...
    def text(self, response: Any) -> str: ...


def _redirects(response: Any, location: str) -> None:
    assert (response.status_code, response.headers["Location"]) == (302, location)


def _shows(browser: Browser, response: Any, text: str) -> None:
    assert response.status_code == HTTPStatus.OK, response.status_code
    assert text in browser.text(response), browser.text(response)


def return_visit(browser: Browser) -> None:
    """Come back after the first visit; check each page's status and redirect."""
    _redirects(browser.post("/logout", {}), "/")
    _redirects(browser.post("/login", {"email": EMAIL}), "/")
    for sku in ("MUG-1", "TEA-1"):
        _redirects(browser.post("/basket/add", {"sku": sku}), "/basket")
    _shows(browser, browser.get("/basket"), "Tea pot")
    _redirects(browser.post("/basket/lines/MUG-1", {"quantity": "3"}), "/basket")
    # The same quantity again changes nothing, and emits nothing.
    _redirects(browser.post("/basket/lines/MUG-1", {"quantity": "3"}), "/basket")
    _redirects(browser.post("/basket/lines/TEA-1/remove", {}), "/basket")
    refused = browser.post("/basket/vouchers", {"code": REFUSED_CODE})
    _shows(browser, refused, f"No voucher has the code {REFUSED_CODE}.")
    _redirects(browser.post("/basket/vouchers", {"code": "WELCOME10"}), "/basket")
    _redirects(browser.post("/basket/vouchers/WELCOME10/remove", {}), "/basket")
    _shows(browser, browser.get("/checkout"), "To pay: 28.50 EUR")
    declined = browser.post("/checkout/payment", {"card": DECLINED_CARD})
    _shows(browser, declined, "Your card was declined.")
    paid = browser.post("/checkout/payment", {"card": GOOD_CARD})
    _redirects(paid, "/checkout/thank-you/100002")
    _shows(browser, browser.post("/orders/100001/cancel", {}), "8.55 EUR")
    again = browser.post("/orders/100001/cancel", {})
    assert again.status_code == HTTPStatus.CONFLICT, again.status_code


def refused_requests(browser: Browser) -> None:
    """Register, then ask for what does not exist; each is a 404."""
    _redirects(browser.post("/register", {"email": EMAIL}), "/")
    for path, data in [
        ("/login", {"email": "bob@example.com"}),
        ("/basket/lines/MUG-1", {"quantity": "2"}),
        ("/basket/lines/MUG-1/remove", {}),
        ("/basket/vouchers/WELCOME10/remove", {}),
        ("/orders/100001/cancel", {}),
    ]:
        response = browser.post(path, data)
        assert response.status_code == HTTPStatus.NOT_FOUND, (path, response)


# -- what the journey emits -------------------------------------------------------

_FRAMEWORK_OBJECTS = {"request", "response", "view"}


def _summary(name: str, value: Any) -> Any:
    if value is None or name in _FRAMEWORK_OBJECTS:
        # The tests check the request and response classes per framework.
        return None if value is None else name
    if isinstance(value, str | int | Decimal):
        return value
    if isinstance(value, Product):
        return value.sku
    if isinstance(value, Line):
        return f"line of {value.product.sku}"
    if isinstance(value, Basket):
        return f"basket of {value.owner}"
    if isinstance(value, Voucher):
        return value.code
    if isinstance(value, Order):
        return f"order {value.number}"
    if isinstance(value, Review):
        return f"review {value.title!r} of {value.product.sku}"
    # A user: the frameworks' user classes all have an email.
    return value.email


def summary(payload: Any) -> dict[str, Any]:
    """A payload's fields, each domain object or user by what identifies it."""
    return {
        a.name: _summary(a.name, getattr(payload, a.name))
        for a in attrs.fields(type(payload))
    }


def summaries(captured: Iterable[Any]) -> list[tuple[str, dict[str, Any]]]:
    """Each captured event's name and the summary of its payload."""
    return [(event.event, summary(event.payload)) for event in captured]


def framework_objects(name: str, captured: Iterable[Any]) -> list[Any]:
    """Every request (or response, or view) the captured payloads hold."""
    values = (getattr(event.payload, name, None) for event in captured)
    return [value for value in values if value is not None]


BASKET: Final = f"basket of {EMAIL}"
SIGNED_IN: Final = {"user": EMAIL, "request": "request"}
PAYMENT: Final = {"view": "view"}
FIRST_ORDER: Final = {"order": "order 100001"}
SECOND_ORDER: Final = {"order": "order 100002"}
PAGE: Final = {"request": "request", "response": "response"}

Event = tuple[str, dict[str, Any]]

FIRST_VISIT: Final[tuple[Event, ...]] = (
    ("product_viewed", {"product": "MUG-1", "user": None, **PAGE}),
    ("product_search", {"query": "mug", "user": None, "session": None}),
    # The new user, passed explicitly: the request itself is still anonymous.
    ("user_registered", SIGNED_IN),
    ("basket_addition", {"product": "MUG-1", **SIGNED_IN}),
    ("voucher_addition", {"basket": BASKET, "voucher": "WELCOME10"}),
    ("start_checkout", {"request": "request", "email": None}),
    ("pre_payment", PAYMENT),
    ("post_payment", PAYMENT),
    ("order_placed", {**FIRST_ORDER, "user": EMAIL}),
    (
        "order_paid",
        {
            **FIRST_ORDER,
            "amount": Decimal("8.55"),
            "currency": "EUR",
            "payment_reference": "PAY-100001",
        },
    ),
    ("post_checkout", {**FIRST_ORDER, "user": EMAIL, **PAGE}),
    (
        "review_added",
        {"review": "review 'Holds coffee' of MUG-1", "user": EMAIL, **PAGE},
    ),
)
"""What the first visit emits: Oscar's eleven events, and ``order_paid``."""

RETURN_VISIT: Final[tuple[Event, ...]] = (
    ("user_logged_in", {**SIGNED_IN, "old_session_key": None}),
    ("basket_addition", {"product": "MUG-1", **SIGNED_IN}),
    ("basket_addition", {"product": "TEA-1", **SIGNED_IN}),
    ("basket_viewed", {"basket": BASKET, **SIGNED_IN}),
    (
        "basket_line_quantity_changed",
        {
            "basket": BASKET,
            "line": "line of MUG-1",
            "old_quantity": 1,
            "new_quantity": 3,
            **SIGNED_IN,
        },
    ),
    (
        "basket_line_removed",
        {
            "basket": BASKET,
            "product": "TEA-1",
            "quantity": 1,
            "line": "line of TEA-1",
            **SIGNED_IN,
        },
    ),
    (
        "voucher_denied",
        {
            "basket": BASKET,
            "code": REFUSED_CODE,
            "reason": f"No voucher has the code {REFUSED_CODE}.",
            "user": EMAIL,
        },
    ),
    ("voucher_addition", {"basket": BASKET, "voucher": "WELCOME10"}),
    ("voucher_removal", {"basket": BASKET, "voucher": "WELCOME10", "reason": "user"}),
    ("start_checkout", {"request": "request", "email": None}),
    # The declined card: the order number is reserved, and kept for the retry.
    ("pre_payment", PAYMENT),
    (
        "payment_failed",
        {
            "order_number": "100002",
            "error": "Your card was declined.",
            "amount": Decimal("28.50"),
            "currency": "EUR",
            "basket": BASKET,
            "user": EMAIL,
        },
    ),
    ("pre_payment", PAYMENT),
    ("post_payment", PAYMENT),
    ("order_placed", {**SECOND_ORDER, "user": EMAIL}),
    (
        "order_paid",
        {
            **SECOND_ORDER,
            "amount": Decimal("28.50"),
            "currency": "EUR",
            "payment_reference": "PAY-100002",
        },
    ),
    ("post_checkout", {**SECOND_ORDER, "user": EMAIL, **PAGE}),
    (
        "order_status_changed",
        {**FIRST_ORDER, "old_status": "Paid", "new_status": "Cancelled"},
    ),
    (
        "order_cancelled",
        {**FIRST_ORDER, "reason": CANCELLED_BY_CUSTOMER, "user": EMAIL},
    ),
    (
        "order_refunded",
        {
            **FIRST_ORDER,
            "amount": Decimal("8.55"),
            "currency": "EUR",
            "reason": CANCELLED_BY_CUSTOMER,
        },
    ),
)
"""What :func:`return_visit` emits."""

EVENTS: Final = [*FIRST_VISIT, *RETURN_VISIT]
"""Every event of the whole journey, in order."""

GA4_EVENTS: Final = [
    # The first visit
    "view_item",
    "search",
    "sign_up",
    "add_to_cart",
    "begin_checkout",
    "add_payment_info",
    "purchase",
    # The return visit
    "login",
    "add_to_cart",
    "add_to_cart",
    "view_cart",
    "remove_from_cart",
    "begin_checkout",
    "add_payment_info",
    "purchase",
    "refund",
]
"""What the GA4 forwarder of ``shop.subscribers`` sent, in order."""

OUTBOX: Final = [
    f"To {EMAIL}: order 100001 confirmed (8.55)",
    f"To {EMAIL}: order 100002 confirmed (28.50)",
    f"To {EMAIL}: order 100001 refunded (8.55 EUR): {CANCELLED_BY_CUSTOMER}",
]
"""The messages ``shop.subscribers`` queued for the customer."""


def bad_reviews(browser: Browser) -> None:
    """Review forms the shop refuses with a 400 (and a reason), never a 500."""
    for score, title in [("abc", "Holds tea"), ("99", "Holds tea"), ("0", "Mug"),
                         ("", "Mug"), ("4", " ")]:  # fmt: skip
        response = browser.post(
            "/products/MUG-1/reviews", {"score": score, "title": title}
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST, (score, response)
    page = browser.text(browser.get("/products/MUG-1"))
    assert "/5 " not in page, "a refused review was kept"
