"""A scripted customer journey through a tiny shop, emitting all eleven events.

Run it with ``python examples/demo.py``. A customer views a product, searches,
registers, fills a basket, applies a voucher, checks out, pays, gets an order
and reviews the product. Three subscribers listen:

- a view/basket/purchase counter (typed subscriber, like Oscar's analytics);
- an order-confirmation outbox (typed, high priority, failures logged);
- an Oscar-style receiver, ``(sender, **fields)``, connected with ``.connect``
  and written exactly as for django-oscar.

At the end the demo shows what a bad emit looks like.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import commerce_events
from commerce_events import (
    BasketAddition,
    OrderPlaced,
    PostCheckout,
    PostPayment,
    PrePayment,
    ProductSearch,
    ProductViewed,
    ReviewAdded,
    StartCheckout,
    UserRegistered,
    VoucherAddition,
    emit,
    signals,
    subscribe,
)
from commerce_events.exceptions import PayloadError

# -- the shop's own domain objects ---------------------------------------------


@dataclass(frozen=True)
class Product:
    sku: str
    title: str
    price: Decimal


@dataclass(frozen=True)
class User:
    email: str


@dataclass
class Basket:
    owner: User
    products: list[Product] = field(default_factory=list)
    vouchers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Voucher:
    code: str


@dataclass(frozen=True)
class Order:
    number: str
    user: User
    total: Decimal


@dataclass(frozen=True)
class Review:
    product: Product
    score: int


@dataclass(frozen=True)
class Request:
    """Stands in for a framework request (never shown in payload reprs)."""

    path: str
    cookies: dict[str, str]


class CheckoutView:
    """Stands in for the view handling the payment step."""


# -- subscribers ---------------------------------------------------------------


class Shop:
    """The demo's subscribers and what they received."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.outbox: list[str] = []
        self.oscar_calls: list[str] = []
        self.journal: list[str] = []

    def wire(self) -> None:
        """Subscribe the shop's receivers (a framework would do it at startup)."""

        @subscribe(ProductViewed)
        def count_view(event: ProductViewed) -> None:
            self.counts[f"views:{event.product.sku}"] += 1

        @subscribe(BasketAddition)
        def count_basket_addition(event: BasketAddition) -> None:
            self.counts[f"basket:{event.product.sku}"] += 1

        @subscribe(OrderPlaced, priority=10, on_error="log")
        def send_confirmation(event: OrderPlaced) -> None:
            self.outbox.append(
                f"to {event.order.user.email}: order {event.order.number}"
            )

        # Written as for django-oscar: receivers get (sender, **fields).
        def receive_order_placed(
            sender: Any, order: Order, user: Any, **kwargs: Any
        ) -> None:
            self.oscar_calls.append(f"{type(sender).__name__} placed {order.number}")

        signals.order_placed.connect(receive_order_placed)

        # A journal of everything, through the Oscar-compatible signals.
        for spec in commerce_events.catalogue():

            def journal(sender: Any, _name: str = spec.name, **fields: Any) -> None:
                given = ", ".join(k for k, v in fields.items() if v is not None)
                self.journal.append(f"{_name}({given})")

            commerce_events.signal(spec.name).connect(journal, priority=-100)


def run_journey(shop: Shop) -> None:
    """Walk one customer through the shop, emitting every event once."""
    commerce_events.declare_domain_classes(
        product=Product,
        user=User,
        basket=Basket,
        voucher=Voucher,
        order=Order,
        review=Review,
    )
    alice = User("alice@example.com")
    mug = Product("MUG-1", "Coffee mug", Decimal("9.50"))
    request = Request("/catalogue/mug", {"sessionid": "secret"})
    view = CheckoutView()

    emit(ProductViewed(product=mug, request=request), sender="product-detail")
    emit(ProductSearch(query="mug"), sender="search")
    emit(UserRegistered(user=alice, request=request), sender="register")
    basket = Basket(alice, [mug])
    emit(BasketAddition(product=mug, user=alice, request=request), sender="basket")
    basket.vouchers.append("WELCOME10")
    emit(VoucherAddition(basket=basket, voucher=Voucher("WELCOME10")), sender="basket")
    emit(StartCheckout(request=request), sender=view)
    emit(PrePayment(view=view), sender=view)
    emit(PostPayment(view=view), sender=view)
    order = Order("100042", alice, Decimal("8.55"))
    # Oscar's own emitting style works too, sender as a keyword.
    signals.order_placed.send(sender=view, order=order, user=alice)
    emit(PostCheckout(order=order, user=alice, request=request), sender=view)
    emit(ReviewAdded(review=Review(mug, 5), user=alice), sender="review")


def main() -> None:
    shop = Shop()
    shop.wire()
    run_journey(shop)

    print("Journal (every event, in order):")
    for line in shop.journal:
        print(f"  {line}")
    print("\nCounter:", dict(shop.counts))
    print("Outbox:", shop.outbox)
    print("Oscar-style receiver:", shop.oscar_calls)

    print("\nA payload's repr never shows the request (cookies stay out of logs):")
    print(
        " ",
        ProductViewed(
            product=Product("MUG-1", "Coffee mug", Decimal("9.50")),
            request=Request("/", {"sessionid": "secret"}),
        ),
    )

    print("\nAnd a bad emit is stopped before any subscriber runs:")
    try:
        signals.product_viewed.send(sender="product-detail", product=None, usr="alice")
    except PayloadError as exc:
        print(" ", str(exc).replace("\n", "\n  "))


if __name__ == "__main__":
    main()
