# Django ships no type information; its objects are Any here.
# mypy: disable-error-code="import-untyped"
"""Django integration: an app (for ``INSTALLED_APPS``) and a middleware.

Needs the ``django`` extra (``pip install 'commerce-events[django]'``)::

    INSTALLED_APPS = [..., "commerce_events.contrib.django"]
    MIDDLEWARE = [
        ...,
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "commerce_events.contrib.django.middleware.RequestContextMiddleware",
    ]
"""

from __future__ import annotations

from .._common import missing_framework

try:
    import django  # noqa: F401 - fail here, with the extra to install
except ImportError as _exc:
    raise missing_framework(__name__, "Django", "django") from _exc
