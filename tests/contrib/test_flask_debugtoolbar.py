"""The Flask-DebugToolbar panel, on the example Flask shop, in a real headless Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("flask_debugtoolbar", reason="Flask-DebugToolbar is not installed")
pytest.importorskip("asgiref", reason="the example shop needs flask[async]")

import flask_shop
from flask_debugtoolbar import DebugToolbarExtension
from shop.domain import Store


def test_panel_in_chromium(serve: Any, chromium: Any, tmp_path: Path) -> None:
    """The product page's event, its fields (the response by type only), and
    the shop's subscribers that ran, with their times."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    app = flask_shop.create_app(Store())
    app.debug = True
    app.config["DEBUG_TB_PANELS"] = [
        "flask_debugtoolbar.panels.timer.TimerDebugPanel",
        "commerce_events.contrib.flask_debugtoolbar.EventsPanel",
    ]
    app.config["DEBUG_TB_INTERCEPT_REDIRECTS"] = False
    DebugToolbarExtension(app)
    url = serve(app)

    chromium.get(url + "/products/MUG-1")
    wait = WebDriverWait(chromium, 30)
    button = wait.until(
        expected_conditions.element_to_be_clickable(
            (By.CSS_SELECTOR, "a.flDebugCommerceEventsPanel")
        )
    )
    assert "1 event" in button.text
    button.click()
    table = wait.until(
        expected_conditions.visibility_of_element_located(
            (By.CSS_SELECTOR, "#flDebugCommerceEventsPanel-content table.ce-events")
        )
    )
    chromium.save_screenshot(str(tmp_path / "flask-debugtoolbar.png"))

    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert ["product_viewed"] == [r.get_attribute("data-event") for r in rows]
    cells = rows[0].find_elements(By.TAG_NAME, "td")
    assert ("1", "product_viewed", "delivered") == tuple(c.text for c in cells[:3])
    assert "product_detail" in cells[3].text
    assert "response = <Response>" in cells[4].text
    calls = [c.text for c in rows[0].find_elements(By.CSS_SELECTOR, "li.ce-call")]
    assert [
        "shop.subscribers.record_product_view",
        "shop.subscribers.remember_viewed_product",
        "shop.subscribers.forward_to_ga4",
    ] == [call.split(" ")[0] for call in calls]
    assert all(call.endswith(" ms") for call in calls)
