"""The Django app and middleware, through Django's Client and AsyncClient."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

pytest.importorskip("django", reason="Django is not installed")

from asgiref.sync import async_to_sync
from django.http import HttpResponse
from django.urls import path

from commerce_events import current_request_context

AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
OURS = "commerce_events.contrib.django.middleware.RequestContextMiddleware"
SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"

seen: list[Any] = []


def sync_view(request: Any) -> HttpResponse:
    seen.append(current_request_context())
    return HttpResponse("ok")


async def async_view(request: Any) -> HttpResponse:
    seen.append(current_request_context())
    return HttpResponse("ok")


class Urls:
    urlpatterns: ClassVar = [path("sync", sync_view), path("async", async_view)]


@pytest.fixture(name="urls")
def _urls(django_db: None) -> Iterator[None]:
    """The views above, and a clean record of what they saw."""
    from django.test import override_settings

    seen.clear()
    with override_settings(ROOT_URLCONF=Urls):
        yield
    seen.clear()


@pytest.fixture(name="alice")
def _alice(django_db: None) -> Iterator[Any]:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("alice", "alice@example.com")
    yield user
    user.delete()


def get(client: Any, path: str) -> Any:
    """GET with a Client, or an AsyncClient from this synchronous test."""
    from django.test import AsyncClient

    if isinstance(client, AsyncClient):
        return async_to_sync(client.get)(path)
    return client.get(path)


@pytest.fixture(name="client", params=["Client", "AsyncClient"])
def _client(request: pytest.FixtureRequest, urls: None) -> Any:
    from django.test import AsyncClient, Client

    return Client() if request.param == "Client" else AsyncClient()


class TestRequestContextMiddleware:
    @pytest.mark.parametrize("path", ["/sync", "/async"])
    def test_anonymous(self, client: Any, path: str) -> None:
        """Sync and async views, under WSGI and ASGI, see the request; no user."""
        from django.http import HttpRequest

        response = get(client, path)

        assert 200 == response.status_code
        assert isinstance(seen[0].request, HttpRequest)
        assert path == seen[0].request.path
        assert seen[0].user is None
        assert current_request_context() is None

    @pytest.mark.parametrize("path", ["/sync", "/async"])
    def test_signed_in(self, client: Any, path: str, alice: Any) -> None:
        """The user is request.user (WSGI) or await request.auser() (ASGI)."""
        client.force_login(alice)

        get(client, path)

        assert alice == seen[0].user
        assert "alice" == seen[0].user.get_username()

    def test_without_authentication(self, urls: None) -> None:
        """Without AuthenticationMiddleware the user is None."""
        from django.test import Client, override_settings

        with override_settings(MIDDLEWARE=[OURS]):
            Client().get("/sync")

        assert seen[0].user is None

    def test_failing_user(self, caplog: pytest.LogCaptureFixture, urls: None) -> None:
        """A failing request.user is logged when first read; the user is None."""
        from django.test import RequestFactory
        from django.utils.functional import SimpleLazyObject

        from commerce_events.contrib.django.middleware import RequestContextMiddleware

        request = RequestFactory().get("/sync")
        # As AuthenticationMiddleware sets it: loaded on first use.
        request.user = SimpleLazyObject(lambda: broken_user(request))
        with caplog.at_level(logging.ERROR, "commerce_events.contrib"):
            response = RequestContextMiddleware(sync_view)(request)
            assert "" == caplog.text  # the view did not ask for the user
            users = [seen[0].user, seen[0].user]

        assert (200, request, [None, None]) == (
            response.status_code,
            seen[0].request,
            users,
        )
        assert [("ERROR", "session store is down")] == [
            (r.levelname, str(r.exc_info[1])) for r in caplog.records if r.exc_info
        ]

    def test_user_read_lazily(self, urls: None, alice: Any) -> None:
        """A request whose view emits nothing never loads the user; one that
        emits loads it once, for the payload."""
        from django.test import Client
        from django.utils.functional import empty

        from commerce_events import ProductViewed
        from commerce_events.testing import capture_events

        client = Client()
        client.force_login(alice)
        quiet = client.get("/sync").wsgi_request
        with capture_events(ProductViewed) as captured, override_urls(emitting_view):
            loud = client.get("/emit").wsgi_request

        assert empty is quiet.user._wrapped
        assert empty is not loud.user._wrapped
        assert [alice] == [event.user for event in captured.payloads]

    def test_failing_auser(self, caplog: pytest.LogCaptureFixture, urls: None) -> None:
        """A failing request.auser() is logged; the view runs without a context."""
        from django.test import AsyncRequestFactory

        from commerce_events.contrib.django.middleware import RequestContextMiddleware

        request = AsyncRequestFactory().get("/async")

        async def auser() -> Any:
            broken_user(request)

        request.auser = auser
        middleware = RequestContextMiddleware(async_view)
        with caplog.at_level(logging.ERROR, "commerce_events.contrib"):
            response = async_to_sync(middleware)(request)

        assert (200, [None]) == (response.status_code, seen)
        assert "session store is down" in caplog.text


def emitting_view(request: Any) -> HttpResponse:
    from commerce_events import ProductViewed, emit

    emit(ProductViewed(product="MUG-1"), sender="emitting_view")
    return HttpResponse("ok")


def override_urls(view: Any) -> Any:
    from django.test import override_settings

    class EmitUrls:
        urlpatterns: ClassVar = [path("emit", view)]

    return override_settings(ROOT_URLCONF=EmitUrls)


def broken_user(request: Any) -> Any:
    raise ConnectionError("session store is down")


class TestCommerceEventsConfig:
    def test_check_passes(self, django_db: None) -> None:
        """The shop's settings (middleware after authentication) pass the check."""
        from commerce_events.contrib.django.apps import check_middleware

        assert [] == check_middleware()

    def test_check_missing(self, django_db: None) -> None:
        """Without the middleware, the check warns (once, though ready() ran twice)."""
        from django.apps import apps
        from django.core import checks
        from django.test import override_settings

        apps.get_app_config("commerce_events").ready()
        apps.get_app_config("commerce_events").ready()
        with override_settings(MIDDLEWARE=[SESSIONS, AUTH]):
            messages = checks.run_checks()

        assert ["commerce_events.W001"] == [
            m.id for m in messages if m.id.startswith("commerce_events")
        ]

    def test_check_order(self, django_db: None) -> None:
        """The middleware before AuthenticationMiddleware gets a warning."""
        from django.test import override_settings

        from commerce_events.contrib.django.apps import check_middleware

        with override_settings(MIDDLEWARE=[SESSIONS, OURS, AUTH]):
            messages = check_middleware()

        assert ["commerce_events.W002"] == [m.id for m in messages]


class TestAsyncBridge:
    def test_ready_sets_asgiref(self, urls: None) -> None:
        """With the app ready, a sync view's emit reaches async subscribers,
        through asgiref."""
        from django.apps import apps
        from django.test import Client

        from commerce_events import (
            ProductViewed,
            _settings,
            bridges,
            set_async_bridge,
            subscribe,
        )

        ran: list[Any] = []

        async def remember(event: ProductViewed) -> None:
            ran.append(event.product)

        subscribe(ProductViewed, remember)
        set_async_bridge(None)
        apps.get_app_config("commerce_events").ready()
        with override_urls(emitting_view):
            response = Client().get("/emit")

        assert (200, ["MUG-1"]) == (response.status_code, ran)
        assert bridges.asgiref is _settings.get_async_bridge()

    def test_chosen_bridge_kept(self, django_db: None) -> None:
        from django.apps import apps

        from commerce_events import _settings, bridges, set_async_bridge

        set_async_bridge(bridges.new_event_loop)
        apps.get_app_config("commerce_events").ready()

        assert bridges.new_event_loop is _settings.get_async_bridge()


class TestSettings:
    """COMMERCE_EVENTS, read by the app's ready() and checked by a system check."""

    def test_unknown_names_are_check_errors(
        self, django_db: None, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Every unknown event, group and forwarder is an error naming it, with
        a "did you mean"; ready() logs them and wires none of the settings."""
        from django.apps import apps
        from django.core import checks
        from django.test import override_settings

        from commerce_events import OrderPlaced, emit, subscribe
        from commerce_events.exceptions import SubscriberError

        setting = {
            "ON_ERROR": {"default": "log", "chekout": "log"},
            "FORWARD": [
                {
                    "events": ["order_placd", "basket"],
                    "to": "commerce_events.contrib.django.outbox.DjangoOutbx",
                }
            ],
        }
        with override_settings(COMMERCE_EVENTS=setting), caplog.at_level(logging.ERROR):
            apps.get_app_config("commerce_events").ready()
            messages = [
                m for m in checks.run_checks() if m.id.startswith("commerce_events")
            ]

        assert [(m.id, m.msg) for m in messages] == [
            (
                "commerce_events.E101",
                "no event or group is named 'chekout'; did you mean 'checkout'?",
            ),
            (
                "commerce_events.E101",
                "no event or group is named 'order_placd'; did you mean "
                "'order_paid', 'order_placed'?",
            ),
            (
                "commerce_events.E102",
                "cannot import 'commerce_events.contrib.django.outbox.DjangoOutbx': "
                "module 'commerce_events.contrib.django.outbox' has no "
                "'DjangoOutbx'; did you mean 'DjangoOutbox', 'DjangoOutboxStore'?",
            ),
        ]
        assert all(m.level == checks.ERROR for m in messages)
        assert messages[0].hint == "Fix COMMERCE_EVENTS['ON_ERROR']['chekout']."
        assert "COMMERCE_EVENTS has problems, nothing of it was wired" in caplog.text

        def fail(event: OrderPlaced) -> None:
            raise LookupError("out of stock")

        subscribe(OrderPlaced, fail)
        with pytest.raises(SubscriberError):  # "log" was not wired either
            emit(OrderPlaced(order=Order("1")))

    def test_outbox_receives_events(self, django_db: None) -> None:
        """An event group forwarded to the outbox by dotted path: each emit is a
        row; ready() again replaces the wiring instead of adding to it."""
        from django.apps import apps
        from django.core import checks
        from django.test import override_settings

        from commerce_events import OrderPlaced, ProductViewed, emit
        from commerce_events.contrib.django.models import OutboxMessage

        setting = {
            "FORWARD": [
                {
                    "events": ["order"],
                    "to": "commerce_events.contrib.django.outbox.DjangoOutbox",
                    "source": "/shop/web",
                }
            ],
            "ON_ERROR": {"browsing": "log"},
        }
        OutboxMessage.objects.all().delete()
        try:
            with override_settings(COMMERCE_EVENTS=setting):
                assert [] == [
                    m
                    for m in checks.run_checks()
                    if m.id.startswith("commerce_events.E")
                ]
                apps.get_app_config("commerce_events").ready()
                apps.get_app_config("commerce_events").ready()
            emit(OrderPlaced(order=Order("7")))
            emit(ProductViewed(product=Order("8")))  # not forwarded
            rows = list(OutboxMessage.objects.order_by("id"))
        finally:
            OutboxMessage.objects.all().delete()

        assert [(r.type, json.loads(r.envelope)["source"]) for r in rows] == [
            ("io.commerce-events.order_placed.v1", "/shop/web")
        ]

    def test_bridge_from_settings(self, django_db: None) -> None:
        """ASYNC_BRIDGE wins over the app's default bridge, asgiref."""
        from django.apps import apps
        from django.test import override_settings

        from commerce_events import _settings, bridges, set_async_bridge

        set_async_bridge(None)
        with override_settings(COMMERCE_EVENTS={"ASYNC_BRIDGE": "new_event_loop"}):
            apps.get_app_config("commerce_events").ready()

        assert bridges.new_event_loop is _settings.get_async_bridge()


class Order:
    """A shop object with an identity (what the outbox serializes)."""

    def __init__(self, number: str) -> None:
        self.pk = number
