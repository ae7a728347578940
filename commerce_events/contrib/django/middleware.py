"""The Django middleware binding the request context, for WSGI and ASGI.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from commerce_events import request_context

from .._common import bind, log_failure, user_or_none

__all__ = ["RequestContextMiddleware"]


class RequestContextMiddleware:
    """Bind the request context (``HttpRequest`` and user) for each request.

    Synchronous and asynchronous: Django picks the mode that avoids a thread
    switch. The user is ``request.user`` (sync) or ``await request.auser()``
    (async), so put this middleware after ``AuthenticationMiddleware``; the
    app's system check says so if it is not. Anonymous users become None;
    without ``AuthenticationMiddleware`` the user is None.

    If reading the user raises, the error is logged on the
    ``commerce_events.contrib`` logger and the request runs without a context.

    .. versionadded:: 0.1.0
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response
        self.is_async: bool = iscoroutinefunction(get_response)
        if self.is_async:
            # Tells Django (and asgiref) that calling this returns a coroutine.
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        if self.is_async:
            return self._acall(request)
        with bind(lambda: request, lambda: getattr(request, "user", None)):
            return self.get_response(request)

    async def _acall(self, request: Any) -> Any:
        get_response: Callable[[Any], Awaitable[Any]] = self.get_response
        auser = getattr(request, "auser", None)
        try:
            user = None if auser is None else await auser()
        except Exception:  # noqa: BLE001 - any failure here must spare the response
            log_failure()
            return await get_response(request)
        with request_context(request, user_or_none(user)):
            return await get_response(request)
