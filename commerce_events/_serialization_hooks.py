"""How domain objects cross a process boundary: their identity hooks.

Kept apart from :mod:`commerce_events.serialization` because the JSON Schema
export reads the registered schemas too, and must work without cattrs.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any, cast

import attrs

from . import _domain
from ._formats import DECIMAL, anchored
from ._limits import MAX_IDENTITY_LENGTH

__all__ = [
    "DECIMAL_PATTERN",
    "DEFAULT_IDENTITY_SCHEMA",
    "IdentityHooks",
    "NoIdentityError",
    "default_identity",
    "hooks_for",
    "register_identity",
    "reset_identities",
]

_lock = threading.Lock()
_hooks: dict[str, IdentityHooks] = {}

DECIMAL_PATTERN = anchored(DECIMAL)
"""What a Decimal is written as (a string), in the schemas and when reading."""

DEFAULT_IDENTITY_SCHEMA: Mapping[str, Any] = {
    "type": ["integer", "string"],
    "maxLength": MAX_IDENTITY_LENGTH,
}
"""The JSON Schema of a default identity: a ``pk`` or ``id``."""


@attrs.frozen
class IdentityHooks:
    """What the application registered for one domain.

    Attributes:
        dump: Object -> its identity (JSON data), or None for the default.
        load: Identity -> object, or None to pass the identity itself.
        schema: The identity's JSON Schema, or None when unknown.
    """

    dump: Callable[[Any], Any] | None
    load: Callable[[Any], Any] | None
    schema: Mapping[str, Any] | None


_DEFAULT = IdentityHooks(None, None, None)


class NoIdentityError(Exception):
    """Internal: a domain object has no identity to serialize."""


class _Registration(AbstractContextManager[None]):
    """Undoes a :func:`register_identity` when used as a context manager."""

    def __init__(self, domain: str, previous: IdentityHooks | None) -> None:
        self._domain = domain
        self._previous = previous

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        with _lock:
            if self._previous is None:
                _hooks.pop(self._domain, None)
            else:
                _hooks[self._domain] = self._previous

    def __repr__(self) -> str:
        return f"<identity hooks for {self._domain!r}>"


def register_identity(
    domain: str,
    /,
    *,
    dump: Callable[[Any], Any] | None = None,
    load: Callable[[Any], Any] | None = None,
    schema: Mapping[str, Any] | None = None,
) -> AbstractContextManager[None]:
    """Say how the objects of a domain are serialized: by their identity.

    ::

        register_identity(
            "product",
            dump=lambda product: product.pk,
            load=lambda pk: Product.objects.get(pk=pk),
            schema={"type": "integer"},
        )

    Without *dump*, an object's identity is its ``pk``, else its ``id`` (so
    Django and most ORMs need nothing), and a plain ``str``, ``int`` or
    ``UUID`` is its own identity. Without *load*, the field of a rebuilt
    payload receives the identity itself (the ``42`` of ``product.pk``): fine
    until :func:`~commerce_events.declare_domain_classes` declares the
    domain's classes, which the identity is not an instance of.

    The registration lasts until replaced or reset; used as a context manager
    it lasts for the ``with`` block.

    Args:
        domain: The domain's name (``"product"``, ``"user"``, ...).
        dump: Object -> JSON data identifying it (``None`` dumps as null).
        load: That data -> the object (called in the consuming process, for
            example a database lookup). Its exceptions are reported as invalid
            data for the field.
        schema: The JSON Schema of what *dump* returns, for the exported
            contract. Default: an integer or a string without *dump*; anything
            with it.

    Returns:
        A context manager restoring the previous registration on exit.

    Raises:
        UnknownDomainError: No domain has that name.
        ValueError: The domain is sensitive (``request``, ``response``): it is
            never serialized.
    """
    marker = _domain.known(domain)
    if marker.sensitive:
        msg = (
            f"the {domain!r} domain is sensitive (it may hold secrets such as "
            f"cookies and headers): it is never serialized"
        )
        raise ValueError(msg)
    for name, hook in (("dump", dump), ("load", load)):
        if hook is not None and not callable(cast("object", hook)):
            msg = f"{name} must be callable, got {hook!r}"
            raise TypeError(msg)
    with _lock:
        previous = _hooks.get(domain)
        _hooks[domain] = IdentityHooks(dump, load, None if schema is None else schema)
    return _Registration(domain, previous)


def reset_identities() -> None:
    """Forget every hook registered with :func:`register_identity`."""
    with _lock:
        _hooks.clear()


def hooks_for(domain: str) -> IdentityHooks:
    """The hooks of *domain* (all None when nothing is registered)."""
    return _hooks.get(domain, _DEFAULT)


def default_identity(value: object, domain: str) -> object:
    """The identity of a domain object when no dump hook is registered.

    Raises:
        NoIdentityError: The object has none (the message says what to do).
    """
    if isinstance(value, (str, uuid.UUID)) or (
        isinstance(value, int) and not isinstance(value, bool)
    ):
        return value
    for attribute in ("pk", "id"):
        identity = getattr(value, attribute, None)
        if identity is None:
            if hasattr(value, attribute):
                msg = (
                    f"{_kind(value)} has no identity yet ({attribute} is None): "
                    f"save it before emitting, or register a dump hook with "
                    f"commerce_events.serialization.register_identity("
                    f"{domain!r}, dump=...)"
                )
                raise NoIdentityError(msg)
            continue
        return identity
    msg = (
        f"no identity for {_kind(value)}: it has neither .pk nor .id; register "
        f"one with commerce_events.serialization.register_identity({domain!r}, "
        f"dump=...)"
    )
    raise NoIdentityError(msg)


def _kind(value: object) -> str:
    return f"this {type(value).__qualname__}"
