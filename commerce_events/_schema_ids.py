"""Where each event version's JSON Schema lives: its ``$id``.

One place for the URI both the schema export (``$id``) and the envelopes
(``dataschema``) carry, so that they cannot disagree.
"""

from __future__ import annotations

import re
from typing import Final

from ._payload import PayloadSpec

__all__ = [
    "DEFAULT_SCHEMA_BASE_URI",
    "schema_base_uri",
    "schema_id",
    "schema_path",
    "set_schema_base_uri",
]

DEFAULT_SCHEMA_BASE_URI: Final = "urn:commerce-events:schema:"
"""The base of the schemas' ``$id`` until :func:`set_schema_base_uri` is called.

A URN: a stable, absolute name that points nowhere. Set your own base (where
you serve ``python -m commerce_events schema --out DIR``) so that consumers can
fetch the schemas.
"""

_base = [DEFAULT_SCHEMA_BASE_URI]
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S*")


def set_schema_base_uri(uri: str) -> None:
    """Set the base URI of the schemas' ``$id`` (and the envelopes' ``dataschema``).

    An event's schema is ``<uri><name>/v<version>.json``: with
    ``https://schemas.myshop.example/events/``, ``order_placed`` version 1 is
    ``https://schemas.myshop.example/events/order_placed/v1.json``, the path
    ``schema --out DIR`` writes it to under ``DIR``. Call it once, at start-up,
    in producers and in the process exporting the schemas.

    Args:
        uri: An absolute URI, ending with ``/`` (or ``:`` for a URN).

    Raises:
        ValueError: *uri* is not absolute, or does not end with ``/`` or ``:``.
    """
    if (
        not isinstance(uri, str)
        or not _SCHEME.fullmatch(uri)
        or not uri.endswith(("/", ":"))
    ):
        msg = (
            f"the schema base URI must be an absolute URI ending with '/' "
            f"(https://schemas.myshop.example/events/), got {uri!r}"
        )
        raise ValueError(msg)
    _base[0] = uri


def schema_base_uri() -> str:
    """The base URI of the schemas' ``$id`` (see :func:`set_schema_base_uri`)."""
    return _base[0]


def schema_path(spec: PayloadSpec) -> str:
    """An event version's schema, relative to the base: ``order_placed/v1.json``."""
    return f"{spec.name}/v{spec.version}.json"


def schema_id(spec: PayloadSpec) -> str:
    """An event version's schema ``$id``: the base URI and :func:`schema_path`."""
    return _base[0] + schema_path(spec)
