"""Settings of the example Django shop."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

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
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": Path(tempfile.gettempdir()) / "commerce_events_django_shop.sqlite3",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/register"
USE_TZ = True
