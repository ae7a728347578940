"""Fixtures for the framework integrations and the example shops.

The example shops live in ``examples/shops``, which is put on ``sys.path`` as
when a shop is run from there. A framework that is not installed skips its
test modules (``pytest.importorskip`` in each); the ``tests`` dependency group
installs them all.
"""

from __future__ import annotations

import shutil
import socketserver
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from commerce_events import (
    BasketAddition,
    OrderPlaced,
    PostCheckout,
    PostPayment,
    PrePayment,
    ProductSearch,
    ProductViewed,
    ReviewAdded,
    StartCheckout,
    UserRegistered,
    VoucherAddition,
    _domain,
    _serialization_hooks,
    _settings,
    catalogue,
    subscribe,
)

SHOPS = Path(__file__).resolve().parents[2] / "examples" / "shops"
if str(SHOPS) not in sys.path:
    sys.path.insert(0, str(SHOPS))

CATALOGUE = (
    ProductViewed,
    ProductSearch,
    UserRegistered,
    BasketAddition,
    VoucherAddition,
    StartCheckout,
    PrePayment,
    PostPayment,
    OrderPlaced,
    PostCheckout,
    ReviewAdded,
)
EMAIL = "alice@example.com"


@pytest.fixture(name="journal")
def _journal() -> list[Any]:
    """Every built-in event emitted during the test, in order."""
    events: list[Any] = []
    for payload_type in CATALOGUE:
        subscribe(payload_type, events.append)
    return events


@pytest.fixture(scope="session")
def django_db() -> Iterator[None]:
    """Django, configured with the example shop's settings, and a test database.

    Set up once. ``django.setup()`` runs the apps' ``ready()``, which wires the
    shop's subscribers: that is undone here, so that other test modules see
    the bus they expect; tests re-run ``ready()`` inside their own isolation.
    """
    pytest.importorskip("django", reason="Django is not installed")
    import django
    import django_shop.settings as shop_settings
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    if not settings.configured:
        settings.configure(
            **{k: v for k, v in vars(shop_settings).items() if k.isupper()}
        )
    declared = _domain.domain_classes()
    identities = dict(_serialization_hooks._hooks)  # the shop registers its own
    with _settings.isolated_state():
        django.setup()
    _domain.declare_domain_classes(
        **{name: declared.get(name) for name in _domain._known}
    )
    _serialization_hooks._hooks.clear()
    _serialization_hooks._hooks.update(identities)
    setup_test_environment()
    database = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, serialize=False)
    yield
    connection.creation.destroy_test_db(database, verbosity=0)
    teardown_test_environment()


class Browser(Protocol):
    """What a journey needs from a framework's test client."""

    def get(self, path: str) -> Any: ...
    def post(self, path: str, data: dict[str, str]) -> Any: ...
    def text(self, response: Any) -> str: ...
    def set_cookie(self, response: Any, name: str) -> str | None: ...


class Journey:
    """A customer's whole journey through an example shop, and its checks.

    The same pages in every shop, in the order a customer meets Oscar's
    signals: product page, search, register, basket, voucher, checkout,
    payment (which places the order and redirects to the thank-you page), and
    a review.
    """

    events = (
        "product_viewed",
        "product_search",
        "user_registered",
        "basket_addition",
        "voucher_addition",
        "start_checkout",
        "pre_payment",
        "post_payment",
        "order_placed",
        "post_checkout",
        "review_added",
    )

    def __init__(self, journal: list[Any]) -> None:
        self.journal = journal

    def walk(self, browser: Browser) -> None:
        """Go through the shop, checking each page's status and redirect."""
        page = browser.get("/products/MUG-1")
        assert 200 == page.status_code
        assert "MUG-1" == browser.set_cookie(page, "recently_viewed")
        assert 200 == browser.get("/search?q=mug").status_code
        self.redirects(browser.post("/register", {"email": EMAIL}), "/")
        self.redirects(browser.post("/basket/add", {"sku": "MUG-1"}), "/basket")
        self.redirects(
            browser.post("/basket/vouchers", {"code": "WELCOME10"}), "/basket"
        )
        assert 200 == browser.get("/checkout").status_code
        paid = browser.post("/checkout/payment", {})
        self.redirects(paid, "/checkout/thank-you/100001")
        thanks = browser.get("/checkout/thank-you/100001")
        assert 200 == thanks.status_code
        assert "Order 100001: 8.55" in browser.text(thanks)
        review = {"score": "5", "title": "Holds coffee"}
        self.redirects(
            browser.post("/products/MUG-1/reviews", review), "/products/MUG-1"
        )

    @staticmethod
    def redirects(response: Any, location: str) -> None:
        assert (302, location) == (response.status_code, response.headers["Location"])

    def check(self, *, request_type: type[Any], response_type: type[Any]) -> None:
        """Every event arrived once, in order, with the payload Oscar sends."""
        from shop import subscribers

        names = {spec.payload_type: spec.name for spec in catalogue()}
        assert self.events == tuple(names[type(e)] for e in self.journal)
        (viewed, searched, registered, added, voucher, started, pre, post,
         placed, checked_out, reviewed) = self.journal  # fmt: skip

        assert ("MUG-1", None) == (viewed.product.sku, viewed.user)
        assert isinstance(viewed.request, request_type)
        assert isinstance(viewed.response, response_type)
        assert ("mug", None) == (searched.query, searched.user)
        # Explicitly passed: the new user, though the request was anonymous.
        assert EMAIL == registered.user.email
        assert isinstance(registered.request, request_type)
        # From the request context once signed in.
        assert ("MUG-1", EMAIL) == (added.product.sku, added.user.email)
        assert isinstance(added.request, request_type)
        assert (EMAIL, "WELCOME10") == (voucher.basket.owner, voucher.voucher.code)
        assert isinstance(started.request, request_type)
        assert pre.view is post.view
        assert "100001" == placed.order.number
        assert EMAIL == placed.user.email
        assert placed.order is checked_out.order
        assert EMAIL == checked_out.user.email
        assert isinstance(checked_out.request, request_type)
        assert isinstance(checked_out.response, response_type)
        assert ("MUG-1", 5, EMAIL) == (
            reviewed.review.product.sku,
            reviewed.review.score,
            reviewed.user.email,
        )
        assert isinstance(reviewed.response, response_type)

        # The shared subscribers saw the same journey.
        analytics = subscribers.analytics
        assert {"MUG-1": 1} == analytics.product_views
        assert {"MUG-1": 1} == analytics.basket_additions
        assert {"MUG-1": 1} == analytics.purchases
        assert {EMAIL: 1} == analytics.customer_orders
        assert [f"To {EMAIL}: order 100001 confirmed (8.55)"] == subscribers.outbox


@pytest.fixture(name="journey")
def _journey(journal: list[Any]) -> Iterator[Journey]:
    """A journey, with the shared subscribers' records reset before and after."""
    from shop import subscribers

    subscribers.reset()
    yield Journey(journal)
    subscribers.reset()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


@pytest.fixture(name="serve")
def _serve() -> Iterator[Callable[[Any], str]]:
    """``serve(wsgi_app)`` starts a real HTTP server on a free port; returns its URL."""
    servers: list[tuple[WSGIServer, threading.Thread]] = []

    def start(app: Any) -> str:
        server = make_server(
            "127.0.0.1",
            0,
            app,
            server_class=_ThreadingServer,
            handler_class=_QuietHandler,
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(name="chromium")
def _chromium() -> Iterator[Any]:
    """A real headless Chromium (Debian's chromium and chromium-driver), via selenium."""
    webdriver = pytest.importorskip("selenium.webdriver")
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.skip("needs Debian's chromium and chromium-driver packages")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
    ):
        options.add_argument(argument)
    chrome = webdriver.Chrome(
        options=options, service=webdriver.ChromeService(executable_path=driver)
    )
    try:
        yield chrome
    finally:
        chrome.quit()
