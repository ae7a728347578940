"""Input that cannot hurt: the limits of commerce_events._limits, where they apply.

The hostile documents of issue 12, one by one, then a fuzz test over the whole
catalogue: Hypothesis builds valid envelopes of every event and spoils them;
reading them never crashes, never raises anything but the library's own
exceptions, and never changes a value silently. The normal run draws a few
hundred envelopes; ``COMMERCE_EVENTS_STRESS=1`` (``nox -s stress``) draws
10,000.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commerce_events import _domain, catalogue, event
from commerce_events._limits import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    loads,
    money_problem,
    printable,
    shown,
    too_deep,
)
from commerce_events.cloudevents import to_cloudevent
from commerce_events.exceptions import (
    CommerceEventsError,
    EnvelopeError,
    EventDefinitionError,
    PayloadError,
    UnknownEventError,
)
from commerce_events.forwarding import SeenIds, consume_envelope
from commerce_events.serialization import from_dict, to_dict
from commerce_events.testing.strategies import (
    payloads,
    register_domain_strategy,
    reset_domain_strategies,
)

STRESS = os.environ.get("COMMERCE_EVENTS_STRESS") == "1"
FUZZ_EXAMPLES = 10_000 if STRESS else 300


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


class TestLoads:
    def test_json(self):
        assert {"a": [1, "b", None]} == loads('{"a": [1, "b", null]}')

    @pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
    def test_nan_and_infinity_refused(self, constant):
        with pytest.raises(ValueError, match=f"{constant} is not a JSON number"):
            loads(f'{{"amount": {constant}}}')

    @pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
    def test_depth(self, depth):
        with pytest.raises(ValueError, match=f"nested deeper than {MAX_DEPTH}"):
            loads(nested(depth))
        assert [] == loads(nested(1))
        loads(nested(MAX_DEPTH))

    def test_size(self):
        with pytest.raises(ValueError, match=f"larger than {MAX_DOCUMENT_BYTES}"):
            loads('"' + "x" * MAX_DOCUMENT_BYTES + '"')

    def test_not_json(self):
        with pytest.raises(ValueError, match="not JSON"):
            loads(b"\xff")

    def test_too_deep(self):
        assert not too_deep({"a": [{"b": 1}]}, 3)
        assert too_deep({"a": [{"b": [1]}]}, 3)


class TestText:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("plain café", "plain café"),
            ("x\nFORGED line", "x\\nFORGED line"),
            ("\x1b[2J", "\\x1b[2J"),
            ("a\u2028b", "a\\u2028b"),
        ],
    )
    def test_printable(self, text, expected):
        assert expected == printable(text)

    def test_shown_is_short(self):
        assert shown("x" * 10_000).endswith("... (10000 characters)")
        assert len(shown("x" * 10_000)) < 120
        assert "'\\n'" == shown("\n")


class TestMoney:
    @pytest.mark.parametrize("amount", ["0", "19.90", "1" * 30, "1e30", "1e-30"])
    def test_within_bounds(self, amount):
        assert money_problem(Decimal(amount)) is None

    @pytest.mark.parametrize("amount", ["1e100000000", "1" * 31, "NaN", "-Infinity"])
    def test_out_of_bounds(self, amount):
        assert money_problem(Decimal(amount)) is not None


def envelope_of(payload: Any, **changes: Any) -> dict[str, Any]:
    envelope = to_cloudevent(payload, source="/shop/web")
    envelope.update(changes)
    return envelope


class Ident:
    """A domain object with an identity (what shops' models have)."""

    def __init__(self, pk: int | str) -> None:
        self.pk = pk


def refund(**data: Any) -> dict[str, Any]:
    return envelope_of(
        from_dict("order_refunded", {"order": 1, "amount": "1", "currency": "EUR"}),
        data={"order": 1, "amount": "19.90", "currency": "EUR", **data},
    )


class TestHostileEnvelopes:
    """The documents that hurt 0.1, each refused cheaply and clearly."""

    @pytest.mark.parametrize(
        ("length", "problem"),
        [
            (400_000, "type: longer than 4096 characters"),
            (2_000, "event names are at most 100 characters"),
        ],
    )
    def test_huge_event_type(self, length, problem):
        """400,000 characters of type: refused before any "did you mean"."""
        hostile = refund() | {"type": "io.commerce-events." + "x" * length + ".v1"}
        with pytest.raises(EnvelopeError) as caught:
            consume_envelope(hostile)
        assert problem in str(caught.value)
        assert len(str(caught.value)) < 500

    def test_long_unknown_names_get_no_suggestion(self):
        assert "did you mean" in str(
            UnknownEventError("order_placedd", ["order_placed"])
        )
        long = "order_placed" + "d" * 200
        assert "did you mean" not in str(UnknownEventError(long, ["order_placed"]))

    def test_huge_version(self):
        hostile = refund() | {
            "type": "io.commerce-events.order_refunded.v" + "9" * 4000
        }
        with pytest.raises(EnvelopeError, match=r"expected io\.commerce-events"):
            consume_envelope(hostile)

    @pytest.mark.parametrize(
        "amount", ["1e100000000", "١٢٣", "19.90\n", "1" * 200, "0x10"]
    )
    def test_hostile_amounts(self, amount):
        with pytest.raises(PayloadError) as caught:
            consume_envelope(refund(amount=amount))
        assert {"amount"} == caught.value.fields.keys()

    @pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
    def test_nan_literals(self, constant):
        text = json.dumps(refund()).replace('"19.90"', constant)
        with pytest.raises(EnvelopeError, match=f"{constant} is not a JSON number"):
            consume_envelope(text)

    def test_deep_json(self):
        text = json.dumps(refund()).replace('"19.90"', nested(200_000))
        with pytest.raises(EnvelopeError, match="nested deeper than 32 levels"):
            consume_envelope(text)

    def test_deep_data_as_a_mapping(self):
        deep: Any = []
        for _ in range(100):
            deep = [deep]
        with pytest.raises(EnvelopeError, match="nested deeper"):
            consume_envelope(refund(reason=deep))

    def test_deep_document_read_directly(self):
        """from_dict, the other way in, refuses deep documents before reading."""
        deep: Any = []
        for _ in range(5000):
            deep = [deep]
        with pytest.raises(PayloadError) as caught:
            from_dict("order_refunded", {"order": 1, "reason": deep})
        assert {"<document>": "nested deeper than 32 levels"} == caught.value.fields

    @pytest.mark.parametrize(
        ("attribute", "value"),
        [
            ("causationid", 5),
            ("causationid", "not a uuid"),
            ("subject", ["x"]),
            ("time", 1700000000),
            ("id", 5),
            ("source", {"a": 1}),
            ("traceparent", {"nested": True}),
            ("BadName", "x"),
            ("extension", "x" * 5000),
        ],
    )
    def test_every_attribute_type_checked(self, attribute, value):
        with pytest.raises(EnvelopeError) as caught:
            consume_envelope(refund() | {attribute: value})
        assert len(caught.value.fields) == 1

    def test_newline_in_id_never_forges_a_log_line(self, caplog):
        hostile = refund() | {"id": "x\nERROR forged"}
        seen = SeenIds()
        consume_envelope(hostile, seen=seen)
        with caplog.at_level(logging.INFO):
            assert consume_envelope(hostile, seen=seen) is None
        assert caplog.records
        assert all("\n" not in record.getMessage() for record in caplog.records)


class TestEventNames:
    def test_non_ascii_names_refused_at_definition(self):
        """café_ordered could be forwarded but never consumed: refused at once."""
        with pytest.raises(EventDefinitionError, match="ASCII letters"):

            @event("café_ordered")
            class CafeOrdered:
                pass

    def test_long_names_refused(self):
        with pytest.raises(EventDefinitionError, match="longer than 100"):

            @event("x" * 101)
            class Long:
                pass


# -- fuzzing ------------------------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
ATTRIBUTES = st.sampled_from(
    [
        "specversion",
        "id",
        "source",
        "type",
        "subject",
        "time",
        "datacontenttype",
        "data",
        "data_base64",
        "causationid",
        "dataschema",
        "ext",
    ]
)


# The built-in catalogue (other test modules define events of their own).
FORWARDABLE = [
    spec
    for spec in catalogue()
    if spec.payload_type.__module__.startswith("commerce_events.")
    and not any(fs.sensitive and fs.required for fs in spec.fields)
]


def identities() -> st.SearchStrategy[Ident]:
    return st.builds(Ident, st.integers(1, 10**9) | st.text(min_size=1, max_size=10))


@st.composite
def spoiled(draw: st.DrawFn) -> tuple[Any, dict[str, Any] | None]:
    """An envelope of any catalogue event, and its data if it is left valid."""
    # Events with a required field that is never serialized (start_checkout's
    # request) cannot be forwarded, so never consumed.
    spec = draw(st.sampled_from(FORWARDABLE))
    payload = draw(payloads(spec.payload_type))
    envelope: dict[str, Any] = to_cloudevent(payload, source="/fuzz")
    how = draw(
        st.sampled_from(
            ["valid", "attribute", "drop", "field", "extra", "type", "text"]
        )
    )
    valid = None
    if how == "valid":
        valid = dict(envelope["data"])
    elif how == "attribute":
        envelope[draw(ATTRIBUTES)] = draw(JSON)
    elif how == "drop":
        envelope.pop(draw(ATTRIBUTES), None)
    elif how == "field" and spec.fields:
        name = draw(st.sampled_from([fs.name for fs in spec.fields]))
        envelope["data"] = {**envelope["data"], name: draw(JSON)}
    elif how == "extra":
        envelope["data"] = {**envelope["data"], draw(st.text(max_size=8)): draw(JSON)}
    elif how == "type":
        envelope["type"] = draw(
            st.text(max_size=300)
            | st.sampled_from(["io.commerce-events.", ".v1", "io.commerce-events.x.v0"])
            | st.integers().map(lambda n: f"io.commerce-events.{spec.name}.v{n}")
        )
    elif how == "text":
        text = json.dumps(envelope)
        cut = draw(st.integers(0, len(text)))
        return text[:cut] + draw(st.text(max_size=5)) + text[cut:], None
    return envelope, valid


def _integral(value: Any) -> Any:
    """*value* with every float of integral value written as that integer."""
    if type(value) is float and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral(item) for item in value]
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    return value


def _register_identities() -> None:
    for name in list(_domain._known):
        register_domain_strategy(name, identities())


@pytest.fixture
def _identity_strategies() -> Iterator[None]:
    """Domain objects with identities, for this test only."""
    yield
    reset_domain_strategies()


@pytest.mark.usefixtures("_identity_strategies")
class TestFuzz:
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.data())
    def test_spoiled_envelopes(self, data):
        """Never a crash, never a foreign exception, never a silently changed value."""
        _register_identities()
        document, valid = data.draw(spoiled())
        try:
            payload = consume_envelope(
                document, unknown=data.draw(st.sampled_from(["ignore", "reject"]))
            )
        except CommerceEventsError:
            assert valid is None, "a valid envelope was refused"
            return
        assert payload is not None
        written = to_dict(payload)
        if valid is not None:
            assert json.dumps(valid, sort_keys=True, default=str) == json.dumps(
                written, sort_keys=True, default=str
            )
        else:
            sent = document if isinstance(document, dict) else json.loads(document)
            for name, value in written.items():
                if name in sent["data"]:
                    # An accepted value is kept as sent (not coerced): the
                    # same JSON value, where 5.0 and 5 are one number (as the
                    # exported schemas count them).
                    assert json.dumps(
                        _integral(sent["data"][name]), default=str
                    ) == json.dumps(_integral(value), default=str), name
