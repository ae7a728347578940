"""Versions of one event side by side, upcasters, and what consumers read."""

from __future__ import annotations

import itertools
import keyword
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commerce_events import (
    catalogue,
    emit,
    event,
    field,
    namespace,
    signal,
    subscribe,
    upcast,
    upcaster,
)
from commerce_events._registry import versions
from commerce_events._upcasting import reading
from commerce_events.cloudevents import event_type, from_cloudevent, to_cloudevent
from commerce_events.exceptions import (
    DuplicateEventError,
    EnvelopeError,
    EventDefinitionError,
    NotAPayloadError,
    PayloadError,
    UpcastError,
)
from commerce_events.forwarding import consume_envelope
from commerce_events.testing.strategies import payloads

# -- three versions of one event ------------------------------------------------------


@event("test_upcasting_placed")
class PlacedV1:
    """An order was placed (version 1: a number only)."""

    order: int = field(doc="The order's number")


@event("test_upcasting_placed", version=3, aliases=["test_upcasting_ordered"])
class Placed:
    """An order was placed (version 3: its total, with a currency)."""

    order: str = field(doc="The order's reference")
    total: Decimal = field(doc="What the customer pays")
    currency: str = field(doc="ISO 4217 code")


@event("test_upcasting_placed", version=2)
class PlacedV2:
    """An order was placed (version 2: its total)."""

    order: int = field(doc="The order's number")
    total: Decimal = field(default=Decimal(0), doc="What the customer pays")


@upcaster(PlacedV1, to=PlacedV2)
def _total_unknown(old: PlacedV1) -> PlacedV2:
    return PlacedV2(order=old.order)


@upcaster(PlacedV2, to=Placed)
def _with_currency(old: PlacedV2) -> Placed:
    return Placed(order=f"#{old.order}", total=old.total, currency="EUR")


@event("test_upcasting_other")
class Other:
    """Another event."""

    note: str = field(doc="Anything")


def envelope_of(payload: Any) -> dict[str, Any]:
    return to_cloudevent(payload, source="/test")


class TestVersions:
    def test_side_by_side(self):
        """Each version keeps its class; the name stands for the latest."""
        assert {1: PlacedV1, 2: PlacedV2, 3: Placed} == {
            v: spec.payload_type
            for v, spec in versions("test_upcasting_placed").items()
        }
        assert namespace["test_upcasting_placed"].payload_type is Placed
        assert signal("test_upcasting_ordered") is signal(Placed)
        assert "io.commerce-events.test_upcasting_placed.v3" == event_type(
            "test_upcasting_placed"
        )
        assert "io.commerce-events.test_upcasting_placed.v1" == event_type(PlacedV1)

    def test_subscribers_get_their_version(self):
        """Subscribers subscribe to the class they are written for."""
        got: list[Any] = []
        subscribe(PlacedV1, got.append)
        subscribe(Placed, got.append)

        emit(PlacedV1(order=1))

        assert [PlacedV1(order=1)] == got

    def test_duplicate_version(self):
        """A version is registered once; the error says what to write instead."""
        with pytest.raises(DuplicateEventError) as error:

            @event("test_upcasting_placed", version=2)
            class Again:
                order: int = field(doc="")

        assert "already registered by tests.test_upcasting.PlacedV2" in str(error.value)
        assert [
            "a new contract of 'test_upcasting_placed' is a new version, "
            "@event('test_upcasting_placed', version=4); another event needs "
            "another name"
        ] == error.value.__notes__

    def test_alias_of_another_event(self):
        """A version cannot take another event's name as an alias."""
        with pytest.raises(DuplicateEventError, match="test_upcasting_other"):

            @event("test_upcasting_placed", version=9, aliases=["test_upcasting_other"])
            class Stolen:
                order: int = field(doc="")

    @pytest.mark.parametrize("version", [0, -1, True, "2", 1_000_000_000])
    def test_bad_version(self, version):
        with pytest.raises(EventDefinitionError) as error:
            event("test_upcasting_bad", version=version)

        assert {
            "<version>": f"expected an integer from 1 to 999999999, got {version!r}"
        } == error.value.fields


class TestUpcaster:
    def test_chain(self):
        """Upcasters compose: version 1 -> 2 -> 3."""
        assert Placed(order="#7", total=Decimal(0), currency="EUR") == upcast(
            PlacedV1(order=7), Placed
        )
        assert PlacedV2(order=7) == upcast(PlacedV1(order=7), PlacedV2)
        assert Placed(order="#7", total=Decimal(1), currency="EUR") == upcast(
            Placed(order="#7", total=Decimal(1), currency="EUR"), Placed
        )

    def test_returns_the_function(self):
        assert "EUR" == _with_currency(PlacedV2(order=1)).currency

    def test_another_event(self):
        with pytest.raises(UpcastError) as error:
            upcaster(PlacedV1, to=Other)

        assert (
            "versions of 'test_upcasting_placed': Other is an event of "
            "'test_upcasting_other': an upcaster turns a version of an event into "
            "a newer version of the same event"
        ) == str(error.value)

    def test_not_newer(self):
        with pytest.raises(UpcastError) as error:
            upcaster(Placed, to=PlacedV1)

        assert (
            "PlacedV1 (version 1) is not newer than Placed (version 3): upcasters go up"
        ) == error.value.problem

    def test_one_way_up(self):
        with pytest.raises(UpcastError) as error:
            upcaster(PlacedV1, to=Placed)(lambda old: Placed())

        assert (
            "PlacedV1 (version 1) already has an upcaster, to PlacedV2: one way up "
            "per version"
        ) == error.value.problem

    def test_not_a_payload(self):
        with pytest.raises(NotAPayloadError, match="@upcaster"):
            upcaster(dict, to=Placed)

    def test_no_path(self):
        with pytest.raises(UpcastError) as error:
            upcast(Placed(order="x", total=Decimal(1), currency="EUR"), PlacedV1)

        assert (
            "no upcaster leads from version 3 (Placed) to version 1 (PlacedV1); "
            "register one with @upcaster(Placed, to=PlacedV1)"
        ) == error.value.problem

    def test_wrong_return(self):
        """An upcaster returning another class is named."""

        @event("test_upcasting_wrong")
        class WrongV1:
            n: int = field(doc="")

        @event("test_upcasting_wrong", version=2)
        class Wrong:
            n: int = field(doc="")

        @upcaster(WrongV1, to=Wrong)
        def sloppy(old: WrongV1) -> Wrong:
            return old  # type: ignore[return-value]

        with pytest.raises(UpcastError, match="returned WrongV1, not Wrong"):
            upcast(WrongV1(n=1), Wrong)

    def test_invalid_result(self):
        """An upcaster builds the new payload: it is validated."""

        @event("test_upcasting_invalid")
        class InvalidV1:
            n: int = field(doc="")

        @event("test_upcasting_invalid", version=2)
        class Invalid:
            n: str = field(doc="")

        @upcaster(InvalidV1, to=Invalid)
        def careless(old: InvalidV1) -> Invalid:
            return Invalid(n=old.n)  # type: ignore[arg-type]

        with pytest.raises(PayloadError, match="test_upcasting_invalid"):
            upcast(InvalidV1(n=1), Invalid)


class TestReading:
    def test_own_version_always_read(self):
        assert (
            frozenset({3}) == reading({Placed: ()}).targets["test_upcasting_placed"][1]
        )

    def test_unregistered_version(self):
        with pytest.raises(UpcastError) as error:
            reading({Placed: {5}})

        assert (
            "reads= asks for version 5, which is not registered (registered: 1, 2, "
            "3): define its payload class with @event('test_upcasting_placed', "
            "version=5) and an upcaster"
        ) == error.value.problem

    def test_no_path(self):
        with pytest.raises(UpcastError, match="no upcaster leads from version 3"):
            reading({PlacedV1: {3}})

    def test_one_class_per_event(self):
        with pytest.raises(UpcastError, match="names two classes of it"):
            reading({Placed: {3}, PlacedV2: {2}})

    def test_not_a_payload(self):
        with pytest.raises(NotAPayloadError, match="reads="):
            reading({dict: {1}})


class TestFromCloudEvent:
    def test_each_version_as_its_class(self):
        """Without reads=, every registered version is read as its own class."""
        assert PlacedV1(order=1) == from_cloudevent(envelope_of(PlacedV1(order=1)))
        assert PlacedV2(order=1) == from_cloudevent(envelope_of(PlacedV2(order=1)))

    def test_reads_upcasts(self):
        read = from_cloudevent(
            envelope_of(PlacedV1(order=1)), Placed, reads={Placed: {1, 2, 3}}
        )

        assert Placed(order="#1", total=Decimal(0), currency="EUR") == read

    def test_version_not_read(self):
        """A version left out of reads= is an EnvelopeError naming those read."""
        with pytest.raises(EnvelopeError) as error:
            from_cloudevent(envelope_of(PlacedV1(order=1)), reads={Placed: {2}})

        assert {
            "type": "'io.commerce-events.test_upcasting_placed.v1': version 1 of "
            "'test_upcasting_placed' is not read here (this process reads versions "
            "2, 3)"
        } == error.value.fields

    def test_unknown_version(self):
        """A version this process does not have; the error says how to read it."""
        unknown = {
            **envelope_of(Other(note="x")),
            "type": "io.commerce-events.test_upcasting_other.v2",
        }
        older = {
            **envelope_of(Other(note="x")),
            "type": "io.commerce-events.test_upcasting_other.v7",
        }
        with pytest.raises(EnvelopeError) as error:
            from_cloudevent(unknown)

        assert (
            "version 2 of 'test_upcasting_other' is not read here (this process "
            "reads version 1)"
        ) in error.value.fields["type"]
        with pytest.raises(EnvelopeError, match="version 7 of 'test_upcasting_other'"):
            from_cloudevent(older)

    def test_older_version_not_registered(self):
        """An older version than this process's: the error suggests reads=."""

        @event("test_upcasting_late", version=2)
        class Late:
            n: int = field(doc="")

        old = {
            **envelope_of(Late(n=1)),
            "type": "io.commerce-events.test_upcasting_late.v1",
        }
        with pytest.raises(EnvelopeError) as error:
            from_cloudevent(old)

        assert (
            "version 1 of 'test_upcasting_late' is not read here (this process reads "
            "version 2; to read version 1, register its payload class, an upcaster, "
            "and pass reads={Late: {1, 2}})"
        ) in error.value.fields["type"]

    def test_expected_is_the_class_read_as(self):
        with pytest.raises(EnvelopeError, match="expected an envelope of PlacedV1"):
            from_cloudevent(
                envelope_of(PlacedV1(order=1)), PlacedV1, reads={Placed: {1}}
            )

    def test_alias_in_type(self):
        """An envelope naming an alias is read as the event's version."""
        aliased = {
            **envelope_of(PlacedV1(order=4)),
            "type": "io.commerce-events.test_upcasting_ordered.v1",
        }
        assert PlacedV1(order=4) == from_cloudevent(aliased)


class TestConsumeEnvelope:
    def test_delivers_the_upcast_payload(self):
        """The new code's subscribers get old envelopes, upcast."""
        got: list[Any] = []
        old_code: list[Any] = []
        subscribe(Placed, got.append)
        subscribe(PlacedV1, old_code.append)

        consume_envelope(envelope_of(PlacedV1(order=5)), reads={Placed: {1, 2}})

        assert [Placed(order="#5", total=Decimal(0), currency="EUR")] == got
        assert [] == old_code

    def test_wrong_declaration(self):
        with pytest.raises(UpcastError):
            consume_envelope(envelope_of(PlacedV1(order=5)), reads={Placed: {4}})


# -- properties ---------------------------------------------------------------------

_names = itertools.count()
_TYPES: dict[str, tuple[Any, st.SearchStrategy[Any]]] = {
    "int": (int, st.integers(-(2**53), 2**53)),
    "str": (str, st.text(max_size=10)),
    "bool": (bool, st.booleans()),
}


def define(name: str, version: int, fields: dict[str, str], doc: str) -> type[Any]:
    """Register a class with *fields* (name -> type key) as *name* at *version*."""
    namespace_: dict[str, Any] = {
        "__annotations__": {f: _TYPES[t][0] for f, t in fields.items()},
        "__doc__": doc,
    }
    for f in fields:
        namespace_[f] = field(doc=f"the {f}")
    return event(name, version=version)(type(f"V{version}", (), namespace_))


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, str]:
    names = draw(
        st.lists(
            st.from_regex(r"[a-z]{1,8}", fullmatch=True).filter(
                lambda n: (
                    n not in {"sender", "self", "added", "two", "three"}
                    and not keyword.iskeyword(n)
                )
            ),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    return {n: draw(st.sampled_from(sorted(_TYPES))) for n in names}


_GENERATED = settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class TestProperties:
    @settings(_GENERATED, max_examples=25)
    @given(fields=definitions(), data=st.data())
    def test_custom_event_read_as_next_version(self, forget_event, fields, data):
        """An envelope of version N, read by a consumer of N+1, is the upcast payload."""
        name = f"test_upcasting_generated_{next(_names)}"
        try:
            start = data.draw(st.integers(1, 3), label="N")
            old = define(name, start, fields, "old")
            new = define(name, start + 1, {**fields, "added": "str"}, "new")

            @upcaster(old, to=new)
            def add(payload: Any) -> Any:
                return new(**{f: getattr(payload, f) for f in fields}, added="upcast")

            payload = data.draw(payloads(old), label="payload")
            read = from_cloudevent(envelope_of(payload), reads={new: {start}})

            assert upcast(payload, new) == read
            assert "upcast" == read.added
        finally:
            forget_event(name)

    @settings(_GENERATED, max_examples=10)
    @given(fields=definitions(), data=st.data())
    def test_chains_compose(self, forget_event, fields, data):
        """Version 1 read as version 3 equals the two upcasters applied in turn."""
        name = f"test_upcasting_chain_{next(_names)}"
        try:
            v1 = define(name, 1, fields, "1")
            v2 = define(name, 2, {**fields, "two": "int"}, "2")
            v3 = define(name, 3, {**fields, "two": "int", "three": "bool"}, "3")
            upcaster(v1, to=v2)(
                lambda p: v2(**{f: getattr(p, f) for f in fields}, two=2)
            )
            upcaster(v2, to=v3)(
                lambda p: v3(**{f: getattr(p, f) for f in (*fields, "two")}, three=True)
            )

            payload = data.draw(payloads(v1))
            read = from_cloudevent(envelope_of(payload), reads={v3: {1, 2}})

            assert (
                v3(**{f: getattr(payload, f) for f in fields}, two=2, three=True)
                == read
            )
        finally:
            forget_event(name)

    def test_forgotten(self, forget_event):
        """The generated events leave nothing registered behind."""
        assert not [
            spec.name
            for spec in catalogue()
            if spec.name.startswith(
                ("test_upcasting_generated", "test_upcasting_chain")
            )
        ]


def test_every_built_in_event_read_as_next_version():
    """Every built-in event's envelope, read by a consumer of its version 2.

    In a process of its own: registering version 2 of a built-in makes it the
    latest, which every other test of this process would see.
    """
    script = Path(__file__).with_name("upcasting_built_ins.py")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )

    assert 0 == result.returncode, result.stdout + result.stderr
    assert "every built-in event: ok" in result.stdout
