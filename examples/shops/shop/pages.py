"""The shops' HTML pages, the same for every framework.

*hidden* is extra form fields (Django's CSRF token); text from customers is
escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from .domain import CURRENCY, Basket, Order, Product, Review


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><title>{escape(title)}</title>"
        '<nav><a href="/">Shop</a> <a href="/basket">Basket</a> '
        '<a href="/register">Register</a> <a href="/login">Log in</a>'
        '<form action="/search"><input name="q"><button>Search</button></form>'
        f"</nav><h1>{escape(title)}</h1>{body}"
    )


def _error(error: str) -> str:
    return f'<p class="error">{escape(error)}</p>' if error else ""


def _button(action: str, label: str, hidden: str, fields: str = "") -> str:
    """A form posting *fields* (and *hidden*) to *action*, as one button."""
    return (
        f'<form method="post" action="{action}">{hidden}{fields}'
        f"<button>{label}</button></form>"
    )


def _list(products: Iterable[Product]) -> str:
    items = "".join(
        f'<li><a href="/products/{p.sku}">{escape(p.title)}</a> {p.price}</li>'
        for p in products
    )
    return f"<ul>{items}</ul>"


def home(products: Iterable[Product]) -> str:
    return _page("Shop", _list(products))


def product(product: Product, reviews: Iterable[Review], hidden: str = "") -> str:
    said = "".join(f"<li>{r.score}/5 {escape(r.title)}</li>" for r in reviews)
    return _page(
        product.title,
        f"<p>{product.price}</p>"
        f'<form method="post" action="/basket/add">{hidden}'
        f'<input type="hidden" name="sku" value="{product.sku}">'
        "<button>Add to basket</button></form>"
        f"<h2>Reviews</h2><ul>{said}</ul>"
        f'<form method="post" action="/products/{product.sku}/reviews">{hidden}'
        '<input name="title"> <input name="score" type="number" min="1" max="5">'
        "<button>Review</button></form>",
    )


def search(query: str, results: Iterable[Product]) -> str:
    return _page(f"Search: {query}", _list(results))


def register(hidden: str = "") -> str:
    return _page(
        "Register",
        f'<form method="post">{hidden}<input name="email" type="email">'
        "<button>Register</button></form>",
    )


def login(hidden: str = "") -> str:
    return _page(
        "Log in",
        f'<form method="post">{hidden}<input name="email" type="email">'
        "<button>Log in</button></form>" + _button("/logout", "Log out", hidden),
    )


def basket(basket: Basket, hidden: str = "", error: str = "") -> str:
    lines = "".join(
        f"<li>{escape(ln.product.title)} {ln.product.price}"
        + _button(
            f"/basket/lines/{ln.product.sku}",
            "Update",
            hidden,
            f'<input name="quantity" type="number" min="0" value="{ln.quantity}">',
        )
        + _button(f"/basket/lines/{ln.product.sku}/remove", "Remove", hidden)
        + "</li>"
        for ln in basket.lines
    )
    vouchers = "".join(
        f"<li>{escape(v.code)}"
        + _button(f"/basket/vouchers/{v.code}/remove", "Remove", hidden)
        + "</li>"
        for v in basket.vouchers
    )
    return _page(
        "Basket",
        f"<ul>{lines}</ul><h2>Vouchers</h2>{_error(error)}<ul>{vouchers}</ul>"
        f"<p>Total: {basket.total}</p>"
        + _button("/basket/vouchers", "Add voucher", hidden, '<input name="code">')
        + '<p><a href="/checkout">Checkout</a></p>',
    )


def checkout(basket: Basket, hidden: str = "", error: str = "") -> str:
    return _page(
        "Checkout",
        f"<p>To pay: {basket.total} {CURRENCY}</p>{_error(error)}"
        + _button(
            "/checkout/payment",
            "Pay and place order",
            hidden,
            '<input name="card" autocomplete="cc-number">',
        ),
    )


def thank_you(order: Order, hidden: str = "") -> str:
    return _page(
        "Thank you",
        f"<p>Order {order.number}: {order.total}, "
        f"confirmed to {escape(order.email)}.</p><p>Status: {order.status}</p>"
        + _button(f"/orders/{order.number}/cancel", "Cancel order", hidden),
    )


def cancelled(order: Order) -> str:
    return _page(
        "Order cancelled",
        f"<p>Order {order.number} is cancelled: "
        f"{order.total} {CURRENCY} will be refunded.</p>",
    )


def message(title: str, text: str) -> str:
    return _page(title, f"<p>{escape(text)}</p>")
