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
from cloudevents.core.bindings import amqp, kafka
from cloudevents.core.bindings.http import HTTPMessage
from cloudevents.core.bindings.http import from_http as sdk_from_http
from cloudevents.core.formats.json import JSONFormat
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

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
    DEFAULT_TYPE_PREFIX,
    SPECVERSION,
    EnvelopeError,
    envelope_from_http,
    envelope_metadata,
    event_type,
    from_cloudevent,
    from_http,
    from_sdk_event,
    get_type_prefix,
    set_type_prefix,
    to_cloudevent,
    to_http_binary,
    to_sdk_event,
)
from commerce_events.domain import Order
from commerce_events.exceptions import (
    NotAPayloadError,
    PayloadError,
    SerializationError,
)
from commerce_events.forwarding import consume_envelope, forward
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
    return sdk_from_http(
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
        assert "io.commerce-events.order_placed.v1" == event_type(OrderPlaced)

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
        assert "io.commerce-events.order_placed.v1" == result["type"]
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
            ({"type": "io.commerce-events.order_placed.v2"}, "type"),
            ({"type": "io.commerce-events.no_such_event.v1"}, "type"),
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
            from_cloudevent(envelope(type="io.commerce-events.os.v1"))

        assert "no event is registered as 'os'" in error.value.fields["type"]

    def test_alias_type(self):
        """An envelope typed with an alias is read too."""
        result = envelope(
            type="io.commerce-events.review_created.v1", data={"review": 3}
        )

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


# -- the type prefix ---------------------------------------------------------------


@pytest.fixture
def type_prefix() -> Iterator[None]:
    """The test may set the process's type prefix; it is put back after."""
    saved = get_type_prefix()
    yield
    set_type_prefix(saved)


@pytest.mark.usefixtures("type_prefix")
class TestTypePrefix:
    def test_default_is_reverse_dns(self):
        assert "io.commerce-events" == DEFAULT_TYPE_PREFIX == get_type_prefix()
        assert "io.commerce-events.order_placed.v1" == envelope()["type"]

    def test_set_for_the_process(self):
        """Writers and readers given no type_prefix use the process's."""
        set_type_prefix("com.myshop")
        written = to_cloudevent(OrderPlaced(order=42), source="/shop/web")
        assert "com.myshop.order_placed.v1" == written["type"]
        assert "com.myshop.order_placed.v1" == event_type(OrderPlaced)
        assert OrderPlaced(order=42) == from_cloudevent(written, OrderPlaced)
        assert written["id"] == str(envelope_metadata(written).id)
        set_type_prefix("com.othershop")
        with pytest.raises(EnvelopeError, match=r"expected com\.othershop\."):
            from_cloudevent(written)

    def test_explicit_prefix_wins(self):
        set_type_prefix("com.myshop")
        written = to_cloudevent(OrderPlaced(order=42), source="/s", type_prefix="x.y")
        assert "x.y.order_placed.v1" == written["type"]
        assert OrderPlaced(order=42) == from_cloudevent(written, type_prefix="x.y")

    def test_forward_and_consume_read_it_when_they_run(self):
        """Set after forward() and the consumer were made: it still applies."""
        target = Collect()
        sent = target.sent
        received: list[OrderPlaced] = []
        with forward(OrderPlaced, to=target):
            set_type_prefix("com.myshop")
            emit(OrderPlaced(order=42))
        assert "com.myshop.order_placed.v1" == sent[0]["type"]
        subscribe(OrderPlaced, received.append)
        consume_envelope(sent[0])
        assert [OrderPlaced(order=42)] == received

    def test_the_old_prefix_kept(self):
        """0.1's envelopes, read and written by a process that keeps its prefix."""
        old = envelope(type="commerce_events.order_placed.v1")
        with pytest.raises(EnvelopeError, match="type"):
            from_cloudevent(old)
        set_type_prefix("commerce_events")
        assert OrderPlaced(order=42) == from_cloudevent(old)
        assert "commerce_events.order_placed.v1" == envelope()["type"]

    @pytest.mark.parametrize("prefix", ["", "com..shop", "a b", None, 42])
    def test_bad_prefix_refused(self, prefix):
        with pytest.raises(ValueError, match="type_prefix"):
            set_type_prefix(prefix)
        assert DEFAULT_TYPE_PREFIX == get_type_prefix()


# -- source and time, both ways -----------------------------------------------------

BAD_SOURCES = [
    "shop web",
    "/shop/caf\u00e9",
    "/shop\n",
    "1shop:web",
    "/a#b#c",
    "/a%zz",
    "x" * 5000,
]
GOOD_SOURCES = [
    "/shop/web",
    "https://shop.example/checkout?step=2#payment",
    "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
    "mailto:shop@example.com",
    "//shop.example/web",
    "shop/web",
    "/caf%C3%A9",
]
BAD_TIMES = [
    "2026-05-01",
    "2026-05-01T10:00:00",
    "2026-05-01 10:00:00Z",
    "20260501T100000Z",
    "2026-05-01T10:00:00+0100",
    "2026-13-01T10:00:00Z",
    "2026-05-01T10:00Z",
    "yesterday",
    1714557600,
]
GOOD_TIMES = [
    "2026-05-01T10:00:00Z",
    "2026-05-01T10:00:00.123456Z",
    "2026-05-01t10:00:00z",
    "2026-05-01T12:00:00+02:00",
    "2026-05-01T05:00:00.5-05:00",
]


class Collect:
    """A forwarder keeping what it is sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, envelope: Any) -> None:
        self.sent.append(dict(envelope))


class TestSourceAndTime:
    @pytest.mark.parametrize("source", BAD_SOURCES)
    def test_bad_source_refused_when_writing(self, source):
        with pytest.raises(EnvelopeError, match="source") as caught:
            to_cloudevent(OrderPlaced(order=42), source=source)
        assert ["source"] == list(caught.value.fields)
        with pytest.raises(EnvelopeError, match="source"):
            forward(OrderPlaced, to=Collect(), source=source)

    @pytest.mark.parametrize("source", BAD_SOURCES)
    def test_bad_source_refused_when_reading(self, source):
        with pytest.raises(EnvelopeError) as caught:
            from_cloudevent(envelope(source=source))
        assert "source" in caught.value.fields

    @pytest.mark.parametrize("source", GOOD_SOURCES)
    def test_uri_references(self, source):
        written = to_cloudevent(OrderPlaced(order=42), source=source)
        assert OrderPlaced(order=42) == from_cloudevent(written)

    @pytest.mark.parametrize("time", BAD_TIMES)
    def test_bad_time_refused_when_reading(self, time):
        with pytest.raises(EnvelopeError) as caught:
            from_cloudevent(envelope(time=time))
        assert ["time"] == list(caught.value.fields)
        assert "RFC 3339" in caught.value.fields["time"]

    @pytest.mark.parametrize("time", GOOD_TIMES)
    def test_rfc3339_times(self, time):
        read = envelope_metadata(envelope(time=time))
        assert read.time == dt.datetime.fromisoformat(time.upper())

    def test_naive_time_refused_when_writing(self):
        metadata = EventMetadata(uuid.uuid4(), dt.datetime(2026, 5, 1), "order_placed")
        with pytest.raises(EnvelopeError) as caught:
            to_cloudevent(OrderPlaced(order=42), source="/s", metadata=metadata)
        assert ["time"] == list(caught.value.fields)


# -- bindings: HTTP binary mode, Kafka, AMQP, through the official SDK -----------------


def binding_app() -> Starlette:
    """A service receiving CloudEvents over HTTP, in either mode."""

    async def receive(request: Request) -> JSONResponse:
        try:
            payload = from_http(request.headers, await request.body(), OrderPlaced)
        except EnvelopeError as exc:
            return JSONResponse({"error": sorted(exc.fields)}, status_code=400)
        envelope = envelope_from_http(request.headers, await request.body())
        return JSONResponse(
            {
                "order": payload.order,
                "id": envelope["id"],
                "attributes": sorted(k for k in envelope if k != "data"),
            }
        )

    return Starlette(routes=[Route("/events", receive, methods=["POST"])])


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(binding_app()) as client:
        yield client


class TestHttpBinary:
    def test_headers_and_body(self):
        written = envelope(
            causationid=str(uuid.uuid4()),
            traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01",
        )
        headers, body = to_http_binary(written)
        assert written["data"] == json.loads(body)
        assert "application/json" == headers["content-type"]
        for name in ("id", "source", "type", "specversion", "time", "subject"):
            assert written[name] == headers[f"ce-{name}"]
        assert written["causationid"] == headers["ce-causationid"]
        assert written["traceparent"] == headers["ce-traceparent"]

    def test_round_trip_through_a_real_http_app(self, client):
        written = envelope(subject="Bestellung f\u00fcr M\u00fcller, 42%")
        headers, body = to_http_binary(written)
        response = client.post("/events", headers=headers, content=body)
        assert 200 == response.status_code, response.text
        assert 42 == response.json()["order"]
        assert written["id"] == response.json()["id"]
        assert (
            sorted(k for k in written if k != "data") == response.json()["attributes"]
        )
        read = envelope_from_http(headers, body)
        assert written == read

    def test_structured_mode_read_too(self, client):
        written = envelope()
        response = client.post(
            "/events",
            headers={"content-type": "application/cloudevents+json"},
            content=json.dumps(written).encode(),
        )
        assert 200 == response.status_code, response.text
        assert written["id"] == response.json()["id"]

    def test_the_same_event_in_both_modes(self):
        written = envelope()
        headers, body = to_http_binary(written)
        structured = envelope_from_http(
            {"Content-Type": "application/cloudevents+json"},
            json.dumps(written).encode(),
        )
        assert envelope_from_http(headers, body) == structured == written

    @pytest.mark.parametrize(
        ("change", "attribute"),
        [
            ({"ce-time": "2026-05-01 10:00:00"}, "time"),
            ({"ce-source": "shop%20web"}, "source"),
            ({"ce-type": "com.other.order_placed.v1"}, "type"),
        ],
    )
    def test_bad_headers_refused(self, client, change, attribute):
        headers, body = to_http_binary(envelope())
        response = client.post("/events", headers={**headers, **change}, content=body)
        assert 400 == response.status_code
        assert [attribute] == response.json()["error"]

    def test_missing_attribute_refused(self):
        headers, body = to_http_binary(envelope())
        del headers["ce-id"]
        with pytest.raises(EnvelopeError, match="id"):
            envelope_from_http(headers, body)

    @pytest.mark.parametrize(
        "body", [b"not json", b"[1, 2]", b"[" * 100_000, b" " * (2 << 20)]
    )
    def test_bad_bodies_refused(self, body):
        headers, _ = to_http_binary(envelope())
        with pytest.raises(EnvelopeError):
            from_http(headers, body)

    def test_bad_envelope_refused_when_writing(self):
        with pytest.raises(EnvelopeError, match="time"):
            to_http_binary(envelope(time="2026-05-01"))
        with pytest.raises(EnvelopeError, match="source"):
            to_http_binary(envelope(source="shop web"))

    def test_sdk_refusals_name_the_attribute(self):
        with pytest.raises(EnvelopeError) as caught:
            to_sdk_event(envelope(id=None))
        assert "id" in caught.value.fields


class TestOtherBindings:
    def test_kafka_binary_mode(self):
        written = envelope()
        message = kafka.to_binary(to_sdk_event(written), JSONFormat())
        assert written["type"].encode() == message.headers["ce_type"]
        assert written["data"] == json.loads(message.value)
        read = from_sdk_event(kafka.from_binary(message, JSONFormat()))
        assert OrderPlaced(order=42) == from_cloudevent(read)
        assert written == read

    def test_amqp_binary_mode(self):
        written = envelope()
        message = amqp.to_binary(to_sdk_event(written), JSONFormat())
        read = from_sdk_event(amqp.from_binary(message, JSONFormat()))
        # AMQP timestamps are milliseconds: the time loses its microseconds.
        sent, received = (envelope_metadata(e).time for e in (written, read))
        assert abs(sent - received) < dt.timedelta(milliseconds=1)
        assert {**written, "time": read["time"]} == read
