"""Oscar's signal objects become ours: the mapping, the rebinding, the originals.

Oscar's views, models and receivers do ``from oscar.apps.x.signals import y``
when they are first imported. Replacing the module attributes before that
moment makes every one of them hold the :mod:`commerce_events.signals` object:
one signal per event, so nothing can be sent or received twice, and no Django
receiver sits between Oscar's send and our validation.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from commerce_events import signals
from commerce_events._signal import EventSignal

__all__ = ["OSCAR_SIGNALS", "original_signal", "rebind"]

OSCAR_SIGNALS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "oscar.apps.basket.signals": {
            "basket_addition": "basket_addition",
            "voucher_addition": "voucher_addition",
            "voucher_removal": "voucher_removal",
        },
        "oscar.apps.catalogue.signals": {"product_viewed": "product_viewed"},
        "oscar.apps.catalogue.reviews.signals": {"review_added": "review_added"},
        "oscar.apps.checkout.signals": {
            "start_checkout": "start_checkout",
            "pre_payment": "pre_payment",
            "post_payment": "post_payment",
            "post_checkout": "post_checkout",
        },
        "oscar.apps.customer.signals": {
            "user_registered": "user_registered",
            "user_logged_in": "user_logged_in",
        },
        "oscar.apps.order.signals": {
            "order_placed": "order_placed",
            "order_status_changed": "order_status_changed",
            "order_line_status_changed": "order_line_status_changed",
        },
        # Oscar's search signal is the documented product_search event.
        "oscar.apps.search.signals": {"user_search": "product_search"},
    }
)
"""Oscar's signal modules, each Oscar signal name to its event's name.
"""

_lock = threading.Lock()
# (module, Oscar's name) -> the Django Signal Oscar created; kept so the
# system check can find code that still holds it.
_originals: dict[tuple[str, str], Any] = {}


def rebind() -> None:
    """Make each of Oscar's signal module attributes the commerce_events signal.

    Idempotent. Must run before Oscar's views, models and receivers are
    imported: the app does it when Django creates its ``AppConfig``, before
    any app's models or ``ready()``.
    """
    with _lock:
        for module_name, names in OSCAR_SIGNALS.items():
            module = importlib.import_module(module_name)
            for oscar_name, event_name in names.items():
                ours = getattr(signals, event_name)
                current = getattr(module, oscar_name)
                if current is ours:
                    continue
                _originals.setdefault((module_name, oscar_name), current)
                setattr(module, oscar_name, ours)


def original_signal(module: str, name: str) -> Any:
    """Return the Django ``Signal`` Oscar created as *module.name*, or None.

    None until :func:`rebind` replaced it.
    """
    with _lock:
        return _originals.get((module, name))


def originals() -> dict[tuple[str, str], Any]:
    """The replaced Django signals, by (module, Oscar's name)."""
    with _lock:
        return dict(_originals)


def ours(module: str, name: str) -> EventSignal:
    """The commerce_events signal standing for Oscar's *module.name*."""
    signal: EventSignal = getattr(signals, OSCAR_SIGNALS[module][name])
    return signal
