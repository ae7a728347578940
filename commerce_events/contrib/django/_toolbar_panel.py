# django-debug-toolbar and Django ship no type information; their objects are Any here.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any
"""The django-debug-toolbar panel class (imported lazily: see ``debug_toolbar``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.safestring import mark_safe

from .._common import missing_framework

try:
    from debug_toolbar.panels import Panel as _Panel
except ImportError as _exc:
    raise missing_framework(
        __name__, "django-debug-toolbar", "django-debug-toolbar"
    ) from _exc

from .._events_panel import recorder, render, rows, summary

if TYPE_CHECKING:
    # Untyped to type checkers: keep this public class fully known.
    Panel = object
else:
    Panel = _Panel

__all__ = ["EventsPanel"]


class EventsPanel(Panel):
    """The commerce_events panel for django-debug-toolbar."""

    title = "Commerce events"
    nav_title = "Commerce events"
    is_async = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deliveries: list[Any] = []

    def process_request(self, request: Any) -> Any:
        """Record the events of this request, while the rest of it runs."""
        token = recorder.start()
        try:
            return super().process_request(request)  # type: ignore[misc]
        finally:
            self._deliveries = recorder.stop(token)

    def generate_stats(self, request: Any, response: Any) -> None:
        """Store the rows (plain data, as the toolbar's store wants)."""
        self.record_stats({"events": rows(self._deliveries)})  # type: ignore[attr-defined]

    @property
    def nav_subtitle(self) -> str:
        """``"3 events, 1 failure"``."""
        return summary(self.get_stats().get("events", []))  # type: ignore[attr-defined]

    @property
    def content(self) -> str:
        """The panel's HTML."""
        events = self.get_stats().get("events", [])  # type: ignore[attr-defined]
        # render() escapes every value it shows.
        return str(mark_safe(render(events)))  # noqa: S308
