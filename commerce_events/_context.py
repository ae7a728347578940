"""Per-request context, shared by every framework integration.

One ``ContextVar`` holds the current request and user. A WSGI or ASGI middleware
(or a framework adapter) binds it for the duration of a request; payloads with
``request`` or ``user`` fields fill them from it when the emitter omits them.
Context variables follow threads started with the context copied (Starlette's
threadpool, asgiref) and asyncio tasks, and never leak between requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import attrs

__all__ = ["RequestContext", "current_request_context", "request_context"]


@attrs.frozen(repr=False)
class RequestContext:
    """The request being handled, and who is making it.

    Attributes:
        request: The framework's request object.
        user: The authenticated user, or None for an anonymous visitor.

    .. versionadded:: 0.1.0
    """

    request: Any
    user: Any = None

    def __repr__(self) -> str:
        # Requests carry cookies and headers: show their type only.
        return (
            f"RequestContext(request=<{type(self.request).__qualname__}>, "
            f"user={self.user!r})"
        )


REQUEST_CONTEXT: ContextVar[RequestContext | None] = ContextVar(
    "commerce_events.request_context", default=None
)


def current_request_context() -> RequestContext | None:
    """Return the current request context, or None outside a request.

    .. versionadded:: 0.1.0
    """
    return REQUEST_CONTEXT.get()


@contextmanager
def request_context(request: Any, user: Any = None) -> Iterator[RequestContext]:
    """Bind *request* and *user* as the current request for a ``with`` block.

    Inside the block, payloads built without ``request`` or ``user`` take them
    from here; explicitly passed values (``None`` included) always win. The
    middlewares in :mod:`commerce_events.contrib` use this; call it yourself in
    a framework without one, or in a worker handling a request-like job.

    Args:
        request: The framework's request object.
        user: The authenticated user; None for anonymous.

    .. versionadded:: 0.1.0
    """
    context = RequestContext(request, user)
    token = REQUEST_CONTEXT.set(context)
    try:
        yield context
    finally:
        REQUEST_CONTEXT.reset(token)
