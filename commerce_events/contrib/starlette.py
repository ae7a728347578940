"""Starlette integration: the ASGI middleware with Starlette's ``Request``.

Needs the ``starlette`` extra (``pip install 'commerce-events[starlette]'``)::

    from starlette.middleware import Middleware
    from commerce_events.contrib.starlette import RequestContextMiddleware

    app = Starlette(routes=..., middleware=[Middleware(RequestContextMiddleware)])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._common import missing_framework

try:
    from starlette.requests import Request
except ImportError as _exc:
    raise missing_framework(__name__, "Starlette", "starlette") from _exc

from . import asgi

__all__ = ["RequestContextMiddleware"]


class RequestContextMiddleware(asgi.RequestContextMiddleware):
    """Bind a Starlette ``Request`` and ``scope["user"]`` for each HTTP request.

    The :class:`commerce_events.contrib.asgi.RequestContextMiddleware`, with
    ``Request(scope)`` as the request: headers, cookies, URL, client and
    ``state`` are there; the body is left to the endpoint. Put it inside (after,
    in a ``middleware=[...]`` list) ``AuthenticationMiddleware``, whose
    ``scope["user"]`` becomes the user; ``UnauthenticatedUser`` becomes None.

    Args:
        app: The ASGI application to wrap.
        user_getter: Returns the user from the scope. Default:
            ``scope["user"]`` if set.
    """

    def __init__(
        self,
        app: asgi.ASGIApp,
        *,
        user_getter: Callable[[asgi.Scope], Any] | None = None,
    ) -> None:
        super().__init__(app, request_factory=Request, user_getter=user_getter)
