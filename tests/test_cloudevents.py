"""Tests for commerce_events.cloudevents: CloudEvents 1.0 envelopes."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from contextlib import nullcontext
from decimal import Decimal
from functools import partial
from typing import Any

import attrs
import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http
from cloudevents.core.formats.json import JSONFormat
from hypothesis import given, reject, settings
from hypothesis import strategies as st

import commerce_events
from commerce_events import (
    EventMetadata,
    OrderPlaced,
    PostCheckout,
    ProductSearch,
    ReviewAdded,
    catalogue,
    emit,
    event,
    field,
    request_context,
    subscribe,
)
from commerce_events import _serialization_hooks as hooks
from commerce_events.cloudevents import (
    CONTENT_TYPE,
    SPECVERSION,
    EnvelopeError,
    envelope_metadata,
    event_type,
    from_cloudevent,
    to_cloudevent,
)
from commerce_events.domain import Order
from commerce_events.exceptions import (
    NotAPayloadError,
    PayloadError,
    SerializationError,
)
from commerce_events.schema import json_schema
from commerce_events.serialization import register_identity, to_dict
from commerce_events.testing.strategies import DomainStandIn, payloads

BUILT_IN = tuple(
    spec.payload_type
    for spec in catalogue()
    if spec.payload_type.__module__.startswith("commerce_events.")
)


@attrs.frozen
class Refund:
    """A nested attrs class."""

    amount: Decimal
    reference: uuid.UUID


@event("test_cloudevents_refund_issued")
class RefundIssued:
    """An event with exact values: money, ids and times."""

    order: Order = field(doc="The refunded order")
    refunds: tuple[Refund, ...] = field(doc="What was refunded")
    at: dt.datetime = field(doc="When")


FINITE_DECIMALS = st.decimals(allow_nan=False, allow_infinity=False)
AWARE = st.datetimes(timezones=st.just(dt.UTC)) | st.datetimes(
    timezones=st.builds(
        dt.timezone, st.sampled_from([dt.timedelta(hours=h) for h in (-5, 2, 9)])
    )
)
REFUNDED = payloads(
    RefundIssued,
    refunds=st.lists(st.builds(Refund, FINITE_DECIMALS, st.uuids()), max_size=3).map(
        tuple
    ),
    at=AWARE,
)

SDK_HEADERS = {"content-type": "application/cloudevents+json"}


def sdk_parse(envelope: dict[str, Any]) -> Any:
    """Parse an envelope with the official CloudEvents SDK, as a service would."""
    return from_http(
        HTTPMessage(SDK_HEADERS, json.dumps(envelope).encode()), JSONFormat()
    )


class Thing:
    """A domain object with a primary key."""

    def __init__(self, pk: Any) -> None:
        self.pk = pk

    def __eq__(self, other: object) -> bool:
        return type(other) is Thing and other.pk == self.pk

    __hash__ = None  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def _identities() -> Iterator[None]:
    """Every test starts and ends with the same identity hooks."""
    saved = dict(hooks._hooks)
    yield
    hooks._hooks.clear()
    hooks._hooks.update(saved)


def _stand_in(domain: str, key: object) -> DomainStandIn:
    if type(key) is not int:
        raise TypeError(f"a stand-in key is an int, got {key!r}")
    return DomainStandIn(domain, key)


def register_stand_ins() -> None:
    """Serialize the testing toolkit's domain stand-ins by their key."""
    for name, marker in commerce_events._domain._known.items():
        if not marker.sensitive:
            register_identity(name, dump=lambda o: o.key, load=partial(_stand_in, name))


def envelope(**changes: Any) -> dict[str, Any]:
    """A valid envelope of order_placed, with *changes* (None removes)."""
    result = to_cloudevent(OrderPlaced(order=42), source="/shop/web")
    for name, value in changes.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


class TestEventType:
    def test_default_prefix(self):
        """The type is <prefix>.<name>.v<version>."""
        assert "commerce_events.order_placed.v1" == event_type(OrderPlaced)

    def test_by_name_and_alias(self):
        """An alias gives the event's own name."""
        assert "com.myshop.review_added.v1" == event_type(
            "review_created", type_prefix="com.myshop"
        )

    @pytest.mark.parametrize("prefix", ["", "com..shop", "com.shop.", "a b"])
    def test_bad_prefix(self, prefix):
        """A prefix is dot-separated words."""
        with pytest.raises(ValueError, match="type_prefix"):
            event_type(OrderPlaced, type_prefix=prefix)


class TestToCloudEvent:
    def test_attributes(self):
        """An envelope has every CloudEvents attribute, and the data."""
        result = to_cloudevent(OrderPlaced(order=42, user=7), source="/shop/web")

        assert {
            "specversion",
            "id",
            "source",
            "type",
            "subject",
            "time",
            "datacontenttype",
            "dataschema",
            "data",
        } == set(result)
        assert SPECVERSION == result["specversion"]
        assert "/shop/web" == result["source"]
        assert "commerce_events.order_placed.v1" == result["type"]
        assert "42" == result["subject"]
        assert CONTENT_TYPE == result["datacontenttype"]
        assert json_schema(OrderPlaced)["$id"] == result["dataschema"]
        assert {"order": 42, "user": 7} == result["data"]
        assert result["time"].endswith("Z")
        uuid.UUID(result["id"])

    def test_json_data(self):
        """The envelope is JSON data."""
        result = to_cloudevent(OrderPlaced(order=42), source="/shop/web")

        assert result == json.loads(json.dumps(result))

    def test_new_id_outside_an_emit(self):
        """Outside any emit, each envelope gets a new id and the current time."""
        before = dt.datetime.now(dt.UTC)
        first = to_cloudevent(OrderPlaced(order=1), source="/s")
        second = to_cloudevent(OrderPlaced(order=1), source="/s")

        assert first["id"] != second["id"]
        assert before <= dt.datetime.fromisoformat(first["time"])

    def test_reuses_the_emits_id_and_time(self):
        """Built while the event is delivered, it carries the emit's id and time."""
        built: list[tuple[dict[str, Any], EventMetadata]] = []

        @subscribe(OrderPlaced, with_metadata=True)
        def wrap(payload: OrderPlaced, metadata: EventMetadata) -> None:
            built.append((to_cloudevent(payload, source="/s"), metadata))

        emit(OrderPlaced(order=1))

        [(result, metadata)] = built
        assert str(metadata.id) == result["id"]
        assert metadata.time == dt.datetime.fromisoformat(result["time"])

    def test_other_events_metadata_not_reused(self):
        """A subscriber wrapping another event's payload gets a new id, and a cause."""
        built: list[tuple[dict[str, Any], EventMetadata]] = []

        @subscribe(OrderPlaced, with_metadata=True)
        def wrap(payload: OrderPlaced, metadata: EventMetadata) -> None:
            then = PostCheckout(order=payload.order)
            built.append((to_cloudevent(then, source="/s"), metadata))

        emit(OrderPlaced(order=1))

        [(result, metadata)] = built
        assert str(metadata.id) != result["id"]
        assert str(metadata.id) == result["causationid"]

    def test_explicit_metadata(self):
        """Given metadata is used as is, its cause included."""
        metadata = EventMetadata(
            uuid.uuid4(),
            dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
            "order_placed",
            uuid.uuid4(),
        )

        result = to_cloudevent(OrderPlaced(order=1), source="/s", metadata=metadata)

        assert str(metadata.id) == result["id"]
        assert "2026-05-01T00:00:00Z" == result["time"]
        assert str(metadata.cause) == result["causationid"]

    def test_subject(self):
        """The subject may be given; without a domain identity there is none."""
        assert (
            "order 42"
            == to_cloudevent(OrderPlaced(order=42), source="/s", subject="order 42")[
                "subject"
            ]
        )
        assert "subject" not in to_cloudevent(ProductSearch(query="mug"), source="/s")

    def test_type_prefix(self):
        """The prefix is the caller's."""
        result = to_cloudevent(
            OrderPlaced(order=1), source="/s", type_prefix="com.myshop"
        )

        assert "com.myshop.order_placed.v1" == result["type"]

    @pytest.mark.parametrize("source", ["", None, 42])
    def test_source_required(self, source):
        """The source is a non-empty string."""
        with pytest.raises(ValueError, match="source"):
            to_cloudevent(OrderPlaced(order=1), source=source)

    def test_not_a_payload(self):
        """Only registered payloads are wrapped."""
        with pytest.raises(NotAPayloadError):
            to_cloudevent({"order": 1}, source="/s")

    def test_unserializable(self):
        """A payload that cannot be serialized is not wrapped."""
        with pytest.raises(SerializationError):
            to_cloudevent(OrderPlaced(order=object()), source="/s")

    def test_sdk_reads_it(self):
        """The official CloudEvents SDK parses the envelope, attribute by attribute."""
        result = to_cloudevent(
            OrderPlaced(order=42),
            source="/shop/web",
            metadata=EventMetadata(
                uuid.uuid4(), dt.datetime.now(dt.UTC), "order_placed", uuid.uuid4()
            ),
        )

        parsed = sdk_parse(result)

        assert result["id"] == parsed.get_id()
        assert result["source"] == parsed.get_source()
        assert result["type"] == parsed.get_type()
        assert result["subject"] == parsed.get_subject()
        assert result["datacontenttype"] == parsed.get_datacontenttype()
        assert dt.datetime.fromisoformat(result["time"]) == parsed.get_time()
        assert result["causationid"] == parsed.get_extension("causationid")
        assert result["data"] == parsed.get_data()


class TestFromCloudEvent:
    def test_round_trip(self):
        """An envelope reads back into an equal, typed payload."""
        register_identity("order", load=Thing)

        payload = from_cloudevent(
            to_cloudevent(OrderPlaced(order=Thing(42)), source="/s")
        )

        assert OrderPlaced(order=Thing(42)) == payload

    @pytest.mark.parametrize("encode", [json.dumps, lambda e: json.dumps(e).encode()])
    def test_json_text(self, encode):
        """An envelope may be given as JSON text or bytes."""
        assert OrderPlaced(order=42) == from_cloudevent(encode(envelope()))

    def test_expected_class(self):
        """The expected class is checked."""
        with pytest.raises(EnvelopeError) as error:
            from_cloudevent(envelope(), ProductSearch)

        assert ["type"] == list(error.value.fields)
        assert OrderPlaced(order=42) == from_cloudevent(envelope(), OrderPlaced)

    @pytest.mark.parametrize(
        ("changes", "attribute"),
        [
            ({"specversion": "0.3"}, "specversion"),
            ({"specversion": None}, "specversion"),
            ({"id": ""}, "id"),
            ({"id": None}, "id"),
            ({"source": 3}, "source"),
            ({"type": None}, "type"),
            ({"type": "order_placed"}, "type"),
            ({"type": "other.order_placed.v1"}, "type"),
            ({"type": "commerce_events.order_placed.v2"}, "type"),
            ({"type": "commerce_events.no_such_event.v1"}, "type"),
            ({"datacontenttype": "application/xml"}, "datacontenttype"),
            ({"data": None}, "data"),
            ({"data": ["order", 42]}, "data"),
            ({"data_base64": "AAAA"}, "data_base64"),
            ({"time": "yesterday"}, "time"),
            ({"time": "2026-05-01T12:00:00"}, "time"),
            ({"causationid": "nope"}, "causationid"),
        ],
    )
    def test_malformed(self, changes, attribute):
        """A malformed envelope is an EnvelopeError naming the attribute."""
        with pytest.raises(EnvelopeError) as error:
            from_cloudevent(envelope(**changes))

        assert attribute in error.value.fields
        assert isinstance(error.value, ValueError)

    @pytest.mark.parametrize("text", ["{", "[1]", "42"])
    def test_not_an_object(self, text):
        """Text that is not a JSON object is refused as a whole."""
        with pytest.raises(EnvelopeError) as error:
            from_cloudevent(text)

        assert ["<envelope>"] == list(error.value.fields)

    def test_every_problem_at_once(self):
        """Every malformed attribute is named in one error."""
        with pytest.raises(EnvelopeError) as error:
            from_cloudevent(envelope(specversion="2.0", id=None, data=None))

        assert {"specversion", "id", "data"} == set(error.value.fields)

    def test_unknown_event_is_not_imported(self):
        """An unknown type names the event, and nothing is imported."""
        with pytest.raises(EnvelopeError) as error:
            from_cloudevent(envelope(type="commerce_events.os.v1"))

        assert "no event is registered as 'os'" in error.value.fields["type"]

    def test_alias_type(self):
        """An envelope typed with an alias is read too."""
        result = envelope(type="commerce_events.review_created.v1", data={"review": 3})

        assert ReviewAdded(review=3) == from_cloudevent(result)

    def test_other_json_content_types(self):
        """Any JSON content type, with parameters, is data this process reads."""
        result = envelope(datacontenttype="application/vnd.shop+json; charset=utf-8")

        assert OrderPlaced(order=42) == from_cloudevent(result)

    def test_invalid_data(self):
        """Invalid data is a PayloadError, by path."""
        with pytest.raises(PayloadError) as error:
            from_cloudevent(envelope(data={"order": None}))

        assert ["order"] == list(error.value.fields)

    def test_unknown_data_fields_ignored(self):
        """Fields added by a newer producer are ignored by default."""
        result = envelope(data={"order": 42, "coupon": "SPRING"})

        assert OrderPlaced(order=42) == from_cloudevent(result)
        with pytest.raises(PayloadError):
            from_cloudevent(result, unknown="reject")

    def test_other_prefix(self):
        """The prefix to expect is the caller's."""
        result = to_cloudevent(
            OrderPlaced(order=1), source="/s", type_prefix="com.myshop"
        )

        assert OrderPlaced(order=1) == from_cloudevent(result, type_prefix="com.myshop")
        with pytest.raises(EnvelopeError):
            from_cloudevent(result)


class TestEnvelopeMetadata:
    def test_id_time_and_cause(self):
        """The metadata is the envelope's id, time, event and cause."""
        metadata = EventMetadata(
            uuid.uuid4(),
            dt.datetime(2026, 5, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "order_placed",
            uuid.uuid4(),
        )

        read = envelope_metadata(
            to_cloudevent(OrderPlaced(order=1), source="/s", metadata=metadata)
        )

        assert metadata == read

    def test_foreign_ids(self):
        """An id that is not a UUID gives a stable UUID, per source."""
        first = envelope_metadata(envelope(id="evt-1"))
        again = envelope_metadata(envelope(id="evt-1"))
        elsewhere = envelope_metadata(envelope(id="evt-1", source="/other"))

        assert first.id == again.id
        assert first.id != elsewhere.id

    def test_missing_time_is_now(self):
        """An envelope without time is taken as happening now."""
        before = dt.datetime.now(dt.UTC)

        assert before <= envelope_metadata(envelope(time=None)).time

    def test_malformed(self):
        """Malformed envelopes are refused here too."""
        with pytest.raises(EnvelopeError):
            envelope_metadata(envelope(specversion="0.3"))


def _strategy(payload_type: type[Any]) -> Any:
    return REFUNDED if payload_type is RefundIssued else payloads(payload_type)


class TestProperties:
    @pytest.mark.parametrize(
        "payload_type", [*BUILT_IN, RefundIssued], ids=lambda t: t.__name__
    )
    @settings(max_examples=max(5, settings.default.max_examples // 10))
    @given(data=st.data())
    def test_envelopes_round_trip(self, payload_type, data):
        """Every payload survives the envelope, through JSON and the SDK, exactly."""
        register_stand_ins()
        payload = data.draw(_strategy(payload_type))
        try:
            result = to_cloudevent(payload, source="/shop/web")
        except SerializationError:
            reject()  # see tests/test_serialization.py for what is refused

        parsed = sdk_parse(json.loads(json.dumps(result)))
        context = getattr(payload, "request", None)
        with request_context(context) if context is not None else nullcontext():
            rebuilt = from_cloudevent(json.dumps(result))

        assert result["data"] == parsed.get_data()
        assert result["type"] == parsed.get_type()
        assert to_dict(payload) == to_dict(rebuilt)
        assert _without_response(payload) == rebuilt


def _without_response(payload: Any) -> Any:
    """The payload as rebuilt in its own request: only the response and the
    session (sensitive, not serialized, not in the request context) are lost."""
    fields = attrs.fields_dict(type(payload))
    lost = {name: None for name in ("response", "session") if name in fields}
    return attrs.evolve(payload, **lost) if lost else payload
