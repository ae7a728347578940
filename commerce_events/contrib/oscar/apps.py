# Django ships no type information; its objects are Any here.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any
"""The Oscar app: add ``"commerce_events.contrib.oscar"`` to INSTALLED_APPS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.core import checks

from commerce_events import bridges

from .._common import default_async_bridge
from ._checks import check_signals
from ._rebind import rebind

if TYPE_CHECKING:
    # Django ships no types: to type checkers its AppConfig is an unknown
    # base, which would make this public class "partially unknown".
    AppConfig = object
else:
    from django.apps import AppConfig

__all__ = ["OscarEventsConfig", "check_signals"]


class OscarEventsConfig(AppConfig):
    """The app that puts an unmodified Oscar shop on commerce_events.

    Django creates every app's ``AppConfig`` before it imports any models or
    runs any ``ready()``; this one replaces Oscar's signal objects right then
    (:func:`~commerce_events.contrib.oscar.rebind`), so that Oscar's models,
    views and receivers, imported later, all hold ours. ``ready()`` sets the
    asgiref async bridge (unless one is set) and registers
    :func:`check_signals`.
    """

    name = "commerce_events.contrib.oscar"
    label = "commerce_events_oscar"
    verbose_name = "commerce_events for django-oscar"

    def __init__(self, app_name: str, app_module: Any) -> None:
        # Django's AppConfig.__init__ (an unknown base to type checkers).
        cast("Any", super()).__init__(app_name, app_module)
        rebind()

    def ready(self) -> None:
        default_async_bridge(bridges.asgiref)
        checks.register(check_signals)
