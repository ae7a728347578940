"""Context-local state: the request, the event being delivered, scopes.

Everything here is a ``ContextVar``, so it follows asyncio tasks and threads
started with a copied context (Starlette's threadpool, asgiref), and never
leaks between concurrent requests:

- the current request and user, bound by a middleware; payloads with
  ``request`` or ``user`` fields fill them from it when the emitter omits them;
- the metadata of the event whose subscribers are running (the *cause* of any
  event they emit);
- the muting and deferral scopes opened with ``muted()`` and ``deferred()``.

This module is the bottom layer: it imports nothing else from the package.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import attrs

__all__ = [
    "CURRENT_EVENT",
    "DEFERRED",
    "FROM_REQUEST",
    "MUTED",
    "EventMetadata",
    "RequestContext",
    "current_request_context",
    "request_context",
]


@attrs.frozen
class EventMetadata:
    """What happened when, and why: the metadata of one emit.

    Kept beside the payload, never in it, so a payload's fields stay exactly the
    documented arguments.

    Attributes:
        id: Unique per emit (a random UUID); recognises duplicates downstream.
        time: When the event was emitted (timezone-aware, UTC).
        event: The event's name (``"order_placed"``).
        cause: The id of the event whose subscriber emitted this one, or None
            for an event emitted outside any subscriber.

    .. versionadded:: 0.1.0
    """

    id: uuid.UUID
    time: datetime
    event: str
    cause: uuid.UUID | None = None

    @classmethod
    def new(cls, event: str) -> EventMetadata:
        """Make the metadata of an emit happening now, in the current context."""
        parent = CURRENT_EVENT.get()
        return cls(
            uuid.uuid4(),
            datetime.now(UTC),
            event,
            None if parent is None else parent.id,
        )


class _FromRequest:
    """See :data:`FROM_REQUEST`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "FROM_REQUEST"

    def __reduce__(self) -> str:
        return "FROM_REQUEST"


FROM_REQUEST: Any = _FromRequest()
"""The default of a *required* ``request`` or ``user`` field.

``request: Request = field(default=FROM_REQUEST)`` keeps the field required,
but lets an emitter inside a request omit it: it then comes from the request
context (and is missing, so an error, outside one). Type checkers see a default,
so ``StartCheckout()`` in a view type-checks.

.. versionadded:: 0.1.0
"""

CURRENT_EVENT: ContextVar[EventMetadata | None] = ContextVar(
    "commerce_events.current_event", default=None
)
"""The event whose subscribers are running, while metadata is being traced."""

MUTED: ContextVar[frozenset[type[Any]] | bool] = ContextVar(
    "commerce_events.muted", default=False
)
"""True when every event is muted here, else the muted payload classes."""

DEFERRED: ContextVar[Any] = ContextVar("commerce_events.deferred", default=None)
"""The innermost open unit of work (see ``deferred()``), or None."""


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
