"""Transitional names for modules that still import ``_dispatch`` (being removed)."""

from __future__ import annotations

from typing import Any

from ._delivery import Payload, emit, emit_async
from ._settings import OnError
from ._signal import EventSignal
from ._subscriptions import ANY, route_for_type

__all__ = [
    "ANY",
    "EventSignal",
    "OnError",
    "Payload",
    "emit",
    "emit_async",
    "signal_for_type",
]


def signal_for_type(payload_type: Any) -> EventSignal:
    """The signal of a registered payload class (NotAPayloadError otherwise)."""
    return route_for_type(payload_type).signal
