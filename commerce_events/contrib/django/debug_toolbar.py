"""A django-debug-toolbar panel: the events of each request.

Needs django-debug-toolbar (``pip install 'commerce-events[django-debug-toolbar]'``);
add the panel to its list::

    DEBUG_TOOLBAR_PANELS = [
        *debug_toolbar.settings.PANELS_DEFAULTS,
        "commerce_events.contrib.django.debug_toolbar.EventsPanel",
    ]

For each request it shows every event emitted while the view ran, in order:
its name, its sender and its fields (with the payload's safe reprs: requests,
responses and sessions by type only), whether it was delivered, muted or
deferred (a deferred event is shown once delivered), and each subscriber that
ran, with its time and, if it failed, the traceback.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

from .._common import missing_framework

if importlib.util.find_spec("debug_toolbar") is None:
    raise missing_framework(__name__, "django-debug-toolbar", "django-debug-toolbar")

if TYPE_CHECKING:
    from ._toolbar_panel import EventsPanel

__all__ = ["EventsPanel"]


def __getattr__(name: str) -> Any:
    # django-debug-toolbar reads Django's settings when imported: load the
    # panel class when the toolbar asks for it, once Django is set up.
    if name == "EventsPanel":
        from ._toolbar_panel import EventsPanel

        return EventsPanel
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
