# Django ships no type information; its objects are Any here.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any
"""The Django app: add ``"commerce_events.contrib.django"`` to INSTALLED_APPS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import checks

from commerce_events import bridges

from .._common import default_async_bridge

if TYPE_CHECKING:
    # Django ships no types: to type checkers its AppConfig is an unknown
    # base, which would make this public class "partially unknown".
    AppConfig = object
else:
    from django.apps import AppConfig

__all__ = ["CommerceEventsConfig", "check_middleware"]

MIDDLEWARE = "commerce_events.contrib.django.middleware.RequestContextMiddleware"
AUTHENTICATION = "django.contrib.auth.middleware.AuthenticationMiddleware"


def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Django system check: the middleware is installed, after authentication."""
    middleware = list(settings.MIDDLEWARE)
    if MIDDLEWARE not in middleware:
        return [
            checks.Warning(
                "The commerce_events middleware is not installed: payloads will "
                "not get request and user from the current request.",
                hint=f"Add {MIDDLEWARE!r} to MIDDLEWARE.",
                id="commerce_events.W001",
            )
        ]
    if AUTHENTICATION in middleware and middleware.index(
        AUTHENTICATION
    ) > middleware.index(MIDDLEWARE):
        return [
            checks.Warning(
                "The commerce_events middleware comes before "
                "AuthenticationMiddleware: the user will always be None.",
                hint=f"Move {MIDDLEWARE!r} after {AUTHENTICATION!r}.",
                id="commerce_events.W002",
            )
        ]
    return []


class CommerceEventsConfig(AppConfig):
    """The commerce_events Django app.

    ``ready()`` registers :func:`check_middleware`; running it again (Django's
    test tools may) changes nothing, since Django keeps its checks in a set.
    It also lets a synchronous emit reach ``async def`` subscribers through
    :func:`commerce_events.bridges.asgiref`, as Django's own signals do since
    5.0, unless a bridge is already set (:func:`commerce_events.set_async_bridge`).

    Connect your subscribers in your own app's ``ready()``: subscribe
    module-level functions with ``subscribe(OrderPlaced, send_confirmation)``;
    subscribing the same function again is a no-op, so a second ``ready()``
    does not deliver twice.
    """

    name = "commerce_events.contrib.django"
    label = "commerce_events"
    verbose_name = "commerce_events"

    def ready(self) -> None:
        checks.register(check_middleware)
        default_async_bridge(bridges.asgiref)
