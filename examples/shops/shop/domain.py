"""A tiny in-memory shop: products, customers, baskets, vouchers, orders.

No framework here. ``OrderCreator`` emits ``order_placed`` and
``PaymentDetailsMixin`` emits ``pre_payment`` and ``post_payment``, from the
same places as django-oscar's ``OrderCreator.place_order`` and
``PaymentDetailsView.submit``.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from commerce_events import OrderPlaced, PostPayment, PrePayment, emit


@dataclass(frozen=True)
class Product:
    sku: str
    title: str
    price: Decimal


@dataclass(frozen=True)
class Customer:
    """A registered customer: the user of the Flask shop.

    The example has no passwords: registering signs you in.
    """

    email: str
    # Integrations treat users whose is_authenticated is false as anonymous.
    is_authenticated: ClassVar[bool] = True


@dataclass(frozen=True)
class Voucher:
    code: str
    percent_off: int


@dataclass
class Basket:
    owner: str
    products: list[Product] = field(default_factory=list)
    vouchers: list[Voucher] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        total = sum((p.price for p in self.products), Decimal(0))
        for voucher in self.vouchers:
            total -= total * voucher.percent_off / 100
        return total.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Order:
    number: str
    email: str
    products: tuple[Product, ...]
    total: Decimal


@dataclass(frozen=True)
class Review:
    product: Product
    score: int
    title: str
    author: str | None


class AlreadyRegisteredError(ValueError):
    """The email address has an account already."""


class Store:
    """The shop's data, in memory: one per app (or per test)."""

    def __init__(self) -> None:
        self.products = {
            p.sku: p
            for p in (
                Product("MUG-1", "Coffee mug", Decimal("9.50")),
                Product("TEA-1", "Tea pot", Decimal("24.00")),
            )
        }
        self.vouchers = {"WELCOME10": Voucher("WELCOME10", 10)}
        self.customers: dict[str, Customer] = {}
        self.sessions: dict[str, str] = {}
        self.baskets: dict[str, Basket] = {}
        self.orders: dict[str, Order] = {}
        self.reviews: list[Review] = []
        self._order_numbers = itertools.count(100001)

    def search(self, query: str) -> list[Product]:
        words = query.lower().split()
        return [
            p
            for p in self.products.values()
            if all(w in p.title.lower() for w in words)
        ]

    def register(self, email: str) -> Customer:
        if email in self.customers:
            raise AlreadyRegisteredError(email)
        customer = self.customers[email] = Customer(email)
        return customer

    def sign_in(self, customer: Customer) -> str:
        """Open a session for *customer*; return its token (for a cookie)."""
        token = secrets.token_urlsafe()
        self.sessions[token] = customer.email
        return token

    def customer_for(self, token: str | None) -> Customer | None:
        email = self.sessions.get(token or "")
        return None if email is None else self.customers.get(email)

    def basket_of(self, email: str) -> Basket:
        return self.baskets.setdefault(email, Basket(email))

    def reviews_of(self, product: Product) -> list[Review]:
        return [r for r in self.reviews if r.product == product]


class OrderCreator:
    """Writes orders; emits ``order_placed`` once the order is stored."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def place_order(self, basket: Basket, user: Any) -> Order:
        order = Order(
            number=str(next(self.store._order_numbers)),  # noqa: SLF001 - the store's own counter
            email=basket.owner,
            products=tuple(basket.products),
            total=basket.total,
        )
        self.store.orders[order.number] = order
        basket.products.clear()
        basket.vouchers.clear()
        # As in Oscar: the sender is the order creator, and the user is the one
        # placing the order.
        emit(OrderPlaced(order=order, user=user), sender=self)
        return order


class PaymentDetailsMixin:
    """The payment step of a checkout view (the view is ``self``).

    Each shop's payment view inherits it, as Oscar's ``PaymentDetailsView``
    inherits ``OrderPlacementMixin``.
    """

    def submit(self, store: Store, basket: Basket, user: Any) -> Order:
        """Take payment for *basket*, then place its order."""
        emit(PrePayment(view=self), sender=self)
        self.handle_payment(basket.total)
        emit(PostPayment(view=self), sender=self)
        return OrderCreator(store).place_order(basket, user)

    def handle_payment(self, amount: Decimal) -> None:
        """Take the money (the example's payment always succeeds)."""
