"""The shop's URLs (the same paths as the Flask and FastAPI shops)."""

# Django ships no type information; its objects are Any here.
# mypy: disable-error-code="import-untyped"

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.HomeView.as_view()),
    path("products/<str:sku>", views.ProductDetailView.as_view()),
    path("products/<str:sku>/reviews", views.ReviewAddView.as_view()),
    path("search", views.SearchView.as_view()),
    path("register", views.RegisterView.as_view()),
    path("login", views.LoginView.as_view()),
    path("logout", views.LogoutView.as_view()),
    path("basket", views.BasketView.as_view()),
    path("basket/add", views.BasketAddView.as_view()),
    path("basket/lines/<str:sku>", views.LineUpdateView.as_view()),
    path("basket/lines/<str:sku>/remove", views.LineRemoveView.as_view()),
    path("basket/vouchers", views.VoucherAddView.as_view()),
    path("basket/vouchers/<str:code>/remove", views.VoucherRemoveView.as_view()),
    path("checkout", views.CheckoutView.as_view()),
    path("checkout/payment", views.PaymentView.as_view()),
    path("checkout/thank-you/<str:number>", views.ThankYouView.as_view()),
    path("orders/<str:number>/cancel", views.OrderCancelView.as_view()),
]
