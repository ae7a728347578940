"""The Flask example shop, driven through a whole journey by Flask's client."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("flask", reason="Flask is not installed")
pytest.importorskip("asgiref", reason="Flask's async views need flask[async]")

import flask
import flask_shop
import journeys
from flask.testing import FlaskClient
from shop import subscribers
from shop.domain import Customer, Store
from werkzeug.http import parse_cookie
from werkzeug.local import LocalProxy

from commerce_events.testing import CapturedEvents


class Browser:
    """Flask's test client, as a journey uses it."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, path: str) -> Any:
        return self.client.get(path)

    def post(self, path: str, data: dict[str, str]) -> Any:
        return self.client.post(path, data=data)

    def text(self, response: Any) -> str:
        return response.get_data(as_text=True)

    def set_cookie(self, response: Any, name: str) -> str | None:
        for header in response.headers.getlist("Set-Cookie"):
            cookies = parse_cookie(header)
            if name in cookies:
                return cookies[name]
        return None


@pytest.fixture(name="browser")
def _browser() -> Browser:
    return Browser(flask_shop.create_app(Store()).test_client())


class TestFlaskShop:
    def test_journey(
        self, journey: Any, browser: Browser, captured_events: CapturedEvents
    ) -> None:
        """Every signal arrives once, in journey order, with the right payload."""
        journey.walk(browser)

        journey.check(request_type=flask.Request, response_type=flask.Response)
        assert Customer("alice@example.com") == journey.journal[-1].user

        journeys.return_visit(browser)

        assert journeys.EVENTS == journeys.summaries(captured_events)
        assert [] == [
            r
            for r in journeys.framework_objects("request", captured_events)
            if not isinstance(r, flask.Request)
        ]
        assert [] == [
            r
            for r in journeys.framework_objects("response", captured_events)
            if not isinstance(r, flask.Response)
        ]
        analytics = subscribers.analytics
        assert journeys.GA4_EVENTS == analytics.ga4_events
        assert {"MUG-1": 4} == analytics.purchases
        assert {"MUG-1": 2, "TEA-1": 1} == analytics.basket_additions
        assert {"TEA-1": 1} == analytics.basket_removals
        assert [("100002", "Your card was declined.")] == analytics.failed_payments
        assert journeys.OUTBOX == subscribers.outbox
        requests = journeys.framework_objects("request", captured_events)
        assert not any(isinstance(r, LocalProxy) for r in requests)

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

        assert (302, "/register") == (response.status_code, response.location)
        assert [] == journal


def test_orders_go_through_the_outbox(
    journey: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    """The order's event is a row of the shop's outbox, which a relay sends on."""
    import sqlalchemy as sa
    from shop import outbox

    from commerce_events import OrderPlaced
    from commerce_events.outbox import Relay
    from commerce_events.outbox.sqlalchemy import SQLAlchemyOutboxStore

    monkeypatch.setattr(outbox, "DATABASE", f"sqlite:///{tmp_path / 'outbox.db'}")
    journey.walk(Browser(flask_shop.create_app(Store()).test_client()))

    engine, table = outbox.wire_sqlalchemy()
    relayed: list[Any] = []

    class Broker:
        def send(self, envelope: Any, /) -> None:
            relayed.append(envelope)

    assert 1 == Relay(SQLAlchemyOutboxStore(engine, table), Broker()).run_once()
    [envelope] = relayed
    assert "io.commerce-events.order_placed.v1" == envelope["type"]
    assert "alice@example.com" == envelope["data"]["user"]
    [placed] = [e for e in journey.journal if isinstance(e, OrderPlaced)]
    assert placed.order.number == envelope["data"]["order"]
    with engine.connect() as connection:
        assert (
            0
            == connection.execute(sa.select(sa.func.count()).select_from(table)).one()[
                0
            ]
        )
    engine.dispose()


def test_loyalty_event_versions():
    """The shop's workers read version 1 envelopes of its event as version 2."""
    from shop import loyalty

    from commerce_events import subscribe
    from commerce_events.cloudevents import to_cloudevent

    got: list[Any] = []
    subscribe(loyalty.LoyaltyPointsEarned, got.append)
    old = loyalty.LoyaltyPointsEarnedV1(customer="ann@example.com", points=12)
    new = loyalty.LoyaltyPointsEarned(
        customer="ann@example.com", points=3, reason="order 100001"
    )

    loyalty.consume(to_cloudevent(old, source="/shop/web"))
    loyalty.consume(to_cloudevent(new, source="/shop/web"))

    assert [
        loyalty.LoyaltyPointsEarned(
            customer="ann@example.com", points=12, reason="unknown (version 1)"
        ),
        new,
    ] == got
