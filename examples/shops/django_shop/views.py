"""The shop's views: where django-oscar emits, these emit.

The middleware binds each request and its user, so payloads leave ``request``
and ``user`` out unless Oscar's meaning differs (the user who just registered
or logged in: the request was still anonymous). Views are class-based, as
Oscar's are, and send themselves as the sender. ``SearchView`` and
``ThankYouView`` are async: sync and async views both see the request context,
under WSGI and ASGI.
"""

# Django ships no type information; its objects are Any here.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.views import View
from shop import pages
from shop.domain import (
    InvalidFormError,
    NotInBasketError,
    OrderProcessor,
    OrderStatusError,
    PaymentDeclinedError,
    PaymentDetailsMixin,
    Product,
    Store,
    VoucherRefusedError,
)

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

store = Store()
"""The shop's data (Django's database holds only users and sessions)."""


def _csrf(request: HttpRequest) -> str:
    token = get_token(request)
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'


def _product(sku: str) -> Product:
    product = store.products.get(sku)
    if product is None:
        raise Http404
    return product


class HomeView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(pages.home(store.products.values()))


class ProductDetailView(View):
    def get(self, request: HttpRequest, sku: str) -> HttpResponse:
        product = _product(sku)
        reviews = store.reviews_of(product)
        response = HttpResponse(pages.product(product, reviews, _csrf(request)))
        # After the response exists, so that subscribers can set cookies on it.
        emit(ProductViewed(product=product, response=response), sender=self)
        return response


class SearchView(View):
    async def get(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("q", "")
        emit(ProductSearch(query=query), sender=self)
        return HttpResponse(pages.search(query, store.search(query)))


class RegisterView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(pages.register(_csrf(request)))

    def post(self, request: HttpRequest) -> HttpResponse:
        email = request.POST["email"]
        users = get_user_model().objects
        if users.filter(username=email).exists():
            return HttpResponse(
                pages.message("Register", "This email has an account already."),
                status=409,
            )
        user = users.create_user(username=email, email=email)
        emit(UserRegistered(user=user), sender=self)
        login(request, user)
        return HttpResponseRedirect("/")


class LoginView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(pages.login(_csrf(request)))

    def post(self, request: HttpRequest) -> HttpResponse:
        users = get_user_model().objects
        user = users.filter(username=request.POST["email"]).first()
        if user is None:
            page = pages.message("Log in", "No account has this email.")
            return HttpResponse(page, status=404)
        login(request, user)
        emit(UserLoggedIn(user=user), sender=self)
        return HttpResponseRedirect("/")


class LogoutView(View):
    def post(self, request: HttpRequest) -> HttpResponse:
        logout(request)
        return HttpResponseRedirect("/")


class BasketView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        basket = store.basket_of(request.user.email)
        emit(BasketViewed(basket=basket), sender=self)
        return HttpResponse(pages.basket(basket, _csrf(request)))


class BasketAddView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        product = _product(request.POST["sku"])
        store.basket_of(request.user.email).add(product)
        emit(BasketAddition(product=product), sender=self)
        return HttpResponseRedirect("/basket")


class BasketChangeView(LoginRequiredMixin, View):
    """Changes a line or a voucher of the basket: 404 if it is not there."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().dispatch(request, *args, **kwargs)
        except NotInBasketError:
            raise Http404 from None


class LineUpdateView(BasketChangeView):
    def post(self, request: HttpRequest, sku: str) -> HttpResponse:
        try:
            quantity = int(request.POST["quantity"])
            store.basket_of(request.user.email).set_quantity(sku, quantity)
        except ValueError:
            return HttpResponse(status=400)
        return HttpResponseRedirect("/basket")


class LineRemoveView(BasketChangeView):
    def post(self, request: HttpRequest, sku: str) -> HttpResponse:
        store.basket_of(request.user.email).remove_line(sku)
        return HttpResponseRedirect("/basket")


class VoucherAddView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        basket = store.basket_of(request.user.email)
        code = request.POST["code"]
        try:
            voucher = store.apply_voucher(basket, code)
        except VoucherRefusedError as refused:
            denied = VoucherDenied(basket=basket, code=code, reason=str(refused))
            emit(denied, sender=self)
            return HttpResponse(pages.basket(basket, _csrf(request), str(refused)))
        emit(VoucherAddition(basket=basket, voucher=voucher), sender=self)
        return HttpResponseRedirect("/basket")


class VoucherRemoveView(BasketChangeView):
    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        store.basket_of(request.user.email).remove_voucher(code)
        return HttpResponseRedirect("/basket")


class CheckoutView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        emit(StartCheckout(request=request), sender=self)
        basket = store.basket_of(request.user.email)
        return HttpResponse(pages.checkout(basket, _csrf(request)))


class PaymentView(LoginRequiredMixin, PaymentDetailsMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        basket = store.basket_of(request.user.email)
        card = request.POST.get("card", "")
        try:
            order = self.submit(store, basket, request.user, card)
        except PaymentDeclinedError as declined:
            page = pages.checkout(basket, _csrf(request), str(declined))
            return HttpResponse(page)
        response = HttpResponseRedirect(f"/checkout/thank-you/{order.number}")
        emit(PostCheckout(order=order, response=response), sender=self)
        return response


class ThankYouView(View):
    async def get(self, request: HttpRequest, number: str) -> HttpResponse:
        user = await request.auser()
        order = store.order_of(getattr(user, "email", None), number)
        if order is None:
            raise Http404
        return HttpResponse(pages.thank_you(order, _csrf(request)))


class OrderCancelView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        order = store.order_of(request.user.email, number)
        if order is None:
            raise Http404
        try:
            OrderProcessor().cancel(order)
        except OrderStatusError as error:
            page = pages.message("Cancel order", str(error))
            return HttpResponse(page, status=409)
        return HttpResponse(pages.cancelled(order))


class ReviewAddView(View):
    def post(self, request: HttpRequest, sku: str) -> HttpResponse:
        product = _product(sku)
        author = request.user.email if request.user.is_authenticated else None
        try:
            review = store.add_review(
                product,
                request.POST.get("score", ""),
                request.POST.get("title", ""),
                author,
            )
        except InvalidFormError as invalid:
            return HttpResponse(pages.message("Review", str(invalid)), status=400)
        response = HttpResponseRedirect(f"/products/{sku}")
        emit(ReviewAdded(review=review, response=response), sender=self)
        return response
