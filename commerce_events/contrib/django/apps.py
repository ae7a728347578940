# Django ships no type information; its objects are Any here.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any
"""The Django app: add ``"commerce_events.contrib.django"`` to INSTALLED_APPS."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import checks

from commerce_events import bridges

from .. import _settings_config
from .._common import default_async_bridge

if TYPE_CHECKING:
    # Django ships no types: to type checkers its AppConfig is an unknown
    # base, which would make this public class "partially unknown".
    AppConfig = object
else:
    from django.apps import AppConfig

__all__ = ["CommerceEventsConfig", "check_middleware", "check_settings"]

MIDDLEWARE = "commerce_events.contrib.django.middleware.RequestContextMiddleware"
AUTHENTICATION = "django.contrib.auth.middleware.AuthenticationMiddleware"

_logger = logging.getLogger("commerce_events")


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


_CHECK_IDS = {"unknown": "E101", "import": "E102", "invalid": "E103"}


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Django system check: the ``COMMERCE_EVENTS`` setting, every problem.

    ``commerce_events.E101``: an unknown event, group, domain, bridge or key
    (with a "did you mean"); ``E102``: a dotted path (a forwarder, a class)
    that does not import; ``E103``: a value of the wrong kind.
    """
    _wiring, problems = _settings_config.read(
        getattr(settings, _settings_config.SETTING, None)
    )
    return [
        checks.Error(
            problem.message,
            hint=f"Fix {problem.where}.",
            obj=_settings_config.SETTING,
            id=f"commerce_events.{_CHECK_IDS[problem.kind]}",
        )
        for problem in problems
    ]


class CommerceEventsConfig(AppConfig):
    """The commerce_events Django app.

    ``ready()`` registers :func:`check_middleware`; running it again (Django's
    test tools may) changes nothing, since Django keeps its checks in a set.
    It also lets a synchronous emit reach ``async def`` subscribers through
    :func:`commerce_events.bridges.asgiref`, as Django's own signals do since
    5.0, unless a bridge is already set (:func:`commerce_events.set_async_bridge`).

    ``ready()`` also wires the ``COMMERCE_EVENTS`` setting (failure
    policies, domain classes, forwarding, the async bridge; see the Django
    integration page), replacing what an earlier ``ready()`` wired; a setting
    with problems is wired not at all, logged, and reported by
    :func:`check_settings`.

    Connect your subscribers in your own app's ``ready()``: subscribe
    module-level functions with ``subscribe(OrderPlaced, send_confirmation)``;
    subscribing the same function again is a no-op, so a second ``ready()``
    does not deliver twice.
    """

    name = "commerce_events.contrib.django"
    label = "commerce_events"
    verbose_name = "commerce_events"

    _wired: _settings_config.Wired | None = None

    def ready(self) -> None:
        checks.register(check_middleware)
        checks.register(check_settings)
        # Every app's models are imported by now; events defined in the
        # ready() of an app listed after this one are not (documented).
        wiring, problems = _settings_config.read(
            getattr(settings, _settings_config.SETTING, None)
        )
        if self._wired is not None:  # ready() again: replace, never add
            self._wired.cancel()
            self._wired = None
        if problems:
            # The system check reports them (runserver, migrate, check, test);
            # a server that skips checks still says so in its log.
            _logger.error(
                "%s has problems, nothing of it was wired:\n%s",
                _settings_config.SETTING,
                "\n".join(map(str, problems)),
            )
        else:
            self._wired = _settings_config.apply(wiring)
        if problems or not wiring.has_bridge:
            default_async_bridge(bridges.asgiref)
