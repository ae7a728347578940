"""Where each event version's schema lives: the base URI and the ids."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from commerce_events import OrderPlaced, signal
from commerce_events._schema_ids import (
    DEFAULT_SCHEMA_BASE_URI,
    schema_base_uri,
    schema_id,
    schema_path,
    set_schema_base_uri,
)


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    before = schema_base_uri()
    yield
    set_schema_base_uri(before)


def test_default():
    """A stable URN until a shop says where it serves its schemas."""
    assert DEFAULT_SCHEMA_BASE_URI == schema_base_uri()
    assert "urn:commerce-events:schema:order_placed/v1.json" == schema_id(
        signal(OrderPlaced).spec
    )


def test_configured():
    set_schema_base_uri("https://schemas.shop.example/events/")

    assert "order_placed/v1.json" == schema_path(signal(OrderPlaced).spec)
    assert "https://schemas.shop.example/events/order_placed/v1.json" == schema_id(
        signal(OrderPlaced).spec
    )


@pytest.mark.parametrize(
    "uri",
    [
        "/events/",  # relative
        "https://schemas.shop.example/events",  # no trailing slash
        "https://schemas shop/",  # a space
        "",
        None,
    ],
)
def test_refused(uri):
    with pytest.raises(ValueError) as error:
        set_schema_base_uri(uri)

    assert (
        "the schema base URI must be an absolute URI ending with '/' "
        f"(https://schemas.myshop.example/events/), got {uri!r}"
    ) == str(error.value)
    assert DEFAULT_SCHEMA_BASE_URI == schema_base_uri()
