"""A customer journey through an unmodified Oscar shop, with Django's test client.

Run by ``tests/contrib/test_oscar.py`` in its own process (with
``DJANGO_SETTINGS_MODULE=oscar_shop.settings`` and ``OSCAR_SHOP_DIR``); not
collected by the main test run, whose Django is the example Django shop's.

Each step asserts the typed events delivered (validated, once each), what an
Oscar-style receiver saw, and Oscar's own database effects (its analytics,
recently-viewed and voucher receivers, now on our bus).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import django
import pytest

_OSCAR_CODE = r"(oscar|treebeard|haystack)(\.|$)"
# While Django sets up (at collection), as pytestmark does for the tests.
for _category in (DeprecationWarning, PendingDeprecationWarning):
    warnings.filterwarnings("ignore", category=_category, module=_OSCAR_CODE)

django.setup()

from django.apps import apps  # noqa: E402 - after django.setup()
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from oscar.apps.catalogue import signals as oscar_catalogue_signals  # noqa: E402
from oscar.core.loading import get_class, get_model  # noqa: E402
from oscar.test import factories  # noqa: E402

from commerce_events import (  # noqa: E402
    BasketAddition,
    OrderLineStatusChanged,
    OrderPlaced,
    OrderStatusChanged,
    PostCheckout,
    PostPayment,
    PrePayment,
    ProductSearch,
    ProductViewed,
    ReviewAdded,
    StartCheckout,
    UserLoggedIn,
    UserRegistered,
    VoucherAddition,
    signals,
    subscribe,
)
from commerce_events.testing import capture_events  # noqa: E402

ProductRecord = get_model("analytics", "ProductRecord")
UserRecord = get_model("analytics", "UserRecord")
UserSearch = get_model("analytics", "UserSearch")
Order = get_model("order", "Order")
ProductReview = get_model("reviews", "ProductReview")
ProductDetailView = get_class("catalogue.views", "ProductDetailView")

# Oscar 4.2 calls APIs that treebeard 7 and Django 6.1 deprecate: not ours to
# fix. Only warnings raised from Oscar's and treebeard's code are ignored.
pytestmark = [
    # Raised with a stacklevel that points past Oscar, into Django's templates.
    pytest.mark.filterwarnings(
        "ignore::treebeard.deprecation.RemovedInTreebeard8Warning"
    ),
    pytest.mark.filterwarnings(rf"ignore::DeprecationWarning:{_OSCAR_CODE}"),
    pytest.mark.filterwarnings(rf"ignore::PendingDeprecationWarning:{_OSCAR_CODE}"),
]

GUEST = "guest@example.com"
ALICE = "alice@example.com"
PASSWORD = "correct-horse-battery"  # noqa: S105 - a test account


@pytest.fixture(scope="module", autouse=True)
def _database() -> None:
    setup_test_environment()
    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)


@pytest.fixture(name="product", scope="module")
def _product(_database: None) -> Any:
    factories.CountryFactory(iso_3166_1_a2="GB", is_shipping_country=True)
    product = factories.create_product(
        title="Enamel mug", price=Decimal("12.00"), num_in_stock=50
    )
    factories.create_voucher(code="WELCOME")
    return product


@pytest.fixture(name="oscar_style")
def _oscar_style() -> Iterator[list[tuple[Any, dict[str, Any]]]]:
    """An Oscar-style receiver, connected where an Oscar shop connects it."""
    seen: list[tuple[Any, dict[str, Any]]] = []

    def receive_product_view(sender: Any, **kwargs: Any) -> None:
        seen.append((sender, kwargs))

    oscar_catalogue_signals.product_viewed.connect(receive_product_view)
    yield seen
    oscar_catalogue_signals.product_viewed.disconnect(receive_product_view)


def checkout(client: Client, product: Any, *, guest: str | None) -> Any:
    """Basket, voucher, (guest details,) address, shipping, preview, place the order."""
    client.post(reverse("basket:add", kwargs={"pk": product.pk}), {"quantity": 1})
    client.post(reverse("basket:vouchers-add"), {"code": "WELCOME"})
    if guest is None:
        # A signed-in customer is sent on at once; start_checkout says so.
        client.get(reverse("checkout:index"))
    else:
        response = client.post(
            reverse("checkout:index"), {"username": guest, "options": "anonymous"}
        )
        assert 302 == response.status_code, response.content[:2000]
    response = client.post(
        reverse("checkout:shipping-address"),
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "line1": "1 Egg Road",
            "line4": "Shell City",
            "postcode": "N12 9RT",
            "country": "GB",
        },
    )
    assert 302 == response.status_code, response.content[:2000]
    client.get(reverse("checkout:shipping-method"), follow=True)
    response = client.post(reverse("checkout:preview"), {"action": "place_order"})
    assert 302 == response.status_code, response.content[:2000]
    assert reverse("checkout:thank-you") == response["Location"]
    return response


class TestOscarWiring:
    def test_signals_are_ours(self) -> None:
        """Oscar's views and modules hold the commerce_events signal objects."""
        from oscar.apps.order import utils
        from oscar.apps.search.views import search

        assert signals.product_viewed is ProductDetailView.view_signal
        assert signals.order_placed is utils.order_placed
        assert signals.product_search is search.user_search

    def test_system_checks_pass(self) -> None:
        from django.core import checks

        ours = [m for m in checks.run_checks() if m.id.startswith("commerce_events")]
        assert [] == ours

    def test_oscar_receivers_connected_once(self) -> None:
        from oscar.apps.analytics import receivers as analytics
        from oscar.apps.customer import receivers as customer
        from oscar.apps.voucher import receivers as voucher

        def connected(signal: Any, receiver: Any) -> int:
            return sum(r is receiver for r in signal.receivers.values())

        assert 1 == connected(signals.product_viewed, analytics.receive_product_view)
        assert 1 == connected(signals.product_viewed, customer.receive_product_view)
        assert 1 == connected(signals.product_search, analytics.receive_product_search)
        assert 1 == connected(signals.order_placed, analytics.receive_order_placed)
        assert 1 == connected(signals.voucher_addition, voucher.track_voucher_addition)


class TestGuestJourney:
    def test_browse_and_search(
        self, product: Any, oscar_style: list[tuple[Any, dict[str, Any]]]
    ) -> None:
        client = Client()
        with capture_events() as captured:
            assert 200 == client.get(reverse("catalogue:index")).status_code
            response = client.get(product.get_absolute_url())
            search = client.get(reverse("search:search"), {"q": "mug"})

        assert (200, 200) == (response.status_code, search.status_code)
        viewed = captured.assert_emitted_once(ProductViewed, product=product)
        assert isinstance(captured.events[0].sender, ProductDetailView)
        assert response.wsgi_request is viewed.request
        searched = captured.assert_emitted_once(ProductSearch, query="mug")
        assert search.wsgi_request.session is searched.session
        assert repr(searched).endswith("session=<SessionStore>)")  # type only
        assert [ProductViewed, ProductSearch] == [type(p) for p in captured.payloads]
        # The Oscar-style receiver got Oscar's keywords, once.
        assert [product] == [kwargs["product"] for _, kwargs in oscar_style]
        # Oscar's analytics receiver counted the view once; its recently-viewed
        # receiver wrote the history cookie.
        assert 1 == ProductRecord.objects.get(product=product).num_views
        assert "oscar_history" in response.cookies

    def test_guest_checkout(self, product: Any) -> None:
        client = Client()
        with capture_events() as captured:
            checkout(client, product, guest=GUEST)

        order = Order.objects.get(guest_email=GUEST)
        captured.assert_emitted_once(BasketAddition, product=product)
        captured.assert_emitted_once(VoucherAddition)
        # Oscar's robust send with the guest's email reached us.
        captured.assert_emitted_once(StartCheckout, email=GUEST)
        captured.assert_emitted_once(PrePayment)
        captured.assert_emitted_once(PostPayment)
        captured.assert_emitted_once(OrderPlaced, order=order)
        captured.assert_emitted_once(PostCheckout, order=order)
        assert [
            BasketAddition,
            VoucherAddition,
            StartCheckout,
            PrePayment,
            PostPayment,
            OrderPlaced,
            PostCheckout,
        ] == [type(p) for p in captured.payloads]
        # Oscar's receivers ran once: the voucher counter and the analytics.
        voucher = order.basket.vouchers.get()
        assert 1 == voucher.num_basket_additions
        assert 1 == ProductRecord.objects.get(product=product).num_purchases
        assert Decimal("12.00") == order.basket_total_before_discounts_incl_tax


class TestRegisteredJourney:
    def test_register_log_in_search_review_and_checkout(self, product: Any) -> None:
        client = Client()
        with capture_events() as captured:
            response = client.post(
                reverse("customer:register"),
                {
                    "email": ALICE,
                    "password1": PASSWORD,
                    "password2": PASSWORD,
                },
            )
            assert 302 == response.status_code, response.content[:2000]
            client.logout()
            response = client.post(
                reverse("customer:login"),
                {
                    "login-username": ALICE,
                    "login-password": PASSWORD,
                    "login_submit": "1",
                },
            )
            assert 302 == response.status_code, response.content[:2000]
            client.get(reverse("search:search"), {"q": "enamel"})
            response = client.post(
                reverse(
                    "catalogue:reviews-add",
                    kwargs={"product_slug": product.slug, "product_pk": product.pk},
                ),
                {"title": "Lovely", "score": 5, "body": "Holds tea well."},
            )
            assert 302 == response.status_code, response.content[:2000]
            checkout(client, product, guest=None)

        alice = apps.get_model(
            *django.conf.settings.AUTH_USER_MODEL.split(".")
        ).objects.get(email=ALICE)
        order = Order.objects.get(user=alice)
        review = ProductReview.objects.get(user=alice)
        captured.assert_emitted_once(UserRegistered, user=alice)
        captured.assert_emitted_once(UserLoggedIn, user=alice)
        captured.assert_emitted_once(ProductSearch, query="enamel", user=alice)
        captured.assert_emitted_once(ReviewAdded, review=review, user=alice)
        captured.assert_emitted_once(StartCheckout, email=None)
        captured.assert_emitted_once(OrderPlaced, order=order, user=alice)
        # Oscar's analytics receivers recorded the search and the order.
        assert ["enamel"] == [s.query for s in UserSearch.objects.filter(user=alice)]
        assert 1 == UserRecord.objects.get(user=alice).num_orders

    def test_status_changes(self) -> None:
        order = Order.objects.get(user__email=ALICE)
        line = order.lines.get()
        seen: list[str] = []

        @subscribe(OrderStatusChanged)
        def notify(event: OrderStatusChanged) -> None:
            seen.append(
                f"{event.order.number}: {event.old_status} -> {event.new_status}"
            )

        with capture_events(OrderStatusChanged, OrderLineStatusChanged) as captured:
            order.set_status("Being processed")
            line.set_status("Being processed")

        captured.assert_emitted_once(
            OrderStatusChanged,
            sender=order,
            order=order,
            old_status="Pending",
            new_status="Being processed",
        )
        captured.assert_emitted_once(OrderLineStatusChanged, sender=line, line=line)
        assert [f"{order.number}: Pending -> Being processed"] == seen
        order.refresh_from_db()
        assert "Being processed" == order.status


class TestChecks:
    def run(self) -> list[str]:
        from commerce_events.contrib.oscar.apps import check_signals

        return [f"{m.id}: {m.msg}" for m in check_signals()]

    def test_stale_holder(self) -> None:
        """A module that imported Oscar's signal before the app replaced it:
        what an app listed too early in INSTALLED_APPS does."""
        import sys
        import types

        from commerce_events.contrib.oscar import original_signal

        stale = types.ModuleType("oscar.apps.catalogue.early_views")
        stale.product_viewed = original_signal(  # type: ignore[attr-defined]
            "oscar.apps.catalogue.signals", "product_viewed"
        )
        sys.modules[stale.__name__] = stale
        try:
            messages = self.run()
        finally:
            del sys.modules[stale.__name__]

        assert [
            "commerce_events.oscar.E001: commerce_events.contrib.oscar replaced "
            "Oscar's signals too late: oscar.apps.catalogue.early_views."
            "product_viewed still hold Oscar's own signal objects, which "
            "commerce_events never sees."
        ] == messages
        assert [] == self.run()

    def test_stranded_receiver(self) -> None:
        from commerce_events.contrib.oscar import original_signal

        original = original_signal("oscar.apps.order.signals", "order_placed")

        def on_order(sender: Any, **kwargs: Any) -> None:
            pass

        original.connect(on_order)
        try:
            messages = self.run()
        finally:
            original.disconnect(on_order)

        assert [
            "commerce_events.oscar.E002: Receivers are connected to Oscar's "
            "replaced signal objects and will never run: "
            f"{__name__}.TestChecks.test_stranded_receiver.<locals>.on_order "
            "on oscar.apps.order.signals.order_placed."
        ] == messages

    @pytest.mark.parametrize("how", ["wrapper", "dispatch_uid"])
    def test_receiver_connected_twice(self, how: str) -> None:
        import functools

        def on_order(sender: Any, **kwargs: Any) -> None:
            pass

        @functools.wraps(on_order)
        def logged(sender: Any, **kwargs: Any) -> None:
            on_order(sender, **kwargs)

        if how == "wrapper":
            signals.order_placed.connect(on_order)
            signals.order_placed.connect(logged)
        else:
            signals.order_placed.connect(on_order, dispatch_uid="shop.orders")
            signals.order_placed.connect(on_order, dispatch_uid="shop.orders.v2")
        messages = self.run()

        assert [
            "commerce_events.oscar.W003: Receivers connected twice (each send "
            f"calls them twice): {__name__}.TestChecks.test_receiver_connected_"
            "twice.<locals>.on_order on oscar.apps.order.signals.order_placed."
        ] == messages


class TestDebugToolbarPanel:
    def test_panel_in_chromium(self, product: Any, serve: Any, chromium: Any) -> None:
        """django-debug-toolbar's "Commerce events" panel, in a real browser:
        the product page's event, its fields, the subscribers that ran (Oscar's
        two receivers and a failing one), their times and the failure."""
        import os
        from pathlib import Path

        from django.contrib.staticfiles.handlers import StaticFilesHandler
        from django.core.wsgi import get_wsgi_application
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        def out_of_stock_alert(event: ProductViewed) -> None:
            raise RuntimeError("the stock service is down")

        subscribe(ProductViewed, out_of_stock_alert, on_error="log")
        url = serve(StaticFilesHandler(get_wsgi_application()))
        chromium.get(url + product.get_absolute_url())
        wait = WebDriverWait(chromium, 30)
        # django-debug-toolbar draws itself in a shadow root.
        root = wait.until(
            lambda driver: driver.find_element(By.ID, "djDebugRoot").shadow_root
        )
        button = wait.until(
            lambda _: root.find_element(By.CSS_SELECTOR, "#djdt-EventsPanel a")
        )
        assert "1 event, 1 failure" in button.text
        button.click()
        table = wait.until(
            lambda _: root.find_element(By.CSS_SELECTOR, "#EventsPanel table.ce-events")
        )
        wait.until(lambda _: table.is_displayed())
        chromium.save_screenshot(
            str(Path(os.environ["OSCAR_SHOP_DIR"]) / "django-debug-toolbar.png")
        )

        rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
        assert ["product_viewed"] == [r.get_attribute("data-event") for r in rows]
        cells = rows[0].find_elements(By.TAG_NAME, "td")
        assert "delivered" == cells[2].text
        assert "ProductDetailView" in cells[3].text
        assert "product = <Product: Enamel mug>" in cells[4].text
        assert "request = <WSGIRequest>" in cells[4].text  # by type only
        calls = [c.text for c in rows[0].find_elements(By.CSS_SELECTOR, "li.ce-call")]
        assert [
            "oscar.apps.analytics.receivers.receive_product_view",
            "oscar.apps.customer.receivers.receive_product_view",
            f"{__name__}.TestDebugToolbarPanel.test_panel_in_chromium."
            "<locals>.out_of_stock_alert",
        ] == [call.split(" ")[0] for call in calls]
        assert all(" ms" in call for call in calls)
        assert "failed: RuntimeError: the stock service is down" in calls[2]
        assert 'raise RuntimeError("the stock service is down")' in calls[2]
