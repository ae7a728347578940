"""The pure WSGI middleware, called as a WSGI server calls it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from commerce_events import ProductViewed, current_request_context
from commerce_events.contrib.wsgi import RequestContextMiddleware


class User:
    def __init__(self, name: str, *, is_authenticated: bool = True) -> None:
        self.name = name
        self.is_authenticated = is_authenticated


def recording_app(seen: list[Any]) -> Callable[..., Iterable[bytes]]:
    """A WSGI app recording the request context it runs in."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        seen.append(current_request_context())
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    return app


def call(app: Any, path: str = "/") -> tuple[list[str], bytes]:
    """Call *app* with a fresh environ; return the status line and the body."""
    environ: dict[str, Any] = {"PATH_INFO": path}
    setup_testing_defaults(environ)
    status: list[str] = []
    body = b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
    return status, body


class TestRequestContextMiddleware:
    def test_binds_environ(self) -> None:
        """By default the request is the WSGI environ, and there is no user."""
        seen: list[Any] = []

        status, body = call(RequestContextMiddleware(recording_app(seen)), "/mug")

        assert (["200 OK"], b"ok") == (status, body)
        assert "/mug" == seen[0].request["PATH_INFO"]
        assert seen[0].user is None

    def test_released_after_the_request(self) -> None:
        """Outside the request, there is no context again."""
        call(RequestContextMiddleware(recording_app([])))

        assert current_request_context() is None

    def test_request_factory_and_user_getter(self) -> None:
        """The factory builds the request; the getter reads the user from environ."""
        seen: list[Any] = []
        alice = User("alice")
        app = RequestContextMiddleware(
            recording_app(seen),
            request_factory=lambda environ: ("request", environ["PATH_INFO"]),
            user_getter=lambda environ: alice,
        )

        call(app, "/tea")

        assert (("request", "/tea"), alice) == (seen[0].request, seen[0].user)

    def test_anonymous_user_is_none(self) -> None:
        """A user whose is_authenticated is false is bound as None."""
        seen: list[Any] = []
        app = RequestContextMiddleware(
            recording_app(seen),
            user_getter=lambda environ: User("guest", is_authenticated=False),
        )

        call(app)

        assert seen[0].user is None

    def test_payloads_are_filled(self) -> None:
        """A payload built in the app takes request and user from the context."""
        alice = User("alice")
        built: list[ProductViewed] = []

        def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            built.append(ProductViewed(product="MUG-1"))
            start_response("200 OK", [])
            return []

        call(RequestContextMiddleware(app, user_getter=lambda environ: alice))

        assert (alice, "/") == (built[0].user, built[0].request["PATH_INFO"])

    def test_failing_user_getter(self, caplog: pytest.LogCaptureFixture) -> None:
        """A failing user getter is logged; the request runs without a context."""
        seen: list[Any] = []

        def broken(environ: Any) -> Any:
            raise ConnectionError("session store is down")

        with caplog.at_level(logging.ERROR, "commerce_events.contrib"):
            status, body = call(
                RequestContextMiddleware(recording_app(seen), user_getter=broken)
            )

        assert (["200 OK"], b"ok", [None]) == (status, body, seen)
        assert "session store is down" in caplog.text

    def test_app_errors_propagate(self) -> None:
        """The application's own error propagates, and the context is released."""

        def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            raise LookupError("no such product")

        with pytest.raises(LookupError, match="no such product"):
            call(RequestContextMiddleware(app))
        assert current_request_context() is None
