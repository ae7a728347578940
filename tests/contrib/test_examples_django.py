"""The Django example shop, driven by Django's Client (WSGI) and AsyncClient."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("django", reason="Django is not installed")

import journeys
from asgiref.sync import async_to_sync
from shop import subscribers

from commerce_events.testing import CapturedEvents


class Browser:
    """Django's Client, as a journey uses it."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, path: str) -> Any:
        return self.client.get(path)

    def post(self, path: str, data: dict[str, str]) -> Any:
        return self.client.post(path, data)

    def text(self, response: Any) -> str:
        return response.content.decode()

    def set_cookie(self, response: Any, name: str) -> str | None:
        cookie = response.cookies.get(name)
        return None if cookie is None else cookie.value


class AsyncBrowser(Browser):
    """Django's AsyncClient (the ASGI handler), from synchronous tests."""

    def get(self, path: str) -> Any:
        return async_to_sync(self.client.get)(path)

    def post(self, path: str, data: dict[str, str]) -> Any:
        return async_to_sync(self.client.post)(path, data)


@pytest.fixture(name="shop")
def _shop(django_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh store, the shop's ready() run again, and no users left after."""
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django_shop import views
    from shop.domain import Store

    monkeypatch.setattr(views, "store", Store())
    # Django ran ready() at setup; the bus was reset since (see conftest).
    apps.get_app_config("django_shop").ready()
    yield
    get_user_model().objects.all().delete()


@pytest.fixture(name="browser", params=["Client", "AsyncClient"])
def _browser(request: pytest.FixtureRequest, shop: None) -> Browser:
    from django.test import AsyncClient, Client

    if request.param == "Client":
        return Browser(Client())
    return AsyncBrowser(AsyncClient())


class TestDjangoShop:
    def test_journey(
        self, journey: Any, browser: Browser, captured_events: CapturedEvents
    ) -> None:
        """Every signal arrives once, in journey order, with the right payload."""
        from django.contrib.auth import get_user_model
        from django.http import HttpRequest
        from django.http.response import HttpResponseBase

        journey.walk(browser)

        journey.check(request_type=HttpRequest, response_type=HttpResponseBase)
        assert isinstance(journey.journal[-1].user, get_user_model())

        journeys.return_visit(browser)

        assert journeys.EVENTS == journeys.summaries(captured_events)
        assert [] == [
            r
            for r in journeys.framework_objects("request", captured_events)
            if not isinstance(r, HttpRequest)
        ]
        assert [] == [
            r
            for r in journeys.framework_objects("response", captured_events)
            if not isinstance(r, HttpResponseBase)
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

    def test_ready_twice(self, journey: Any, browser: Browser) -> None:
        """Running the shop's ready() again does not deliver anything twice."""
        from django.apps import apps
        from shop import subscribers

        apps.get_app_config("django_shop").ready()
        apps.get_app_config("commerce_events").ready()
        browser.get("/products/MUG-1")

        assert {"MUG-1": 1} == subscribers.analytics.product_views
        assert 1 == len(journey.journal)


@pytest.mark.parametrize("browser", ["Client"], indirect=True)
def test_orders_go_through_the_outbox(journey: Any, browser: Browser) -> None:
    """The order's event is a row of the app's outbox table, written in atomic."""
    from commerce_events.contrib.django.models import OutboxMessage

    messages: Any = OutboxMessage.objects
    before = set(messages.values_list("event_id", flat=True))
    journey.walk(browser)
    new = messages.exclude(event_id__in=before)
    assert ["io.commerce-events.order_placed.v1"] == [m.type for m in new]
    new.delete()
