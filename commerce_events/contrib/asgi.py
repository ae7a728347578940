"""A pure ASGI middleware binding the request context for HTTP requests.

It needs no framework: wrap any ASGI application. Starlette and FastAPI
applications use :mod:`commerce_events.contrib.starlette` (or
:mod:`~commerce_events.contrib.fastapi`), the same middleware with Starlette's
``Request`` as the request object.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from functools import partial
from typing import Any, TypeAlias

from ._common import bind

__all__ = [
    "ASGIApp",
    "Receive",
    "RequestContextMiddleware",
    "Scope",
    "Send",
    "scope_user",
]

Scope: TypeAlias = MutableMapping[str, Any]
"""An ASGI connection scope."""
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
"""The ASGI ``receive`` callable."""
Send: TypeAlias = Callable[[Message], Awaitable[None]]
"""The ASGI ``send`` callable."""
ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]
"""An ASGI application (structurally the same as Starlette's)."""


def scope_user(scope: Scope) -> Any:
    """Return ``scope["user"]``, set by an authentication middleware, or None."""
    return scope.get("user")


def _the_scope(scope: Scope) -> Scope:
    return scope


class RequestContextMiddleware:
    """Bind the request context while the wrapped application handles a request.

    Only ``http`` scopes get a context; lifespan and websocket scopes pass
    through untouched. The context lasts until the application returns, so it
    covers streamed responses, background work awaited by the endpoint, and
    sync endpoints run in a thread pool (which copies the context).

    Put it *inside* your authentication middleware, so that ``scope["user"]``
    is set when it runs.

    Args:
        app: The ASGI application to wrap.
        request_factory: Builds the request object from the scope. Default: the
            scope itself.
        user_getter: Returns the user from the scope; anonymous users (a false
            ``is_authenticated``, such as Starlette's ``UnauthenticatedUser``)
            become None. Default: :func:`scope_user`.

    If building the request or reading the user raises, the error is logged on
    the ``commerce_events.contrib`` logger and the request runs without a
    context; errors of the application itself propagate unchanged.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        request_factory: Callable[[Scope], Any] | None = None,
        user_getter: Callable[[Scope], Any] | None = None,
    ) -> None:
        self.app = app
        self.request_factory: Callable[[Scope], Any] = request_factory or _the_scope
        self.user_getter: Callable[[Scope], Any] = user_getter or scope_user

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        read_request = partial(self.request_factory, scope)
        with bind(read_request, partial(self.user_getter, scope)):
            await self.app(scope, receive, send)
