"""Tests for commerce_events.serialization: payloads as JSON data, and back."""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import uuid
from collections.abc import Iterator
from decimal import Decimal
from functools import partial
from typing import Annotated, Any, Literal

import attrs
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

import commerce_events
from commerce_events import (
    OrderPlaced,
    ProductSearch,
    ProductViewed,
    ReviewAdded,
    StartCheckout,
    catalogue,
    event,
    field,
    request_context,
)
from commerce_events import _serialization_hooks as hooks
from commerce_events.domain import Domain, Product, Request, User
from commerce_events.exceptions import (
    NotAPayloadError,
    PayloadError,
    UnknownDomainError,
    UnknownEventError,
)
from commerce_events.schema import json_schema
from commerce_events.serialization import (
    SerializationError,
    from_dict,
    register_identity,
    reset_identities,
    to_dict,
)
from commerce_events.testing.strategies import DomainStandIn, payloads

BUILT_IN = tuple(
    spec.payload_type
    for spec in catalogue()
    if spec.payload_type.__module__.startswith("commerce_events.")
)


class Colour(str, enum.Enum):  # noqa: UP042 - the str-mixin case, on purpose
    """A str-mixin enum: written as its value."""

    RED = "red"
    BLUE = "blue"


class Size(enum.Enum):
    """A plain enum with int values."""

    SMALL = 1
    LARGE = 2


@attrs.frozen
class Line:
    """A nested attrs class."""

    sku: str
    quantity: int
    price: Decimal
    note: str | None = None


@event("test_serialization_kitchen_sink")
class KitchenSink:
    """Every kind of annotation the serializer supports."""

    text: str = field(doc="a string")
    count: int = field(doc="an int")
    ratio: float = field(doc="a float")
    flag: bool = field(doc="a bool")
    price: Decimal = field(doc="money")
    ref: uuid.UUID = field(doc="a UUID")
    when: dt.datetime = field(doc="an aware datetime")
    day: dt.date = field(doc="a date")
    colour: Colour = field(doc="a str enum")
    size: Size = field(doc="an int enum")
    channel: Literal["web", "shop", 3] = field(doc="a Literal")
    lines: tuple[Line, ...] = field(doc="nested attrs classes")
    tags: list[str] = field(doc="a list")
    codes: frozenset[int] = field(doc="a frozenset")
    pair: tuple[int, str] = field(doc="a fixed tuple")
    stock: dict[str, int] = field(doc="a mapping")
    either: int | str = field(doc="a union")
    product: Product = field(doc="a domain object")
    first_line: Line | None = field(default=None, doc="an optional nested class")
    user: User | None = field(default=None, doc="an optional domain object")
    request: Request | None = field(default=None, doc="never serialized")


@event("test_serialization_loose")
class Loose:
    """Fields of any type carry JSON data as is."""

    data: Any = field(doc="anything")
    extra: object = field(default=None, doc="anything too")


CUSTOM = (KitchenSink, Loose)

AWARE = st.datetimes(
    timezones=st.builds(
        dt.timezone,
        st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: dt.timedelta(minutes=m)),
    )
)

NOW = dt.datetime(
    2026, 5, 1, 12, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2))
)


class Thing:
    """A domain object with a primary key, like a Django model instance."""

    def __init__(self, pk: Any) -> None:
        self.pk = pk

    def __eq__(self, other: object) -> bool:
        return type(other) is Thing and other.pk == self.pk

    def __hash__(self) -> int:
        return hash(self.pk)

    def __repr__(self) -> str:
        return f"Thing({self.pk!r})"


class WithId:
    """A domain object with an id, like a SQLAlchemy row."""

    def __init__(self, id: Any) -> None:  # noqa: A002
        self.id = id


def sink(**changes: Any) -> KitchenSink:
    """A valid KitchenSink, with *changes*."""
    values: dict[str, Any] = {
        "text": "héllo",
        "count": 3,
        "ratio": 0.5,
        "flag": True,
        "price": Decimal("19.90"),
        "ref": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "when": NOW,
        "day": dt.date(2026, 5, 1),
        "colour": Colour.RED,
        "size": Size.LARGE,
        "channel": 3,
        "lines": (Line("MUG-1", 2, Decimal("4.50")),),
        "tags": ["a", "b"],
        "codes": frozenset({1, 2}),
        "pair": (1, "x"),
        "stock": {"MUG-1": 5},
        "either": "seven",
        "product": Thing(7),
    }
    values.update(changes)
    return KitchenSink(**values)


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
            register_identity(
                name,
                dump=lambda o: o.key,
                load=partial(_stand_in, name),
                schema={"type": "integer"},
            )


def _unserializable(value: Any) -> bool:
    """Whether *value* holds something JSON cannot carry exactly."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, Decimal):
        return not value.is_finite()
    if isinstance(value, dt.datetime):
        return value.utcoffset() is None
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_unserializable(v) for v in value)
    if isinstance(value, dict):
        return any(_unserializable(v) for v in value.values())
    if attrs.has(type(value)) and not isinstance(value, DomainStandIn):
        return any(
            _unserializable(getattr(value, a.name)) for a in attrs.fields(type(value))
        )
    return False


def _without_sensitive(payload: Any) -> Any:
    """The payload as rebuilt outside a request: sensitive fields are None."""
    spec = commerce_events.signal(type(payload)).spec
    changes = {f.name: None for f in spec.fields if f.sensitive and not f.required}
    return attrs.evolve(payload, **changes)


class TestToDict:
    def test_json_data(self):
        """The dict is JSON data: json.dumps takes it and gives it back equal."""
        data = to_dict(sink())

        assert data == json.loads(json.dumps(data, allow_nan=False))

    def test_every_value_kind(self):
        """Each kind of value is written as documented."""
        data = to_dict(sink())

        assert {
            "text": "héllo",
            "count": 3,
            "ratio": 0.5,
            "flag": True,
            "price": "19.90",
            "ref": "12345678-1234-5678-1234-567812345678",
            "when": "2026-05-01T12:30:15.123456+02:00",
            "day": "2026-05-01",
            "colour": "red",
            "size": 2,
            "channel": 3,
            "lines": [{"sku": "MUG-1", "quantity": 2, "price": "4.50", "note": None}],
            "tags": ["a", "b"],
            "codes": [1, 2],
            "pair": [1, "x"],
            "stock": {"MUG-1": 5},
            "either": "seven",
            "product": 7,
            "first_line": None,
            "user": None,
        } == data

    def test_sensitive_fields_left_out(self):
        """Requests and responses never appear in the dict, set or not."""
        data = to_dict(
            ProductViewed(product="MUG-1", request=object(), response=object())
        )

        assert {"product": "MUG-1", "user": None} == data

    def test_identity_is_pk_then_id(self):
        """Without a hook, a domain object is written as its pk, else its id."""
        assert {"order": 42, "user": "u-1"} == to_dict(
            OrderPlaced(order=Thing(42), user=WithId("u-1"))
        )

    def test_uuid_identity_as_string(self):
        """A UUID primary key is written as its string."""
        key = uuid.uuid4()

        assert {"order": str(key), "user": None} == to_dict(
            OrderPlaced(order=Thing(key))
        )

    def test_plain_identity(self):
        """A str or int passed as the domain value is its own identity."""
        assert {"order": "100042", "user": 7} == to_dict(
            OrderPlaced(order="100042", user=7)
        )

    def test_no_identity(self):
        """An object without pk or id is an error naming event, field and domain."""
        with pytest.raises(SerializationError) as error:
            to_dict(OrderPlaced(order=object()))

        assert "order_placed" == error.value.event
        assert OrderPlaced is error.value.payload_type
        assert ["order"] == list(error.value.fields)
        assert "register_identity('order', dump=...)" in error.value.fields["order"]
        assert isinstance(error.value, TypeError)

    def test_unsaved_object(self):
        """An object whose pk is None is not saved yet: the error says so."""
        with pytest.raises(SerializationError) as error:
            to_dict(OrderPlaced(order=Thing(None)))

        assert "pk is None" in error.value.fields["order"]

    def test_dump_hook(self):
        """A registered dump hook decides the identity."""
        register_identity("order", dump=lambda order: f"#{order.pk}")

        assert {"order": "#5", "user": None} == to_dict(OrderPlaced(order=Thing(5)))

    def test_dump_hook_may_give_structured_data(self):
        """A dump hook may return any JSON data, Decimals and UUIDs included."""
        register_identity("order", dump=lambda o: {"pk": o.pk, "total": Decimal("9.5")})

        assert {"order": {"pk": 5, "total": "9.5"}, "user": None} == to_dict(
            OrderPlaced(order=Thing(5))
        )

    def test_dump_hook_failure(self):
        """A failing dump hook is reported for its field."""

        def dump(order: Any) -> Any:
            raise LookupError("no such order")

        register_identity("order", dump=dump)

        with pytest.raises(SerializationError) as error:
            to_dict(OrderPlaced(order=Thing(5)))

        assert {"order": "LookupError: no such order"} == error.value.fields

    def test_naive_datetime(self):
        """A naive datetime is refused: JSON date-times carry an offset."""
        with pytest.raises(SerializationError) as error:
            to_dict(sink(when=dt.datetime(2026, 5, 1)))

        assert ["when"] == list(error.value.fields)
        assert "naive" in error.value.fields["when"]

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("ratio", math.nan),
            ("ratio", math.inf),
            ("price", Decimal("NaN")),
            ("price", Decimal("-Infinity")),
        ],
    )
    def test_non_finite_numbers(self, name, value):
        """NaN and infinities are refused: JSON has no such numbers."""
        with pytest.raises(SerializationError) as error:
            to_dict(sink(**{name: value}))

        assert [name] == list(error.value.fields)

    def test_nested_problems(self):
        """A nested value JSON cannot carry is reported for its field."""
        with pytest.raises(SerializationError) as error:
            to_dict(sink(lines=(Line("MUG-1", 1, Decimal("NaN")),)))

        assert ["lines"] == list(error.value.fields)
        assert "NaN" in error.value.fields["lines"]

    def test_sets_sorted(self):
        """Sets are written sorted: equal payloads give equal documents."""
        assert [1, 2, 10] == to_dict(sink(codes=frozenset({10, 2, 1})))["codes"]

    def test_not_json_data_named_by_path(self):
        """Something that is not JSON data in an Any field is named by its path."""
        with pytest.raises(SerializationError) as error:
            to_dict(Loose(data={"a": [1, b"raw"]}))

        assert ["data['a'][1]"] == list(error.value.fields)

    def test_non_string_keys(self):
        """Mapping keys must be strings, as JSON object keys are."""
        with pytest.raises(SerializationError) as error:
            to_dict(Loose(data={1: "one"}))

        assert "not a string" in error.value.fields["data"]

    def test_every_problem_at_once(self):
        """Every offending field is reported in one error."""
        with pytest.raises(SerializationError) as error:
            to_dict(
                sink(when=dt.datetime(2026, 5, 1), product=object(), ratio=math.nan)
            )

        assert {"ratio", "when", "product"} == set(error.value.fields)

    def test_not_a_payload(self):
        """Only registered payloads are serialized."""
        with pytest.raises(NotAPayloadError):
            to_dict({"order": 1})

    def test_sets_are_arrays(self):
        """Sets and tuples are written as JSON arrays."""
        assert [[1, "x"]] == to_dict(Loose(data=[(1, "x")]))["data"]


class TestFromDict:
    def test_by_class_name_and_alias(self):
        """An event is found by its class, its name or an alias."""
        data = {"review": 3, "user": None}

        assert (
            ReviewAdded(review=3)
            == from_dict(ReviewAdded, data)
            == from_dict("review_added", data)
            == from_dict("review_created", data)
        )

    def test_unknown_name(self):
        """An unknown event name is an UnknownEventError, never an import."""
        with pytest.raises(UnknownEventError):
            from_dict("os.system", {})

    def test_unregistered_class(self):
        """A class that is not a registered payload class is refused."""
        with pytest.raises(NotAPayloadError):
            from_dict(Line, {"sku": "a", "quantity": 1, "price": "1"})

    def test_round_trip(self):
        """A payload read back from its dict equals it, value for value."""
        register_identity("product", load=Thing)
        original = sink(user=None, first_line=Line("A", 1, Decimal("0.10"), "gift"))

        rebuilt = from_dict(KitchenSink, json.loads(json.dumps(to_dict(original))))

        assert original == rebuilt
        assert to_dict(original) == to_dict(rebuilt)

    def test_exact_values(self):
        """Decimals keep their digits, datetimes their offset, UUIDs their value."""
        register_identity("product", load=Thing)

        rebuilt = from_dict(KitchenSink, to_dict(sink(price=Decimal("1.10"))))

        assert "Decimal('1.10')" == repr(rebuilt.price)
        assert dt.timedelta(hours=2) == rebuilt.when.utcoffset()
        assert NOW == rebuilt.when
        assert uuid.UUID("12345678-1234-5678-1234-567812345678") == rebuilt.ref
        assert Colour.RED is rebuilt.colour
        assert Size.LARGE is rebuilt.size

    def test_every_offending_path_named(self):
        """One error names every offending path, nested ones included."""
        data = to_dict(sink())
        data.update(
            lines=[{"sku": 1, "quantity": "2", "price": 1.5, "zz": 0}, "x"],
            when="2026-05-01",
            ref="nope",
            channel="3",
            stock={"MUG-1": True},
            either=1.5,
            surprise=1,
        )
        del data["text"]

        with pytest.raises(PayloadError) as error:
            from_dict(KitchenSink, data)

        assert {
            "text",
            "lines[0].sku",
            "lines[0].quantity",
            "lines[0].price",
            "lines[0].zz",
            "lines[1]",
            "when",
            "ref",
            "channel",
            "stock['MUG-1']",
            "either",
            "surprise",
        } == set(error.value.fields)
        assert "kitchen_sink" in error.value.event

    def test_no_coercion(self):
        """Strings are not numbers, numbers not strings, ints not booleans."""
        for name, value in [("count", "3"), ("text", 3), ("flag", 1), ("count", True)]:
            data = dict(to_dict(sink()), **{name: value})
            with pytest.raises(PayloadError) as error:
                from_dict(KitchenSink, data)
            assert [name] == list(error.value.fields)

    def test_not_a_mapping(self):
        """A document that is not an object is refused as a whole."""
        with pytest.raises(PayloadError) as error:
            from_dict(OrderPlaced, ["order", 1])

        assert ["<document>"] == list(error.value.fields)

    def test_unknown_fields_ignored_on_request(self):
        """unknown="ignore" reads documents from newer producers."""
        assert ProductSearch(query="mug") == from_dict(
            ProductSearch, {"query": "mug", "user": None, "page": 2}, unknown="ignore"
        )

    def test_unknown_option_checked(self):
        """unknown takes "reject" or "ignore" only."""
        with pytest.raises(ValueError, match="unknown"):
            from_dict(ProductSearch, {"query": "mug"}, unknown="drop")  # type: ignore[arg-type]

    def test_missing_optional_field_takes_default(self):
        """A document written before an optional field existed still reads."""
        assert ProductSearch(query="mug") == from_dict(ProductSearch, {"query": "mug"})

    def test_user_not_taken_from_request_context(self):
        """A missing user stays None: the consumer's request is not the emitter's."""
        with request_context(object(), user="someone-else"):
            rebuilt = from_dict(ProductSearch, {"query": "mug"})

        assert rebuilt.user is None

    def test_sensitive_fields_rebuilt_as_none(self):
        """An optional request or response comes back None outside a request."""
        rebuilt = from_dict(ProductViewed, {"product": "MUG-1", "user": None})

        assert rebuilt.request is None
        assert rebuilt.response is None

    def test_sensitive_fields_in_document_refused(self):
        """A document carrying a request is refused: requests are never data."""
        with pytest.raises(PayloadError) as error:
            from_dict(ProductViewed, {"product": "MUG-1", "request": {"cookies": "x"}})

        assert ["request"] == list(error.value.fields)

    def test_required_request_outside_request(self):
        """start_checkout cannot be rebuilt outside a request, and says why."""
        with pytest.raises(PayloadError) as error:
            from_dict(StartCheckout, {})

        assert "request_context" in error.value.fields["request"]

    def test_required_request_inside_request(self):
        """Inside a request context, a required request comes from it."""
        request = object()

        with request_context(request):
            rebuilt = from_dict(StartCheckout, to_dict(StartCheckout(request=object())))

        assert rebuilt.request is request

    def test_identity_without_load_hook(self):
        """Without a load hook, a domain field gets the identity itself."""
        assert OrderPlaced(order=42) == from_dict(OrderPlaced, {"order": 42})

    def test_load_hook(self):
        """A load hook turns the identity back into the object."""
        register_identity("order", load=Thing)

        assert OrderPlaced(order=Thing(42)) == from_dict(OrderPlaced, {"order": 42})

    def test_load_hook_failure(self):
        """A failing load hook is reported for its field, with the reason."""

        def load(pk: Any) -> Any:
            raise LookupError(f"order {pk} does not exist")

        register_identity("order", load=load)

        with pytest.raises(PayloadError) as error:
            from_dict(OrderPlaced, {"order": 42})

        assert "order 42 does not exist" in error.value.fields["order"]

    def test_declared_classes_need_a_load_hook(self):
        """With declared classes, an identity is refused, and the hint says why."""
        commerce_events.declare_domain_classes(order=Thing)

        with pytest.raises(PayloadError) as error:
            from_dict(OrderPlaced, {"order": 42})

        assert "register_identity('order', load=...)" in error.value.fields["order"]

    def test_none_where_not_allowed(self):
        """None for a required field is refused by the payload's own checks."""
        with pytest.raises(PayloadError) as error:
            from_dict(OrderPlaced, {"order": None})

        assert ["order"] == list(error.value.fields)

    def test_json_data_in_any_fields(self):
        """Fields of any type get the JSON data as is."""
        assert Loose(data={"a": [1, None]}, extra="x") == from_dict(
            Loose, {"data": {"a": [1, None]}, "extra": "x"}
        )


class TestRegisterIdentity:
    def test_unknown_domain(self):
        """Only known domains take hooks."""
        with pytest.raises(UnknownDomainError):
            register_identity("prodcut", dump=str)

    @pytest.mark.parametrize("name", ["request", "response"])
    def test_sensitive_domain(self, name):
        """Requests and responses are never serialized, hooks or not."""
        with pytest.raises(ValueError, match="never serialized"):
            register_identity(name, dump=str)

    def test_hooks_must_be_callable(self):
        """A hook that cannot be called is refused at once."""
        with pytest.raises(TypeError, match="load must be callable"):
            register_identity("order", load=42)  # type: ignore[arg-type]

    def test_context_manager_restores(self):
        """Used in a with block, a registration is undone on exit."""
        register_identity("order", dump=lambda o: "outer")

        with register_identity("order", dump=lambda o: "inner"):
            assert "inner" == to_dict(OrderPlaced(order=Thing(1)))["order"]

        assert "outer" == to_dict(OrderPlaced(order=Thing(1)))["order"]

    def test_reset(self):
        """reset_identities() forgets every hook."""
        register_identity("order", dump=lambda o: "hooked")

        reset_identities()

        assert 1 == to_dict(OrderPlaced(order=Thing(1)))["order"]

    def test_repr(self):
        """A registration names its domain."""
        assert "<identity hooks for 'order'>" == repr(register_identity("order"))


FINITE_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
FINITE_DECIMALS = st.decimals(allow_nan=False, allow_infinity=False)
st.register_type_strategy(
    Line,
    st.builds(
        Line,
        sku=st.text(),
        quantity=st.integers(),
        price=FINITE_DECIMALS,
        note=st.none() | st.text(),
    ),
)


def _strategy(payload_type: type[Any], *, serializable: bool = False) -> Any:
    """Payloads of the class; only ones JSON can carry with *serializable*."""
    if payload_type is not KitchenSink:
        return payloads(payload_type)
    # The toolkit draws naive datetimes, NaNs and infinities too, which are
    # refused (checked in test_generated_payloads_round_trip).
    finite = payloads(
        KitchenSink, when=AWARE, ratio=FINITE_FLOATS, price=FINITE_DECIMALS
    )
    return finite if serializable else st.one_of(payloads(KitchenSink), finite)


# Per payload class: the whole catalogue runs each property.
PER_CLASS = settings(max_examples=max(5, settings.default.max_examples // 10))


class TestProperties:
    @pytest.mark.parametrize(
        "payload_type", [*BUILT_IN, KitchenSink], ids=lambda t: t.__name__
    )
    @PER_CLASS
    @given(data=st.data())
    def test_generated_payloads_round_trip(self, payload_type, data):
        """Every generated payload round-trips exactly, or is refused for a reason."""
        register_stand_ins()
        payload = data.draw(_strategy(payload_type))

        if _unserializable(payload):
            with pytest.raises(SerializationError):
                to_dict(payload)
            return
        written = json.loads(json.dumps(to_dict(payload), allow_nan=False))
        spec = commerce_events.signal(payload_type).spec
        if any(f.sensitive and f.required for f in spec.fields):
            # Only a request context can give back a required request.
            with request_context(payload.request):
                rebuilt = from_dict(payload_type, written)
            expected = payload
        else:
            rebuilt = from_dict(payload_type, written)
            expected = _without_sensitive(payload)

        assert expected == rebuilt
        assert written == to_dict(rebuilt)

    @given(
        st.recursive(
            st.booleans()
            | st.integers()
            | st.text()
            | st.floats(allow_nan=False, allow_infinity=False),
            lambda inner: (
                st.lists(inner | st.none())
                | st.dictionaries(st.text(), inner | st.none())
            ),
            max_leaves=10,
        )
    )
    def test_any_round_trips(self, value):
        """JSON data in a field of any type (None aside) round-trips as is."""
        assert Loose(data=value) == from_dict(Loose, to_dict(Loose(data=value)))

    @pytest.mark.parametrize(
        "payload_type", BUILT_IN + CUSTOM, ids=lambda t: t.__name__
    )
    @PER_CLASS
    @given(data=st.data())
    def test_bad_documents_rejected_with_paths(self, payload_type, data):
        """Spoiled documents are rejected, and every spoiled path is named."""
        register_stand_ins()
        payload = data.draw(_strategy(payload_type, serializable=True))
        try:
            written = to_dict(payload)
        except SerializationError:
            reject()  # refused values: see test_generated_payloads_round_trip
        spec = commerce_events.signal(payload_type).spec
        schema = json_schema(payload_type)
        document, spoiled = data.draw(spoil(written, schema, spec))

        with pytest.raises(PayloadError) as error, request_context(object()):
            from_dict(payload_type, document)

        assert spoiled <= set(error.value.fields)


# -- spoiling documents ---------------------------------------------------------

# One value of each JSON type; a spoiled value is one its schema refuses.
_SAMPLES: dict[str, Any] = {
    "null": None,
    "boolean": True,
    "integer": 12,
    "number": 1.5,
    "string": "spoiled",
    "array": [[]],
    "object": {"spoiled": {}},
}


def _accepted(schema: Any) -> set[str] | None:
    """The JSON types a schema accepts; None when it takes anything."""
    if not isinstance(schema, dict):
        return None
    if "enum" in schema:
        return {"enum"}
    if "anyOf" in schema:
        kinds: set[str] = set()
        for sub in schema["anyOf"]:
            sub_kinds = _accepted(sub)
            if sub_kinds is None:
                return None
            kinds |= sub_kinds
        return kinds
    declared = schema.get("type")
    if declared is None:
        return None
    kinds = set(declared) if isinstance(declared, list) else {declared}
    if "number" in kinds:
        kinds.add("integer")
    return kinds


def _key(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def _wrong_values(schema: Any) -> list[Any]:
    kinds = _accepted(schema)
    if kinds is None:
        return []
    if kinds == {"enum"}:
        allowed = {(type(v), v) for v in schema["enum"]}
        return [v for v in _SAMPLES.values() if (type(v), _key(v)) not in allowed]
    return [value for kind, value in _SAMPLES.items() if kind not in kinds]


def _nested(schema: Any) -> dict[str, Any] | None:
    """The one object or array alternative of a schema, to spoil inside."""
    if not isinstance(schema, dict):
        return None
    if "anyOf" in schema:
        inner = [s for s in schema["anyOf"] if s.get("type") in ("object", "array")]
        return inner[0] if len(inner) == 1 else None
    return schema if schema.get("type") in ("object", "array") else None


def _targets(value: Any, schema: Any, path: str) -> list[tuple[str, list[Any], Any]]:
    """Where a value could be spoiled: (path, accessor keys, wrong values)."""
    found = [(path, [], _wrong_values(schema))] if _wrong_values(schema) else []
    nested = _nested(schema)
    if nested is None:
        return found
    if isinstance(value, dict) and nested.get("type") == "object":
        properties = nested.get("properties")
        for key, item in value.items():
            sub = (
                properties.get(key)
                if properties
                else nested.get("additionalProperties")
            )
            if sub is None:
                continue
            step = f".{key}" if properties else f"[{key!r}]"
            for where, keys, wrong in _targets(item, sub, path + step):
                found.append((where, [key, *keys], wrong))
    elif isinstance(value, list) and nested.get("type") == "array":
        prefix = nested.get("prefixItems")
        if nested.get("uniqueItems"):
            return found  # a spoiled item could equal another one
        for index, item in enumerate(value):
            sub = prefix[index] if prefix else nested.get("items")
            for where, keys, wrong in _targets(item, sub, f"{path}[{index}]"):
                found.append((where, [index, *keys], wrong))
    return found


def _overlap(a: str, b: str) -> bool:
    """Whether one path is inside the other (spoiling both would hide one)."""
    return (
        a == b or a.startswith((f"{b}.", f"{b}[")) or b.startswith((f"{a}.", f"{a}["))
    )


@st.composite
def spoil(
    draw: Any, document: dict[str, Any], schema: dict[str, Any], spec: Any
) -> tuple[dict[str, Any], set[str]]:
    """Spoil one to three places of a document: (document, spoiled paths)."""
    result = json.loads(json.dumps(document))
    options: list[tuple[str, Any]] = [("unknown", None)]
    for fs in spec.fields:
        if fs.required and fs.name in document:
            options.append(("missing", (fs.name, [fs.name], None)))
    for name, value in document.items():
        for path, keys, wrong in _targets(value, schema["properties"][name], name):
            options.append(("wrong", (path, [name, *keys], wrong)))
    chosen = draw(st.lists(st.sampled_from(options), min_size=1, max_size=3))
    spoiled: set[str] = set()
    for how, target in chosen:
        if how == "unknown":
            name = f"surplus_{draw(st.integers(0, 3))}"  # never a field name
            result[name] = 1
            spoiled.add(name)
            continue
        path, keys, wrong = target
        if any(_overlap(path, p) for p in spoiled):
            continue
        container = result
        for key in keys[:-1]:
            container = container[key]
        if how == "missing":
            del container[keys[-1]]
        else:
            container[keys[-1]] = draw(st.sampled_from(wrong))
        spoiled.add(path)
    return result, spoiled


@event("test_serialization_every_scalar")
class EveryScalar:
    """Raised by nothing: one field of each scalar type JSON carries."""

    text: str = field(doc="A string")
    count: int = field(doc="An integer")
    ratio: float = field(doc="A number")
    flag: bool = field(doc="A boolean")
    amount: Decimal = field(doc="Money")
    ref: uuid.UUID = field(doc="An id")
    at: dt.datetime = field(doc="An instant")
    day: dt.date = field(doc="A day")


class TestScalarsFromJson:
    """A document's wrong type is named per field, with what was expected."""

    def test_every_wrong_type_at_once(self):
        document = {"text": 1, "count": "1", "ratio": "x", "flag": 1, "amount": 1,
                    "ref": 5, "at": 5, "day": 5}  # fmt: skip

        with pytest.raises(PayloadError) as error:
            from_dict(EveryScalar, document)

        assert {
            "text": "expected a string, got 1 (int)",
            "count": "expected an integer, got '1' (str)",
            "ratio": "expected a number, got 'x' (str)",
            "flag": "expected a boolean, got 1 (int)",
            "amount": "expected a decimal number as a string (such as '19.90'), "
            "got 1 (int)",
            "ref": "expected a UUID string, got 5 (int)",
            "at": "expected an RFC 3339 date-time with a UTC offset (such as "
            "'2026-05-01T12:00:00+02:00'), got 5 (int)",
            "day": "expected a date (such as '2026-05-01'), got 5 (int)",
        } == error.value.fields

    def test_well_formed_but_impossible_values(self):
        """The right shape is not enough: no 13th month, no 30 February, no inf."""
        document = {
            "text": "a",
            "count": 1,
            "ratio": math.inf,
            "flag": True,
            "amount": "1",
            "ref": str(uuid.UUID(int=1)),
            "at": "2026-13-01T00:00:00+00:00",
            "day": "2026-02-30",
        }

        with pytest.raises(PayloadError) as error:
            from_dict(EveryScalar, document)

        assert ["at", "day", "ratio"] == sorted(error.value.fields)
        assert "inf is not finite" == error.value.fields["ratio"]
        # The forms (commerce_events._formats) admit real dates only, as the
        # exported schemas' patterns do.
        assert error.value.fields["at"].startswith(
            "expected an RFC 3339 date-time with a UTC offset"
        )
        assert error.value.fields["day"].startswith("expected a date (such as")

    def test_integer_for_a_float_field(self):
        """JSON has one number type: 2 is a valid float field, and stays 2."""
        document = {"text": "a", "count": 1, "ratio": 2, "flag": False,
                    "amount": "1.50", "ref": str(uuid.UUID(int=1)),
                    "at": "2026-05-01T12:00:00+02:00", "day": "2026-05-01"}  # fmt: skip

        payload = from_dict(EveryScalar, document)

        assert (2, Decimal("1.50")) == (payload.ratio, payload.amount)
        assert document == to_dict(payload)


@event("test_serialization_json_data")
class JsonData:
    """Raised by nothing: a field of any JSON data, and a domain-marked str."""

    data: Any = field(doc="Any JSON data")
    sku: Annotated[str, Domain("test_serialization_sku")] = field(
        default="MUG-1", doc="A stock-keeping unit: data already"
    )


class Priority(enum.IntEnum):
    HIGH = 1


class Sku(str):
    """A str subclass."""


class TestJsonDataFields:
    """An ``Any`` field carries JSON data: exactly the builtin types, or an error."""

    def test_subclasses_are_written_as_their_builtin(self):
        payload = JsonData(data={"k": [Priority.HIGH, Sku("a"), True, 1.5, None]})

        written = to_dict(payload)

        assert {"data": {"k": [1, "a", True, 1.5, None]}, "sku": "MUG-1"} == written
        assert [int, str] == [type(v) for v in written["data"]["k"][:2]]

    @pytest.mark.parametrize(
        ("data", "fields"),
        [
            ({1: "x"}, {"data": "key 1 (int) is not a string (JSON object keys are)"}),
            ([b"raw"], {"data[0]": "b'raw' (bytes) is not JSON data"}),
        ],
    )
    def test_what_json_cannot_carry(self, data, fields):
        """Named by its path in the field."""
        with pytest.raises(SerializationError) as error:
            to_dict(JsonData(data=data))

        assert fields == error.value.fields

    def test_domain_marked_str_travels_as_itself(self):
        """No identity hook needed: the value is data already."""
        payload = from_dict(JsonData, {"data": 1, "sku": "TEA-1"})

        assert ("TEA-1", {"data": 1, "sku": "TEA-1"}) == (payload.sku, to_dict(payload))


class TestDomainFieldsFromJson:
    def test_none_for_a_required_domain_field(self):
        with pytest.raises(PayloadError) as error:
            from_dict(OrderPlaced, {"order": None})

        assert {"order": "must not be None (expected an order)"} == error.value.fields

    def test_a_load_hook_that_fails_is_named(self):
        """In a worker, an order that does not exist: the hook's error, by field."""

        def load(number: object) -> object:
            raise LookupError(f"no order {number}")

        register_identity("order", dump=str, load=load, schema={"type": "string"})

        with pytest.raises(PayloadError) as error:
            from_dict(OrderPlaced, {"order": "100042"})

        assert {
            "order": "cannot load an order from '100042': LookupError: no order 100042"
        } == error.value.fields
