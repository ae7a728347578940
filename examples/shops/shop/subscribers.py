"""The subscribers of the example shops, the same for all three frameworks.

- Analytics: product views, basket additions and removals and purchases per
  product, searches, views and orders per signed-in customer (Oscar's
  analytics receivers), failed payments, and the GA4 event each built-in event
  would send (from ``commerce_events.analytics``).
- Recently viewed products: a cookie written onto the product page's
  response (Oscar's customer-history receiver).
- Order confirmations and refund notices: a message each, in an outbox a
  mailer sends from.

Every subscriber is a module-level function, so :func:`wire` can run again
(Django runs ``AppConfig.ready`` twice in some tests) without delivering twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from commerce_events import (
    BasketAddition,
    BasketLineRemoved,
    OrderPlaced,
    OrderRefunded,
    PaymentFailed,
    ProductSearch,
    ProductViewed,
    catalogue,
    declare_domain_classes,
    subscribe,
)
from commerce_events.analytics import analytics_names

from .domain import (
    Basket,
    Line,
    Order,
    PaymentDetailsMixin,
    Product,
    Review,
    Voucher,
)

RECENTLY_VIEWED_COOKIE = "recently_viewed"
RECENTLY_VIEWED_MAX = 5


@dataclass
class Analytics:
    """What the analytics subscribers counted."""

    product_views: Counter[str] = field(default_factory=Counter)
    basket_additions: Counter[str] = field(default_factory=Counter)
    basket_removals: Counter[str] = field(default_factory=Counter)
    purchases: Counter[str] = field(default_factory=Counter)
    customer_views: Counter[str] = field(default_factory=Counter)
    customer_orders: Counter[str] = field(default_factory=Counter)
    searches: list[tuple[str, str]] = field(default_factory=list)
    failed_payments: list[tuple[str, str]] = field(default_factory=list)
    ga4_events: list[str] = field(default_factory=list)


analytics = Analytics()
outbox: list[str] = []


def reset() -> None:
    """Forget what was counted and sent (for tests)."""
    global analytics  # noqa: PLW0603 - the example's in-memory "database"
    analytics = Analytics()
    outbox.clear()


def record_product_view(event: ProductViewed) -> None:
    analytics.product_views[event.product.sku] += 1
    if event.user is not None:
        analytics.customer_views[event.user.email] += 1


def record_search(event: ProductSearch) -> None:
    if event.user is not None:
        analytics.searches.append((event.user.email, event.query))


def record_basket_addition(event: BasketAddition) -> None:
    analytics.basket_additions[event.product.sku] += 1


def record_basket_removal(event: BasketLineRemoved) -> None:
    analytics.basket_removals[event.product.sku] += event.quantity


def record_purchase(event: OrderPlaced) -> None:
    for line in event.order.lines:
        analytics.purchases[line.product.sku] += line.quantity
    if event.user is not None:
        analytics.customer_orders[event.user.email] += 1


def record_failed_payment(event: PaymentFailed) -> None:
    analytics.failed_payments.append((event.order_number, event.error))


def forward_to_ga4(event: Any) -> None:
    """Send the event to Google Analytics 4 under its GA4 name (here: record it)."""
    name = analytics_names(type(event)).ga4
    if name is not None:
        analytics.ga4_events.append(name)


def _cookies(request: Any) -> Mapping[str, str]:
    # Django spells it COOKIES; Flask (Werkzeug) and Starlette spell it cookies.
    cookies: Mapping[str, str] | None = getattr(request, "COOKIES", None)
    return request.cookies if cookies is None else cookies


def remember_viewed_product(event: ProductViewed) -> None:
    """Put the product first in the recently-viewed cookie of the response."""
    if event.request is None or event.response is None:
        return  # not a web page view: nothing to write on
    sku = event.product.sku
    earlier = _cookies(event.request).get(RECENTLY_VIEWED_COOKIE, "").split("|")
    viewed = [sku, *(s for s in earlier if s and s != sku)][:RECENTLY_VIEWED_MAX]
    # The three frameworks' responses share this signature.
    event.response.set_cookie(
        RECENTLY_VIEWED_COOKIE, "|".join(viewed), max_age=30 * 86400, httponly=True
    )


def queue_order_confirmation(event: OrderPlaced) -> None:
    order = event.order
    outbox.append(f"To {order.email}: order {order.number} confirmed ({order.total})")


def queue_refund_notice(event: OrderRefunded) -> None:
    order = event.order
    outbox.append(
        f"To {order.email}: order {order.number} refunded "
        f"({event.amount} {event.currency}): {event.reason}"
    )


def wire(*, user: Any, request: type[Any], response: type[Any]) -> None:
    """Declare the shop's classes and subscribe the shop's subscribers.

    Args:
        user: The framework's user class (or a tuple of classes).
        request: The framework's request class.
        response: The framework's response base class.
    """
    declare_domain_classes(
        product=Product,
        basket=Basket,
        line=Line,
        voucher=Voucher,
        order=Order,
        review=Review,
        view=PaymentDetailsMixin,
        user=user,
        request=request,
        response=response,
    )
    # Analytics and the cookie must never break a page: their failures are
    # logged. A confirmation that cannot be queued must not go unnoticed.
    subscribe(ProductViewed, record_product_view, on_error="log")
    subscribe(ProductViewed, remember_viewed_product, on_error="log")
    subscribe(ProductSearch, record_search, on_error="log")
    subscribe(BasketAddition, record_basket_addition, on_error="log")
    subscribe(BasketLineRemoved, record_basket_removal, on_error="log")
    subscribe(OrderPlaced, record_purchase, on_error="log")
    subscribe(PaymentFailed, record_failed_payment, on_error="log")
    for spec in catalogue():
        if analytics_names(spec.payload_type).ga4 is not None:
            subscribe(spec.payload_type, forward_to_ga4, on_error="log")
    subscribe(OrderPlaced, queue_order_confirmation, priority=10)
    subscribe(OrderRefunded, queue_refund_notice, priority=10)
