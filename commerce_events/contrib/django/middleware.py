"""The Django middleware binding the request context, for WSGI and ASGI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from commerce_events import request_context
from commerce_events._context import REQUEST_CONTEXT, RequestContext

from .._common import log_failure, logger, user_or_none

__all__ = ["RequestContextMiddleware"]


class RequestContextMiddleware:
    """Bind the request context (``HttpRequest`` and user) for each request.

    Synchronous and asynchronous: Django picks the mode that avoids a thread
    switch. The user is ``request.user`` (sync) or ``await request.auser()``
    (async), so put this middleware after ``AuthenticationMiddleware``; the
    app's system check says so if it is not. Anonymous users become None;
    without ``AuthenticationMiddleware`` the user is None.

    Synchronously, the user is read when something first asks for it (a
    payload defaulting its ``user``, :func:`~commerce_events.current_request_context`),
    as Django's own ``request.user`` is: a request that emits nothing costs no
    session or user query. If reading it raises, the error is logged on the
    ``commerce_events.contrib`` logger and the user is None. Asynchronously it
    is awaited before the view (a payload cannot await); if that raises, the
    error is logged and the request runs without a context.
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
        token = REQUEST_CONTEXT.set(_LazyUserContext(request))
        try:
            return self.get_response(request)
        finally:
            REQUEST_CONTEXT.reset(token)

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


_UNREAD: Any = object()


class _LazyUserContext(RequestContext):
    """A request context reading ``request.user`` on first use, then keeping it."""

    __slots__ = ("_user",)
    _user: Any

    def __init__(self, request: Any) -> None:
        # The frozen base allows no assignment: set the slots directly.
        object.__setattr__(self, "request", request)
        object.__setattr__(self, "_user", _UNREAD)

    @property
    def user(self) -> Any:
        user = self._user
        if user is _UNREAD:
            try:
                user = user_or_none(getattr(self.request, "user", None))
            except Exception:  # noqa: BLE001 - any failure here must spare the response
                logger.exception(
                    "commerce_events: reading request.user failed; the user is None"
                )
                user = None
            object.__setattr__(self, "_user", user)
        return user
