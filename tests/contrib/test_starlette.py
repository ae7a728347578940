"""The Starlette middleware, through Starlette's TestClient."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

pytest.importorskip("starlette", reason="Starlette is not installed")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")

from starlette.applications import Starlette
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    SimpleUser,
)
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from commerce_events import current_request_context
from commerce_events.contrib.starlette import RequestContextMiddleware


class CookieBackend(AuthenticationBackend):
    """Signs in whoever the "user" cookie names."""

    async def authenticate(
        self, conn: HTTPConnection
    ) -> tuple[AuthCredentials, SimpleUser] | None:
        name = conn.cookies.get("user")
        return None if name is None else (AuthCredentials(), SimpleUser(name))


def make_app(seen: list[Any], *middleware: Middleware) -> Starlette:
    """An app whose endpoints record the request context they run in."""

    async def async_endpoint(request: Request) -> PlainTextResponse:
        seen.append(current_request_context())
        return PlainTextResponse("ok")

    def sync_endpoint(request: Request) -> PlainTextResponse:
        seen.append(current_request_context())
        return PlainTextResponse("ok")

    def failing_endpoint(request: Request) -> PlainTextResponse:
        raise LookupError("no such product")

    return Starlette(
        routes=[
            Route("/async", async_endpoint),
            Route("/sync", sync_endpoint),
            Route("/fail", failing_endpoint),
        ],
        middleware=list(middleware),
    )


AUTHENTICATION = Middleware(AuthenticationMiddleware, backend=CookieBackend())


class TestRequestContextMiddleware:
    @pytest.mark.parametrize("path", ["/async", "/sync"])
    def test_binds_starlette_request(self, path: str) -> None:
        """Async and threadpool endpoints see a Starlette Request; anonymous."""
        seen: list[Any] = []
        app = make_app(seen, AUTHENTICATION, Middleware(RequestContextMiddleware))

        response = TestClient(app).get(path)

        assert 200 == response.status_code
        assert isinstance(seen[0].request, Request)
        assert path == seen[0].request.url.path
        assert seen[0].user is None
        assert current_request_context() is None

    @pytest.mark.parametrize("path", ["/async", "/sync"])
    def test_user_from_authentication(self, path: str) -> None:
        """The user is scope["user"], set by AuthenticationMiddleware."""
        seen: list[Any] = []
        app = make_app(seen, AUTHENTICATION, Middleware(RequestContextMiddleware))

        TestClient(app, cookies={"user": "alice"}).get(path)

        assert "alice" == seen[0].user.username

    def test_without_authentication(self) -> None:
        """Without AuthenticationMiddleware the user is None."""
        seen: list[Any] = []
        app = make_app(seen, Middleware(RequestContextMiddleware))

        TestClient(app).get("/async")

        assert seen[0].user is None

    def test_user_getter(self) -> None:
        """A user getter reads the user from the scope."""
        seen: list[Any] = []
        middleware = Middleware(
            RequestContextMiddleware, user_getter=lambda scope: scope["path"]
        )

        TestClient(make_app(seen, middleware)).get("/sync")

        assert "/sync" == seen[0].user

    def test_failing_user_getter(self, caplog: pytest.LogCaptureFixture) -> None:
        """A failing user getter is logged; the endpoint runs without a context."""
        seen: list[Any] = []

        def broken(scope: Any) -> Any:
            raise ConnectionError("session store is down")

        middleware = Middleware(RequestContextMiddleware, user_getter=broken)
        with caplog.at_level(logging.ERROR, "commerce_events.contrib"):
            response = TestClient(make_app(seen, middleware)).get("/async")

        assert (200, [None]) == (response.status_code, seen)
        assert "session store is down" in caplog.text

    def test_endpoint_error(self) -> None:
        """The endpoint's own error propagates, and the context is released."""
        app = make_app([], Middleware(RequestContextMiddleware))

        with pytest.raises(LookupError, match="no such product"):
            TestClient(app).get("/fail")
        assert current_request_context() is None

    def test_lifespan(self) -> None:
        """Lifespan events pass through the middleware."""
        started: list[Any] = []

        @asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            started.append(current_request_context())
            yield

        app = Starlette(
            lifespan=lifespan, middleware=[Middleware(RequestContextMiddleware)]
        )

        with TestClient(app):
            pass

        assert [None] == started
