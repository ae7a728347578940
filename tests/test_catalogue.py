"""Tests for commerce_events._catalogue: Oscar's signals and the order lifecycle.

Valid and invalid arguments come from the library's own testing toolkit
(``commerce_events.testing.strategies``): the catalogue's tests dogfood it, and
every event added to the catalogue is covered without touching them.
"""

import contextlib
import functools
import string
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import commerce_events
from commerce_events import (
    EventSignal,
    PayloadSpec,
    declare_domain_classes,
    emit,
    signals,
)
from commerce_events.domain import domain_classes
from commerce_events.exceptions import PayloadError
from commerce_events.testing import strategies as ces

CATALOGUE: tuple[PayloadSpec, ...] = tuple(
    spec
    for spec in commerce_events.catalogue()
    if spec.payload_type.__module__ == "commerce_events._catalogue"
)
DOMAINS = sorted({f.domain for spec in CATALOGUE for f in spec.fields if f.domain})


class _Fake:
    """Base of the stand-in domain classes; its repr carries a secret."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(token='s3cr3t')"


FAKES: dict[str, type[_Fake]] = {
    name: type(f"Fake{name.title()}", (_Fake,), {"__module__": __name__})
    for name in DOMAINS
}


class _Stranger:
    """A class no catalogue field accepts once domain classes are declared."""


_ANY_OBJECT = st.one_of(
    st.integers(),
    st.text(),
    st.binary(),
    st.builds(object),
    st.builds(_Stranger),
    st.sampled_from(list(FAKES.values())).map(lambda cls: cls()),
    st.tuples(st.integers()),
)
_FOREIGN = st.one_of(
    st.integers(),
    st.booleans(),
    st.text(),
    st.binary(),
    st.builds(object),
    st.builds(_Stranger),
)
_SENDERS = st.one_of(st.none(), st.text(), st.builds(object))
_IDENTIFIERS = st.tuples(
    st.sampled_from(string.ascii_lowercase),
    st.text(alphabet=string.ascii_lowercase + string.digits + "_", max_size=9),
).map("".join)


# These properties run once per catalogue event (and per declaration state):
# half the profile's examples each keeps the suite fast, every event still
# getting dozens of examples (and more under the "ci" profile).
_PER_CASE = settings(max_examples=max(10, settings.default.max_examples // 2))


def _spec_id(spec: PayloadSpec) -> str:
    return spec.name


def _declare(declared: bool) -> None:
    """Declare the fake domain classes, or go back to accepting any object."""
    current = domain_classes()
    if declared and any(current.get(n) != (c,) for n, c in FAKES.items()):
        declare_domain_classes(**FAKES)
    elif not declared and any(n in current for n in FAKES):
        declare_domain_classes(**dict.fromkeys(FAKES))


def _class_of(fs: commerce_events.FieldSpec) -> type:
    """The class a non-domain catalogue field holds."""
    assert isinstance(fs.annotation, type), f"extend the tests for {fs.annotation!r}"
    return fs.annotation


@functools.cache
def _wrong_value(fs: commerce_events.FieldSpec) -> Any:
    """A strategy for non-None values *fs* refuses (once domains are declared)."""
    if fs.domain is not None:
        return _FOREIGN
    cls = _class_of(fs)
    return _FOREIGN.filter(lambda v: not isinstance(v, cls))


@st.composite
def _valid_kwargs(draw: st.DrawFn, spec: PayloadSpec, declared: bool) -> dict[str, Any]:
    """Valid keyword arguments; optional fields are omitted, None, or a value."""
    payload = draw(ces.payloads(spec.payload_type))
    kwargs = {}
    for fs in spec.fields:
        value = getattr(payload, fs.name)
        if fs.required or value is not None or draw(st.booleans()):
            kwargs[fs.name] = value
    return kwargs


@st.composite
def _required_kwargs(draw: st.DrawFn, spec: PayloadSpec) -> dict[str, Any]:
    """Valid values for the required fields only."""
    payload = draw(ces.payloads(spec.payload_type))
    return {fs.name: getattr(payload, fs.name) for fs in spec.fields if fs.required}


def _fault_kinds(fs: commerce_events.FieldSpec, declared: bool) -> list[str]:
    """The ways *fs* can be given wrongly."""
    kinds = []
    if fs.required:
        kinds.append("missing")
    if not fs.none_ok:
        kinds.append("none")
    if fs.domain is None or declared:
        kinds.append("wrong")
    return kinds


_UNKNOWN = "<unknown>"


@functools.cache
def _faults(spec: PayloadSpec, declared: bool) -> Any:
    """Non-empty mappings of field name (or _UNKNOWN) to the fault to make."""
    options = {
        fs.name: st.sampled_from(kinds)
        for fs in spec.fields
        if (kinds := _fault_kinds(fs, declared))
    }
    reserved = {*spec.field_names, "sender", "self"}
    options[_UNKNOWN] = st.sets(
        _IDENTIFIERS.filter(lambda n: n not in reserved), min_size=1, max_size=3
    )
    return st.fixed_dictionaries({}, optional=options).filter(bool)


@st.composite
def _invalid_call(
    draw: st.DrawFn, spec: PayloadSpec, declared: bool
) -> tuple[dict[str, Any], set[str]]:
    """Invalid keyword arguments and the exact set of offending names."""
    kwargs = dict(draw(_valid_kwargs(spec, declared)))
    fields = {fs.name: fs for fs in spec.fields}
    expected: set[str] = set()
    for name, fault in draw(_faults(spec, declared)).items():
        if name == _UNKNOWN:
            kwargs.update({n: draw(_ANY_OBJECT) for n in fault})
            expected |= fault
            continue
        if fault == "missing":
            kwargs.pop(name, None)
        elif fault == "none":
            kwargs[name] = None
        else:
            kwargs[name] = draw(_wrong_value(fields[name]))
        expected.add(name)
    return kwargs, expected


_invalid_kwargs = functools.cache(_invalid_call)


@contextlib.contextmanager
def _subscribers(
    cls: type, typed: list[Any], oscar: list[Any]
) -> Iterator[EventSignal]:
    """Subscribe typed subscribers and connect Oscar-style receivers, in order."""
    signal = commerce_events.signal(cls)
    for subscriber in typed:
        commerce_events.subscribe(cls, subscriber)
    for receiver in oscar:
        signal.connect(receiver)
    try:
        yield signal
    finally:
        for subscriber in typed:
            commerce_events.unsubscribe(cls, subscriber)
        for receiver in oscar:
            signal.disconnect(receiver)


_SENSITIVE = [spec for spec in CATALOGUE if any(f.sensitive for f in spec.fields)]


class TestCatalogueTable:
    """The catalogue as documented by django-oscar."""

    def test_matches_oscar_signals(self):
        """The built-in events are Oscar's eleven, with their fields and docs."""
        request, response = "The request instance", "The response instance"
        user = "The user in question"
        # name: (class, aliases, doc summary, required {field: doc}, optional {...})
        table = {
            "product_viewed": (
                "ProductViewed",
                (),
                "Raised when a product detail page is viewed.",
                {"product": "The product being viewed"},
                {"user": user, "request": request, "response": response},
            ),
            "product_search": (
                "ProductSearch",
                (),
                "Raised when a search is performed.",
                {"query": "The search term"},
                # Oscar's search view also sends the session, undocumented.
                {"user": user, "session": "The session"},
            ),
            "user_registered": (
                "UserRegistered",
                (),
                "Raised when a user registers.",
                {"user": user},
                {"request": request},
            ),
            "basket_addition": (
                "BasketAddition",
                (),
                "Raised when a product is added to a basket.",
                {"product": "The product being added"},
                {"user": user, "request": request},
            ),
            "voucher_addition": (
                "VoucherAddition",
                (),
                "Raised when a valid voucher is added to a basket.",
                {
                    "basket": "The basket in question",
                    "voucher": "The voucher in question",
                },
                {},
            ),
            "start_checkout": (
                "StartCheckout",
                (),
                "Raised when the customer begins the checkout process.",
                {"request": request},
                # Oscar's gateway view also sends the guest's email, undocumented.
                {"email": "The guest's email address"},
            ),
            "pre_payment": (
                "PrePayment",
                (),
                "Raised immediately before attempting to take payment in the checkout.",
                {"view": "The view class instance"},
                {},
            ),
            "post_payment": (
                "PostPayment",
                (),
                "Raised immediately after payment has been taken.",
                {"view": "The view class instance"},
                {},
            ),
            "order_placed": (
                "OrderPlaced",
                (),
                "Raised by the order creator when an order is placed.",
                {"order": "The order created"},
                {
                    "user": "The user creating the order (not necessarily the user "
                    "linked to the order instance!)"
                },
            ),
            "post_checkout": (
                "PostCheckout",
                (),
                "Raised when a customer completes the checkout process.",
                {"order": "The order created"},
                {
                    "user": "The user who completed the checkout",
                    "request": request,
                    "response": response,
                },
            ),
            "review_added": (
                "ReviewAdded",
                ("review_created",),
                "Raised when a review is added.",
                {"review": "The review that was created"},
                {
                    "user": "The user performing the action",
                    "request": request,
                    "response": response,
                },
            ),
        }
        by_name = {spec.name: spec for spec in CATALOGUE}
        assert set(table) <= set(by_name)
        for spec in (by_name[name] for name in table):
            cls_name, aliases, summary, required, optional = table[spec.name]
            fields = {**required, **optional}
            assert (cls_name, aliases) == (spec.payload_type.__name__, spec.aliases)
            assert summary == spec.doc.splitlines()[0]
            assert list(fields) == list(spec.field_names)
            for fs in spec.fields:
                assert (fs.name in required, fs.name in optional) == (
                    fs.required,
                    not fs.required,
                )
                assert fs.doc.startswith(fields[fs.name])
                expected_domain = None if fs.name in {"query", "email"} else fs.name
                assert expected_domain == fs.domain
        assert str is commerce_events.ProductSearch.__attrs_attrs__.query.type
        assert signals.review_created is signals.review_added
        assert (
            commerce_events.namespace["review_created"]
            is commerce_events.namespace["review_added"]
        )


class TestCatalogueExports:
    """Every catalogue event is reachable by class, name, alias and module attribute."""

    @pytest.mark.parametrize("spec", CATALOGUE, ids=_spec_id)
    def test_payload_class_is_exported(self, spec):
        """The payload class is a public attribute of commerce_events."""
        assert spec.payload_type is getattr(commerce_events, spec.payload_type.__name__)
        assert spec.payload_type.__name__ in commerce_events.__all__

    @pytest.mark.parametrize("spec", CATALOGUE, ids=_spec_id)
    def test_signal_is_exported_under_every_name(self, spec):
        """commerce_events.signals has the event's signal under its name and aliases."""
        signal = commerce_events.namespace[spec.name]
        for name in (spec.name, *spec.aliases):
            assert signal is getattr(signals, name)
            assert signal is commerce_events.namespace[name]
            assert name in signals.__all__

    @pytest.mark.parametrize("spec", CATALOGUE, ids=_spec_id)
    def test_signal_knows_its_payload(self, spec):
        """The event's signal is an EventSignal holding the payload class and spec."""
        signal = commerce_events.signal(spec.payload_type)
        assert isinstance(signal, EventSignal)
        assert (spec.name, spec.payload_type, spec) == (
            signal.name,
            signal.payload_type,
            signal.spec,
        )

    @pytest.mark.parametrize("spec", CATALOGUE, ids=_spec_id)
    def test_documented(self, spec):
        """Every payload and every field has documentation."""
        assert spec.doc
        assert all(fs.doc for fs in spec.fields)


class TestCatalogueFields:
    """Required fields must be given and not None; optional ones default to None."""

    @pytest.mark.parametrize("spec", CATALOGUE, ids=_spec_id)
    @settings(max_examples=5)
    @given(st.data())
    def test_optional_fields_default_to_none(self, spec, data):
        """Optional fields admit None and default to it; required ones do neither."""
        for fs in spec.fields:
            assert (not fs.required, not fs.required) == (
                fs.none_ok,
                fs.default is None,
            )
        _declare(True)
        payload = spec.payload_type(**data.draw(_required_kwargs(spec)))
        optional = [fs.name for fs in spec.fields if not fs.required]
        assert [None] * len(optional) == [getattr(payload, n) for n in optional]

    @pytest.mark.parametrize("spec", CATALOGUE, ids=_spec_id)
    def test_payload_class_is_a_frozen_attrs_class(self, spec):
        """Each payload class is an attrs class whose fields are keyword-only."""
        assert attrs.has(spec.payload_type)
        assert all(a.kw_only for a in attrs.fields(spec.payload_type))
        assert spec.field_names == tuple(
            a.name for a in attrs.fields(spec.payload_type)
        )


class TestCatalogueDelivery:
    """The contract of every catalogue signal, from the issue."""

    @pytest.mark.parametrize("declared", [False, True], ids=["any", "declared"])
    @pytest.mark.parametrize("spec", CATALOGUE, ids=_spec_id)
    @_PER_CASE
    @given(st.data())
    def test_valid_fields_reach_every_subscriber_unchanged(self, spec, declared, data):
        """Valid fields always build and reach every subscriber unchanged."""
        _declare(declared)
        kwargs = data.draw(_valid_kwargs(spec, declared), label="kwargs")
        sender = data.draw(_SENDERS, label="sender")
        expected = {name: kwargs.get(name) for name in spec.field_names}
        typed: list[list[Any]] = [[], []]
        oscar: list[list[Any]] = [[], []]

        def typed_first(payload):
            typed[0].append(payload)
            return "typed first"

        def typed_second(payload):
            typed[1].append(payload)
            return "typed second"

        def oscar_first(sender, **fields):
            oscar[0].append((sender, fields))
            return "oscar first"

        def oscar_second(sender, **fields):
            oscar[1].append((sender, fields))
            return "oscar second"

        cls = spec.payload_type
        with _subscribers(
            cls, [typed_first, typed_second], [oscar_first, oscar_second]
        ) as signal:
            payload = cls(**kwargs)
            emit(payload, sender=sender)
            positional = signal.send(sender, **kwargs)
            by_keyword = signal.send(sender=sender, **kwargs)

        rebuilt = cls(**kwargs)
        assert (payload, hash(payload)) == (rebuilt, hash(rebuilt))

        returned = [
            (typed_first, "typed first"),
            (typed_second, "typed second"),
            (oscar_first, "oscar first"),
            (oscar_second, "oscar second"),
        ]
        assert (returned, returned) == (positional, by_keyword)
        for received in typed:
            assert 3 == len(received)
            assert payload is received[0]
            for got in received:
                assert type(got) is cls
                assert all(expected[n] is getattr(got, n) for n in spec.field_names)
        for received in oscar:
            assert 3 == len(received)
            for got_sender, fields in received:
                assert sender is got_sender
                # Receivers taking **kwargs also get signal=, as Django passes.
                assert signal is fields.pop("signal")
                assert expected.keys() == fields.keys()
                assert all(expected[n] is fields[n] for n in spec.field_names)

    @pytest.mark.parametrize("spec", CATALOGUE, ids=_spec_id)
    @_PER_CASE
    @given(st.data())
    def test_invalid_fields_raise_and_reach_no_subscriber(self, spec, data):
        """Invalid fields raise a PayloadError naming exactly them; nobody runs."""
        # With domain classes declared, every field can also be wrongly typed.
        _declare(True)
        case = data.draw(ces.invalid_arguments(spec.payload_type), label="call")
        kwargs, expected = case.kwargs, set(case.fields)
        sender = data.draw(_SENDERS, label="sender")
        calls: list[Any] = []

        def typed(payload):
            calls.append(payload)

        def oscar(sender, **fields):
            calls.append(fields)

        cls = spec.payload_type
        with _subscribers(cls, [typed], [oscar]) as signal:
            with pytest.raises(PayloadError) as built:
                cls(**kwargs)
            with pytest.raises(PayloadError) as sent:
                signal.send(sender, **kwargs)
            with pytest.raises(PayloadError) as sent_by_keyword:
                signal.send(sender=sender, **kwargs)
        assert [] == calls
        for error in (built.value, sent.value, sent_by_keyword.value):
            assert expected == set(error.fields)
            assert (spec.name, cls) == (error.event, error.payload_type)

    @pytest.mark.parametrize("spec", CATALOGUE, ids=_spec_id)
    @settings(max_examples=5)
    @given(st.data())
    def test_send_reports_a_self_keyword_as_unknown(self, spec, data):
        """A keyword named self given to send is reported as an unknown field."""
        _declare(True)
        signal = commerce_events.signal(spec.payload_type)
        with pytest.raises(PayloadError) as info:
            signal.send(None, self=1, **data.draw(_required_kwargs(spec)))
        assert {"self"} == set(info.value.fields)


class TestCatalogueSensitive:
    """Request and response objects are shown by type only."""

    @pytest.mark.parametrize("spec", _SENSITIVE, ids=_spec_id)
    @given(st.data())
    def test_repr_shows_sensitive_fields_by_type(self, spec, data):
        """A payload's repr shows sensitive fields as <Type> and others by repr."""
        _declare(True)
        kwargs = data.draw(_valid_kwargs(spec, True))
        payload = spec.payload_type(**kwargs)
        text = repr(payload)
        for fs in spec.fields:
            value = getattr(payload, fs.name)
            if fs.sensitive and value is not None:
                assert f"{fs.name}=<{type(value).__name__}>" in text
                assert repr(value) not in text
            else:
                assert f"{fs.name}={value!r}" in text

    @pytest.mark.parametrize("spec", _SENSITIVE, ids=_spec_id)
    @given(st.text(), st.data())
    def test_error_messages_show_sensitive_values_by_type(self, spec, token, data):
        """A refused sensitive value appears in the PayloadError by type only."""

        class Leaky:
            def __repr__(self):
                return f"Leaky(cookie={token!r})"

        _declare(True)
        kwargs = {
            **data.draw(_required_kwargs(spec)),
            **{fs.name: Leaky() for fs in spec.fields if fs.sensitive},
        }
        with pytest.raises(PayloadError) as info:
            spec.payload_type(**kwargs)
        assert {fs.name for fs in spec.fields if fs.sensitive} == set(info.value.fields)
        assert "Leaky(" not in str(info.value)
