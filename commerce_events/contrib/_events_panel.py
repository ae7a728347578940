"""What the debug-toolbar panels show: one request's events, recorded and rendered once.

Both panels (:mod:`commerce_events.contrib.django.debug_toolbar`,
:mod:`commerce_events.contrib.flask_debugtoolbar`) record through one observer
(:func:`commerce_events.add_observer`), registered when a panel is first used,
into a list bound to the current request's context; they differ only in how
their toolbar asks for the HTML.
"""

from __future__ import annotations

import html
import threading
import traceback
from collections.abc import Iterable
from contextvars import ContextVar, Token
from typing import Any

from commerce_events import Delivery, add_observer, remove_observer
from commerce_events._payload import short_repr, spec_of, type_only

__all__ = ["EventRecorder", "recorder", "render", "rows"]

_REPR_LIMIT = 200


class EventRecorder:
    """Records every delivery made in the current request's context."""

    def __init__(self) -> None:
        self._current: ContextVar[list[Delivery] | None] = ContextVar(
            "commerce_events.panel", default=None
        )
        self._lock = threading.Lock()
        self._recording = 0

    def start(self) -> Token[list[Delivery] | None]:
        """Start recording for this context (the observer is on while any is)."""
        with self._lock:
            self._recording += 1
            # Idempotent: also puts it back if a test's isolation removed it.
            add_observer(self._observe)
        return self._current.set([])

    def stop(self, token: Token[list[Delivery] | None]) -> list[Delivery]:
        """Stop recording; return what was recorded, in order.

        Once no request records, the observer goes, and emits pay nothing for
        the panels again.
        """
        recorded = self._current.get() or []
        self._current.reset(token)
        with self._lock:
            self._recording -= 1
            if self._recording <= 0:
                self._recording = 0
                remove_observer(self._observe)
        return recorded

    def _observe(self, delivery: Delivery) -> None:
        recorded = self._current.get()
        if recorded is not None:
            recorded.append(delivery)


recorder = EventRecorder()
"""The one recorder both panels share."""


def _shown_fields(payload: Any) -> list[tuple[str, str]]:
    # The payload's own repr rules: sensitive fields by type only, a field's
    # custom repr used, hidden fields left out; long values cut.
    spec = spec_of(type(payload))
    if spec is None:
        return [("payload", short_repr(payload, _REPR_LIMIT))]
    shown = []
    for fs in spec.fields:
        attribute = getattr(type(payload), "__attrs_attrs__", None)
        how = getattr(attribute, fs.name).repr if attribute is not None else True
        if how is False:
            continue
        value = getattr(payload, fs.name)
        if fs.sensitive:
            text = type_only(value)
        elif callable(how):
            text = how(value)
        else:
            text = short_repr(value, _REPR_LIMIT)
        shown.append((fs.name, text))
    return shown


def rows(deliveries: Iterable[Delivery]) -> list[dict[str, Any]]:
    """One row per event, in delivery order, as plain data (the toolbars store it).

    A deferred event gets its row when it is delivered (marked ``deferred``);
    one still queued when the request ended is shown as ``deferred, pending``.
    """
    pending: dict[Any, Delivery] = {}
    result: list[dict[str, Any]] = []
    for delivery in deliveries:
        event_id = delivery.metadata.id
        if delivery.status == "deferred":
            pending[event_id] = delivery
            continue
        status: str = delivery.status
        if pending.pop(event_id, None) is not None:
            status = "deferred, delivered"
        result.append(_row(delivery, status))
    result.extend(_row(delivery, "deferred, pending") for delivery in pending.values())
    for index, row in enumerate(result, 1):
        row["index"] = index
    return result


def _row(delivery: Delivery, status: str) -> dict[str, Any]:
    return {
        "event": delivery.event,
        "status": status,
        "sender": short_repr(delivery.sender, _REPR_LIMIT),
        "fields": _shown_fields(delivery.payload),
        "calls": [
            {
                "name": call.name,
                "milliseconds": round(call.seconds * 1000, 3),
                "error": None
                if call.error is None
                else f"{type(call.error).__qualname__}: {call.error}",
                "traceback": None
                if call.error is None
                else "".join(traceback.format_exception(call.error)),
            }
            for call in delivery.calls
        ],
    }


def summary(events: list[dict[str, Any]]) -> str:
    """The toolbar's subtitle: "3 events, 1 failure"."""
    failures = sum(1 for e in events for c in e["calls"] if c["error"] is not None)
    text = f"{len(events)} event{'' if len(events) == 1 else 's'}"
    if failures:
        text += f", {failures} failure{'' if failures == 1 else 's'}"
    return text


_STYLE = """
<style>
.ce-events { border-collapse: collapse; width: 100%; table-layout: fixed;
  font-size: 13px; }
.ce-events th, .ce-events td { border: 1px solid #ccc; padding: 4px 6px;
  vertical-align: top; text-align: left; overflow-wrap: anywhere; }
.ce-events .ce-muted td { color: #888; font-style: italic; }
.ce-events .ce-failed { color: #b00020; font-weight: bold; }
.ce-events .ce-name { font-weight: bold; }
.ce-events pre { white-space: pre-wrap; margin: 4px 0; font-size: 11px; }
.ce-events ol { margin: 0; padding-left: 1.5em; }
</style>
"""


def render(events: list[dict[str, Any]]) -> str:
    """The panel's HTML: a table of the events; every value escaped."""
    e = html.escape
    if not events:
        return '<p class="ce-none">No commerce_events event in this request.</p>'
    out = [
        _STYLE,
        '<table class="ce-events"><colgroup><col style="width: 3em">'
        '<col style="width: 13%"><col style="width: 9%"><col style="width: 17%">'
        '<col style="width: 30%"><col></colgroup><thead><tr><th>#</th><th>Event</th>'
        "<th>Status</th><th>Sender</th><th>Fields</th><th>Subscribers</th>"
        "</tr></thead><tbody>",
    ]
    for event in events:
        css = "ce-muted" if event["status"] == "muted" else "ce-event"
        fields = "".join(
            f'<div class="ce-field"><span class="ce-name">{e(name)}</span> = '
            f"{e(value)}</div>"
            for name, value in event["fields"]
        )
        calls = []
        for call in event["calls"]:
            line = f"{e(call['name'])} <small>{call['milliseconds']:.3f} ms</small>"
            if call["error"] is not None:
                line += (
                    f'<div class="ce-failed">failed: {e(call["error"])}</div>'
                    f"<pre>{e(call['traceback'])}</pre>"
                )
            calls.append(f'<li class="ce-call">{line}</li>')
        subscribers = f"<ol>{''.join(calls)}</ol>" if calls else "none ran"
        out.append(
            f'<tr class="{css}" data-event="{e(event["event"])}">'
            f"<td>{event['index']}</td><td>{e(event['event'])}</td>"
            f'<td class="ce-status">{e(event["status"])}</td>'
            f"<td>{e(event['sender'])}</td><td>{fields}</td>"
            f"<td>{subscribers}</td></tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)
