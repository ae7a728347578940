"""Fixtures: the shop's domain objects, receivers of every kind, bench events.

Every receiver factory makes distinct function objects that share one code
object per kind, so that the correctness pre-check can count receiver calls by
code object, whatever library makes them.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import commerce_events
from commerce_events import ProductViewed, field
from commerce_events import domain as ce_domain


class Product:
    """A catalogue product."""

    def __init__(self, sku: str) -> None:
        self.sku = sku


class User:
    """A customer."""

    def __init__(self, uid: int) -> None:
        self.uid = uid
        self.pk = uid  # what an envelope identifies a user by


class Request:
    """A web request."""

    def __init__(self, path: str) -> None:
        self.path = path


class Response:
    """A web response."""

    def __init__(self, status: int) -> None:
        self.status = status


class Sender:
    """The emitter (a view or a service): weak-referenceable, hashable."""


P = Product("MUG-1")
U = User(42)
RQ = Request("/catalogue/mug/")
RS = Response(200)
SENDER = Sender()

KW4 = "product=P, user=U, request=RQ, response=RS"
"""The four fields, as the keyword arguments of every measured statement."""


def declare_domain() -> None:
    """Declare the shop's classes, so that payloads check them with isinstance."""
    commerce_events.declare_domain_classes(
        product=Product, user=User, request=Request, response=Response
    )


AnyFn = Callable[..., Any]


def typed_subscribers(n: int, payload_type: type[Any] = ProductViewed) -> list[AnyFn]:
    """*n* typed subscribers, ``subscriber(event)``, annotated with the payload."""
    out: list[AnyFn] = []
    for _ in range(n):

        def subscriber(event: Any) -> None:
            return None

        subscriber.__annotations__ = {"event": payload_type, "return": None}
        out.append(subscriber)
    return out


def async_subscribers(n: int, payload_type: type[Any] = ProductViewed) -> list[AnyFn]:
    """*n* async typed subscribers, ``async subscriber(event)``."""
    out: list[AnyFn] = []
    for _ in range(n):

        async def subscriber(event: Any) -> None:
            return None

        subscriber.__annotations__ = {"event": payload_type, "return": None}
        out.append(subscriber)
    return out


def kw_receivers(n: int) -> list[AnyFn]:
    """*n* blinker/Oscar/Django/pyee-style receivers, ``receiver(sender, **kw)``."""
    out: list[AnyFn] = []
    for _ in range(n):

        def receiver(sender: Any, **kwargs: Any) -> None:
            return None

        out.append(receiver)
    return out


def positional_receivers(n: int) -> list[AnyFn]:
    """*n* psygnal/pypubsub-style receivers taking the four fields by name."""
    out: list[AnyFn] = []
    for _ in range(n):

        def receiver(product: Any, user: Any, request: Any, response: Any) -> None:
            return None

        out.append(receiver)
    return out


def _code(fn: AnyFn) -> types.CodeType:
    code: types.CodeType = fn.__code__
    return code


RECEIVER_CODES: set[types.CodeType] = {
    _code(typed_subscribers(1)[0]),
    _code(async_subscribers(1)[0]),
    _code(kw_receivers(1)[0]),
    _code(positional_receivers(1)[0]),
}
"""The code objects of every receiver kind (for the fan-out pre-check)."""

KEEPALIVE: list[Any] = []
"""Strong references to receivers that libraries hold weakly."""


def builtin_event_count() -> int:
    """How many events the library itself registers (its catalogue)."""
    return sum(
        1
        for spec in commerce_events.catalogue()
        if spec.payload_type.__module__ == ProductViewed.__module__
    )


def custom_event_count() -> int:
    """How many events are registered on top of the built-in catalogue."""
    return len(commerce_events.catalogue()) - builtin_event_count()


def product_viewed_clone(name: str) -> type[Any]:
    """Register an event shaped exactly like ProductViewed, as *name*."""
    namespace: dict[str, Any] = {
        "__annotations__": {
            "product": ce_domain.Product,
            "user": ce_domain.User | None,
            "request": ce_domain.Request | None,
            "response": ce_domain.Response | None,
        },
        "__module__": __name__,
        "__doc__": f"A ProductViewed-shaped benchmark event ({name}).",
        "product": field(doc="The product being viewed"),
        "user": field(default=None, doc="The user in question"),
        "request": field(default=None, doc="The request instance"),
        "response": field(default=None, doc="The response instance"),
    }
    cls = type("".join(p.title() for p in name.split("_")), (), namespace)
    registered: type[Any] = commerce_events.event(name)(cls)
    return registered


def pad_custom_events(total: int, prefix: str = "bench_filler") -> int:
    """Register filler events until *total* custom events exist; return the count."""
    index = 0
    while custom_event_count() < total:
        name = f"{prefix}_{index}"
        index += 1
        if name not in commerce_events.namespace:
            product_viewed_clone(name)
    return custom_event_count()
