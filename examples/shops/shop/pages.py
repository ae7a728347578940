"""The shops' HTML pages, the same for every framework.

*hidden* is extra form fields (Django's CSRF token); text from customers is
escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from .domain import Basket, Order, Product, Review


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><title>{escape(title)}</title>"
        '<nav><a href="/">Shop</a> <a href="/basket">Basket</a> '
        '<a href="/register">Register</a>'
        '<form action="/search"><input name="q"><button>Search</button></form>'
        f"</nav><h1>{escape(title)}</h1>{body}"
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


def basket(basket: Basket, hidden: str = "") -> str:
    codes = ", ".join(v.code for v in basket.vouchers)
    return _page(
        "Basket",
        _list(basket.products) + f"<p>Vouchers: {escape(codes)}</p>"
        f"<p>Total: {basket.total}</p>"
        f'<form method="post" action="/basket/vouchers">{hidden}'
        '<input name="code"><button>Add voucher</button></form>'
        '<p><a href="/checkout">Checkout</a></p>',
    )


def checkout(basket: Basket, hidden: str = "") -> str:
    return _page(
        "Checkout",
        f"<p>To pay: {basket.total}</p>"
        f'<form method="post" action="/checkout/payment">{hidden}'
        "<button>Pay and place order</button></form>",
    )


def thank_you(order: Order) -> str:
    return _page(
        "Thank you",
        f"<p>Order {order.number}: {order.total}, "
        f"confirmed to {escape(order.email)}.</p>",
    )


def message(title: str, text: str) -> str:
    return _page(title, f"<p>{escape(text)}</p>")
