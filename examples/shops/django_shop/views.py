"""The shop's views: where django-oscar emits, these emit.

The middleware binds each request and its user, so payloads leave ``request``
and ``user`` out unless Oscar's meaning differs (the newly registered user).
Views are class-based, as Oscar's are, and send themselves as the sender.
``SearchView`` and ``ThankYouView`` are async: sync and async views both see
the request context, under WSGI and ASGI.
"""

# Django ships no type information; its objects are Any here.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any

from __future__ import annotations

from django.contrib.auth import get_user_model, login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.views import View
from shop import pages
from shop.domain import PaymentDetailsMixin, Product, Review, Store

from commerce_events import (
    BasketAddition,
    PostCheckout,
    ProductSearch,
    ProductViewed,
    ReviewAdded,
    StartCheckout,
    UserRegistered,
    VoucherAddition,
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


class BasketView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        basket = store.basket_of(request.user.email)
        return HttpResponse(pages.basket(basket, _csrf(request)))


class BasketAddView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        product = _product(request.POST["sku"])
        store.basket_of(request.user.email).products.append(product)
        emit(BasketAddition(product=product), sender=self)
        return HttpResponseRedirect("/basket")


class VoucherAddView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        basket = store.basket_of(request.user.email)
        voucher = store.vouchers.get(request.POST["code"])
        if voucher is None:
            raise Http404
        basket.vouchers.append(voucher)
        emit(VoucherAddition(basket=basket, voucher=voucher), sender=self)
        return HttpResponseRedirect("/basket")


class CheckoutView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        emit(StartCheckout(request=request), sender=self)
        basket = store.basket_of(request.user.email)
        return HttpResponse(pages.checkout(basket, _csrf(request)))


class PaymentView(LoginRequiredMixin, PaymentDetailsMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        basket = store.basket_of(request.user.email)
        order = self.submit(store, basket, request.user)
        response = HttpResponseRedirect(f"/checkout/thank-you/{order.number}")
        emit(PostCheckout(order=order, response=response), sender=self)
        return response


class ThankYouView(View):
    async def get(self, request: HttpRequest, number: str) -> HttpResponse:
        user = await request.auser()
        order = store.orders.get(number)
        if order is None or order.email != getattr(user, "email", None):
            raise Http404
        return HttpResponse(pages.thank_you(order))


class ReviewAddView(View):
    def post(self, request: HttpRequest, sku: str) -> HttpResponse:
        product = _product(sku)
        author = request.user.email if request.user.is_authenticated else None
        review = Review(
            product, int(request.POST["score"]), request.POST["title"], author
        )
        store.reviews.append(review)
        response = HttpResponseRedirect(f"/products/{sku}")
        emit(ReviewAdded(review=review, response=response), sender=self)
        return response
