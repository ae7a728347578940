"""Settings of the example Django shop."""

from __future__ import annotations

import os

# An example's key; set SHOP_SECRET_KEY for anything else.
SECRET_KEY = os.environ.get("SHOP_SECRET_KEY", "django-insecure-example-shop")
DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "commerce_events.contrib.django",
    "django_shop",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After AuthenticationMiddleware: it reads request.user / request.auser().
    "commerce_events.contrib.django.middleware.RequestContextMiddleware",
]
ROOT_URLCONF = "django_shop.urls"
# Users and sessions live in memory, like the shop's products, baskets and
# orders (shop.domain.Store): a restart starts a fresh shop, all of it. One
# SQLite database shared by the server's threads, alive while a connection is
# open: ``manage.py runserver`` creates it (django_shop/management/commands).
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "file:commerce_events_django_shop?mode=memory&cache=shared",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/register"
USE_TZ = True
