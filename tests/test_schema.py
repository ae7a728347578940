"""Tests for commerce_events.schema: JSON Schemas and breaking-change checks."""

from __future__ import annotations

import copy
import datetime as dt
import enum
import io
import itertools
import json
import keyword
import math
import re
import textwrap
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Annotated, Any, Literal

import annotated_types as at
import attrs
import jsonschema
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from commerce_events import (
    OrderPlaced,
    ProductSearch,
    ProductViewed,
    StartCheckout,
    _cli,
    _domain,
    _formats,
    catalogue,
    event,
    field,
    request_context,
    schema,
    signal,
    validators,
)
from commerce_events import _serialization_hooks as hooks
from commerce_events._formats import anchored
from commerce_events.domain import Product, User
from commerce_events.exceptions import (
    NotAPayloadError,
    PayloadError,
    UnknownEventError,
)
from commerce_events.schema import (
    DIALECT,
    INDEX,
    SchemaChange,
    catalogue_schema,
    compare_schemas,
    json_schema,
    needs_new_version,
    schema_base_uri,
    set_schema_base_uri,
    write_schemas,
)
from commerce_events.serialization import (
    SerializationError,
    from_dict,
    register_identity,
    to_dict,
)
from commerce_events.testing.strategies import payloads

UUID_PATTERN = anchored(_formats.UUID)

BUILT_IN = tuple(
    spec.payload_type
    for spec in catalogue()
    if spec.payload_type.__module__.startswith("commerce_events.")
)


class Tier(enum.Enum):
    """A plain enum."""

    GOLD = "gold"
    SILVER = "silver"


@attrs.frozen
class Parcel:
    """A parcel of the shipment."""

    weight: Decimal
    tracking: str | None = None


@event("test_schema_shipment")
class Shipment:
    """Raised when an order ships.

    .. versionadded:: 0.1.0
    """

    order: Product = field(doc="The shipped order")
    ref: uuid.UUID = field(doc="The shipment's id")
    at: dt.datetime = field(doc="When it left")
    day: dt.date = field(doc="The delivery day")
    tier: Tier = field(doc="The service tier")
    carrier: Literal["ups", "dhl"] = field(doc="Who carries it")
    parcels: tuple[Parcel, ...] = field(doc="What ships")
    pair: tuple[int, str] = field(doc="A fixed pair")
    tags: frozenset[str] = field(doc="Labels")
    by_ref: dict[uuid.UUID, int] = field(doc="Counts by id")
    either: int | str = field(doc="Some key")
    anything: Any = field(doc="JSON data")
    points: int = field(default=1, validator=attrs.validators.gt(0), doc="Points")
    code: str = field(
        default="ABC",
        validator=[
            attrs.validators.matches_re(r"[A-Z]{3}"),
            attrs.validators.max_len(3),
        ],
        doc="A code",
    )
    level: str = field(
        default="low", validator=attrs.validators.in_(["low", "high"]), doc="Level"
    )
    first: Parcel | None = field(default=None, doc="The first parcel")
    user: User | None = field(default=None, doc="Who")


@attrs.frozen
class Node:
    """A recursive class (not used in an event: strategies would recurse)."""

    children: tuple[Node, ...] = ()


class Corner(enum.Enum):
    """Values JSON has no scalar for."""

    ORIGIN = (0, 0)


@event("test_schema_unsupported")
class Unsupported:
    """Fields without a JSON form."""

    callback: Callable[[], None] = field(doc="a function")
    raw: bytes = field(doc="bytes")
    by_number: dict[int, str] = field(doc="int keys")
    marker: Literal[b"x"] = field(doc="a bytes literal")
    corner: Corner = field(doc="an enum of tuples")
    fine: str = field(default="", doc="this one is fine")


# Values JSON can carry (the toolkit also draws naive datetimes, NaNs and
# objects, which are refused: see tests/test_serialization.py).
SHIPMENTS = payloads(
    Shipment,
    at=st.datetimes(timezones=st.just(dt.UTC)),
    anything=st.integers() | st.text() | st.lists(st.booleans()),
    parcels=st.lists(
        st.builds(
            Parcel,
            st.decimals(allow_nan=False, allow_infinity=False),
            st.none() | st.text(),
        ),
        max_size=3,
    ).map(tuple),
)


@pytest.fixture(autouse=True)
def _identities() -> Iterator[None]:
    """Every test starts and ends with the same identity hooks."""
    saved = dict(hooks._hooks)
    yield
    hooks._hooks.clear()
    hooks._hooks.update(saved)


# -- a small JSON Schema validator, for the vocabulary the export uses -----------

_FORMATS = {
    "uuid": re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "date-time": re.compile(
        r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
    ),
}
_TYPES: dict[str, Callable[[Any], bool]] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def validate(value: Any, schema: Any, path: str = "$") -> list[str]:
    """The errors of *value* against *schema* (empty when valid)."""
    if schema is True or schema == {}:
        return []
    if schema is False:
        return [f"{path}: nothing is allowed"]
    errors: list[str] = []
    if "anyOf" in schema and not any(
        not validate(value, s, path) for s in schema["anyOf"]
    ):
        errors.append(f"{path}: matches no alternative")
    declared = schema.get("type")
    if declared is not None:
        kinds = declared if isinstance(declared, list) else [declared]
        if not any(_TYPES[k](value) for k in kinds):
            return [*errors, f"{path}: not {declared}"]
    if "enum" in schema and not any(_same(value, v) for v in schema["enum"]):
        errors.append(f"{path}: not one of {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: does not match {schema['pattern']}")
        checker = _FORMATS.get(schema.get("format", ""))
        if checker is not None and not checker.match(value):
            errors.append(f"{path}: not a {schema['format']}")
        if len(value) > schema.get("maxLength", math.inf):
            errors.append(f"{path}: too long")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value <= schema.get("exclusiveMinimum", -math.inf):
            errors.append(f"{path}: too small")
        if value < schema.get("minimum", -math.inf):
            errors.append(f"{path}: too small")
    if isinstance(value, list):
        prefix = schema.get("prefixItems", [])
        for index, item in enumerate(value):
            sub = prefix[index] if index < len(prefix) else schema.get("items", {})
            errors += validate(item, sub, f"{path}[{index}]")
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get(
            "maxItems", math.inf
        ):
            errors.append(f"{path}: wrong length")
        if schema.get("uniqueItems") and len({json.dumps(v) for v in value}) != len(
            value
        ):
            errors.append(f"{path}: items not unique")
    if isinstance(value, dict):
        errors += [
            f"{path}.{n}: missing" for n in schema.get("required", []) if n not in value
        ]
        properties = schema.get("properties", {})
        for key, item in value.items():
            sub = properties.get(key, schema.get("additionalProperties", {}))
            errors += validate(item, sub, f"{path}.{key}")
            errors += validate(
                key, schema.get("propertyNames", {}), f"{path}.{key}(name)"
            )
    return errors


# -- json_schema --------------------------------------------------------------------


class TestJsonSchema:
    def test_built_in_event(self):
        """A built-in event's schema: its fields, documented, required ones listed."""
        schema = json_schema(OrderPlaced)

        assert "OrderPlaced" == schema["title"]
        assert "object" == schema["type"]
        assert ["order"] == schema["required"]
        assert ["order", "user"] == list(schema["properties"])
        assert "The order created" == schema["properties"]["order"]["description"]
        assert {"event": "order_placed", "version": 1, "aliases": []} == schema[
            "x-commerce-events"
        ]

    def test_description_without_directives(self):
        """The event's description is its docstring's prose only."""
        assert "Raised when an order ships." == json_schema(Shipment)["description"]

    def test_by_name_and_alias(self):
        """An event is found by its name or alias too."""
        assert json_schema("review_created") == json_schema("review_added")

    def test_unknown(self):
        """Unknown names and unregistered classes are refused."""
        with pytest.raises(UnknownEventError):
            json_schema("nope")
        with pytest.raises(NotAPayloadError):
            json_schema(Parcel)

    def test_sensitive_fields_left_out(self):
        """Requests and responses are not part of the contract."""
        assert ["product", "user"] == list(json_schema(ProductViewed)["properties"])
        assert [] == json_schema(StartCheckout)["required"]

    def test_value_kinds(self):
        """Each annotation has the JSON Schema of what the serializer writes."""
        properties = json_schema(Shipment)["properties"]

        uuid_schema = {"type": "string", "format": "uuid", "pattern": UUID_PATTERN}
        assert uuid_schema == _bare(properties["ref"])
        assert {
            "type": "string",
            "format": "date-time",
            "pattern": anchored(_formats.DATETIME),
        } == _bare(properties["at"])
        assert {
            "type": "string",
            "format": "date",
            "pattern": anchored(_formats.DATE),
        } == _bare(properties["day"])
        assert {"title": "Tier", "enum": ["gold", "silver"]} == _bare(
            properties["tier"]
        )
        assert {"enum": ["ups", "dhl"]} == _bare(properties["carrier"])
        assert {
            "type": "array",
            "prefixItems": [{"type": "integer"}, {"type": "string"}],
            "items": False,
            "minItems": 2,
            "maxItems": 2,
        } == _bare(properties["pair"])
        assert {
            "type": "array",
            "items": {"type": "string"},
            "uniqueItems": True,
        } == _bare(properties["tags"])
        assert {
            "type": "object",
            "propertyNames": uuid_schema,
            "additionalProperties": {"type": "integer"},
        } == _bare(properties["by_ref"])
        assert {"anyOf": [{"type": "integer"}, {"type": "string"}]} == _bare(
            properties["either"]
        )
        # Not null: the field has no None default.
        assert {"not": {"type": "null"}} == _bare(properties["anything"])

    def test_decimal_is_a_string(self):
        """A Decimal is a string with a number's pattern, never a float."""
        weight = json_schema(Shipment)["properties"]["parcels"]["items"]["properties"][
            "weight"
        ]

        assert "string" == weight["type"]
        assert re.search(weight["pattern"], "-19.90")
        assert not re.search(weight["pattern"], "NaN")

    def test_nested_class(self):
        """A nested attrs class is an object with its own required fields."""
        parcel = json_schema(Shipment)["properties"]["parcels"]["items"]

        assert "Parcel" == parcel["title"]
        assert "A parcel of the shipment." == parcel["description"]
        assert ["weight"] == parcel["required"]
        assert ["weight", "tracking"] == list(parcel["properties"])

    def test_validators(self):
        """Common attrs validators become bounds, patterns and enums."""
        properties = json_schema(Shipment)["properties"]

        assert 0 == properties["points"]["exclusiveMinimum"]
        assert anchored("[A-Z]{3}") == properties["code"]["pattern"]
        assert 3 == properties["code"]["maxLength"]
        assert ["high", "low"] == properties["level"]["enum"]

    def test_defaults(self):
        """JSON defaults are given."""
        properties = json_schema(Shipment)["properties"]

        assert 1 == properties["points"]["default"]
        assert properties["user"]["default"] is None

    def test_default_identity(self):
        """A domain object is an integer or string identity by default."""
        order = json_schema(OrderPlaced)["properties"]["order"]

        assert ["integer", "string"] == order["type"]
        assert {"domain": "order"} == order["x-commerce-events"]

    def test_registered_identity_schema(self):
        """A registered identity schema describes the domain's fields."""
        register_identity("order", dump=lambda o: o.number, schema={"type": "string"})

        assert "string" == json_schema(OrderPlaced)["properties"]["order"]["type"]

    def test_dump_hook_without_schema(self):
        """A dump hook without a schema may give anything (but null: required)."""
        register_identity("order", dump=lambda o: o.number)

        assert {
            "x-commerce-events": {"domain": "order"},
            "not": {"type": "null"},
        } == _bare(json_schema(OrderPlaced)["properties"]["order"])

    def test_unsupported(self):
        """Fields without a JSON form are named, each, in one error."""
        with pytest.raises(SerializationError) as error:
            json_schema(Unsupported)

        assert {
            "callback": "cannot serialize collections.abc.Callable[[], None]",
            "raw": "cannot serialize bytes",
            "by_number": "dict[int, str] has keys that are not strings (JSON object "
            "keys are)",
            "marker": "typing.Literal[b'x'] has values that are not JSON",
            "corner": "Corner has values that are not JSON",
        } == error.value.fields

    def test_recursive_class(self):
        """A class containing itself cannot be described (nor serialized)."""
        with pytest.raises(schema._UnsupportedError, match="contains itself"):
            schema._schema_of(Node, "root", ())


def _bare(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema without its documentation."""
    return {k: v for k, v in schema.items() if k not in ("description", "default")}


class TestCatalogSchema:
    def test_document(self):
        """The export is one JSON Schema document, events under $defs by name."""
        document = catalogue_schema(BUILT_IN)

        assert DIALECT == document["$schema"]
        assert sorted(signal(s).name for s in BUILT_IN) == list(document["$defs"])
        assert document == json.loads(json.dumps(document))

    def test_unsupported_events_raise(self):
        """Exporting an event without a JSON form is an error."""
        with pytest.raises(SerializationError):
            catalogue_schema([OrderPlaced, Unsupported])


class TestProperties:
    @pytest.mark.parametrize(
        "payload_type", [*BUILT_IN, Shipment], ids=lambda t: t.__name__
    )
    @settings(max_examples=max(5, settings.default.max_examples // 10))
    @given(data=st.data())
    def test_documents_match_their_schema(self, payload_type, data):
        """Every serialized payload is valid against its event's schema."""
        for name, marker in _domain._known.items():
            if not marker.sensitive:
                register_identity(
                    name, dump=lambda o: o.key, schema={"type": "integer"}
                )
        payload = data.draw(
            SHIPMENTS if payload_type is Shipment else payloads(payload_type)
        )
        try:
            document = to_dict(payload)
        except SerializationError:
            reject()  # see tests/test_serialization.py for what is refused

        assert [] == validate(document, json_schema(payload_type))

    def test_validator_checks_itself(self):
        """The test's validator does refuse what the schema refuses."""
        schema = json_schema(Shipment)

        assert validate({"points": 0, "code": "abcd", "ref": "x"}, schema)


# -- compare_schemas ------------------------------------------------------------------


@pytest.fixture(name="saved")
def _saved() -> dict[str, Any]:
    return catalogue_schema([OrderPlaced, ProductSearch, Shipment])


def changed(
    saved: dict[str, Any], edit: Callable[[dict[str, Any]], None]
) -> list[SchemaChange]:
    """The changes between *saved* and a copy edited by *edit*."""
    new = copy.deepcopy(saved)
    edit(new["$defs"])
    return compare_schemas(saved, new)


def breaking(changes: list[SchemaChange]) -> list[tuple[str, str, str]]:
    return [(c.event, c.path, c.kind) for c in changes if c.breaking]


class TestCompareSchemas:
    def test_identical(self, saved):
        """No change, no report."""
        assert [] == compare_schemas(saved, copy.deepcopy(saved))

    def test_documentation_ignored(self, saved):
        """Descriptions, titles and defaults are not the contract."""

        def edit(events: dict[str, Any]) -> None:
            events["order_placed"]["description"] = "changed"
            events["order_placed"]["properties"]["user"]["description"] = "changed"
            events["order_placed"]["properties"]["user"]["default"] = 3

        assert [] == changed(saved, edit)

    def test_event_removed(self, saved):
        """A removed event is breaking."""
        assert [("product_search", "", "event removed")] == breaking(
            changed(saved, lambda e: e.pop("product_search"))
        )

    def test_event_added(self, saved):
        """A new event is compatible."""
        new = catalogue_schema([OrderPlaced, ProductSearch, Shipment, ProductViewed])

        [change] = compare_schemas(saved, new)
        assert ("product_viewed", "event added", False) == (
            change.event,
            change.kind,
            change.breaking,
        )

    def test_field_removed(self, saved):
        """A removed field is breaking."""
        assert [("order_placed", "user", "removed")] == breaking(
            changed(saved, lambda e: e["order_placed"]["properties"].pop("user"))
        )

    def test_field_renamed(self, saved):
        """A renamed field is breaking, and recognised as a rename."""

        def edit(events: dict[str, Any]) -> None:
            properties = events["order_placed"]["properties"]
            properties["customer"] = properties.pop("user")

        changes = changed(saved, edit)

        assert [("order_placed", "user", "renamed")] == breaking(changes)
        assert "'customer'" in changes[0].message

    def test_field_became_required(self, saved):
        """A field becoming required is breaking."""
        assert [("order_placed", "user", "required")] == breaking(
            changed(saved, lambda e: e["order_placed"]["required"].append("user"))
        )

    def test_new_required_field(self, saved):
        """A new required field is breaking; a new optional one is not."""

        def edit(events: dict[str, Any]) -> None:
            events["product_search"]["properties"]["page"] = {"type": "integer"}
            events["product_search"]["properties"]["lang"] = {"type": "string"}
            events["product_search"]["required"].append("page")

        changes = changed(saved, edit)

        assert [("product_search", "page", "required")] == breaking(changes)
        assert any(c.kind == "added" and c.path == "lang" for c in changes)

    def test_field_became_optional(self, saved):
        """A field becoming optional is compatible."""
        changes = changed(saved, lambda e: e["order_placed"]["required"].clear())

        assert [("order_placed", "order", "optional", False)] == [
            (c.event, c.path, c.kind, c.breaking) for c in changes
        ]

    @pytest.mark.parametrize(
        ("field_name", "new", "message"),
        [
            ("either", {"type": "integer"}, "string no longer accepted"),
            ("user", {"type": ["integer", "string"]}, "null no longer accepted"),
            ("carrier", {"enum": ["ups"]}, 'no longer accepts "dhl"'),
            ("code", {"type": "string", "pattern": "^[A-Z]+$"}, "pattern"),
            ("points", {"type": "integer", "minimum": 5}, "lower bound"),
            ("anything", {"type": "string"}, "any value no longer accepted"),
            ("ref", {"type": "string", "format": "date"}, "format"),
            ("level", {"type": "string", "enum": ["low"]}, 'no longer accepts "high"'),
            ("level", {"const": "low"}, 'no longer accepts "high"'),
            ("carrier", {"type": "integer"}, 'values "ups", "dhl" no longer all'),
            (
                "tags",
                {
                    "type": "array",
                    "items": {"type": "string"},
                    "uniqueItems": True,
                    "maxItems": 2,
                },
                "maxItems",
            ),
        ],
    )
    def test_type_narrowed(self, saved, field_name, new, message):
        """A narrowed type is breaking, and the message says what is refused."""

        def edit(events: dict[str, Any]) -> None:
            events["test_schema_shipment"]["properties"][field_name] = new

        changes = changed(saved, edit)

        assert [("test_schema_shipment", field_name, "narrowed")] == breaking(changes)[
            :1
        ]
        assert any(message in c.message for c in changes if c.breaking)

    def test_nested_changes(self, saved):
        """Changes inside nested objects and arrays are found, by path."""

        def edit(events: dict[str, Any]) -> None:
            parcel = events["test_schema_shipment"]["properties"]["parcels"]["items"]
            parcel["properties"].pop("tracking")
            parcel["properties"]["weight"] = {"type": "number"}

        assert {
            ("test_schema_shipment", "parcels[].tracking", "removed"),
            ("test_schema_shipment", "parcels[].weight", "narrowed"),
        } == set(breaking(changed(saved, edit)))

    def test_widened(self, saved):
        """Accepting more is compatible."""

        def edit(events: dict[str, Any]) -> None:
            properties = events["test_schema_shipment"]["properties"]
            properties["either"] = {
                "anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]
            }
            properties["carrier"] = {"enum": ["ups", "dhl", "fedex"]}
            properties["points"] = {"type": "number"}

        changes = changed(saved, edit)

        assert [] == breaking(changes)
        assert {"either", "carrier", "points"} == {c.path for c in changes}

    def test_version_bump(self, saved):
        """A new version is a new contract: reported, not breaking."""

        def edit(events: dict[str, Any]) -> None:
            events["order_placed"]["x-commerce-events"]["version"] = 2
            events["order_placed"]["properties"].pop("user")

        [change] = changed(saved, edit)
        assert ("version", False) == (change.kind, change.breaking)

    def test_not_an_export(self, saved):
        """Documents that are not exports are refused."""
        with pytest.raises(ValueError, match="old document"):
            compare_schemas({"$defs": {}}, saved)
        with pytest.raises(ValueError, match="new document"):
            compare_schemas(saved, {"x-commerce-events": {}, "$defs": {"a": 1}})

    def test_str(self):
        """A change reads as one line."""
        change = SchemaChange("order_placed", "user", "removed", True, "field removed")

        assert "BREAKING: order_placed.user: field removed" == str(change)


# -- the command line -------------------------------------------------------------------


def run(*argv: str) -> tuple[int, str, str]:
    """Run ``python -m commerce_events schema`` in-process: (status, out, err)."""
    out, err = io.StringIO(), io.StringIO()
    status = _cli.main(["schema", *argv], out, err)
    return status, out.getvalue(), err.getvalue()


class TestCommandLine:
    def test_export(self):
        """The export is the catalogue's schema, as JSON."""
        status, out, _ = run("--event", "order_placed", "--event", "product_search")

        assert 0 == status
        assert catalogue_schema([OrderPlaced, ProductSearch]) == json.loads(out)

    def test_whole_catalogue(self):
        """Without --event, every event is exported; unsupported ones are left out."""
        status, out, err = run()

        assert 0 == status
        exported = set(json.loads(out)["$defs"])
        assert {signal(s).name for s in (*BUILT_IN, Shipment)} <= exported
        assert "test_schema_unsupported" not in exported
        assert "test_schema_unsupported left out" in err

    def test_output_file(self, tmp_path):
        """--output writes a file."""
        target = tmp_path / "events.schema.json"

        assert 0 == run("--event", "order_placed", "-o", str(target))[0]
        assert catalogue_schema([OrderPlaced]) == json.loads(target.read_text())

    def test_check_passes(self, tmp_path):
        """--check exits 0 when nothing breaks."""
        saved = tmp_path / "saved.json"
        run("--event", "order_placed", "-o", str(saved))

        status, out, _ = run(
            "--event",
            "order_placed",
            "--event",
            "product_search",
            "--check",
            str(saved),
        )

        assert 0 == status
        assert "compatible: product_search: event added" in out
        assert "no breaking changes" in out

    def test_check_fails(self, tmp_path):
        """--check exits 1 and lists breaking changes."""
        saved = tmp_path / "saved.json"
        saved.write_text(json.dumps(catalogue_schema([OrderPlaced, ProductSearch])))

        status, out, _ = run("--event", "order_placed", "--check", str(saved))

        assert 1 == status
        assert "BREAKING: product_search: event removed" in out
        assert "1 breaking change" in out

    @pytest.mark.parametrize("content", [None, "{", '{"$defs": {}}'])
    def test_check_unreadable(self, tmp_path, content):
        """An unreadable saved export is exit status 2."""
        saved = tmp_path / "saved.json"
        if content is not None:
            saved.write_text(content)

        status, _, err = run("--check", str(saved))

        assert 2 == status
        assert "cannot check" in err

    def test_import(self, tmp_path, monkeypatch):
        """--import loads the module defining custom events first."""
        (tmp_path / "schema_cli_events.py").write_text(
            textwrap.dedent(
                '''
                from commerce_events import event, field

                @event("test_schema_cli_points")
                class Points:
                    """Points awarded."""

                    points: int = field(doc="How many")
                '''
            )
        )
        monkeypatch.syspath_prepend(str(tmp_path))

        status, out, _ = run(
            "--import", "schema_cli_events", "--event", "test_schema_cli_points"
        )

        assert 0 == status
        assert {"type": "integer", "description": "How many"} == json.loads(out)[
            "$defs"
        ]["test_schema_cli_points"]["properties"]["points"]


# -- versions, ids, files -------------------------------------------------------------


@event("test_schema_priced")
class PricedV1:
    """A price was set (version 1)."""

    amount: int = field(doc="In cents")


@event("test_schema_priced", version=2)
class Priced:
    """A price was set (version 2: with its currency)."""

    amount: int = field(doc="In cents")
    currency: str = field(doc="ISO 4217")


class TestIdentity:
    def test_dialect_and_id(self):
        """Each schema is a resource of its own: dialect, and an id per version."""
        v1, v2 = json_schema(PricedV1), json_schema(Priced)

        assert DIALECT == v1["$schema"] == v2["$schema"]
        assert "urn:commerce-events:schema:test_schema_priced/v1.json" == v1["$id"]
        assert "urn:commerce-events:schema:test_schema_priced/v2.json" == v2["$id"]

    def test_base_uri(self, base_uri):
        """The id follows the configured base URI."""
        set_schema_base_uri("https://schemas.shop.example/events/")

        assert (
            "https://schemas.shop.example/events/order_placed/v1.json"
            == json_schema(OrderPlaced)["$id"]
        )

    def test_versions_in_the_export(self):
        """Versions after the first are keyed name.vN; the first keeps the name."""
        document = catalogue_schema([PricedV1, Priced])

        assert ["test_schema_priced", "test_schema_priced.v2"] == list(
            document["$defs"]
        )

    def test_id_changes_are_not_the_contract(self, saved, base_uri):
        """Serving the schemas elsewhere changes no contract."""
        set_schema_base_uri("https://elsewhere.example/")

        assert [] == compare_schemas(
            saved, catalogue_schema([OrderPlaced, ProductSearch, Shipment])
        )


class TestWriteSchemas:
    def test_files_and_index(self, tmp_path, base_uri):
        """One file per version at its path under the base, and an index."""
        set_schema_base_uri("https://schemas.shop.example/events/")

        written = write_schemas(tmp_path, [OrderPlaced, PricedV1, Priced])

        assert [
            tmp_path / "order_placed" / "v1.json",
            tmp_path / "test_schema_priced" / "v1.json",
            tmp_path / "test_schema_priced" / "v2.json",
            tmp_path / INDEX,
        ] == written
        assert json_schema(Priced) == json.loads(written[2].read_text())
        index = json.loads((tmp_path / INDEX).read_text())
        assert "https://schemas.shop.example/events/" == index["base"]
        assert {
            "event": "test_schema_priced",
            "version": 2,
            "title": "Priced",
            "$id": "https://schemas.shop.example/events/test_schema_priced/v2.json",
            "path": "test_schema_priced/v2.json",
        } == index["events"][2]
        for entry in index["events"]:
            # Served at the base, each path is its $id.
            assert index["base"] + entry["path"] == entry["$id"]

    def test_command_line(self, tmp_path, base_uri):
        """schema --out DIR --base-uri URI writes the files."""
        status, _, err = run(
            "--event",
            "test_schema_priced",
            "--out",
            str(tmp_path),
            "--base-uri",
            "https://schemas.shop.example/",
        )

        assert 0 == status
        assert f"wrote 2 schemas and {tmp_path / INDEX}" in err
        assert (
            "https://schemas.shop.example/test_schema_priced/v1.json"
            == json.loads((tmp_path / "test_schema_priced" / "v1.json").read_text())[
                "$id"
            ]
        )

    def test_bad_base_uri(self, tmp_path, capsys):
        with pytest.raises(SystemExit) as exit_:
            run("--out", str(tmp_path), "--base-uri", "schemas/")

        assert 2 == exit_.value.code
        assert "--base-uri: the schema base URI must be an absolute URI" in (
            capsys.readouterr().err
        )

    def test_out_with_check(self, tmp_path, capsys):
        with pytest.raises(SystemExit):
            run("--out", str(tmp_path), "--check", str(tmp_path / "x.json"))

        assert "--out cannot be used with --check" in capsys.readouterr().err


class TestVersionedChecks:
    def test_breaking_change_without_version(self, tmp_path):
        """A breaking change to a saved version fails, and says what to do."""
        saved = tmp_path / "saved.json"
        old = catalogue_schema([PricedV1])
        old["$defs"]["test_schema_priced"]["properties"]["amount"]["type"] = "string"
        saved.write_text(json.dumps(old))

        status, out, _ = run("--event", "test_schema_priced", "--check", str(saved))

        assert 1 == status
        assert "BREAKING: test_schema_priced.amount: string no longer accepted" in out
        assert (
            "test_schema_priced: breaking changes to version 1 need a new version: "
            "keep version 1's payload class as it was and register the new "
            "contract beside it, @event('test_schema_priced', version=N), with an "
            "@upcaster from version 1"
        ) in out

    def test_new_version_beside_the_old(self, tmp_path):
        """A new contract registered as a new version beside the old one passes."""
        saved = tmp_path / "saved.json"
        saved.write_text(json.dumps(catalogue_schema([PricedV1])))

        status, out, _ = run("--event", "test_schema_priced", "--check", str(saved))

        assert 0 == status
        assert (
            "compatible: test_schema_priced v2: version 2 added beside version 1"
        ) in out
        assert "no breaking changes" in out

    def test_version_replaced(self, saved):
        """Version 1 saved, version 2 only now: a new contract, reported."""
        new = catalogue_schema([OrderPlaced, ProductSearch, Shipment])
        v2 = copy.deepcopy(new["$defs"].pop("order_placed"))
        v2["x-commerce-events"]["version"] = 2
        new["$defs"]["order_placed.v2"] = v2

        assert [
            SchemaChange(
                "order_placed",
                "",
                "version",
                False,
                "version 1 -> 2: a new contract (its envelopes have another type)",
                2,
            )
        ] == compare_schemas(saved, new)

    def test_version_dropped(self):
        """Dropping the older of two versions is reported; the latest, breaking."""
        both = catalogue_schema([PricedV1, Priced])
        only_v2 = catalogue_schema([Priced])
        only_v1 = catalogue_schema([PricedV1])

        assert [("version", False)] == [
            (c.kind, c.breaking) for c in compare_schemas(both, only_v2)
        ]
        assert [("version removed", True)] == [
            (c.kind, c.breaking) for c in compare_schemas(both, only_v1)
        ]
        assert {} == needs_new_version(compare_schemas(both, only_v1))

    def test_malformed_event(self, saved):
        saved["$defs"]["order_placed"]["x-commerce-events"]["version"] = "one"
        with pytest.raises(ValueError, match="malformed event 'order_placed'"):
            compare_schemas(saved, saved)


@pytest.fixture(name="base_uri")
def _base_uri() -> Iterator[None]:
    """Restore the schema base URI after the test."""
    before = schema_base_uri()
    yield
    set_schema_base_uri(before)


# -- evolution checks, generated -------------------------------------------------------

# A field's type, from loosest to tightest within each family.
_FIELD_TYPES: dict[str, tuple[Any, Any]] = {
    "int": (int, 0),
    "int>=0": (Annotated[int, at.Ge(0)], 0),
    "int>=10": (Annotated[int, at.Ge(10)], 10),
    "str": (str, ""),
    "str<=5": (Annotated[str, at.MaxLen(5)], ""),
    "bool": (bool, False),
}
_TIGHTER = {"int": "int>=0", "int>=0": "int>=10", "str": "str<=5"}
_LOOSER = {tight: loose for loose, tight in _TIGHTER.items()}
_OTHER_FAMILY = {"int": "str", "str": "bool", "bool": "int"}
_evolved = itertools.count()

Definition = dict[str, tuple[str, bool]]  # field -> (type, required)


def define(name: str, definition: Definition, version: int = 1) -> type[Any]:
    body: dict[str, Any] = {"__annotations__": {}, "__doc__": "Generated."}
    for fname, (kind, required) in definition.items():
        tp, default = _FIELD_TYPES[kind]
        body["__annotations__"][fname] = tp
        body[fname] = (
            field(doc=fname) if required else field(doc=fname, default=default)
        )
    return event(name, version=version)(type("Generated", (), body))


field_names = st.from_regex(r"[a-z]{1,6}", fullmatch=True).filter(
    lambda n: n not in {"sender", "self"} and not keyword.iskeyword(n)
)
definitions = st.dictionaries(
    field_names,
    st.tuples(st.sampled_from(sorted(_FIELD_TYPES)), st.booleans()),
    min_size=1,
    max_size=5,
)


@st.composite
def breaking_mutations(draw: st.DrawFn, before: Definition) -> tuple[str, Definition]:
    """A breaking change to *before*: (what, after)."""
    after = dict(before)
    name = draw(st.sampled_from(sorted(before)))
    kind, required = before[name]
    options = ["remove", "rename", "add required", "change type"]
    if not required:
        options.append("make required")
    if kind in _TIGHTER:
        options.append("tighten")
    what = draw(st.sampled_from(options))
    if what == "remove":
        del after[name]
    elif what == "rename":
        new_name = draw(field_names.filter(lambda n: n not in before))
        after = {(new_name if n == name else n): v for n, v in before.items()}
    elif what == "add required":
        new_name = draw(field_names.filter(lambda n: n not in before))
        after[new_name] = (draw(st.sampled_from(sorted(_FIELD_TYPES))), True)
    elif what == "change type":
        family = kind.partition("<")[0].partition(">")[0]
        after[name] = (_OTHER_FAMILY[family], required)
    elif what == "make required":
        after[name] = (kind, True)
    else:
        after[name] = (_TIGHTER[kind], required)
    return what, after


@st.composite
def compatible_mutations(draw: st.DrawFn, before: Definition) -> tuple[str, Definition]:
    """A compatible change to *before*: (what, after)."""
    after = dict(before)
    options = ["add optional"]
    if any(required for _, required in before.values()):
        options.append("make optional")
    if any(kind in _LOOSER for kind, _ in before.values()):
        options.append("loosen")
    what = draw(st.sampled_from(options))
    if what == "add optional":
        new_name = draw(field_names.filter(lambda n: n not in before))
        after[new_name] = (draw(st.sampled_from(sorted(_FIELD_TYPES))), False)
    elif what == "make optional":
        name = draw(st.sampled_from(sorted(n for n, v in before.items() if v[1])))
        after[name] = (before[name][0], False)
    else:
        name = draw(
            st.sampled_from(sorted(n for n, v in before.items() if v[0] in _LOOSER))
        )
        after[name] = (_LOOSER[before[name][0]], before[name][1])
    return what, after


def evolve(
    before: Definition, after: Definition, forget: Callable[[str], None]
) -> tuple[Any, Any, Any]:
    """Saved export of *before*; current exports: *after* unversioned, versioned."""
    number = next(_evolved)
    name = f"test_schema_evolved_{number}"
    saved = catalogue_schema([define(name, before)])
    # The changed class is registered under a name of its own (a name's version
    # is registered once per process), then exported under the saved name.
    changed = json_schema(define(f"{name}_after", after))
    # The exports are data: the classes are no longer needed.
    forget(name)
    forget(f"{name}_after")
    changed["x-commerce-events"]["event"] = name
    unversioned = copy.deepcopy(saved)
    unversioned["$defs"][name] = changed
    versioned = copy.deepcopy(saved)
    bumped = copy.deepcopy(changed)
    bumped["x-commerce-events"]["version"] = 2
    versioned["$defs"][f"{name}.v2"] = bumped
    return saved, unversioned, versioned


def check_status(tmp_path: Any, saved: Any, current: Any) -> tuple[int, str]:
    """``schema --check``'s verdict of *current* against *saved*."""
    path = tmp_path / f"saved_{next(_evolved)}.json"
    path.write_text(json.dumps(saved))
    out, err = io.StringIO(), io.StringIO()
    return _cli._check(str(path), current, out, err), out.getvalue()


class TestEvolutionProperties:
    @settings(
        max_examples=max(10, settings.default.max_examples // 2),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(data=st.data(), before=definitions)
    def test_unversioned_breaking_change_caught(
        self, tmp_path_factory, forget_event, data, before
    ):
        """Every breaking change fails the check, unless it is a new version."""
        what, after = data.draw(breaking_mutations(before), label="mutation")
        saved, unversioned, versioned = evolve(before, after, forget_event)
        tmp_path = tmp_path_factory.mktemp("evolution")

        status, out = check_status(tmp_path, saved, unversioned)
        assert 1 == status, (what, out)
        assert "need a new version" in out
        assert 0 == check_status(tmp_path, saved, versioned)[0]

    @settings(
        max_examples=max(10, settings.default.max_examples // 2),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(data=st.data(), before=definitions)
    def test_compatible_change_not_flagged(self, forget_event, data, before):
        what, after = data.draw(compatible_mutations(before), label="mutation")
        saved, unversioned, _ = evolve(before, after, forget_event)

        changes = compare_schemas(saved, unversioned)

        assert [] == [c for c in changes if c.breaking], what
        assert changes, what  # reported all the same


# -- the schemas and the reader agree ---------------------------------------------


@event("test_schema_refund")
class Refund:
    """Money, optional fields, bounds, a domain with a registered identity."""

    amount: Decimal = field(validator=validators.money_amount, doc="Refunded")
    currency: str = field(validator=validators.currency_code, doc="ISO 4217")
    lines: Annotated[int, at.Ge(1), at.Le(50)] = field(doc="How many lines")
    product: Product = field(doc="A product, by its identity hook")
    rate: float = field(default=0.0, validator=attrs.validators.ge(0), doc="Rate")
    exact: Decimal | None = field(default=None, doc="Any decimal")
    note: str | None = field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.max_len(20)),
        doc="A short note",
    )
    kind: Literal[1, 2, "other"] = field(default=1, doc="A kind")
    day: dt.date | None = field(default=None, doc="When")


AGREEMENT_EVENTS = (*BUILT_IN, Shipment, Refund)

# Any JSON value (shallow: documents nested deeper than the reader's limit are
# refused, a limit JSON Schema has no word for).
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


_FORMAT_VALUES: dict[str, st.SearchStrategy[str]] = {
    "uuid": st.uuids().map(str),
    "date": st.dates().map(dt.date.isoformat),
    "date-time": st.datetimes(timezones=st.timezones()).map(dt.datetime.isoformat),
    "decimal": st.decimals(allow_nan=False, allow_infinity=False).map(str),
}


def from_schema(node: Any) -> st.SearchStrategy[Any]:
    """Documents valid for *node*, for the vocabulary the export uses."""
    if node is False:
        return st.nothing()
    if "not" in node:
        refused = jsonschema.Draft202012Validator(node["not"])
        rest = {k: v for k, v in node.items() if k != "not"}
        return from_schema(rest).filter(lambda v: not refused.is_valid(v))
    if node is True or not ({"type", "anyOf", "enum"} & node.keys()):
        return JSON_VALUES
    if "anyOf" in node:
        shared = {k: v for k, v in node.items() if k != "anyOf"}
        return st.one_of([from_schema({**shared, **a}) for a in node["anyOf"]])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node["type"]
    if isinstance(kind, list):
        return st.one_of([from_schema({**node, "type": k}) for k in kind])
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind in ("integer", "number"):
        low, high = node.get("minimum"), node.get("maximum")
        above, below = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
        if low is None and above is not None:
            lowest: int | None = math.floor(above) + 1
        else:
            lowest = None if low is None else math.ceil(low)
        if high is None and below is not None:
            highest: int | None = math.ceil(below) - 1
        else:
            highest = None if high is None else math.floor(high)
        integers = st.integers(lowest, highest)
        # A float with an integral value is an integer to JSON Schema.
        numbers = st.one_of(integers, integers.map(float))
        if kind == "number":
            numbers |= st.floats(
                low if low is not None else above,
                high if high is not None else below,
                exclude_min=low is None and above is not None,
                exclude_max=high is None and below is not None,
                allow_nan=False,
                allow_infinity=False,
            )
        return numbers
    if kind == "string":
        shortest, longest = node.get("minLength", 0), node.get("maxLength")
        if "pattern" in node:
            fits = re.compile(node["pattern"])
            # Hypothesis cannot draw from patterns with lookaheads (dates,
            # money): the format's values, and short numbers, checked.
            drawn = _FORMAT_VALUES.get(node.get("format"))
            if drawn is None:
                drawn = st.from_regex(fits)
            return st.one_of(drawn, st.text("0123456789.eE+-", max_size=12)).filter(
                lambda text: (
                    bool(fits.search(text))
                    and shortest <= len(text) <= (longest or math.inf)
                )
            )
        return st.text(min_size=shortest, max_size=longest)
    if kind == "array":
        if "prefixItems" in node:
            return st.tuples(*map(from_schema, node["prefixItems"])).map(list)
        return st.lists(
            from_schema(node.get("items", {})),
            min_size=node.get("minItems", 0),
            max_size=min(node.get("maxItems", 3), 3),
            unique_by=(lambda v: json.dumps(v, sort_keys=True))
            if node.get("uniqueItems")
            else None,
        )
    properties = node.get("properties", {})
    if not properties:
        return st.dictionaries(
            from_schema(node.get("propertyNames", {"type": "string"})),
            from_schema(node.get("additionalProperties", {})),
            max_size=3,
        )
    required = node.get("required", [])
    return st.fixed_dictionaries(
        {k: from_schema(properties[k]) for k in required},
        optional={
            k: from_schema(v) for k, v in properties.items() if k not in required
        },
    )


def mutated(document: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """*document* with one field replaced by any JSON value (often invalid)."""
    values = JSON_VALUES | st.from_regex(r"[-+0-9.eE:T]{0,12}", fullmatch=True)
    return st.tuples(st.sampled_from(sorted(document) or ["x"]), values).map(
        lambda change: {**document, change[0]: change[1]}
    )


# Cross-field checks (differs_from) have no JSON Schema keyword: a document
# the schema accepts may still be refused for them, and only for them.
_CROSS_FIELD = "must differ from"


def _reads(payload_type: type[Any], document: Any, unknown: Any) -> bool:
    try:
        from_dict(payload_type, document, unknown=unknown)
    except PayloadError as exc:
        if all(_CROSS_FIELD in reason for reason in exc.fields.values()):
            reject()
        return False
    return True


def assert_agree(payload_type: type[Any], document: Any, schema: Any) -> None:
    valid = jsonschema.Draft202012Validator(schema).is_valid(document)
    # A validator that also asserts formats decides the same.
    assert valid == jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.FormatChecker()
    ).is_valid(document)
    # Consumers ignore fields they do not know, as open schemas allow.
    assert valid == _reads(payload_type, document, "ignore"), document
    if set(document) <= set(schema["properties"]):
        assert valid == _reads(payload_type, document, "reject"), document


def _product(identity: object) -> object:
    # What a load hook does (a lookup): refuse what is no identity. The
    # runtime can only enforce a registered schema through the load hook.
    if type(identity) is not int:
        raise TypeError(identity)
    return identity


class TestRuntimeAgreement:
    """A document valid for its schema loads; one refused is invalid for it."""

    @pytest.fixture(autouse=True)
    def _context(self) -> Iterator[None]:
        # start_checkout's request is required and never serialized: it is
        # rebuilt inside a request context only.
        register_identity(
            "product", dump=lambda p: p.key, load=_product, schema={"type": "integer"}
        )
        with request_context(object()):
            yield

    @pytest.mark.parametrize("payload_type", AGREEMENT_EVENTS, ids=lambda t: t.__name__)
    @settings(
        max_examples=max(10, settings.default.max_examples // 5),
        suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def test_from_the_schema(self, payload_type, data):
        """Documents drawn from the schema load; mutated ones agree."""
        schema = json_schema(payload_type)
        document = data.draw(from_schema(schema), label="valid")

        assert jsonschema.Draft202012Validator(schema).is_valid(document)
        assert_agree(payload_type, document, schema)
        assert_agree(payload_type, data.draw(mutated(document)), schema)

    @pytest.mark.parametrize("payload_type", AGREEMENT_EVENTS, ids=lambda t: t.__name__)
    @settings(
        max_examples=max(10, settings.default.max_examples // 5),
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data=st.data())
    def test_from_payloads(self, payload_type, data):
        """Written documents are valid and load; mutated ones agree."""
        for name, marker in _domain._known.items():
            if not marker.sensitive:
                register_identity(
                    name,
                    dump=lambda o: o.key,
                    load=_product,
                    schema={"type": "integer"},
                )
        schema = json_schema(payload_type)
        strategy = SHIPMENTS if payload_type is Shipment else payloads(payload_type)
        try:
            document = to_dict(data.draw(strategy))
        except SerializationError:
            reject()  # see tests/test_serialization.py for what is refused

        assert jsonschema.Draft202012Validator(schema).is_valid(document)
        assert_agree(payload_type, document, schema)
        assert_agree(payload_type, data.draw(mutated(document)), schema)

    @pytest.mark.parametrize(
        ("value", "valid"),
        [
            ("19.90", True),
            ("1E+30", True),  # one digit, exponent 30
            ("0.5e31", True),  # exponent 30 after the fraction
            ("1e31", False),
            ("1" * 31, False),  # 31 digits
            ("0" * 40 + "1", True),  # leading zeros are not digits of it
            ("-1", False),
            ("-0.00", True),  # not negative
            ("1e100000000", False),
            ("\u0661\u0660", False),  # Arabic-Indic digits
            ("NaN", False),
            ("19.90\n", False),
        ],
    )
    def test_money_bounds(self, value, valid):
        """The money bounds of commerce_events._limits are in the schema."""
        schema = json_schema(Refund)
        document = {"amount": value, "currency": "EUR", "lines": 1, "product": 1}

        assert jsonschema.Draft202012Validator(schema).is_valid(document) is valid
        assert _reads(Refund, document, "reject") is valid

    @pytest.mark.parametrize(
        ("value", "valid"),
        [(5.99e16, True), (2.0, True), (2.5, False), (True, False), (51.0, False)],
    )
    def test_integral_floats_are_integers(self, value, valid):
        """JSON has one kind of number: 2.0 is the integer 2, to both."""
        schema = json_schema(Refund)
        document = {"amount": "1", "currency": "EUR", "product": 1, "lines": value}
        if value == 5.99e16:
            document = {**document, "lines": 1, "product": value}

        assert jsonschema.Draft202012Validator(schema).is_valid(document) is valid
        assert _reads(Refund, document, "reject") is valid
        if valid:
            loaded = from_dict(Refund, document)
            assert type(loaded.lines) is int
            assert loaded.lines == document["lines"]
