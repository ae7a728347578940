"""What every integration shares: reading the user safely, then binding."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from commerce_events import request_context, set_async_bridge
from commerce_events._settings import get_async_bridge

__all__ = [
    "bind",
    "default_async_bridge",
    "log_failure",
    "logger",
    "missing_framework",
    "user_or_none",
]

logger = logging.getLogger("commerce_events.contrib")


def user_or_none(user: Any) -> Any:
    """Return *user*, or None for an anonymous one.

    Django's ``AnonymousUser``, Starlette's ``UnauthenticatedUser`` and
    Flask-Login's anonymous user all have a false ``is_authenticated``; payloads
    say "anonymous" with None.
    """
    if user is None or not getattr(user, "is_authenticated", True):
        return None
    return user


def bind(
    read_request: Callable[[], Any], read_user: Callable[[], Any]
) -> AbstractContextManager[object]:
    """Return a context manager binding the request and its user.

    If building the request or reading the user fails (a session store or a
    database being down), the failure is logged and the request runs without a
    request context, as if outside a request: a request that emits nothing must
    never fail because of us, and a made-up anonymous user would misattribute
    what the customer did.
    """
    try:
        request = read_request()
        user = user_or_none(read_user())
    except Exception:  # noqa: BLE001 - any failure here must spare the response
        log_failure()
        return nullcontext()
    return request_context(request, user)


def log_failure() -> None:
    """Log, with the traceback, that this request runs without a context."""
    logger.exception(
        "commerce_events: reading the request or its user failed; this request "
        "runs without a request context"
    )


def missing_framework(module: str, framework: str, extra: str) -> ImportError:
    """The error for importing an integration without its framework."""
    return ImportError(
        f"{module} requires {framework}, which is not installed: "
        f"pip install 'commerce-events[{extra}]'",
        name=extra,
    )


def default_async_bridge(bridge: Callable[..., Any]) -> None:
    """Set the framework's async *bridge*, unless the project set one already.

    Called when an integration is set up (Django's ``ready()``, Flask's
    ``init_app``): a bridge set before is kept, and one set later wins.
    """
    if get_async_bridge() is None:
        set_async_bridge(bridge)
