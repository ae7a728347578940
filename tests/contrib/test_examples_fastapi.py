"""The FastAPI example shop, driven through a whole journey by TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="FastAPI is not installed")
pytest.importorskip("python_multipart", reason="FastAPI forms need python-multipart")

import fastapi_shop
import journeys
from shop import subscribers
from shop.domain import Store
from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient

from commerce_events.testing import CapturedEvents


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
    def test_journey(
        self, journey: Any, browser: Browser, captured_events: CapturedEvents
    ) -> None:
        """Every signal arrives once, in journey order, with the right payload."""
        journey.walk(browser)

        journey.check(request_type=Request, response_type=Response)
        assert isinstance(journey.journal[-1].user, fastapi_shop.ShopUser)

        journeys.return_visit(browser)

        assert journeys.EVENTS == journeys.summaries(captured_events)
        assert [] == [
            r
            for r in journeys.framework_objects("request", captured_events)
            if not isinstance(r, Request)
        ]
        assert [] == [
            r
            for r in journeys.framework_objects("response", captured_events)
            if not isinstance(r, Response)
        ]
        analytics = subscribers.analytics
        assert journeys.GA4_EVENTS == analytics.ga4_events
        assert {"MUG-1": 4} == analytics.purchases
        assert {"MUG-1": 2, "TEA-1": 1} == analytics.basket_additions
        assert {"TEA-1": 1} == analytics.basket_removals
        assert [("100002", "Your card was declined.")] == analytics.failed_payments
        assert journeys.OUTBOX == subscribers.outbox

    def test_recently_viewed_cookie(self, journey: Any, browser: Browser) -> None:
        """The subscriber reads the cookie from the request and writes it back."""
        browser.get("/products/MUG-1")
        second = browser.get("/products/TEA-1")

        assert "TEA-1|MUG-1" == browser.set_cookie(second, "recently_viewed")

    def test_bad_reviews_are_400s_and_emit_nothing(
        self, browser: Browser, captured_events: CapturedEvents
    ) -> None:
        """A score of 'abc' or 99, or no title: a 400 with the reason, no review."""
        journeys.bad_reviews(browser)

        assert [] == [e.event for e in captured_events if e.event == "review_added"]

    def test_refused_requests_emit_nothing(
        self, browser: Browser, captured_events: CapturedEvents
    ) -> None:
        """Missing accounts, lines, vouchers and orders are 404s, and emit nothing."""
        journeys.refused_requests(browser)

        assert ["user_registered"] == [e.event for e in captured_events]

    def test_anonymous_basket(self, browser: Browser, journal: list[Any]) -> None:
        """An anonymous visitor is sent to register, and nothing is emitted."""
        response = browser.post("/basket/add", {"sku": "MUG-1"})

        assert (302, "/register") == (
            response.status_code,
            response.headers["Location"],
        )
        assert [] == journal
