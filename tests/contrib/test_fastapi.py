"""The FastAPI dependency and middleware, through Starlette's TestClient."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("fastapi", reason="FastAPI is not installed")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")

from fastapi import FastAPI
from starlette.requests import Request
from starlette.testclient import TestClient

from commerce_events import ProductViewed, RequestContext
from commerce_events.contrib.fastapi import (
    CurrentRequestContext,
    RequestContextMiddleware,
    get_request_context,
)


def make_app(seen: list[Any]) -> FastAPI:
    """An app whose endpoints record the context, and a payload built there."""
    app = FastAPI()

    @app.get("/async")
    async def async_endpoint(context: CurrentRequestContext) -> str:
        seen.append((context, ProductViewed(product="MUG-1")))
        return "ok"

    @app.get("/sync")
    def sync_endpoint(context: CurrentRequestContext) -> str:
        seen.append((context, ProductViewed(product="MUG-1")))
        return "ok"

    return app


class TestCurrentRequestContext:
    @pytest.mark.parametrize("path", ["/async", "/sync"])
    def test_dependency(self, path: str) -> None:
        """Async and threadpool endpoints get the context, and payloads use it."""
        seen: list[Any] = []
        app = make_app(seen)
        app.add_middleware(RequestContextMiddleware)

        response = TestClient(app).get(path)

        assert 200 == response.status_code
        context, payload = seen[0]
        assert isinstance(context, RequestContext)
        assert isinstance(context.request, Request)
        assert path == context.request.url.path
        assert context.request is payload.request

    def test_without_middleware(self) -> None:
        """Without the middleware, the dependency says what is missing."""
        app = make_app([])

        with pytest.raises(
            RuntimeError, match=r"add commerce_events\.contrib\.fastapi"
        ):
            TestClient(app).get("/async")

    def test_is_the_dependency(self) -> None:
        """CurrentRequestContext depends on get_request_context."""
        metadata = CurrentRequestContext.__metadata__[0]

        assert get_request_context is metadata.dependency
