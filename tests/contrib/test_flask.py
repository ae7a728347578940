"""The Flask extension, through Flask's test client."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import pytest

pytest.importorskip("flask", reason="Flask is not installed")
pytest.importorskip("asgiref", reason="Flask's async views need flask[async]")

from flask import Flask, Request, request_started, session
from werkzeug.local import LocalProxy

from commerce_events import current_request_context
from commerce_events.contrib.flask import CommerceEvents


class User:
    def __init__(self, name: str, *, is_authenticated: bool = True) -> None:
        self.name = name
        self.is_authenticated = is_authenticated


def make_app(seen: list[Any]) -> Flask:
    """An app whose views record the request context they run in."""
    app = Flask(__name__)

    @app.get("/sync")
    def sync_view() -> str:
        seen.append(current_request_context())
        return "ok"

    @app.get("/async")
    async def async_view() -> str:
        seen.append(current_request_context())
        return "ok"

    @app.get("/fail")
    def failing_view() -> str:
        raise LookupError("no such product")

    return app


class TestCommerceEvents:
    def test_init_app(self) -> None:
        """init_app registers the extension on the app, Flask's way."""
        app = make_app([])
        events = CommerceEvents()

        events.init_app(app)

        assert events is app.extensions["commerce_events"]

    def test_init_app_twice(self) -> None:
        """Initialising the same app again connects nothing more."""
        app = make_app([])
        events = CommerceEvents(app)
        before = len(list(request_started.receivers_for(app)))

        events.init_app(app)

        assert before == len(list(request_started.receivers_for(app)))

    @pytest.mark.parametrize("path", ["/sync", "/async"])
    def test_binds_the_real_request(self, path: str) -> None:
        """Sync and async views see the flask.Request itself, not the proxy."""
        seen: list[Any] = []
        app = make_app(seen)
        CommerceEvents(app)

        response = app.test_client().get(path)

        assert 200 == response.status_code
        assert type(seen[0].request) is Request
        assert path == seen[0].request.path
        assert seen[0].user is None
        assert current_request_context() is None

    @pytest.mark.parametrize("path", ["/sync", "/async"])
    def test_user_getter(self, path: str) -> None:
        """The user getter gives the user, for sync and async views."""
        seen: list[Any] = []
        alice = User("alice")
        app = make_app(seen)
        CommerceEvents(app, user_getter=lambda: alice)

        app.test_client().get(path)

        assert alice is seen[0].user

    def test_proxied_user(self) -> None:
        """A user behind a proxy (like Flask-Login's current_user) is unwrapped."""
        seen: list[Any] = []
        alice = User("alice")
        app = make_app(seen)
        CommerceEvents(app, user_getter=lambda: LocalProxy(lambda: alice))

        app.test_client().get("/sync")

        assert alice is seen[0].user

    def test_anonymous_user_is_none(self) -> None:
        """A user whose is_authenticated is false is bound as None."""
        seen: list[Any] = []
        app = make_app(seen)
        guest = User("guest", is_authenticated=False)
        CommerceEvents(app, user_getter=lambda: guest)

        app.test_client().get("/sync")

        assert seen[0].user is None

    def test_bound_before_before_request(self) -> None:
        """before_request functions already run inside the context."""
        seen: list[Any] = []
        app = make_app([])
        CommerceEvents(app)

        @app.before_request
        def record() -> None:
            seen.append(current_request_context())

        app.test_client().get("/sync")

        assert seen[0] is not None

    def test_session_user_getter(self) -> None:
        """The getter runs once the session is open, so it can read the session."""
        seen: list[Any] = []
        app = make_app(seen)
        app.secret_key = secrets.token_hex()
        CommerceEvents(app, user_getter=lambda: session.get("customer"))
        client = app.test_client()
        with client.session_transaction() as signed_in:
            signed_in["customer"] = "alice"

        client.get("/sync")

        assert "alice" == seen[0].user

    def test_only_its_apps(self) -> None:
        """An app the extension was not initialised for gets no context."""
        seen: list[Any] = []
        events = CommerceEvents()
        events.init_app(make_app([]))
        other = make_app(seen)

        other.test_client().get("/sync")

        assert [None] == seen

    def test_failing_user_getter(self, caplog: pytest.LogCaptureFixture) -> None:
        """A failing user getter is logged; the view runs without a context."""
        seen: list[Any] = []
        app = make_app(seen)

        def broken() -> Any:
            raise ConnectionError("session store is down")

        CommerceEvents(app, user_getter=broken)

        with caplog.at_level(logging.ERROR, "commerce_events.contrib"):
            response = app.test_client().get("/sync")

        assert (200, [None]) == (response.status_code, seen)
        assert "session store is down" in caplog.text

    def test_view_error(self) -> None:
        """A failing view still releases the context."""
        app = make_app([])
        CommerceEvents(app)

        response = app.test_client().get("/fail")

        assert 500 == response.status_code
        assert current_request_context() is None


class TestAsyncBridge:
    def test_sync_emit_reaches_async_subscribers(self) -> None:
        """init_app sets the app's ensure_sync as the bridge: a sync view's emit
        runs async subscribers, as Flask runs async views."""
        from commerce_events import (
            ProductViewed,
            _settings,
            emit,
            set_async_bridge,
            subscribe,
        )
        from commerce_events.contrib.flask import ensure_sync

        ran: list[Any] = []

        async def remember(event: ProductViewed) -> None:
            ran.append(event.product)

        subscribe(ProductViewed, remember)
        set_async_bridge(None)
        app = make_app([])

        @app.get("/emit")
        def emitting_view() -> str:
            emit(ProductViewed(product="MUG-1"), sender=app)
            return "ok"

        CommerceEvents(app)
        response = app.test_client().get("/emit")

        assert (200, ["MUG-1"]) == (response.status_code, ran)
        assert ensure_sync is _settings.get_async_bridge()

    def test_chosen_bridge_kept(self) -> None:
        from commerce_events import _settings, bridges, set_async_bridge

        set_async_bridge(bridges.new_event_loop)
        CommerceEvents(make_app([]))

        assert bridges.new_event_loop is _settings.get_async_bridge()


class Order:
    """A shop object with an identity (what forwarding serializes)."""

    def __init__(self, number: str) -> None:
        self.pk = number


class ListForwarder:
    """A forwarder keeping what it is sent."""

    destination = "a list"

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, envelope: Any, /) -> None:
        self.sent.append(envelope)


class TestSettings:
    """app.config["COMMERCE_EVENTS"], read by init_app."""

    def test_unknown_names_stop_the_start(self) -> None:
        """Every unknown event, group and forwarder is named in one error."""
        from commerce_events.exceptions import SettingsError

        app = make_app([])
        app.config["COMMERCE_EVENTS"] = {
            "ON_ERROR": {"bascket": "log"},
            "FORWARD": [{"events": ["reviews"], "to": "commerce_events.bridges.nope"}],
        }

        with pytest.raises(SettingsError) as raised:
            CommerceEvents(app)

        assert raised.value.problems == (
            "COMMERCE_EVENTS['ON_ERROR']['bascket']: no event or group is named "
            "'bascket'; did you mean 'basket'?",
            "COMMERCE_EVENTS['FORWARD'][0]['events']: no event or group is named "
            "'reviews'; did you mean 'review'?",
            "COMMERCE_EVENTS['FORWARD'][0]['to']: cannot import "
            "'commerce_events.bridges.nope': module 'commerce_events.bridges' has "
            "no 'nope'",
        )
        assert "commerce_events" not in app.extensions

    def test_forwarder_receives_a_views_events(self) -> None:
        """A forwarder given as an object in app.config gets the events a view
        emits; init_app again replaces the wiring instead of adding to it."""
        from commerce_events import OrderPlaced, emit

        forwarder = ListForwarder()
        app = make_app([])

        @app.post("/order")
        def place_order() -> str:
            emit(OrderPlaced(order=Order("42")))
            return "placed"

        app.config["COMMERCE_EVENTS"] = {
            "FORWARD": [{"events": "order_placed", "to": forwarder, "source": "/f"}]
        }
        events = CommerceEvents(app)
        events.init_app(app)

        response = app.test_client().post("/order")

        assert (response.status_code, len(forwarder.sent)) == (200, 1)
        assert forwarder.sent[0]["data"]["order"] == "42"
        assert forwarder.sent[0]["source"] == "/f"

    def test_bridge_from_settings(self) -> None:
        """ASYNC_BRIDGE replaces the extension's default, ensure_sync."""
        from commerce_events import _settings, bridges, set_async_bridge

        set_async_bridge(None)
        app = make_app([])
        app.config["COMMERCE_EVENTS"] = {"ASYNC_BRIDGE": "new_event_loop"}
        CommerceEvents(app)

        assert bridges.new_event_loop is _settings.get_async_bridge()
