"""The pure ASGI middleware, called as an ASGI server calls it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from commerce_events import current_request_context
from commerce_events.contrib.asgi import RequestContextMiddleware, scope_user


class User:
    def __init__(self, name: str, *, is_authenticated: bool = True) -> None:
        self.name = name
        self.is_authenticated = is_authenticated


def recording_app(seen: list[Any]) -> Any:
    """An ASGI app recording the request context it runs in."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(current_request_context())
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

    return app


def call(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    """Run *app* on *scope* in a new event loop; return what it sent."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def http(path: str = "/", **extra: Any) -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": path, "headers": [], **extra}


class TestRequestContextMiddleware:
    def test_binds_scope_and_user(self) -> None:
        """The request is the scope; the user is scope["user"]."""
        seen: list[Any] = []
        alice = User("alice")

        sent = call(RequestContextMiddleware(recording_app(seen)), http(user=alice))

        assert 200 == sent[0]["status"]
        assert ("/", alice) == (seen[0].request["path"], seen[0].user)
        assert current_request_context() is None

    def test_anonymous_user_is_none(self) -> None:
        """A user whose is_authenticated is false is bound as None."""
        seen: list[Any] = []
        guest = User("guest", is_authenticated=False)

        call(RequestContextMiddleware(recording_app(seen)), http(user=guest))

        assert seen[0].user is None

    def test_no_auth_middleware(self) -> None:
        """Without scope["user"], the user is None."""
        seen: list[Any] = []

        call(RequestContextMiddleware(recording_app(seen)), http())

        assert seen[0].user is None

    def test_request_factory_and_user_getter(self) -> None:
        """The factory builds the request; the getter reads the user."""
        seen: list[Any] = []
        app = RequestContextMiddleware(
            recording_app(seen),
            request_factory=lambda scope: ("request", scope["path"]),
            user_getter=lambda scope: scope["state"]["customer"],
        )

        call(app, http("/tea", state={"customer": "alice"}))

        assert (("request", "/tea"), "alice") == (seen[0].request, seen[0].user)

    @pytest.mark.parametrize("kind", ["lifespan", "websocket"])
    def test_other_scopes_pass_through(self, kind: str) -> None:
        """Only HTTP requests get a request context."""
        seen: list[Any] = []

        call(RequestContextMiddleware(recording_app(seen)), {"type": kind})

        assert [None] == seen

    def test_failing_user_getter(self, caplog: pytest.LogCaptureFixture) -> None:
        """A failing user getter is logged; the request runs without a context."""
        seen: list[Any] = []

        def broken(scope: Any) -> Any:
            raise ConnectionError("session store is down")

        with caplog.at_level(logging.ERROR, "commerce_events.contrib"):
            sent = call(
                RequestContextMiddleware(recording_app(seen), user_getter=broken),
                http(),
            )

        assert (200, [None]) == (sent[0]["status"], seen)
        assert "session store is down" in caplog.text

    def test_app_errors_propagate(self) -> None:
        """The application's own error propagates, and the context is released."""

        async def app(scope: Any, receive: Any, send: Any) -> None:
            raise LookupError("no such product")

        with pytest.raises(LookupError, match="no such product"):
            call(RequestContextMiddleware(app), http())
        assert current_request_context() is None


class TestScopeUser:
    def test_reads_scope_user(self) -> None:
        """scope_user is scope["user"], or None."""
        assert ("alice", None) == (scope_user({"user": "alice"}), scope_user({}))
