"""Tests for commerce_events.testing.strategies: valid, invalid and domain draws."""

from __future__ import annotations

import collections.abc as cabc
import importlib.metadata
import re
import subprocess
import sys
from decimal import Decimal
from typing import Any, Literal

import attrs
import pytest
from attrs import validators as v
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import ResolutionFailed

import commerce_events
from commerce_events import (
    OrderPlaced,
    ProductViewed,
    catalogue,
    declare_domain_classes,
    event,
    field,
    signal,
)
from commerce_events.domain import Line
from commerce_events.exceptions import (
    NotAPayloadError,
    PayloadError,
    UnknownDomainError,
)
from commerce_events.testing import _hypothesis_hook
from commerce_events.testing.strategies import (
    DomainStandIn,
    InvalidArguments,
    any_payload,
    domain_objects,
    invalid_arguments,
    payloads,
    register_domain_strategy,
    reset_domain_strategies,
)

BUILT_INS = tuple(
    getattr(commerce_events, name)
    for name in commerce_events.__all__
    if isinstance(getattr(commerce_events, name), type)
    and getattr(commerce_events, name).__module__ == "commerce_events._catalogue"
)

# No shrinking: these tests want a matching draw, not the simplest one.
once = settings(database=None, phases=[Phase.generate])


def first(strategy: st.SearchStrategy[Any], condition: Any = lambda _: True) -> Any:
    """A draw satisfying *condition*."""
    return find(strategy, condition, settings=once)


def rebuild(payload: Any) -> Any:
    """Build the payload again from its fields: raises if any is invalid."""
    cls = type(payload)
    return cls(**{a.name: getattr(payload, a.name) for a in attrs.fields(cls)})


@event("strategies_strict")
class Strict:
    """Validators that random values would (almost) never satisfy."""

    customer: str = field(validator=v.matches_re(r"C-[0-9]{4}"))
    sku: str = field(validator=v.matches_re(r"SKU\d+", func=re.search))
    points: int = field(validator=[v.gt(0), v.le(1000)])
    stars: int = field(validator=[v.gt(2.5), v.lt(Decimal("5.5"))])
    ratio: float = field(validator=[v.ge(0), v.lt(1)])
    amount: Decimal = field(validator=[v.ge(Decimal("0.01")), v.le(100)])
    currency: str = field(validator=v.in_({"EUR", "USD"}))
    code: str | None = field(default=None, validator=v.optional(v.in_(["A", "B"])))
    name: str = field(validator=[v.min_len(3), v.max_len(4)])
    tags: tuple[str, ...] = field(validator=v.min_len(2))


@event("strategies_shapes")
class Shapes:
    """One field of each supported annotation shape."""

    flag: bool
    count: int
    kind: Literal["a", 1, None]
    price: Decimal
    items: list[int]
    unique: set[str]
    frozen: frozenset[int]
    mapping: dict[str, int]
    abc_mapping: cabc.Mapping[str, bool]
    sequence: cabc.Sequence[int]
    pair: tuple[int, str]
    empty: tuple[()]
    collection: cabc.Collection[str]
    anything: Any
    maybe: int | str | None
    raw: bytes
    lines: tuple[Line, ...] = ()


@event("strategies_points_awarded")
class PointsAwarded:
    """A small event whose fields can be spoiled in every way."""

    member: str = field(validator=v.min_len(1))
    points: int = 0


@event("strategies_shipped")
class Shipped:
    """Domain objects inside a container."""

    lines: tuple[Line, ...]


@event("strategies_ranged")
class Ranged:
    """A validator that relates two fields."""

    low: int
    high: int = field(validator=lambda payload, _a, high: _not_below(payload, high))


def _not_below(payload: Any, high: int) -> None:
    if high < payload.low:
        msg = "high must not be below low"
        raise ValueError(msg)


@event("strategies_defaults")
class Defaults:
    """Defaults, factories and converters."""

    code: str = field(converter=str.upper)
    tags: tuple[str, ...] = field(factory=lambda: ("default",))
    odd: int = field(default=1, validator=lambda _i, _a, n: _odd(n))


def _odd(n: int) -> None:
    if n % 2 == 0:
        msg = "must be odd"
        raise ValueError(msg)


@event("strategies_wide_change")
class WideChange:
    """A change (new differs from old) with many optional fields: a wide repr."""

    old: str
    new: str = field(validator=commerce_events.validators.differs_from("old"))
    note_0: str | None = None
    note_1: str | None = None
    note_2: str | None = None
    note_3: str | None = None
    note_4: str | None = None
    note_5: str | None = None
    note_6: str | None = None
    note_7: str | None = None
    note_8: str | None = None
    note_9: str | None = None
    note_10: str | None = None
    note_11: str | None = None
    note_12: str | None = None
    note_13: str | None = None
    note_14: str | None = None
    note_15: str | None = None


class ShopOrder:
    """An application's order class."""

    def __init__(self, number: int) -> None:
        self.number = number


class Opaque:
    """A class Hypothesis cannot build (untyped argument)."""

    def __init__(self, x):  # type: ignore[no-untyped-def]
        self.x = x


@pytest.fixture(autouse=True)
def _no_domain_strategies():
    """Every test starts and ends without registered domain strategies."""
    reset_domain_strategies()
    yield
    reset_domain_strategies()


class TestPayloads:
    @pytest.mark.parametrize("payload_type", BUILT_INS, ids=lambda c: c.__name__)
    @given(data=st.data())
    def test_draws_valid_built_in_payloads(self, payload_type, data):
        """Every built-in event's draws are valid instances of exactly its class."""
        payload = data.draw(payloads(payload_type))

        assert payload_type is type(payload)
        assert payload == rebuild(payload)

    @given(payloads(Strict))
    def test_honours_validators(self, payload):
        """Draws satisfy every validator, without filtering most of them away."""
        rebuild(payload)

        assert re.fullmatch(r"C-[0-9]{4}", payload.customer)
        assert 0 < payload.points <= 1000
        assert 3 <= payload.stars <= 5
        assert payload.currency in {"EUR", "USD"}
        assert payload.code in {None, "A", "B"}

    @given(payloads(Shapes))
    def test_honours_annotation_shapes(self, payload):
        """Each annotation shape gets values of that shape."""
        rebuild(payload)

        assert int is type(payload.count)
        assert isinstance(payload.items, list)
        assert isinstance(payload.frozen, frozenset)
        assert isinstance(payload.abc_mapping, cabc.Mapping)
        assert () == payload.empty
        assert payload.anything is not None
        assert not payload.price.is_snan()

    @given(payloads(Ranged))
    def test_honours_validators_relating_fields(self, payload):
        """A validator relating several fields is satisfied too."""
        assert payload.low <= payload.high

    @given(payloads(Defaults))
    def test_honours_converters_and_validator_functions(self, payload):
        """Converted fields and plain validator functions stay valid."""
        assert payload.code == payload.code.upper()
        assert 1 == payload.odd % 2

    def test_optional_fields_are_sometimes_none(self):
        """An optional field is drawn both None and not None."""
        assert first(payloads(ProductViewed), lambda p: p.user is None).user is None
        assert first(payloads(ProductViewed), lambda p: p.user is not None).user

    def test_optional_fields_are_sometimes_left_out(self):
        """Fields with a default are sometimes omitted, so the default is used."""
        assert ("default",) == first(
            payloads(Defaults), lambda p: p.tags == ("default",)
        ).tags

    def test_strategy_overrides(self):
        """An overriding strategy supplies the field's values."""
        payload = first(payloads(OrderPlaced, order=st.just("o-1")))

        assert "o-1" == payload.order

    def test_value_overrides(self):
        """A plain value override is used as is."""
        assert 42 == first(payloads(Strict, points=42)).points

    def test_unknown_override_names_the_field(self):
        """Overriding a field the event does not have raises, naming it."""
        with pytest.raises(PayloadError) as error:
            payloads(OrderPlaced, odrer=st.just(1))

        assert ["odrer"] == list(error.value.fields)

    def test_invalid_value_override_names_the_field(self):
        """An invalid override value raises at once, naming the field."""
        with pytest.raises(PayloadError) as error:
            payloads(Strict, points=-1, currency=None)

        assert {
            "points": "override -1 is invalid: 'points' must be > 0: -1",
            "currency": "override None is invalid: must not be None (expected str)",
        } == error.value.fields

    def test_invalid_strategy_override_names_the_field(self):
        """An override strategy drawing invalid values fails the draw, naming it."""
        with pytest.raises(PayloadError) as error:
            first(payloads(Strict, points=st.just(0)))

        assert {
            "points": "the override strategy drew 0, which is invalid: "
            "'points' must be > 0: 0"
        } == error.value.fields

    def test_unregistered_classes_are_refused(self):
        """Asking for payloads of a class that is not an event raises."""
        with pytest.raises(NotAPayloadError) as error:
            payloads(ShopOrder)

        assert any("@event" in note for note in error.value.__notes__)

    @settings(database=None, derandomize=True)
    @given(payloads(WideChange, old="", new=st.sampled_from(["", "paid"])))
    def test_draws_of_a_wide_event_do_not_warn(self, payload):
        """Draws refused by a validator across fields are redrawn silently."""
        assert payload.new != payload.old


class TestDomainObjects:
    @given(payloads(OrderPlaced))
    def test_default_is_a_stand_in(self, payload):
        """Without a strategy or declared classes, domain fields get stand-ins."""
        assert isinstance(payload.order, DomainStandIn)
        assert "order" == payload.order.domain

    def test_stand_ins_show_their_domain(self):
        """A stand-in's repr names its domain."""
        assert "<order #3>" == repr(DomainStandIn("order", 3))

    def test_declared_classes_are_drawn(self):
        """With declared classes and no strategy, instances of them are drawn."""
        declare_domain_classes(order=ShopOrder)

        assert isinstance(first(payloads(OrderPlaced)).order, ShopOrder)

    def test_registered_strategy_is_used_and_accepted(self):
        """A registered strategy supplies the objects; declared classes accept them."""
        declare_domain_classes(order=ShopOrder)
        register_domain_strategy("order", st.builds(ShopOrder, st.integers(7, 9)))

        assert first(payloads(OrderPlaced)).order.number in {7, 8, 9}

    def test_registration_after_the_strategy_is_made_counts(self):
        """Strategies made before a registration honour it when drawn."""
        strategy = payloads(OrderPlaced)
        register_domain_strategy("order", st.just("late"))

        assert "late" == first(strategy).order

    def test_wrong_class_from_registered_strategy_names_the_field(self):
        """A registered strategy drawing another class fails, naming the field."""
        declare_domain_classes(order=ShopOrder)
        register_domain_strategy("order", st.just("not an order"))

        with pytest.raises(PayloadError) as error:
            first(payloads(OrderPlaced))

        assert ["order"] == list(error.value.fields)
        assert error.value.fields["order"].startswith(
            "the strategy registered for domain 'order' drew 'not an order', "
            "which is invalid: expected "
        )
        assert error.value.fields["order"].endswith("(ShopOrder), got str")

    def test_none_from_registered_strategy_names_the_field(self):
        """A registered strategy drawing None fails, naming the field."""
        register_domain_strategy("order", st.none())

        with pytest.raises(PayloadError) as error:
            first(payloads(OrderPlaced))

        assert ["order"] == list(error.value.fields)

    def test_registration_as_context_manager_restores(self):
        """Used as a context manager, a registration ends with the block."""
        register_domain_strategy("order", st.just("outer"))
        with register_domain_strategy("order", st.just("inner")):
            inside = first(domain_objects("order"))
        outside = first(domain_objects("order"))
        with register_domain_strategy("user", st.just("u")):
            pass

        assert ("inner", "outer") == (inside, outside)
        assert isinstance(first(domain_objects("user")), DomainStandIn)

    def test_reset_forgets_registrations(self):
        """``reset_domain_strategies`` goes back to the defaults."""
        register_domain_strategy("order", st.just("o"))
        reset_domain_strategies()

        assert isinstance(first(domain_objects("order")), DomainStandIn)

    def test_unknown_domain_is_refused(self):
        """Registering for, or drawing from, an unknown domain raises."""
        with pytest.raises(UnknownDomainError):
            register_domain_strategy("ordr", st.just(1))
        with pytest.raises(UnknownDomainError):
            domain_objects("ordr")

    def test_non_strategy_is_refused(self):
        """Registering something that is not a strategy raises."""
        with pytest.raises(TypeError, match="expected a Hypothesis strategy"):
            register_domain_strategy("order", ShopOrder)  # type: ignore[arg-type]

    def test_items_of_containers_use_the_registered_strategy(self):
        """Domain objects inside containers come from the registered strategy."""
        register_domain_strategy("line", st.just("a line"))

        assert {"a line"} == set(first(payloads(Shipped), lambda p: p.lines).lines)

    def test_unbuildable_declared_class_suggests_registering(self):
        """A declared class Hypothesis cannot build says how to fix it."""
        declare_domain_classes(order=Opaque)

        with pytest.raises(ResolutionFailed) as error:
            first(payloads(OrderPlaced))

        assert any(
            "register_domain_strategy('order'" in note for note in error.value.__notes__
        )


class TestAnyPayload:
    @given(any_payload())
    def test_draws_registered_payloads(self, payload):
        """Every draw is a valid payload of a registered event."""
        assert type(payload) in {spec.payload_type for spec in catalogue()}
        rebuild(payload)

    @pytest.mark.parametrize("payload_type", BUILT_INS, ids=lambda c: c.__name__)
    def test_draws_every_built_in(self, payload_type):
        """Each built-in event can be drawn."""
        # Drawn among every event the suite has registered by now (hundreds):
        # allow enough draws that a miss is not a matter of luck.
        payload = find(
            any_payload(),
            lambda p: type(p) is payload_type,
            settings=settings(once, max_examples=20_000),
        )

        assert payload_type is type(payload)

    def test_includes_events_registered_after_the_call(self):
        """Events registered between making and drawing are included."""
        strategy = any_payload()

        @event("strategies_registered_late")
        class Late:
            n: int

        # One event among the many the whole suite registers: allow enough
        # draws to meet it (find() stops at the first one).
        found = find(
            strategy,
            lambda p: type(p) is Late,
            settings=settings(once, max_examples=20_000),
        )
        assert Late is type(found)


class TestInvalidArguments:
    @pytest.mark.parametrize(
        "payload_type", [*BUILT_INS, Strict, Shapes], ids=lambda c: c.__name__
    )
    @given(data=st.data())
    def test_building_rejects_exactly_those_fields(self, payload_type, data):
        """Building the payload raises, naming exactly the spoiled arguments."""
        case = data.draw(invalid_arguments(payload_type))

        with pytest.raises(PayloadError) as error:
            payload_type(**case.kwargs)

        assert case.fields == error.value.fields.keys()

    @given(invalid_arguments(OrderPlaced))
    def test_sending_rejects_them_too(self, case):
        """The dispatcher's Oscar-style send rejects them the same way."""
        with pytest.raises(PayloadError) as error:
            signal(OrderPlaced).send(None, **case.kwargs)

        assert case.fields == error.value.fields.keys()

    @pytest.mark.parametrize("problem", ["missing", "unknown", "none", "wrong_type"])
    def test_draws_every_kind_of_problem(self, problem):
        """Each kind of spoiled argument is drawn."""
        case = first(
            invalid_arguments(PointsAwarded), lambda c: problem in c.problems.values()
        )

        assert problem in case.problems.values()

    @given(invalid_arguments(Defaults))
    def test_fields_with_converters_are_only_left_out(self, case):
        """A converted field is never spoiled by value, only left out."""
        assert case.problems.get("code") in {None, "missing"}

    def test_fields_are_the_problem_names(self):
        """``fields`` are the names of the spoiled arguments."""
        case = InvalidArguments(
            payload_type=OrderPlaced, kwargs={}, problems={"order": "missing"}
        )

        assert frozenset({"order"}) == case.fields

    def test_unregistered_classes_are_refused(self):
        """A class that is not an event is refused."""
        with pytest.raises(NotAPayloadError):
            invalid_arguments(ShopOrder)


class TestFromType:
    @pytest.mark.parametrize("payload_type", BUILT_INS, ids=lambda c: c.__name__)
    def test_built_ins_need_no_setup(self, payload_type):
        """``st.from_type`` draws valid built-in payloads."""
        payload = first(st.from_type(payload_type))

        assert payload == rebuild(payload)

    def test_events_are_registered_as_they_are_defined(self):
        """An event defined after Hypothesis started is drawn valid at once."""

        @event("strategies_defined_now")
        class DefinedNow:
            currency: str = field(validator=v.in_(["EUR"]))

        assert "EUR" == first(st.from_type(DefinedNow)).currency

    def test_hook_registers_events_defined_since(self):
        """The setup hook registers events defined after Hypothesis started."""

        @event("strategies_hooked")
        class Hooked:
            currency: str = field(validator=v.in_(["EUR"]))

        _hypothesis_hook.setup()

        assert "EUR" == first(st.from_type(Hooked)).currency

    def test_does_not_replace_an_application_strategy(self):
        """A strategy the application registered itself is kept."""

        @event("strategies_own_strategy")
        class Own:
            n: int

        mine = Own(n=-7)
        st.register_type_strategy(Own, st.just(mine))
        _hypothesis_hook.setup()

        assert mine is first(st.from_type(Own))

    def test_entry_points_are_installed(self):
        """The hypothesis and pytest11 entry points point at the toolkit."""
        hook = importlib.metadata.entry_points(group="hypothesis", name="_")
        plugin = importlib.metadata.entry_points(
            group="pytest11", name="commerce_events"
        )

        assert [_hypothesis_hook.setup] == [ep.load() for ep in hook]
        assert ["commerce_events.testing.pytest_plugin"] == [ep.value for ep in plugin]

    @pytest.mark.parametrize(
        "first_import",
        ["hypothesis", "commerce_events.testing.strategies", "commerce_events"],
    )
    def test_either_import_order_works(self, first_import):
        """Whichever is imported first, ``from_type`` draws valid payloads."""
        script = (
            f"import {first_import}\n"
            "from hypothesis import find, strategies as st\n"
            "from commerce_events import OrderPlaced\n"
            "assert type(find(st.from_type(OrderPlaced), lambda p: True))"
            " is OrderPlaced\n"
        )

        result = subprocess.run(
            [sys.executable, "-W", "error", "-c", script],
            capture_output=True,
            text=True,
            check=False,
        )

        assert (0, "") == (result.returncode, result.stderr)
