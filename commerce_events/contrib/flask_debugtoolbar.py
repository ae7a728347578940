"""A Flask-DebugToolbar panel: the events of each request.

Needs Flask-DebugToolbar; add the panel to the app's list::

    app.config["DEBUG_TB_PANELS"] = [
        *flask_debugtoolbar.DebugToolbarExtension._default_config(app)["DEBUG_TB_PANELS"],
        "commerce_events.contrib.flask_debugtoolbar.EventsPanel",
    ]

It shows what the django-debug-toolbar panel shows
(:mod:`commerce_events.contrib.django.debug_toolbar`): every event of the
request, in order, with its sender, fields (safe reprs), status, and the
subscribers that ran, their times and failures.
"""

from __future__ import annotations

from contextvars import Token
from typing import TYPE_CHECKING, Any

from ._common import missing_framework

try:
    from flask_debugtoolbar.panels import DebugPanel as _DebugPanel
except ImportError as _exc:
    raise missing_framework(
        __name__, "Flask-DebugToolbar", "flask-debugtoolbar"
    ) from _exc

from ._events_panel import recorder, render, rows, summary

if TYPE_CHECKING:
    DebugPanel = object
else:
    DebugPanel = _DebugPanel

__all__ = ["EventsPanel"]


class EventsPanel(DebugPanel):
    """The commerce_events panel for Flask-DebugToolbar."""

    name = "CommerceEvents"
    has_content = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._token: Token[Any] | None = None
        self._events: list[dict[str, Any]] = []

    def process_request(self, request: Any) -> None:
        """Start recording (the toolbar calls this before the view)."""
        self._token = recorder.start()

    def process_response(self, request: Any, response: Any) -> None:
        """Stop recording (the toolbar calls this after the view)."""
        if self._token is not None:
            self._events = rows(recorder.stop(self._token))
            self._token = None

    def nav_title(self) -> str:
        """The toolbar's entry."""
        return "Commerce events"

    def nav_subtitle(self) -> str:
        """``"3 events, 1 failure"``."""
        return summary(self._events)

    def title(self) -> str:
        """The panel's title."""
        return "Commerce events"

    def url(self) -> str:
        """No page of its own."""
        return ""

    def content(self) -> str:
        """The panel's HTML."""
        return render(self._events)
