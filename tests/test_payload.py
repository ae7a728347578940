"""Tests for commerce_events._payload: payload classes, fields and their specs."""

import inspect
import itertools
import keyword
import string
from typing import Annotated, Any, Literal, TypeVar

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import commerce_events
from commerce_events import FieldSpec, PayloadSpec, event, field
from commerce_events._payload import spec_of
from commerce_events.domain import Domain, Request, Response, domain_classes
from commerce_events.exceptions import EventDefinitionError, PayloadError

_counter = itertools.count()


def _unique(label: str) -> str:
    """Return an event name no other test registers."""
    return f"test_payload_{label}_{next(_counter)}"


def _define(label: str, annotations: dict[str, Any], **namespace: Any) -> type:
    """Build (but do not register) a plain class with *annotations*."""
    body = {"__annotations__": annotations, "__module__": __name__, **namespace}
    return type(label, (), body)


@event("test_payload_order_line")
class OrderLine:
    """A line of an order, used to exercise every kind of check."""

    sku: str = field(doc="The stock-keeping unit")
    quantity: int = field(doc="How many", validator=attrs.validators.gt(0))
    price: float | None = field(default=None, doc="The unit price")
    tags: tuple[str, ...] = field(factory=tuple, doc="Labels")
    gift: bool = field(default=False, doc="Whether to gift-wrap it")
    channel: Literal["web", "shop"] = field(default="web", doc="Where it was sold")
    note: str = field(default=None, doc="A None default admits None")


_DEFAULTS = {
    "price": None,
    "tags": (),
    "gift": False,
    "channel": "web",
    "note": None,
}
_REQUIRED = ("sku", "quantity")

_FOREIGN = st.one_of(
    st.binary(), st.builds(object), st.lists(st.integers(), max_size=2)
)

# Per field: a valid value, a wrongly typed value, and a value its validator refuses.
_VALID = {
    "sku": st.text(),
    "quantity": st.integers(min_value=1),
    "price": st.one_of(st.none(), st.floats(allow_nan=False), st.integers()),
    "tags": st.lists(st.text(), max_size=3).map(tuple),
    "gift": st.booleans(),
    "channel": st.sampled_from(["web", "shop"]),
    "note": st.one_of(st.none(), st.text()),
}
_WRONG = {
    "sku": st.one_of(st.integers(), _FOREIGN),
    "quantity": st.one_of(st.booleans(), st.floats(), st.text(), _FOREIGN),
    "price": st.one_of(st.booleans(), st.text(), _FOREIGN),
    "tags": st.one_of(
        st.lists(st.text(), max_size=3),
        st.lists(st.integers(), min_size=1, max_size=3).map(tuple),
        _FOREIGN,
    ),
    "gift": st.one_of(st.integers(), st.text(), _FOREIGN),
    "channel": st.one_of(
        st.text().filter(lambda s: s not in {"web", "shop"}), _FOREIGN
    ),
    "note": st.one_of(st.integers(), _FOREIGN),
}
_REFUSED = {"quantity": st.integers(max_value=0)}

_IDENTIFIERS = st.tuples(
    st.sampled_from(string.ascii_lowercase),
    st.text(alphabet=string.ascii_lowercase + string.digits + "_", max_size=9),
).map("".join)


def _faults(name: str) -> list[str]:
    """The ways field *name* of OrderLine can be given wrongly."""
    spec = spec_of(OrderLine)
    assert spec is not None
    fs = {f.name: f for f in spec.fields}[name]
    kinds = ["wrong"]
    if fs.required:
        kinds.append("missing")
    if not fs.none_ok:
        kinds.append("none")
    if name in _REFUSED:
        kinds.append("refused")
    return kinds


@st.composite
def _valid_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments OrderLine accepts; optional fields are sometimes left out."""
    kwargs = {}
    for name, values in _VALID.items():
        if name in _REQUIRED or draw(st.booleans()):
            kwargs[name] = draw(values)
    return kwargs


@st.composite
def _invalid_call(draw: st.DrawFn) -> tuple[tuple[Any, ...], dict[str, Any], set[str]]:
    """Positional args, keyword args and the exact set of offending names."""
    kwargs = draw(_valid_kwargs())
    expected: set[str] = set()
    for name in draw(st.sets(st.sampled_from(list(_VALID)), max_size=len(_VALID))):
        kind = draw(st.sampled_from(_faults(name)))
        expected.add(name)
        if kind == "missing":
            kwargs.pop(name, None)
        elif kind == "none":
            kwargs[name] = None
        elif kind == "wrong":
            kwargs[name] = draw(_WRONG[name])
        else:
            kwargs[name] = draw(_REFUSED[name])
    unknown = draw(
        st.sets(
            _IDENTIFIERS.filter(lambda n: n not in _VALID and n != "self"), max_size=3
        )
    )
    for name in unknown:
        kwargs[name] = draw(_FOREIGN)
    expected |= unknown
    args = tuple(
        draw(st.lists(st.integers(), max_size=2, min_size=0 if expected else 1))
    )
    if args:
        expected.add("<positional>")
    return args, kwargs, expected


class TestField:
    """commerce_events.field: attrs fields with documentation."""

    def test_doc_reaches_the_field_spec(self):
        """The doc given to field() is the FieldSpec's doc."""
        spec = spec_of(OrderLine)
        assert spec is not None
        assert "The stock-keeping unit" == spec.fields[0].doc

    def test_plain_attrs_field_works(self):
        """A plain attrs.field declares a field with an empty doc and its default."""

        @event(_unique("plain_attrs_field"))
        class Plain:
            size: int = attrs.field(default=3)

        (fs,) = commerce_events.signal(Plain).spec.fields
        assert ("size", "", False, 3) == (fs.name, fs.doc, fs.required, fs.default)
        assert 3 == Plain().size

    @given(st.text(), st.dictionaries(st.text(), st.integers(), max_size=3))
    def test_metadata_is_kept_next_to_the_doc(self, doc, metadata):
        """Extra metadata is stored with the doc, without replacing it."""
        made = field(doc=doc, metadata=metadata)
        assert {**metadata, "commerce_events.doc": doc} == dict(made.metadata)

    def test_factory_makes_a_fresh_default_per_payload(self):
        """A factory default is called for each payload that omits the field."""

        @event(_unique("factory_default"))
        class Basket:
            items: list[str] = field(factory=list)

        first, second = Basket(), Basket()
        assert [] == first.items
        assert first.items is not second.items

    def test_factory_field_is_optional_without_a_plain_default(self):
        """A field with a factory is optional and its spec reports no plain default."""
        spec = spec_of(OrderLine)
        assert spec is not None
        tags = {f.name: f for f in spec.fields}["tags"]
        assert (False, attrs.NOTHING) == (tags.required, tags.default)

    @given(st.integers())
    def test_converter_runs_before_the_check(self, number):
        """A converter's output, not its input, is what gets type-checked."""
        assert number == _Counted(count=str(number)).count

    @given(st.one_of(st.integers(), st.floats(allow_nan=False)))
    def test_converter_output_of_the_wrong_type_is_refused(self, number):
        """A converter returning a wrongly typed value makes a PayloadError."""
        if isinstance(number, int):
            assert abs(number) == _Absolute(value=number).value
        else:
            with pytest.raises(PayloadError) as info:
                _Absolute(value=number)
            assert {"value"} == set(info.value.fields)

    @given(st.integers())
    def test_validator_sees_the_converted_value(self, number):
        """Validators run on the value produced by the converter."""
        _SEEN.clear()
        _Doubled(value=number)
        assert [number * 2] == _SEEN

    def test_repr_false_hides_the_field(self):
        """A field declared with repr=False is left out of the payload's repr."""

        @event(_unique("repr_false"))
        class Login:
            user: str
            pin: str = field(repr=False)

        shown = repr(Login(user="ann", pin="1234"))
        assert f"{Login.__name__}(user='ann')" == shown

    def test_repr_callable_formats_the_field(self):
        """A field declared with a repr callable is shown through that callable."""

        @event(_unique("repr_callable"))
        class Card:
            number: str = field(repr=lambda n: "*" * len(n))

        assert f"{Card.__name__}(number=****)" == repr(Card(number="1234"))

    @given(st.text(), st.text(), st.text())
    def test_eq_false_is_left_out_of_equality_and_hash(self, name, first, second):
        """A field declared with eq=False does not affect equality or hashing."""
        one, two = _Traced(name=name, trace=first), _Traced(name=name, trace=second)
        assert one == two
        assert hash(one) == hash(two)


@event("test_payload_absolute")
class _Absolute:
    value: int = field(converter=abs)


@event("test_payload_counted")
class _Counted:
    count: int = field(converter=int)


_SEEN: list[Any] = []


@event("test_payload_doubled")
class _Doubled:
    value: int = field(
        converter=lambda v: v * 2, validator=lambda _, __, v: _SEEN.append(v)
    )


@event("test_payload_traced")
class _Traced:
    name: str
    trace: str = field(eq=False)


class TestPayloadClass:
    """The class made by @event: frozen, slotted, keyword-only attrs class."""

    @given(_valid_kwargs())
    def test_valid_arguments_construct_and_are_kept(self, kwargs):
        """Valid keyword arguments always build a payload holding exactly them."""
        payload = OrderLine(**kwargs)
        for name in _VALID:
            assert kwargs.get(name, _DEFAULTS.get(name)) is getattr(payload, name)

    def test_is_an_attrs_class_with_fields_in_declaration_order(self):
        """The payload class is an attrs class whose fields keep declaration order."""
        assert attrs.has(OrderLine)
        assert tuple(_VALID) == tuple(a.name for a in attrs.fields(OrderLine))

    def test_every_field_is_keyword_only(self):
        """Every attrs field of a payload class is keyword-only."""
        assert all(a.kw_only for a in attrs.fields(OrderLine))

    def test_signature_is_keyword_only(self):
        """inspect.signature shows keyword-only fields; required ones lack a default."""
        params = inspect.signature(OrderLine).parameters
        assert tuple(_VALID) == tuple(params)
        assert all(p.kind is p.KEYWORD_ONLY for p in params.values())
        assert {"sku", "quantity"} == {
            n for n, p in params.items() if p.default is p.empty
        }

    @given(_valid_kwargs(), st.sampled_from(list(_VALID)))
    def test_is_frozen(self, kwargs, name):
        """Assigning to any field of a payload raises FrozenInstanceError."""
        payload = OrderLine(**kwargs)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(payload, name, getattr(payload, name))

    def test_is_slotted(self):
        """Payloads have slots and no instance dict."""
        payload = OrderLine(sku="a", quantity=1)
        assert "__slots__" in OrderLine.__dict__
        assert not hasattr(payload, "__dict__")

    @given(_valid_kwargs())
    def test_equal_arguments_make_equal_payloads_with_equal_hashes(self, kwargs):
        """Two payloads built from the same arguments are equal and hash alike."""
        assert OrderLine(**kwargs) == OrderLine(**kwargs)
        assert hash(OrderLine(**kwargs)) == hash(OrderLine(**kwargs))

    @given(_valid_kwargs(), st.text())
    def test_different_arguments_make_unequal_payloads(self, kwargs, sku):
        """Payloads differing in a field are not equal."""
        other = {**kwargs, "sku": sku}
        assert (kwargs["sku"] == sku) == (OrderLine(**kwargs) == OrderLine(**other))

    def test_payloads_of_different_events_are_not_equal(self):
        """Payloads of two events with the same fields and values are not equal."""

        @event(_unique("twin_a"))
        class TwinA:
            name: str

        @event(_unique("twin_b"))
        class TwinB:
            name: str

        assert TwinA(name="x") != TwinB(name="x")

    def test_is_registered_on_the_namespace(self):
        """@event registers the payload class's signal under its name."""
        name = _unique("registered")

        @event(name)
        class Registered:
            pass

        assert Registered is commerce_events.namespace[name].payload_type

    def test_aliases_resolve_to_the_same_signal(self):
        """Every alias maps to the same signal object as the event's name."""
        name, alias = _unique("aliased"), _unique("alias")

        @event(name, aliases=(alias,))
        class Aliased:
            pass

        assert commerce_events.namespace[name] is commerce_events.namespace[alias]
        assert (alias,) == commerce_events.signal(Aliased).spec.aliases

    def test_post_init_is_called_after_validation(self):
        """__attrs_post_init__ runs for a valid payload and not for an invalid one."""
        calls = []

        @event(_unique("post_init"))
        class Hooked:
            name: str

            def __attrs_post_init__(self):
                calls.append(self.name)

        Hooked(name="ok")
        with pytest.raises(PayloadError):
            Hooked(name=1)
        assert ["ok"] == calls

    def test_a_class_without_fields_takes_no_arguments(self):
        """A payload class without fields builds with no arguments and refuses any."""

        @event(_unique("empty"))
        class Ping:
            pass

        assert Ping() == Ping()
        with pytest.raises(PayloadError) as info:
            Ping(extra=1)
        assert {"extra"} == set(info.value.fields)

    @pytest.mark.parametrize("name", ["isinstance", "type", "callable", "len", "any"])
    def test_fields_may_be_named_like_builtins(self, name):
        """Field names that shadow builtins do not break validation of other fields."""
        cls = event(_unique(f"builtin_{name}"))(
            _define("Shadow", {name: str, "label": str})
        )
        payload = cls(**{name: "a", "label": "b"})
        assert ("a", "b") == (getattr(payload, name), payload.label)
        with pytest.raises(PayloadError) as info:
            cls(**{name: "a", "label": 1})
        assert {"label"} == set(info.value.fields)


class TestValidation:
    """The generated __init__: one PayloadError naming every offending field."""

    @given(_invalid_call())
    def test_names_exactly_the_offending_fields(self, call):
        """Invalid arguments raise one PayloadError naming exactly the offenders."""
        args, kwargs, expected = call
        with pytest.raises(PayloadError) as info:
            OrderLine(*args, **kwargs)
        assert expected == set(info.value.fields)
        assert ("test_payload_order_line", OrderLine) == (
            info.value.event,
            info.value.payload_type,
        )

    def test_error_is_a_type_error_and_a_value_error(self):
        """The PayloadError is caught by both except TypeError and except ValueError."""
        with pytest.raises(TypeError, match="invalid argument") as as_type:
            OrderLine(sku=1, quantity=1)
        with pytest.raises(ValueError, match="invalid argument") as as_value:
            OrderLine(sku=1, quantity=1)
        assert isinstance(as_type.value, PayloadError)
        assert isinstance(as_value.value, PayloadError)

    @pytest.mark.parametrize(
        ("kwargs", "reason"),
        [
            ({"quantity": 1}, "missing"),
            ({"sku": None, "quantity": 1}, "must not be None"),
            ({"sku": 5, "quantity": 1}, "expected str"),
            ({"sku": "a", "quantity": 0}, "must be > 0"),
        ],
    )
    def test_reason_says_what_is_wrong(self, kwargs, reason):
        """Each offending field's reason describes the problem."""
        with pytest.raises(PayloadError) as info:
            OrderLine(**kwargs)
        (why,) = info.value.fields.values()
        assert reason in why

    @given(st.text(), st.integers(min_value=1))
    def test_unknown_reason_lists_the_fields(self, sku, quantity):
        """An unknown argument's reason lists the payload's real fields."""
        with pytest.raises(PayloadError) as info:
            OrderLine(sku=sku, quantity=quantity, colour="red")
        assert all(name in info.value.fields["colour"] for name in _VALID)

    @pytest.mark.parametrize("name", ["self", "sender", "_private", "_ce_args"])
    def test_odd_unknown_keywords_are_reported(self, name):
        """Unknown keywords that look like parameter names are reported too."""
        with pytest.raises(PayloadError) as info:
            OrderLine(sku="a", quantity=1, **{name: 1})
        assert {name} == set(info.value.fields)

    @given(st.lists(st.text(), min_size=1, max_size=3))
    def test_positional_arguments_are_refused(self, args):
        """Positional arguments are refused even when every field is also given."""
        with pytest.raises(PayloadError) as info:
            OrderLine(*args, sku="a", quantity=1)
        assert {"<positional>"} == set(info.value.fields)

    @given(st.one_of(st.none(), st.integers()))
    def test_none_default_admits_none(self, value):
        """A field whose default is None admits None whatever its annotation."""
        assert value == _NoneDefault(count=value).count

    @given(st.integers(), st.text())
    def test_validators_report_together_with_type_errors(self, bad, sku):
        """A failing validator is reported alongside wrongly typed fields."""
        with pytest.raises(PayloadError) as info:
            OrderLine(sku=bad, quantity=0, note=sku or 1)
        expected = {"sku", "quantity"} | ({"note"} if not sku else set())
        assert expected == set(info.value.fields)

    @given(st.integers(max_value=0))
    def test_validator_list_failures_are_reported(self, number):
        """A list of validators is checked, its failure reported on the field."""
        with pytest.raises(PayloadError) as info:
            _Listed(amount=number)
        assert {"amount"} == set(info.value.fields)


@event("test_payload_listed")
class _Listed:
    amount: int = field(
        validator=[attrs.validators.instance_of(int), attrs.validators.gt(0)]
    )


@event("test_payload_none_default")
class _NoneDefault:
    count: int = None


_Token = Annotated[Any, Domain("test_payload_token", "A secret token.", sensitive=True)]


class _Secret:
    """A value whose repr must never be shown."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return f"_Secret(token={self.token!r})"


class _KnownRequest:
    """A declared request class."""


@event("test_payload_visit")
class Visit:
    """A visit carrying sensitive values."""

    page: str
    request: Request
    response: Response | None = None
    token: _Token | None = None


class TestRepr:
    """The generated __repr__."""

    @given(_valid_kwargs())
    def test_shows_every_field_by_repr(self, kwargs):
        """The repr is the class name and every field as name=repr(value)."""
        payload = OrderLine(**kwargs)
        shown = ", ".join(f"{n}={getattr(payload, n)!r}" for n in _VALID)
        assert f"OrderLine({shown})" == repr(payload)

    @given(st.text(), st.text(), st.booleans())
    def test_sensitive_values_show_only_their_type(self, secret, other, with_response):
        """Sensitive domain values appear in the repr as <TypeName> only."""
        response = _Secret(other) if with_response else None
        payload = Visit(
            page="/", request=_Secret(secret), response=response, token=_Secret(other)
        )
        text = repr(payload)
        assert "_Secret(" not in text
        shown = "<_Secret>" if with_response else "None"
        assert (
            f"Visit(page='/', request=<_Secret>, response={shown}, token=<_Secret>)"
            == text
        )

    @given(st.text())
    def test_error_messages_show_sensitive_values_by_type(self, secret):
        """A wrongly typed sensitive value is named by its type only in the error."""
        if (_KnownRequest,) != domain_classes().get("request"):
            commerce_events.declare_domain_classes(request=_KnownRequest)
        with pytest.raises(PayloadError) as info:
            Visit(page="/", request=_Secret(secret))
        assert {"request"} == set(info.value.fields)
        assert "_Secret(" not in str(info.value)
        assert "<_Secret>" in info.value.fields["request"]

    @given(st.text())
    def test_validator_errors_show_sensitive_values_by_type(self, secret):
        """A sensitive value refused by an attrs validator is not shown in the error."""
        with pytest.raises(PayloadError) as info:
            _Guarded(request=_Secret(secret))
        assert {"request"} == set(info.value.fields)
        assert "_Secret(" not in str(info.value)


@event("test_payload_guarded")
class _Guarded:
    request: Request = field(validator=attrs.validators.instance_of(_KnownRequest))


class TestFieldSpec:
    """FieldSpec: what the catalogue knows about a field."""

    def test_describes_each_field(self):
        """A field's spec reports requiredness, None policy, default and domain."""
        spec = spec_of(OrderLine)
        assert spec is not None
        described = {
            f.name: (f.required, f.none_ok, f.default, f.domain, f.sensitive)
            for f in spec.fields
        }
        assert {
            "sku": (True, False, attrs.NOTHING, None, False),
            "quantity": (True, False, attrs.NOTHING, None, False),
            "price": (False, True, None, None, False),
            "tags": (False, False, attrs.NOTHING, None, False),
            "gift": (False, False, False, None, False),
            "channel": (False, False, "web", None, False),
            "note": (False, True, None, None, False),
        } == described

    def test_annotation_is_the_resolved_annotation(self):
        """A field's spec holds the resolved annotation, Annotated metadata included."""
        spec = spec_of(Visit)
        assert spec is not None
        assert [str, Request, Response | None, _Token | None] == [
            f.annotation for f in spec.fields
        ]

    def test_domain_fields_name_their_domain(self):
        """Domain fields name their domain and whether it is sensitive."""
        spec = spec_of(Visit)
        assert spec is not None
        assert [
            (None, False),
            ("request", True),
            ("response", True),
            ("test_payload_token", True),
        ] == [(f.domain, f.sensitive) for f in spec.fields]

    def test_expect_describes_accepted_values(self):
        """expect is a readable description of the accepted values."""
        spec = spec_of(OrderLine)
        assert spec is not None
        fields = {f.name: f for f in spec.fields}
        assert ("str", "float | None") == (fields["sku"].expect, fields["price"].expect)

    def test_is_frozen(self):
        """FieldSpec instances cannot be modified."""
        spec = spec_of(OrderLine)
        assert spec is not None
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            spec.fields[0].doc = "changed"  # type: ignore[misc]


class TestPayloadSpec:
    """PayloadSpec: the contract of one event."""

    def test_describes_the_event(self):
        """The spec holds the name, aliases, payload type and cleaned docstring."""
        spec = spec_of(OrderLine)
        assert spec is not None
        assert (
            "test_payload_order_line",
            (),
            OrderLine,
            "A line of an order, used to exercise every kind of check.",
        ) == (spec.name, spec.aliases, spec.payload_type, spec.doc)

    def test_field_names_follow_declaration_order(self):
        """field_names lists the fields in declaration order."""
        spec = spec_of(OrderLine)
        assert spec is not None
        assert tuple(_VALID) == spec.field_names

    def test_spec_is_the_signal_spec(self):
        """The spec found on the class is the one of the event's signal."""
        assert commerce_events.signal(OrderLine).spec is spec_of(OrderLine)

    def test_types(self):
        """spec_of returns PayloadSpec with FieldSpec fields."""
        spec = spec_of(OrderLine)
        assert isinstance(spec, PayloadSpec)
        assert all(isinstance(f, FieldSpec) for f in spec.fields)

    @pytest.mark.parametrize("value", [int, object, "OrderLine", None])
    def test_spec_of_other_objects_is_none(self, value):
        """spec_of returns None for anything that is not a payload class."""
        assert None is spec_of(value)  # type: ignore[arg-type]

    def test_docstring_is_cleaned(self):
        """A multi-line docstring is dedented with inspect.cleandoc."""

        @event(_unique("docstring"))
        class Documented:
            """First line.

                Indented detail.
            More.
            """

        expected = "First line.\n\n    Indented detail.\nMore."
        assert expected == commerce_events.signal(Documented).spec.doc


_GOOD_NAMES = _IDENTIFIERS.filter(
    lambda n: n not in {"sender", "self"} and not keyword.iskeyword(n)
)
_BAD_NAMES = st.one_of(
    st.from_regex(r"_[a-z0-9_]{0,8}", fullmatch=True),
    st.sampled_from(["sender", "self"]),
)


class TestDefinitionErrors:
    """Classes that cannot be events raise EventDefinitionError."""

    @given(
        st.sets(_GOOD_NAMES, max_size=3), st.sets(_BAD_NAMES, min_size=1, max_size=3)
    )
    def test_reserved_and_private_names_are_refused(self, good, bad):
        """Fields named sender or self or starting with _ are named exactly."""
        cls = _define("Bad", dict.fromkeys([*good, *bad], int))
        name = _unique("bad_names")
        with pytest.raises(EventDefinitionError) as info:
            event(name)(cls)
        assert (name, bad) == (info.value.event, set(info.value.fields))

    def test_unresolvable_annotations_are_refused(self):
        """An annotation naming nothing in scope is refused."""
        cls = _define("Dangling", {"thing": "NoSuchClassAnywhere"})
        with pytest.raises(EventDefinitionError) as info:
            event(_unique("dangling"))(cls)
        assert {"<annotations>"} == set(info.value.fields)

    def test_unsupported_annotations_are_refused(self):
        """An annotation with no run-time check (a TypeVar) names its field."""
        cls = _define("Generic", {"item": TypeVar("T"), "fine": int})
        with pytest.raises(EventDefinitionError) as info:
            event(_unique("typevar"))(cls)
        assert {"item"} == set(info.value.fields)

    def test_inheriting_from_an_attrs_class_is_refused(self):
        """A class inheriting from an attrs class is refused."""

        @attrs.define
        class Base:
            size: int = 0

        class Child(Base):
            name: str

        with pytest.raises(EventDefinitionError) as info:
            event(_unique("inherits"))(Child)
        assert {"<class>"} == set(info.value.fields)

    def test_inheriting_from_a_payload_class_is_refused(self):
        """A class inheriting from another payload class is refused."""

        class Child(_Traced):
            extra: str

        with pytest.raises(EventDefinitionError) as info:
            event(_unique("inherits_payload"))(Child)
        assert {"<class>"} == set(info.value.fields)

    def test_factory_taking_self_is_refused(self):
        """A factory with takes_self cannot be an event field default."""
        cls = _define(
            "SelfFactory",
            {"size": int},
            size=attrs.field(default=attrs.Factory(lambda _: 1, takes_self=True)),
        )
        with pytest.raises(EventDefinitionError) as info:
            event(_unique("takes_self"))(cls)
        assert {"size"} == set(info.value.fields)

    def test_non_class_is_refused(self):
        """Decorating something that is not a class raises EventDefinitionError."""
        with pytest.raises(EventDefinitionError) as info:
            event(_unique("function"))(len)  # type: ignore[type-var]
        assert {"<class>"} == set(info.value.fields)

    def test_refused_class_leaves_its_name_free(self):
        """A class refused at definition does not take its event name."""
        name = _unique("retry")
        with pytest.raises(EventDefinitionError):
            event(name)(_define("First", {"_hidden": int}))
        second = event(name)(_define("Second", {"shown": int}))
        assert second is commerce_events.namespace[name].payload_type


# -- hostile definitions -----------------------------------------------------------


def _raise(exc: BaseException) -> Any:
    """A validator that raises *exc* (a fresh copy each time)."""

    def validator(instance: object, attribute: object, value: object) -> None:
        raise type(exc)(*exc.args)

    return validator


class TestGeneratedCodeNamespace:
    """Every name the generated code reads comes through the reserved prefix."""

    def test_field_named_bool_does_not_let_true_pass_as_int(self):
        """A field named ``bool`` next to an int field: True is still refused."""
        cls = event(_unique("named_bool"))(
            _define("NamedBool", {"bool": int, "count": int})
        )

        with pytest.raises(PayloadError) as error:
            cls(bool=1, count=True)

        assert ["count"] == list(error.value.fields)

    @pytest.mark.parametrize("name", ["int", "isinstance", "str", "None_", "object"])
    def test_field_named_like_a_builtin_builds(self, name):
        """A field named like a builtin neither breaks nor loosens construction."""
        cls = event(_unique("named_builtin"))(
            _define("NamedBuiltin", {name: str, "count": int})
        )

        assert "x" == getattr(cls(**{name: "x", "count": 1}), name)
        with pytest.raises(PayloadError) as error:
            cls(**{name: 1, "count": "1"})
        assert {name, "count"} == set(error.value.fields)

    @pytest.mark.parametrize("name", ["Exception", "TypeError", "ValueError"])
    def test_field_named_like_an_exception(self, name):
        """Fields named Exception, TypeError, ValueError: validator failures are
        still one PayloadError."""
        cls = event(_unique("named_exception"))(
            _define(
                "NamedException",
                {name: int},
                **{name: field(validator=_raise(ValueError("never valid")))},
            )
        )

        with pytest.raises(PayloadError) as error:
            cls(**{name: 1})

        assert {name: "never valid"} == error.value.fields

    def test_generated_init_reads_only_prefixed_globals(self):
        """The generated __init__ and __repr__ read no global outside the prefix."""
        import dis

        for function in (OrderLine.__init__, OrderLine.__repr__):
            loaded = {
                ins.argval
                for ins in dis.get_instructions(function)
                if ins.opname == "LOAD_GLOBAL"
            }
            assert loaded
            assert [] == [n for n in loaded if not n.startswith("_ce_")]

    def test_class_name_is_not_code(self):
        """A class whose name holds an f-string expression: repr shows the name,
        and runs nothing."""
        ran = []
        name = "R{ran.append(1)}"
        cls = event(_unique("code_in_name"))(
            type(name, (), {"__annotations__": {"x": int}, "ran": ran})
        )

        text = repr(cls(x=1))

        assert f"{name}(x=1)" == text
        assert [] == ran

    def test_linecache_names_are_unique(self):
        """Two classes of one module and qualname show their own generated code."""
        import linecache

        first = event(_unique("twin"))(_define("Twin", {"a": int}))
        second = event(_unique("twin"))(_define("Twin", {"b": str}))
        files = [c.__init__.__code__.co_filename for c in (first, second)]

        assert files[0] != files[1]
        assert "a=_ce_MISSING" in "".join(linecache.getlines(files[0]))
        assert "b=_ce_MISSING" in "".join(linecache.getlines(files[1]))


class TestValidatorFailures:
    """A validator failing in any way is reported in the one PayloadError."""

    @pytest.mark.parametrize(
        "exc", [KeyError("k"), ZeroDivisionError("z"), LookupError("l")]
    )
    def test_any_exception_is_reported_and_chained(self, exc):
        """KeyError, ZeroDivisionError, ...: a PayloadError naming the field,
        with the validator's exception (and traceback) as its cause."""
        cls = event(_unique("raising_validator"))(
            _define("Raising", {"a": int}, a=field(validator=_raise(exc)))
        )

        with pytest.raises(PayloadError) as error:
            cls(a=1)

        assert ["a"] == list(error.value.fields)
        assert type(exc).__name__ in error.value.fields["a"]
        assert isinstance(error.value.__cause__, type(exc))
        assert error.value.__cause__.__traceback__ is not None

    def test_decimal_invalid_operation(self):
        """decimal.InvalidOperation from a validator is a PayloadError too."""
        from decimal import Decimal

        def positive(instance, attribute, value):
            if Decimal(value) < 0:  # Decimal("x") raises InvalidOperation
                raise ValueError(value)

        cls = event(_unique("invalid_operation"))(
            _define("Amount", {"amount": str}, amount=field(validator=positive))
        )

        with pytest.raises(PayloadError) as error:
            cls(amount="not a number")
        assert ["amount"] == list(error.value.fields)

    def test_validator_failing_only_on_the_real_instance(self):
        """A validator that fails only on the built payload names its field."""

        def only_payloads(instance, attribute, value):
            if isinstance(instance, Picky):
                raise ValueError("'a' is not welcome here")

        Picky = event(_unique("picky"))(
            _define("Picky", {"a": int, "b": int}, a=field(validator=only_payloads))
        )

        with pytest.raises(PayloadError) as error:
            Picky(a=1, b=2)

        assert {"a": "'a' is not welcome here"} == error.value.fields


class TestRefusedDefinitions:
    """What a payload class cannot be, refused when it is defined."""

    @pytest.mark.parametrize(
        "name", ["a b", "a=1): pass\ndef f(", "x-y", "1st", "é\n", ""]
    )
    def test_field_names_must_be_identifiers(self, name):
        """Names with code (or anything else) in them are refused."""
        with pytest.raises(EventDefinitionError) as error:
            event(_unique("bad_name"))(_define("BadName", {name: int}))
        assert "valid field name" in error.value.fields[name]

    @pytest.mark.parametrize(
        ("options", "problem"),
        [
            ({"init": False, "default": 1}, "init=False is not supported"),
            ({"alias": "other"}, "alias='other' is not supported"),
        ],
    )
    def test_unsupported_attrs_options(self, options, problem):
        """init=False and alias= would be silently ignored: refused."""
        with pytest.raises(EventDefinitionError) as error:
            event(_unique("option"))(
                _define("Option", {"a": int}, a=attrs.field(**options))
            )
        assert problem in error.value.fields["a"]

    @pytest.mark.parametrize("default", [[], {}, set(), bytearray()])
    def test_mutable_defaults(self, default):
        """A mutable default would be shared by every payload: use factory=."""
        with pytest.raises(EventDefinitionError) as error:
            event(_unique("mutable"))(
                _define("Mutable", {"a": Any}, a=field(default=default))
            )
        assert "use factory=" in error.value.fields["a"]

    @pytest.mark.parametrize(
        ("annotation", "default"),
        [
            (int, "1"),
            (int, True),
            (str, 1),
            (Literal["a"], "b"),
            (tuple[int, ...], ("x",)),
        ],
    )
    def test_defaults_must_pass_their_check(self, annotation, default):
        """A default of the wrong type would break every construction later."""
        with pytest.raises(EventDefinitionError) as error:
            event(_unique("bad_default"))(
                _define("BadDefault", {"a": annotation}, a=field(default=default))
            )
        assert "the default" in error.value.fields["a"]

    def test_defaults_must_pass_their_validator(self):
        """A default its own validator refuses is refused."""
        with pytest.raises(EventDefinitionError) as error:
            event(_unique("bad_default_validator"))(
                _define(
                    "BadDefault",
                    {"a": int},
                    a=field(default=0, validator=attrs.validators.ge(1)),
                )
            )
        assert "fails its validator" in error.value.fields["a"]

    def test_default_of_a_converted_field_is_converted_first(self):
        """A default that its converter makes valid is fine."""
        cls = event(_unique("converted_default"))(
            _define("Converted", {"a": int}, a=field(default="7", converter=int))
        )
        assert 7 == cls().a


@pytest.fixture(name="card", scope="module")
def _card():
    def luhn(instance, attribute, value):
        if not value.startswith("5"):
            raise ValueError(f"{value} is not a card number")

    return event(_unique("card"))(
        _define(
            "Card",
            {"number": str, "holder": str},
            number=field(repr=False, validator=luhn),
        )
    )


class TestHiddenFields:
    """repr=False values never appear: not in reprs, nor in any message."""

    CARD_NUMBER = "4111111111111111"

    @pytest.mark.parametrize("number", [CARD_NUMBER, int(CARD_NUMBER)])
    def test_construction_messages(self, card, number):
        """Wrong type or refused by its validator: shown by type only."""
        with pytest.raises(PayloadError) as error:
            card(number=number, holder="Ada")

        assert self.CARD_NUMBER not in str(error.value)
        assert f"<{type(number).__name__}>" in error.value.fields["number"]

    @pytest.mark.parametrize("number", [CARD_NUMBER, int(CARD_NUMBER)])
    def test_from_dict_messages(self, card, number):
        """Rebuilt from a document: never shown either."""
        from commerce_events.serialization import from_dict

        with pytest.raises(PayloadError) as error:
            from_dict(card, {"number": number, "holder": "Ada"})

        assert self.CARD_NUMBER not in str(error.value)

    def test_repr(self, card):
        """The repr leaves the field out."""
        payload = card(number="5" + self.CARD_NUMBER[1:], holder="Ada")

        assert self.CARD_NUMBER[1:] not in repr(payload)
        assert "holder='Ada'" in repr(payload)

    def test_spec_says_hidden(self, card):
        """The field's spec is hidden, not sensitive: it is still serialized."""
        spec = spec_of(card)
        assert spec is not None
        number = spec.fields[0]
        assert (True, False) == (number.hidden, number.sensitive)


class TestFrozen:
    def test_assignment_names_the_field(self):
        """Assigning to a payload raises FrozenPayloadError naming the field,
        still an attrs FrozenInstanceError."""
        from commerce_events.exceptions import FrozenPayloadError

        payload = OrderLine(sku="A", quantity=1)
        with pytest.raises(FrozenPayloadError) as error:
            payload.sku = "B"  # type: ignore[misc]

        assert isinstance(error.value, attrs.exceptions.FrozenInstanceError)
        assert ("sku", OrderLine) == (error.value.field, error.value.payload_type)
        assert "'sku'" in str(error.value)
        with pytest.raises(FrozenPayloadError, match="'quantity'"):
            del payload.quantity


# -- Hypothesis: hostile definitions validate exactly as annotated ------------------

_HOSTILE_NAMES = st.sampled_from(
    [
        "int", "bool", "str", "float", "tuple", "len", "isinstance", "object",
        "Exception", "TypeError", "ValueError", "MISSING", "args", "kwargs",
        "cls", "print", "type", "repr", "getattr", "value", "v", "a",
    ]
) | st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,8}", fullmatch=True)  # fmt: skip
_HOSTILE_TEXT = st.sampled_from(
    ["{x}", "'", '"', "\\", "')\nimport os\n('", "{__import__('os')}", "", "None"]
) | st.text(max_size=5)
_LITERAL_VALUES = st.lists(
    st.one_of(_HOSTILE_TEXT, st.integers(-3, 3), st.booleans()),
    min_size=1,
    max_size=4,
    unique_by=lambda v: (type(v), v),
)
_ANNOTATIONS = st.one_of(
    st.sampled_from([int, str, bool, float, int | None, str | None, tuple[str, ...]]),
    _LITERAL_VALUES.map(lambda values: Literal.__getitem__(tuple(values))),
)
_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False),
    _HOSTILE_TEXT, st.tuples(_HOSTILE_TEXT), st.lists(st.integers(), max_size=1),
)  # fmt: skip


def _oracle(annotation: Any, value: object) -> bool:
    """Whether *value* fits *annotation*, written independently of _checks."""
    if annotation is int:
        return type(value) is int
    if annotation is float:
        return type(value) in (int, float)
    if annotation in (str, bool):
        return type(value) is annotation
    if annotation == int | None:
        return value is None or type(value) is int
    if annotation == str | None:
        return value is None or type(value) is str
    if annotation == tuple[str, ...]:
        return type(value) is tuple and all(type(v) is str for v in value)
    return any(
        type(option) is type(value) and option == value
        for option in typing.get_args(annotation)
    )


import typing  # noqa: E402 - used by the oracle above only


@st.composite
def _definitions(draw: st.DrawFn) -> tuple[str, dict[str, Any], dict[str, Any]]:
    names = draw(st.lists(_HOSTILE_NAMES, min_size=1, max_size=4, unique=True))
    annotations = {name: draw(_ANNOTATIONS) for name in names}
    defaults = {name: draw(_VALUES) for name in names if draw(st.booleans())}
    # Any text but NUL (type() refuses it), code and quotes included.
    class_name = draw(_HOSTILE_TEXT.filter(lambda t: t and "\x00" not in t))
    return class_name, annotations, defaults


def _unregister(payload_type: type) -> None:
    """Forget a test event, so that hundreds of generated ones do not crowd the
    catalogue that other tests (``any_payload()``) draw from."""
    from commerce_events import namespace
    from commerce_events._subscriptions import ROUTES

    spec = spec_of(payload_type)
    assert spec is not None
    for name in (spec.name, *spec.aliases):
        dict.pop(namespace, name, None)
    ROUTES.pop(payload_type, None)


class TestHostileDefinitions:
    @given(_definitions(), st.data())
    def test_construction_validates_exactly_as_annotated(self, definition, data):
        """Generated classes with hostile field names, defaults, Literal values and
        class names: defined iff every default fits, then built iff every value
        fits, reported field by field."""
        class_name, annotations, defaults = definition
        namespace = {n: field(default=d) for n, d in defaults.items()}
        cls = type(class_name, (), {"__annotations__": annotations, **namespace})
        # A None default admits None, whatever the annotation says.
        bad_defaults = {
            n
            for n, d in defaults.items()
            if d is not None and not _oracle(annotations[n], d)
        } | {n for n, d in defaults.items() if isinstance(d, list)}
        if bad_defaults:
            with pytest.raises(EventDefinitionError) as refused:
                event(_unique("hostile"))(cls)
            assert bad_defaults == set(refused.value.fields)
            return
        built = event(_unique("hostile"))(cls)
        try:
            self._check_construction(built, annotations, defaults, class_name, data)
        finally:
            _unregister(built)

    @staticmethod
    def _check_construction(built, annotations, defaults, class_name, data):
        kwargs = {
            n: data.draw(_VALUES, label=n)
            for n in annotations
            if n not in defaults or data.draw(st.booleans())
        }
        bad = {
            n
            for n, v in kwargs.items()
            if not _oracle(annotations[n], v)
            and not (v is None and defaults.get(n, 0) is None)
        } | {n for n in annotations if n not in kwargs and n not in defaults}
        if bad:
            with pytest.raises(PayloadError) as error:
                built(**kwargs)
            assert bad == set(error.value.fields)
        else:
            payload = built(**kwargs)
            assert kwargs == {n: getattr(payload, n) for n in kwargs}
            assert repr(payload).startswith(class_name.rsplit(">.", 1)[-1] + "(")
