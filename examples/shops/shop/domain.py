"""A tiny in-memory shop: products, customers, baskets, vouchers, orders.

No framework here. As in django-oscar, the models and services emit what
happens to them, and the views emit what customers do:

- ``Basket`` emits ``basket_line_quantity_changed``, ``basket_line_removed``
  and ``voucher_removal`` when a line or voucher changes;
- ``PaymentDetailsMixin.submit`` emits ``pre_payment``, then
  ``payment_failed`` if the gateway declines, else ``post_payment``, and
  ``order_paid`` once ``OrderCreator.place_order`` has emitted
  ``order_placed``;
- ``Order.set_status`` emits ``order_status_changed`` (as Oscar's does), and
  ``OrderProcessor.cancel`` ``order_cancelled`` and ``order_refunded``.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Final

from commerce_events import (
    BasketLineQuantityChanged,
    BasketLineRemoved,
    OrderCancelled,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderStatusChanged,
    PaymentFailed,
    PostPayment,
    PrePayment,
    VoucherRemoval,
    emit,
)
from commerce_events.validators import MAX_QUANTITY

from .outbox import order_transaction

CURRENCY: Final = "EUR"
"""The shop's currency (ISO 4217)."""
DECLINED_CARD: Final = "4000 0000 0000 0002"
"""The card number the fake payment gateway always declines."""

PAID: Final = "Paid"
SHIPPED: Final = "Shipped"
CANCELLED: Final = "Cancelled"
# Order status -> the statuses it may change to (Oscar's order pipeline).
PIPELINE: Final[dict[str, tuple[str, ...]]] = {
    PAID: (SHIPPED, CANCELLED),
    SHIPPED: (),
    CANCELLED: (),
}


@dataclass(frozen=True)
class Product:
    sku: str
    title: str
    price: Decimal


@dataclass(frozen=True)
class Customer:
    """A registered customer: the user of the Flask shop.

    The example has no passwords: registering signs you in, and so does
    giving your email address on the login page.
    """

    email: str
    # Integrations treat users whose is_authenticated is false as anonymous.
    is_authenticated: ClassVar[bool] = True


@dataclass(frozen=True)
class Voucher:
    code: str
    percent_off: int


@dataclass
class Line:
    """A line of a basket or an order: a product and how many of it."""

    product: Product
    quantity: int = 1


class NotInBasketError(LookupError):
    """The basket has no line (or voucher) with that SKU (or code)."""


@dataclass
class Basket:
    owner: str
    lines: list[Line] = field(default_factory=list)
    vouchers: list[Voucher] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        total = sum((ln.product.price * ln.quantity for ln in self.lines), Decimal(0))
        for voucher in self.vouchers:
            total -= total * voucher.percent_off / 100
        return total.quantize(Decimal("0.01"))

    def add(self, product: Product) -> None:
        """Add one of *product*: to its line, or on a new line."""
        for line in self.lines:
            if line.product == product:
                line.quantity += 1
                return
        self.lines.append(Line(product))

    def line_for(self, sku: str) -> Line:
        for line in self.lines:
            if line.product.sku == sku:
                return line
        raise NotInBasketError(sku)

    def set_quantity(self, sku: str, quantity: int) -> None:
        """Change the quantity of a line; zero removes the line.

        Raises:
            NotInBasketError: No line has that SKU.
            ValueError: The quantity is negative or above MAX_QUANTITY.
        """
        line = self.line_for(sku)
        if not 0 <= quantity <= MAX_QUANTITY:
            msg = f"a quantity is 0 to {MAX_QUANTITY}, not {quantity}"
            raise ValueError(msg)
        if quantity == 0:
            self.remove_line(sku)
        elif quantity != line.quantity:
            old_quantity, line.quantity = line.quantity, quantity
            emit(
                BasketLineQuantityChanged(
                    basket=self,
                    line=line,
                    old_quantity=old_quantity,
                    new_quantity=quantity,
                ),
                sender=self,
            )

    def remove_line(self, sku: str) -> None:
        line = self.line_for(sku)
        self.lines.remove(line)
        emit(
            BasketLineRemoved(
                basket=self, product=line.product, quantity=line.quantity, line=line
            ),
            sender=self,
        )

    def remove_voucher(self, code: str) -> None:
        """Take a voucher off at the customer's request."""
        for voucher in self.vouchers:
            if voucher.code == code:
                self.vouchers.remove(voucher)
                emit(
                    VoucherRemoval(basket=self, voucher=voucher, reason="user"),
                    sender=self,
                )
                return
        raise NotInBasketError(code)


class OrderStatusError(ValueError):
    """The order cannot go to that status from the one it has."""


@dataclass
class Order:
    number: str
    email: str
    lines: tuple[Line, ...]
    total: Decimal
    status: str = PAID

    def set_status(self, new_status: str) -> None:
        """Move the order along the pipeline, as Oscar's ``Order.set_status``."""
        if new_status not in PIPELINE[self.status]:
            msg = f"order {self.number} cannot go from {self.status} to {new_status}"
            raise OrderStatusError(msg)
        old_status, self.status = self.status, new_status
        changed = OrderStatusChanged(
            order=self, old_status=old_status, new_status=new_status
        )
        emit(changed, sender=self)


@dataclass(frozen=True)
class Review:
    product: Product
    score: int
    title: str
    author: str | None


class AlreadyRegisteredError(ValueError):
    """The email address has an account already."""


class VoucherRefusedError(ValueError):
    """The voucher cannot be applied; the message says why, for customers."""


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
        self._reserved: dict[str, str] = {}

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

    def apply_voucher(self, basket: Basket, code: str) -> Voucher:
        """Put the voucher with *code* on *basket*.

        Raises:
            VoucherRefusedError: No voucher has that code, or it is on already.
        """
        voucher = self.vouchers.get(code)
        if voucher is None:
            msg = f"No voucher has the code {code}."
            raise VoucherRefusedError(msg)
        if voucher in basket.vouchers:
            msg = f"The voucher {code} is in your basket already."
            raise VoucherRefusedError(msg)
        basket.vouchers.append(voucher)
        return voucher

    def order_of(self, email: str | None, number: str) -> Order | None:
        """The order numbered *number*, if it is *email*'s."""
        order = self.orders.get(number)
        return order if order is not None and order.email == email else None

    def reviews_of(self, product: Product) -> list[Review]:
        return [r for r in self.reviews if r.product == product]

    def order_number_for(self, basket: Basket) -> str:
        """The number the basket's order will have, kept across payment retries."""
        if basket.owner not in self._reserved:
            self._reserved[basket.owner] = str(next(self._order_numbers))
        return self._reserved[basket.owner]

    def release_order_number(self, basket: Basket) -> str:
        return self._reserved.pop(basket.owner)


class OrderCreator:
    """Writes orders; emits ``order_placed`` once the order is stored."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def place_order(self, basket: Basket, user: Any) -> Order:
        order = Order(
            number=self.store.release_order_number(basket),
            email=basket.owner,
            lines=tuple(Line(ln.product, ln.quantity) for ln in basket.lines),
            total=basket.total,
        )
        # The order and its event commit together (shop.outbox).
        with order_transaction():
            self.store.orders[order.number] = order
            basket.lines.clear()
            basket.vouchers.clear()
            # As in Oscar: the sender is the order creator, and the user is the
            # one placing the order.
            emit(OrderPlaced(order=order, user=user), sender=self)
        return order


class PaymentDeclinedError(Exception):
    """The payment gateway refused the payment; the message is for customers."""


class FakeGateway:
    """A payment gateway that declines :data:`DECLINED_CARD` and takes the rest."""

    def charge(self, card: str, amount: Decimal, order_number: str) -> str:
        """Take *amount* for an order; return the payment's reference."""
        if card.replace(" ", "") == DECLINED_CARD.replace(" ", ""):
            msg = "Your card was declined."
            raise PaymentDeclinedError(msg)
        return f"PAY-{order_number}"

    def refund(self, order_number: str, amount: Decimal) -> None:
        """Give *amount* back (always works, here)."""


gateway = FakeGateway()


class PaymentDetailsMixin:
    """The payment step of a checkout view (the view is ``self``).

    Each shop's payment view inherits it, as Oscar's ``PaymentDetailsView``
    inherits ``OrderPlacementMixin``. The order number is chosen before
    payment, so a declined payment and its retry share it.
    """

    def submit(self, store: Store, basket: Basket, user: Any, card: str = "") -> Order:
        """Take payment for *basket*, then place its order.

        Raises:
            PaymentDeclinedError: The gateway declined; nothing was placed.
        """
        number = store.order_number_for(basket)
        amount = basket.total
        emit(PrePayment(view=self), sender=self)
        try:
            reference = gateway.charge(card, amount, number)
        except PaymentDeclinedError as error:
            failed = PaymentFailed(
                order_number=number,
                error=str(error),
                amount=amount,
                currency=CURRENCY,
                basket=basket,
                user=user,
            )
            emit(failed, sender=self)
            raise
        emit(PostPayment(view=self), sender=self)
        order = OrderCreator(store).place_order(basket, user)
        paid = OrderPaid(
            order=order, amount=amount, currency=CURRENCY, payment_reference=reference
        )
        emit(paid, sender=self)
        return order


class OrderProcessor:
    """What happens to orders after checkout (Oscar's ``EventHandler``)."""

    def cancel(
        self, order: Order, *, reason: str = "Cancelled at the customer's request"
    ) -> None:
        """Cancel a paid order and refund it.

        Inside a request, the user who cancels comes from the request context.

        Raises:
            OrderStatusError: The order was shipped or cancelled already.
        """
        order.set_status(CANCELLED)
        emit(OrderCancelled(order=order, reason=reason), sender=self)
        gateway.refund(order.number, order.total)
        refunded = OrderRefunded(
            order=order, amount=order.total, currency=CURRENCY, reason=reason
        )
        emit(refunded, sender=self)
