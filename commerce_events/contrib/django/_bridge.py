"""Django's default async bridge: asgiref, as Django's own signals use since 5.0."""

from __future__ import annotations

from commerce_events import _dispatch, bridges, set_async_bridge

__all__ = ["default_async_bridge"]


def default_async_bridge() -> None:
    """Set :func:`commerce_events.bridges.asgiref` unless a bridge is set already.

    Called from the apps' ``ready()``: a bridge the project set before (in its
    settings, or an earlier app's ``ready()``) is kept, and one set later wins.
    """
    # The dispatcher has no public getter for its bridge (yet).
    if _dispatch._bridge is None:  # noqa: SLF001 - the dispatcher's own setting
        set_async_bridge(bridges.asgiref)
