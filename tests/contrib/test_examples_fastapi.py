"""The FastAPI example shop, driven through a whole journey by TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="FastAPI is not installed")
pytest.importorskip("python_multipart", reason="FastAPI forms need python-multipart")

import fastapi_shop
from shop.domain import Store
from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient


class Browser:
    """Starlette's TestClient, as a journey uses it (no redirect following)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def get(self, path: str) -> Any:
        return self.client.get(path, follow_redirects=False)

    def post(self, path: str, data: dict[str, str]) -> Any:
        return self.client.post(path, data=data, follow_redirects=False)

    def text(self, response: Any) -> str:
        return response.text

    def set_cookie(self, response: Any, name: str) -> str | None:
        return response.cookies.get(name)


@pytest.fixture(name="browser")
def _browser() -> Iterator[Browser]:
    with TestClient(fastapi_shop.create_app(Store())) as client:
        yield Browser(client)


class TestFastAPIShop:
    def test_journey(self, journey: Any, browser: Browser) -> None:
        """Every signal arrives once, in journey order, with the right payload."""
        journey.walk(browser)

        journey.check(request_type=Request, response_type=Response)
        assert isinstance(journey.journal[-1].user, fastapi_shop.ShopUser)

    def test_recently_viewed_cookie(self, journey: Any, browser: Browser) -> None:
        """The subscriber reads the cookie from the request and writes it back."""
        browser.get("/products/MUG-1")
        second = browser.get("/products/TEA-1")

        assert "TEA-1|MUG-1" == browser.set_cookie(second, "recently_viewed")

    def test_anonymous_basket(self, browser: Browser, journal: list[Any]) -> None:
        """An anonymous visitor is sent to register, and nothing is emitted."""
        response = browser.post("/basket/add", {"sku": "MUG-1"})

        assert (302, "/register") == (
            response.status_code,
            response.headers["Location"],
        )
        assert [] == journal
