"""A pure WSGI (PEP 3333) middleware binding the request context.

It needs no framework: wrap any WSGI application, Django's and Flask's
included. Framework adapters (:mod:`~commerce_events.contrib.flask`,
:mod:`~commerce_events.contrib.django`) bind the framework's own request object
and user instead, and are what most applications want.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from ._common import bind

__all__ = ["RequestContextMiddleware"]


def _the_environ(environ: WSGIEnvironment) -> WSGIEnvironment:
    return environ


def _no_user(environ: WSGIEnvironment) -> None:
    return None


class RequestContextMiddleware:
    """Bind the request context while the wrapped application handles a request.

    Inside the application, payloads built without ``request`` or ``user`` take
    them from here. The context ends when the application returns its body
    iterable, so emit from the application itself, not from a streamed body.

    Args:
        app: The WSGI application to wrap.
        request_factory: Builds the request object from the WSGI environ
            (``werkzeug.Request``, for example). Default: the environ itself.
        user_getter: Returns the user from the environ; anonymous users (a
            false ``is_authenticated``) become None. Default: no user.

    If building the request or reading the user raises, the error is logged on
    the ``commerce_events.contrib`` logger and the request runs without a
    context; errors of the application itself propagate unchanged.
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        request_factory: Callable[[WSGIEnvironment], Any] | None = None,
        user_getter: Callable[[WSGIEnvironment], Any] | None = None,
    ) -> None:
        self.app = app
        self.request_factory: Callable[[WSGIEnvironment], Any] = (
            request_factory or _the_environ
        )
        self.user_getter: Callable[[WSGIEnvironment], Any] = user_getter or _no_user

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        read_request = partial(self.request_factory, environ)
        with bind(read_request, partial(self.user_getter, environ)):
            return self.app(environ, start_response)
