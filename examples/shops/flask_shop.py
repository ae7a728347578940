"""The example shop on Flask.

Run it with ``python examples/shops/flask_shop.py`` (needs ``flask[async]``),
then open http://127.0.0.1:5000/products/MUG-1.

The ``CommerceEvents`` extension binds each request and its customer, so the
views below leave ``request`` and ``user`` out of the payloads unless Oscar's
meaning differs (the user who just registered or logged in: the request was
still anonymous).
"""

from __future__ import annotations

import os
import secrets

from flask import Flask, Request, Response, abort, make_response, redirect, request
from flask import session as flask_session
from flask.views import MethodView
from shop import outbox, pages, subscribers
from shop.domain import (
    AlreadyRegisteredError,
    Customer,
    NotInBasketError,
    OrderProcessor,
    OrderStatusError,
    PaymentDeclinedError,
    PaymentDetailsMixin,
    Review,
    Store,
    VoucherRefusedError,
)
from werkzeug.wrappers import Response as BaseResponse

from commerce_events import (
    BasketAddition,
    BasketViewed,
    PostCheckout,
    ProductSearch,
    ProductViewed,
    ReviewAdded,
    UserLoggedIn,
    UserRegistered,
    VoucherAddition,
    VoucherDenied,
    emit,
    signals,
)
from commerce_events.contrib.flask import CommerceEvents


def create_app(shop_store: Store | None = None) -> Flask:
    """Make the shop's app, wired to commerce_events."""
    store = shop_store or Store()
    subscribers.wire(user=Customer, request=Request, response=BaseResponse)
    outbox.wire_sqlalchemy()
    app = Flask(__name__)
    app.secret_key = os.environ.get("SHOP_SECRET_KEY") or secrets.token_hex()

    def current_customer() -> Customer | None:
        return store.customers.get(flask_session.get("customer", ""))

    CommerceEvents(app, user_getter=current_customer)
    app.register_error_handler(
        NotInBasketError,
        lambda _: (pages.message("Basket", "Not in your basket."), 404),
    )

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

    @app.route("/login", methods=["GET", "POST"])
    def login() -> str | BaseResponse | tuple[str, int]:
        if request.method == "GET":
            return pages.login()
        customer = store.customers.get(request.form["email"])
        if customer is None:
            return pages.message("Log in", "No account has this email."), 404
        flask_session["customer"] = customer.email
        emit(UserLoggedIn(user=customer), sender=login)
        return redirect("/")

    @app.post("/logout")
    def logout() -> BaseResponse:
        flask_session.pop("customer", None)
        return redirect("/")

    @app.get("/basket")
    def basket() -> str:
        current = store.basket_of(signed_in().email)
        emit(BasketViewed(basket=current), sender=basket)
        return pages.basket(current)

    @app.post("/basket/add")
    def basket_add() -> BaseResponse:
        product = store.products.get(request.form["sku"]) or abort(404)
        store.basket_of(signed_in().email).add(product)
        emit(BasketAddition(product=product), sender=basket_add)
        return redirect("/basket")

    @app.post("/basket/lines/<sku>")
    def line_update(sku: str) -> BaseResponse:
        basket = store.basket_of(signed_in().email)
        try:
            basket.set_quantity(sku, int(request.form["quantity"]))
        except ValueError:
            abort(400)
        return redirect("/basket")

    @app.post("/basket/lines/<sku>/remove")
    def line_remove(sku: str) -> BaseResponse:
        store.basket_of(signed_in().email).remove_line(sku)
        return redirect("/basket")

    @app.post("/basket/vouchers")
    def voucher_add() -> str | BaseResponse:
        basket = store.basket_of(signed_in().email)
        code = request.form["code"]
        try:
            voucher = store.apply_voucher(basket, code)
        except VoucherRefusedError as refused:
            denied = VoucherDenied(basket=basket, code=code, reason=str(refused))
            emit(denied, sender=voucher_add)
            return pages.basket(basket, error=str(refused))
        emit(VoucherAddition(basket=basket, voucher=voucher), sender=voucher_add)
        return redirect("/basket")

    @app.post("/basket/vouchers/<code>/remove")
    def voucher_remove(code: str) -> BaseResponse:
        store.basket_of(signed_in().email).remove_voucher(code)
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
        def post(self) -> str | BaseResponse:
            customer = signed_in()
            basket = store.basket_of(customer.email)
            try:
                order = self.submit(
                    store, basket, customer, request.form.get("card", "")
                )
            except PaymentDeclinedError as declined:
                return pages.checkout(basket, error=str(declined))
            response = redirect(f"/checkout/thank-you/{order.number}")
            emit(PostCheckout(order=order, response=response), sender=self)
            return response

    app.add_url_rule("/checkout/payment", view_func=PaymentView.as_view("payment"))

    @app.get("/checkout/thank-you/<number>")
    def thank_you(number: str) -> str:
        return pages.thank_you(store.order_of(signed_in().email, number) or abort(404))

    @app.post("/orders/<number>/cancel")
    def order_cancel(number: str) -> str | tuple[str, int]:
        order = store.order_of(signed_in().email, number) or abort(404)
        try:
            OrderProcessor().cancel(order)
        except OrderStatusError as error:
            return pages.message("Cancel order", str(error)), 409
        return pages.cancelled(order)

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
