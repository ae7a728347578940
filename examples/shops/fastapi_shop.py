"""The example shop on FastAPI.

Serve it with ``uvicorn fastapi_shop:create_app --factory --app-dir
examples/shops`` (needs ``uvicorn``), then open
http://127.0.0.1:8000/products/MUG-1. Its forms need ``python-multipart``.

Starlette's ``AuthenticationMiddleware`` puts the customer in
``scope["user"]``; the commerce_events middleware, inside it, binds the request
and that user. Some endpoints are async, others sync (run in a thread pool):
both see the request context.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from shop import outbox, pages, subscribers
from shop.domain import (
    AlreadyRegisteredError,
    Customer,
    NotInBasketError,
    OrderProcessor,
    OrderStatusError,
    PaymentDeclinedError,
    PaymentDetailsMixin,
    Product,
    Review,
    Store,
    VoucherRefusedError,
)
from starlette.authentication import AuthCredentials, AuthenticationBackend, SimpleUser
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import Response

from commerce_events import (
    BasketAddition,
    BasketViewed,
    PostCheckout,
    ProductSearch,
    ProductViewed,
    ReviewAdded,
    StartCheckout,
    UserLoggedIn,
    UserRegistered,
    VoucherAddition,
    VoucherDenied,
    emit,
)
from commerce_events.contrib.fastapi import (
    CurrentRequestContext,
    RequestContextMiddleware,
)
from commerce_events.validators import MAX_QUANTITY

SESSION_COOKIE = "shop_session"


class ShopUser(SimpleUser):
    """A signed-in customer, as Starlette's authentication wants a user."""

    def __init__(self, customer: Customer) -> None:
        super().__init__(customer.email)
        self.email = customer.email


class SessionBackend(AuthenticationBackend):
    """Signs in the customer whose session token is in the cookie."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def authenticate(
        self, conn: HTTPConnection
    ) -> tuple[AuthCredentials, SimpleUser] | None:
        customer = self.store.customer_for(conn.cookies.get(SESSION_COOKIE))
        if customer is None:
            return None
        return AuthCredentials(["authenticated"]), ShopUser(customer)


class PaymentView(PaymentDetailsMixin):
    """The payment step: the ``view`` of pre_payment and post_payment."""


def _signed_in(request: Request) -> ShopUser:
    if not isinstance(request.user, ShopUser):
        raise HTTPException(302, headers={"Location": "/register"})
    return request.user


SignedIn = Annotated[ShopUser, Depends(_signed_in)]


def create_app(shop_store: Store | None = None) -> FastAPI:
    """Make the shop's app, wired to commerce_events."""
    store = shop_store or Store()
    subscribers.wire(user=ShopUser, request=Request, response=Response)
    outbox.wire_sqlalchemy()
    app = FastAPI(
        middleware=[
            # Outermost first: authentication sets scope["user"], then the
            # commerce_events middleware binds it with the request.
            Middleware(AuthenticationMiddleware, backend=SessionBackend(store)),
            Middleware(RequestContextMiddleware),
        ]
    )

    @app.exception_handler(NotInBasketError)
    async def not_in_basket(request: Request, error: NotInBasketError) -> Response:
        return HTMLResponse(pages.message("Basket", "Not in your basket."), 404)

    def product_of(sku: str) -> Product:
        product = store.products.get(sku)
        if product is None:
            raise HTTPException(404)
        return product

    @app.get("/", response_class=HTMLResponse)
    async def home() -> str:
        return pages.home(store.products.values())

    @app.get("/products/{sku}")
    def product_detail(sku: str) -> HTMLResponse:
        product = product_of(sku)
        response = HTMLResponse(pages.product(product, store.reviews_of(product)))
        # After the response exists, so that subscribers can set cookies on it.
        emit(ProductViewed(product=product, response=response), sender=product_detail)
        return response

    @app.get("/search", response_class=HTMLResponse)
    async def search(q: str = "") -> str:
        emit(ProductSearch(query=q), sender=search)
        return pages.search(q, store.search(q))

    @app.get("/register", response_class=HTMLResponse)
    async def register_form() -> str:
        return pages.register()

    @app.post("/register")
    async def register(email: Annotated[str, Form()]) -> Response:
        try:
            customer = store.register(email)
        except AlreadyRegisteredError:
            page = pages.message("Register", "This email has an account already.")
            return HTMLResponse(page, status_code=409)
        emit(UserRegistered(user=ShopUser(customer)), sender=register)
        response = RedirectResponse("/", status_code=302)
        response.set_cookie(SESSION_COOKIE, store.sign_in(customer), httponly=True)
        return response

    @app.get("/login", response_class=HTMLResponse)
    async def login_form() -> str:
        return pages.login()

    @app.post("/login")
    async def login(email: Annotated[str, Form()]) -> Response:
        customer = store.customers.get(email)
        if customer is None:
            page = pages.message("Log in", "No account has this email.")
            return HTMLResponse(page, status_code=404)
        emit(UserLoggedIn(user=ShopUser(customer)), sender=login)
        response = RedirectResponse("/", status_code=302)
        response.set_cookie(SESSION_COOKIE, store.sign_in(customer), httponly=True)
        return response

    @app.post("/logout")
    async def logout(request: Request) -> RedirectResponse:
        store.sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        response = RedirectResponse("/", status_code=302)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/basket", response_class=HTMLResponse)
    def basket(user: SignedIn) -> str:
        current = store.basket_of(user.email)
        emit(BasketViewed(basket=current), sender=basket)
        return pages.basket(current)

    @app.post("/basket/add")
    def basket_add(sku: Annotated[str, Form()], user: SignedIn) -> RedirectResponse:
        product = product_of(sku)
        store.basket_of(user.email).add(product)
        emit(BasketAddition(product=product), sender=basket_add)
        return RedirectResponse("/basket", status_code=302)

    @app.post("/basket/lines/{sku}")
    def line_update(
        sku: str,
        quantity: Annotated[int, Form(ge=0, le=MAX_QUANTITY)],
        user: SignedIn,
    ) -> RedirectResponse:
        store.basket_of(user.email).set_quantity(sku, quantity)
        return RedirectResponse("/basket", status_code=302)

    @app.post("/basket/lines/{sku}/remove")
    def line_remove(sku: str, user: SignedIn) -> RedirectResponse:
        store.basket_of(user.email).remove_line(sku)
        return RedirectResponse("/basket", status_code=302)

    @app.post("/basket/vouchers")
    async def voucher_add(code: Annotated[str, Form()], user: SignedIn) -> Response:
        basket = store.basket_of(user.email)
        try:
            voucher = store.apply_voucher(basket, code)
        except VoucherRefusedError as refused:
            denied = VoucherDenied(basket=basket, code=code, reason=str(refused))
            emit(denied, sender=voucher_add)
            return HTMLResponse(pages.basket(basket, error=str(refused)))
        emit(VoucherAddition(basket=basket, voucher=voucher), sender=voucher_add)
        return RedirectResponse("/basket", status_code=302)

    @app.post("/basket/vouchers/{code}/remove")
    async def voucher_remove(code: str, user: SignedIn) -> RedirectResponse:
        store.basket_of(user.email).remove_voucher(code)
        return RedirectResponse("/basket", status_code=302)

    @app.get("/checkout", response_class=HTMLResponse)
    async def checkout(request: Request, user: SignedIn) -> str:
        emit(StartCheckout(request=request), sender=checkout)
        return pages.checkout(store.basket_of(user.email))

    @app.post("/checkout/payment")
    def payment(user: SignedIn, card: Annotated[str, Form()] = "") -> Response:
        view = PaymentView()
        basket = store.basket_of(user.email)
        try:
            order = view.submit(store, basket, user, card)
        except PaymentDeclinedError as declined:
            return HTMLResponse(pages.checkout(basket, error=str(declined)))
        response = RedirectResponse(
            f"/checkout/thank-you/{order.number}", status_code=302
        )
        emit(PostCheckout(order=order, response=response), sender=view)
        return response

    @app.get("/checkout/thank-you/{number}", response_class=HTMLResponse)
    async def thank_you(number: str, context: CurrentRequestContext) -> str:
        # The dependency gives the request context: here, who is signed in.
        order = store.order_of(getattr(context.user, "email", None), number)
        if order is None:
            raise HTTPException(404)
        return pages.thank_you(order)

    @app.post("/orders/{number}/cancel")
    async def order_cancel(number: str, user: SignedIn) -> HTMLResponse:
        order = store.order_of(user.email, number)
        if order is None:
            raise HTTPException(404)
        try:
            OrderProcessor().cancel(order)
        except OrderStatusError as error:
            page = pages.message("Cancel order", str(error))
            return HTMLResponse(page, status_code=409)
        return HTMLResponse(pages.cancelled(order))

    @app.post("/products/{sku}/reviews")
    async def review_add(
        sku: str,
        score: Annotated[int, Form()],
        title: Annotated[str, Form()],
        request: Request,
    ) -> RedirectResponse:
        product = product_of(sku)
        user = request.user
        author = user.email if isinstance(user, ShopUser) else None
        review = Review(product, score, title, author)
        store.reviews.append(review)
        response = RedirectResponse(f"/products/{sku}", status_code=302)
        emit(ReviewAdded(review=review, response=response), sender=review_add)
        return response

    return app
