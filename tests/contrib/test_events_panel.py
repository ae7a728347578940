"""What the panels show, from real emits: rows and their HTML."""

from __future__ import annotations

import pytest

from commerce_events import (
    BasketViewed,
    ProductSearch,
    ProductViewed,
    deferred,
    emit,
    muted,
    subscribe,
)
from commerce_events.contrib._events_panel import recorder, render, rows, summary


def recorded(run: object) -> list[dict[str, object]]:
    token = recorder.start()
    try:
        run()  # type: ignore[operator]
    finally:
        deliveries = recorder.stop(token)
    return rows(deliveries)


def test_delivered_muted_deferred_failed() -> None:
    def broken(event: ProductSearch) -> None:
        raise LookupError("no search index")

    subscribe(ProductSearch, broken, on_error="log")

    def view() -> None:
        emit(ProductViewed(product="MUG-1", request=object()), sender="view")
        with muted(BasketViewed):
            emit(BasketViewed(basket="basket-1"), sender="view")
        with deferred():
            emit(ProductSearch(query="mug", session={"secret": 1}), sender="view")
            emit(ProductViewed(product="TEA-1"), sender="view")

    shown = recorded(view)

    assert [
        (1, "product_viewed", "delivered"),
        (2, "basket_viewed", "muted"),
        (3, "product_search", "deferred, delivered"),
        (4, "product_viewed", "deferred, delivered"),
    ] == [(r["index"], r["event"], r["status"]) for r in shown]
    assert ("request", "<object>") in shown[0]["fields"]
    assert ("session", "<dict>") in shown[2]["fields"]  # never its content
    assert [] == shown[1]["calls"]
    (call,) = shown[2]["calls"]
    assert call["name"].endswith("test_delivered_muted_deferred_failed.<locals>.broken")
    assert "LookupError: no search index" == call["error"]
    assert 'raise LookupError("no search index")' in call["traceback"]
    assert "4 events, 1 failure" == summary(shown)


def test_render_escapes() -> None:
    shown = recorded(
        lambda: emit(ProductViewed(product="<script>alert(1)</script>"), sender="<b>")
    )

    html = render(shown)

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'data-event="product_viewed"' in html


def test_only_the_recording_context() -> None:
    """Outside a recording nothing is kept; recordings do not leak."""
    emit(ProductViewed(product="MUG-1"), sender="elsewhere")

    assert [] == recorded(lambda: None)


def test_nothing_recorded() -> None:
    assert "No commerce_events event in this request." in render([])
    assert "0 events" == summary([])


@pytest.mark.parametrize("count", [1, 2])
def test_summary_plural(count: int) -> None:
    shown = recorded(
        lambda: [emit(ProductViewed(product="MUG-1"), sender="v") for _ in range(count)]
    )

    assert f"{count} event{'s' if count > 1 else ''}" == summary(shown)
