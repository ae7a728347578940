"""Domain objects: the shop's own classes (product, user, order, ...).

The library cannot know a shop's classes, so a domain field accepts any
non-``None`` object until the application declares its classes once with
:func:`declare_domain_classes`; from then on validation also checks them with
``isinstance``. Payload classes register a callback here so that a declaration
recompiles their validation: the hot path keeps checking against a constant
tuple, never against a lookup.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeAlias

import attrs

from .exceptions import DomainClassError, UnknownDomainError

__all__ = [
    "Basket",
    "Domain",
    "Line",
    "Order",
    "Product",
    "Request",
    "Response",
    "Review",
    "User",
    "View",
    "Voucher",
    "Wishlist",
    "declare_domain_classes",
    "domain_classes",
]

_lock = threading.RLock()
_known: dict[str, Domain] = {}
_declared: dict[str, tuple[type[Any], ...]] = {}
_on_change: list[Callable[[], None]] = []


@attrs.frozen
class Domain:
    """Marks a field as holding one of the application's domain objects.

    Used as ``Annotated`` metadata: ``Annotated[Any, Domain("product")]``. The
    field accepts any non-``None`` object until the application declares the
    domain's classes with :func:`~commerce_events.declare_domain_classes`.

    Args:
        name: The domain's name (``"product"``), the key used to declare its
            classes.
        doc: What the domain is.
        sensitive: Whether values may carry secrets (a request's cookies and
            headers). Sensitive values are shown by type only in a payload's
            repr, so they never end up in logs.
    """

    name: str
    doc: str = ""
    sensitive: bool = False

    def __attrs_post_init__(self) -> None:
        with _lock:
            _known.setdefault(self.name, self)

    def classes(self) -> tuple[type[Any], ...] | None:
        """The classes declared for this domain, or None if any object goes."""
        return _declared.get(self.name)


def declare_domain_classes(**classes: type[Any] | tuple[type[Any], ...] | None) -> None:
    """Declare the application's classes for domain fields, once, at startup.

    After ``declare_domain_classes(product=myshop.Product)``, every payload field
    holding a product is also checked with ``isinstance(value, myshop.Product)``.
    Pass a tuple for several classes (``user=(User, AnonymousUser)``) and
    ``None`` to go back to accepting any object.

    Args:
        classes: Domain name -> class, tuple of classes, or None.

    Raises:
        UnknownDomainError: A name is not a known domain.
        DomainClassError: A value is not a class or a tuple of classes.
    """
    resolved: dict[str, tuple[type[Any], ...] | None] = {}
    value: object
    for name, value in classes.items():
        if name not in _known:
            raise UnknownDomainError(name, tuple(_known))
        if value is None:
            resolved[name] = None
            continue
        members = value if isinstance(value, tuple) else (value,)
        if not members or not all(isinstance(m, type) for m in members):
            raise DomainClassError(name, value)
        resolved[name] = members
    with _lock:
        for name, declared in resolved.items():
            if declared is None:
                _declared.pop(name, None)
            else:
                _declared[name] = declared
        callbacks = list(_on_change)
    for callback in callbacks:
        callback()


def domain_classes() -> Mapping[str, tuple[type[Any], ...]]:
    """Return the declared domain classes, by domain name."""
    with _lock:
        return dict(_declared)


def known(name: object) -> Domain:
    """The domain named *name*, among those defined so far.

    Raises:
        UnknownDomainError: No domain has that name.
    """
    with _lock:
        found = _known.get(name) if isinstance(name, str) else None
        if found is None:
            raise UnknownDomainError(str(name), tuple(_known))
        return found


def on_declaration(callback: Callable[[], None]) -> None:
    with _lock:
        _on_change.append(callback)


Product: TypeAlias = Annotated[Any, Domain("product", "A catalogue product.")]
"""A product of the shop's catalogue (Oscar's ``Product``)."""
User: TypeAlias = Annotated[Any, Domain("user", "A user account.")]
"""An authenticated user (``None`` in a payload means anonymous)."""
Request: TypeAlias = Annotated[Any, Domain("request", "A web request.", sensitive=True)]
"""The web framework's request object. Shown by type only in reprs."""
Response: TypeAlias = Annotated[
    Any, Domain("response", "A web response.", sensitive=True)
]
"""The web framework's response object. Shown by type only in reprs."""
Session: TypeAlias = Annotated[Any, Domain("session", "A web session.", sensitive=True)]
"""The web framework's session (Django's ``request.session``). Shown by type
only in reprs, never serialized."""
Basket: TypeAlias = Annotated[Any, Domain("basket", "A shopping basket.")]
"""A shopping basket."""
Voucher: TypeAlias = Annotated[Any, Domain("voucher", "A voucher (discount code).")]
"""A voucher."""
Order: TypeAlias = Annotated[Any, Domain("order", "A placed order.")]
"""A placed order."""
Line: TypeAlias = Annotated[Any, Domain("line", "A line of a basket or an order.")]
"""A line of a basket or an order."""
Review: TypeAlias = Annotated[Any, Domain("review", "A product review.")]
"""A product review."""
Wishlist: TypeAlias = Annotated[Any, Domain("wishlist", "A customer's wishlist.")]
"""A customer's wishlist."""
View: TypeAlias = Annotated[Any, Domain("view", "The view handling a request.")]
"""The view (class instance) handling the request, as Oscar sends it."""
