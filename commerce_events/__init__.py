"""commerce_events: a typed, validated, framework-agnostic event bus for shops.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import analytics, bridges, domain, exceptions, signals, validators
from ._catalogue import (
    BasketAddition,
    BasketLineQuantityChanged,
    BasketLineRemoved,
    BasketsMerged,
    BasketViewed,
    CheckoutStepCompleted,
    OrderCancelled,
    OrderLineStatusChanged,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
    OrderStatusChanged,
    PaymentFailed,
    PostCheckout,
    PostPayment,
    PrePayment,
    ProductSearch,
    ProductViewed,
    ReviewAdded,
    StartCheckout,
    UserLoggedIn,
    UserRegistered,
    VoucherAddition,
    VoucherDenied,
    VoucherRemoval,
    WishlistProductAdded,
    WishlistProductRemoved,
)
from ._context import (
    FROM_REQUEST,
    EventMetadata,
    RequestContext,
    current_request_context,
    request_context,
)
from ._delivery import Payload, emit, emit_async
from ._domain import declare_domain_classes
from ._observing import Delivery, SubscriberCall, add_observer, remove_observer
from ._payload import FieldSpec, PayloadSpec, field
from ._registry import GROUPS, EventNamespace, catalog, event, namespace, signal
from ._scopes import deferred, muted
from ._settings import AsyncBridge, OnError, set_async_bridge, set_default_on_error
from ._signal import EventSignal
from ._subscribe import (
    subscribe,
    subscribe_all,
    subscribed,
    unsubscribe,
    unsubscribe_all,
)
from ._subscriptions import ANY

if TYPE_CHECKING:
    from .forwarding import forward
    from .serialization import from_dict, to_dict

__all__ = [
    "ANY",
    "FROM_REQUEST",
    "GROUPS",
    "AsyncBridge",
    "BasketAddition",
    "BasketLineQuantityChanged",
    "BasketLineRemoved",
    "BasketViewed",
    "BasketsMerged",
    "CheckoutStepCompleted",
    "Delivery",
    "EventMetadata",
    "EventNamespace",
    "EventSignal",
    "FieldSpec",
    "OnError",
    "OrderCancelled",
    "OrderLineStatusChanged",
    "OrderPaid",
    "OrderPlaced",
    "OrderRefunded",
    "OrderShipped",
    "OrderStatusChanged",
    "Payload",
    "PayloadSpec",
    "PaymentFailed",
    "PostCheckout",
    "PostPayment",
    "PrePayment",
    "ProductSearch",
    "ProductViewed",
    "RequestContext",
    "ReviewAdded",
    "StartCheckout",
    "SubscriberCall",
    "UserLoggedIn",
    "UserRegistered",
    "VoucherAddition",
    "VoucherDenied",
    "VoucherRemoval",
    "WishlistProductAdded",
    "WishlistProductRemoved",
    "add_observer",
    "analytics",
    "bridges",
    "catalog",
    "current_request_context",
    "declare_domain_classes",
    "deferred",
    "domain",
    "emit",
    "emit_async",
    "event",
    "exceptions",
    "field",
    "forward",
    "from_dict",
    "muted",
    "namespace",
    "remove_observer",
    "request_context",
    "set_async_bridge",
    "set_default_on_error",
    "signal",
    "signals",
    "subscribe",
    "subscribe_all",
    "subscribed",
    "to_dict",
    "unsubscribe",
    "unsubscribe_all",
    "validators",
]


# Loaded on first use: they need the serialization extra (cattrs), which
# ``import commerce_events`` must not.
_LAZY = {
    "forward": "commerce_events.forwarding",
    "from_dict": "commerce_events.serialization",
    "to_dict": "commerce_events.serialization",
}


def __getattr__(name: str) -> Any:
    """Load ``__version__`` and the serialization functions on first use."""
    if name == "__version__":
        from importlib.metadata import version

        return version("commerce-events")
    module = _LAZY.get(name)
    if module is not None:
        import importlib

        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
