"""The example shop on Flask.

Run it with ``python examples/shops/flask_shop.py`` (needs ``flask[async]``),
then open http://127.0.0.1:5000/products/MUG-1.

The ``CommerceEvents`` extension binds each request and its customer, so the
views below leave ``request`` and ``user`` out of the payloads unless Oscar's
meaning differs (the newly registered user).
"""

from __future__ import annotations

import os
import secrets

from flask import Flask, Request, Response, abort, make_response, redirect, request
from flask import session as flask_session
from flask.views import MethodView
from shop import pages, subscribers
from shop.domain import (
    AlreadyRegisteredError,
    Customer,
    PaymentDetailsMixin,
    Review,
    Store,
)
from werkzeug.wrappers import Response as BaseResponse

from commerce_events import (
    BasketAddition,
    PostCheckout,
    ProductSearch,
    ProductViewed,
    ReviewAdded,
    UserRegistered,
    VoucherAddition,
    emit,
    signals,
)
from commerce_events.contrib.flask import CommerceEvents


def create_app(shop_store: Store | None = None) -> Flask:
    """Make the shop's app, wired to commerce_events."""
    store = shop_store or Store()
    subscribers.wire(user=Customer, request=Request, response=BaseResponse)
    app = Flask(__name__)
    app.secret_key = os.environ.get("SHOP_SECRET_KEY") or secrets.token_hex()

    def current_customer() -> Customer | None:
        return store.customers.get(flask_session.get("customer", ""))

    CommerceEvents(app, user_getter=current_customer)

    def signed_in() -> Customer:
        customer = current_customer()
        if customer is None:
            abort(redirect("/register"))
        return customer

    @app.get("/")
    def home() -> str:
        return pages.home(store.products.values())

    @app.get("/products/<sku>")
    def product_detail(sku: str) -> Response:
        product = store.products.get(sku) or abort(404)
        response = make_response(pages.product(product, store.reviews_of(product)))
        # After the response exists, so that subscribers can set cookies on it.
        emit(ProductViewed(product=product, response=response), sender=product_detail)
        return response

    @app.get("/search")
    async def search() -> str:
        query = request.args.get("q", "")
        emit(ProductSearch(query=query), sender=search)
        return pages.search(query, store.search(query))

    @app.route("/register", methods=["GET", "POST"])
    def register() -> str | BaseResponse | tuple[str, int]:
        if request.method == "GET":
            return pages.register()
        try:
            customer = store.register(request.form["email"])
        except AlreadyRegisteredError:
            return pages.message("Register", "This email has an account already."), 409
        emit(UserRegistered(user=customer), sender=register)
        flask_session["customer"] = customer.email
        return redirect("/")

    @app.get("/basket")
    def basket() -> str:
        return pages.basket(store.basket_of(signed_in().email))

    @app.post("/basket/add")
    def basket_add() -> BaseResponse:
        product = store.products.get(request.form["sku"]) or abort(404)
        store.basket_of(signed_in().email).products.append(product)
        emit(BasketAddition(product=product), sender=basket_add)
        return redirect("/basket")

    @app.post("/basket/vouchers")
    def voucher_add() -> BaseResponse:
        basket = store.basket_of(signed_in().email)
        voucher = store.vouchers.get(request.form["code"]) or abort(404)
        basket.vouchers.append(voucher)
        emit(VoucherAddition(basket=basket, voucher=voucher), sender=voucher_add)
        return redirect("/basket")

    @app.get("/checkout")
    def checkout() -> str:
        basket = store.basket_of(signed_in().email)
        # flask.request is a proxy, which must not outlive the request inside a
        # payload: Oscar's own style of emitting fills in the real request from
        # the request context (emit(StartCheckout(...)) would need it spelled).
        signals.start_checkout.send(checkout)
        return pages.checkout(basket)

    class PaymentView(PaymentDetailsMixin, MethodView):
        def post(self) -> BaseResponse:
            customer = signed_in()
            order = self.submit(store, store.basket_of(customer.email), customer)
            response = redirect(f"/checkout/thank-you/{order.number}")
            emit(PostCheckout(order=order, response=response), sender=self)
            return response

    app.add_url_rule("/checkout/payment", view_func=PaymentView.as_view("payment"))

    @app.get("/checkout/thank-you/<number>")
    def thank_you(number: str) -> str:
        return pages.thank_you(store.orders.get(number) or abort(404))

    @app.post("/products/<sku>/reviews")
    def review_add(sku: str) -> BaseResponse:
        product = store.products.get(sku) or abort(404)
        customer = current_customer()
        review = Review(
            product,
            int(request.form["score"]),
            request.form["title"],
            None if customer is None else customer.email,
        )
        store.reviews.append(review)
        response = redirect(f"/products/{sku}")
        emit(ReviewAdded(review=review, response=response), sender=review_add)
        return response

    return app


if __name__ == "__main__":
    create_app().run(debug=True)
