"""commerce_events: a typed, validated, framework-agnostic event bus for shops."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import TYPE_CHECKING, Any, Final

from . import _catalogue, analytics, bridges, domain, exceptions, signals, validators

# The built-in events, listed once: in _catalogue.__all__.
from ._catalogue import *  # noqa: F403
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
from ._registry import GROUPS, EventNamespace, catalogue, event, namespace, signal
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
from ._upcasting import upcast, upcaster

if TYPE_CHECKING:
    from .forwarding import forward
    from .serialization import from_dict, to_dict

__all__ = [
    "ANY",
    "FROM_REQUEST",
    "GROUPS",
    "AsyncBridge",
    "Delivery",
    "EventMetadata",
    "EventNamespace",
    "EventSignal",
    "FieldSpec",
    "OnError",
    "Payload",
    "PayloadSpec",
    "RequestContext",
    "SubscriberCall",
    "add_observer",
    "analytics",
    "bridges",
    "catalogue",
    "current_request_context",
    "declare_domain_classes",
    "deferred",
    "domain",
    "emit",
    "emit_async",
    "event",
    "exceptions",
    "field",
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
    "unsubscribe",
    "unsubscribe_all",
    "upcast",
    "upcaster",
    "validators",
]
__all__ += _catalogue.__all__


# Loaded on first use: they need the serialization extra (cattrs), which
# ``import commerce_events`` must not. Exported only where the extra is
# installed, so that ``from commerce_events import *`` works everywhere.
_LAZY: Final = {
    "forward": "commerce_events.forwarding",
    "from_dict": "commerce_events.serialization",
    "to_dict": "commerce_events.serialization",
}
_EXTRA: Final = ("serialization", "cattrs")  # the extra, and what it installs

if importlib.util.find_spec(_EXTRA[1]) is not None:
    __all__ += ["forward", "from_dict", "to_dict"]


def __getattr__(name: str) -> Any:
    """Load ``__version__`` and the serialization functions on first use.

    Raises:
        AttributeError: No such name; or the name needs an extra that is not
            installed (an AttributeError, so that ``hasattr`` says False).
    """
    if name == "__version__":
        from importlib.metadata import version

        return version("commerce-events")
    module = _LAZY.get(name)
    if module is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    try:
        value = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        msg = (
            f"commerce_events.{name} needs the {_EXTRA[0]} extra: "
            f"pip install 'commerce-events[{_EXTRA[0]}]'"
        )
        raise AttributeError(msg, name=name, obj=sys.modules[__name__]) from exc
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, the lazy ones included where their extra is."""
    return sorted(set(globals()) | set(__all__))
