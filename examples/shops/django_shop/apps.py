"""The shop's app: connects the subscribers when Django is ready."""

# Django ships no type information; its objects are Any here.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any

from __future__ import annotations

from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "django_shop"

    def ready(self) -> None:
        # Imported here: models and auth are usable only once apps are ready.
        from django.contrib.auth import get_user_model
        from django.http import HttpRequest
        from django.http.response import HttpResponseBase
        from shop import outbox, subscribers

        # Module-level subscribers: a second ready() subscribes nothing twice.
        subscribers.wire(
            user=get_user_model(), request=HttpRequest, response=HttpResponseBase
        )
        outbox.wire_django()
