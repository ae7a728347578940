"""Tests for commerce_events.validators: money, currencies, quantities, changes."""

import re
import string
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_events import (
    BasketLineQuantityChanged,
    OrderPaid,
    OrderRefunded,
    OrderStatusChanged,
    PaymentFailed,
    event,
    field,
)
from commerce_events.exceptions import EventDefinitionError, PayloadError
from commerce_events.testing import strategies as ces
from commerce_events.validators import (
    MAX_QUANTITY,
    currency_code,
    differs_from,
    money_amount,
    quantity,
    stock_level,
)


@event("validators_refund_issued")
class RefundIssued:
    """A custom event with money."""

    amount: Decimal = field(doc="The amount", validator=money_amount)
    currency: str = field(doc="Its currency", validator=currency_code)
    note: str | None = field(default=None, doc="A note")


@event("validators_stock_counted")
class StockCounted:
    """A custom event with quantities."""

    sku: str = field(doc="The product's SKU")
    quantity: int = field(doc="How many were counted", validator=quantity)
    level: int = field(doc="The stock level now", validator=stock_level)


@event("validators_ticket_moved")
class TicketMoved:
    """A custom event with a change of status."""

    old: str = field(doc="The status before")
    new: str = field(doc="The status after", validator=differs_from("old"))


@event("validators_ticket_moved_back")
class TicketMovedBack:
    """A change whose validated field comes before the field it differs from."""

    new: str = field(doc="The status after", validator=differs_from("old"))
    old: str = field(doc="The status before")


@event("validators_loose")
class Loose:
    """The validators on fields of any type: only they judge the values."""

    amount: Any = field(default=Decimal(0), validator=money_amount)
    currency: Any = field(default="EUR", validator=currency_code)
    quantity: Any = field(default=1, validator=quantity)
    level: Any = field(default=0, validator=stock_level)


@attrs.frozen
class Plain:
    """A plain attrs class: the validators are ordinary attrs validators."""

    amount: Decimal = attrs.field(validator=money_amount)
    currency: str = attrs.field(validator=currency_code)
    quantity: int = attrs.field(validator=quantity)
    level: int = attrs.field(validator=stock_level)
    old: str = attrs.field()
    new: str = attrs.field(validator=differs_from("old"))


def plain(**changes: Any) -> Plain:
    """Build a Plain with valid values, but for *changes*."""
    fields = {
        "amount": Decimal("9.99"),
        "currency": "EUR",
        "quantity": 1,
        "level": 0,
        "old": "open",
        "new": "closed",
    }
    return Plain(**(fields | changes))


def refused(payload_type: type, **kwargs: Any) -> dict[str, str]:
    """Build a payload that must be refused; return its error's fields."""
    with pytest.raises(PayloadError) as info:
        payload_type(**kwargs)
    return dict(info.value.fields)


# -- values ---------------------------------------------------------------------------


def _decimal(sign: int, digits: int, exponent: int) -> Decimal:
    return Decimal((sign, tuple(int(d) for d in str(digits)), exponent))


# Amounts within the bounds: at most 30 digits, an exponent within ±30.
AMOUNTS = st.builds(
    _decimal, st.just(0), st.integers(0, 10**30 - 1), st.integers(-30, 30)
)
NEGATIVE_AMOUNTS = st.builds(
    _decimal, st.just(1), st.integers(1, 10**30 - 1), st.integers(-30, 30)
)
NON_FINITE = st.sampled_from(["NaN", "-NaN", "sNaN", "Infinity", "-Infinity"]).map(
    Decimal
)
NOT_DECIMALS = st.one_of(
    st.floats(), st.integers(), st.booleans(), st.text(), st.fractions()
)
CURRENCIES = st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=3)
# Near misses: lower case, other lengths, a digit, a newline, a space; then
# non-ASCII capitals (accented, full-width, Greek) and a currency sign.
NEAR_MISSES = ["", "EU", "EURO", "eur", "Eur", "E1R", "EUR\n", " EUR"]
NON_ASCII = ["\u00c9UR", "\uff25\uff35\uff32", "\u0391\u0392\u0393", "EU\u20ac"]
NOT_CURRENCIES = st.one_of(
    st.sampled_from(NEAR_MISSES + NON_ASCII),
    st.text().filter(lambda s: not re.fullmatch(r"[A-Z]{3}", s)),
)
QUANTITIES = st.integers(1, MAX_QUANTITY)
LEVELS = st.integers(0, MAX_QUANTITY)
TOO_MANY = st.integers(min_value=MAX_QUANTITY + 1)


class TestMaxQuantity:
    def test_value(self):
        """The bound is a million."""
        assert 1_000_000 == MAX_QUANTITY

    def test_survives_json_numbers(self):
        """Every accepted quantity is exact as a JSON (double) number."""
        assert MAX_QUANTITY == int(float(MAX_QUANTITY))
        assert MAX_QUANTITY < 2**53


class TestMoneyAmount:
    @given(AMOUNTS)
    def test_accepts_finite_non_negative_decimals(self, amount):
        """Any finite Decimal from zero up is an amount, kept as given."""
        assert amount is RefundIssued(amount=amount, currency="EUR").amount
        assert amount is Loose(amount=amount).amount
        assert amount is plain(amount=amount).amount

    @given(NEGATIVE_AMOUNTS)
    def test_refuses_negative_amounts(self, amount):
        """A negative amount is refused, naming the field and the amount."""
        fields = refused(RefundIssued, amount=amount, currency="EUR")

        assert {"amount"} == fields.keys()
        assert f"'amount' must not be negative (got {amount})" == fields["amount"]

    @pytest.mark.parametrize(
        ("amount", "digits", "exponent"),
        [
            ("1e100000000", 1, 100000000),
            ("1" * 31, 31, 0),
            ("0.0000000000000000000000000000001", 1, -31),
            ("1e31", 1, 31),
        ],
    )
    def test_refuses_amounts_out_of_bounds(self, amount, digits, exponent):
        """Hostile amounts (formatting 1e100000000 builds 100 MB) are refused."""
        fields = refused(RefundIssued, amount=Decimal(amount), currency="EUR")

        assert {"amount"} == fields.keys()
        assert (
            "'amount' must have at most 30 digits and an exponent within ±30 "
            f"(got {digits} digits, exponent {exponent})"
        ) == fields["amount"]

    @given(NON_FINITE)
    def test_refuses_non_finite_amounts(self, amount):
        """NaN and infinities (signalling NaN too) are refused, not compared."""
        fields = refused(RefundIssued, amount=amount, currency="EUR")

        assert {"amount"} == fields.keys()
        assert f"'amount' must be a finite amount (got {amount})" == fields["amount"]

    @given(NOT_DECIMALS)
    def test_refuses_everything_but_decimals(self, value):
        """Floats, ints and the rest are refused by the validator itself."""
        assert {"amount"} == refused(Loose, amount=value).keys()
        with pytest.raises(TypeError):
            plain(amount=value)

    @pytest.mark.parametrize("value", [0.1, 10.0, 0.0])
    def test_floats_are_never_money(self, value):
        """A float amount is refused, by the annotation and by the validator."""
        fields = refused(RefundIssued, amount=value, currency="EUR")

        assert {"amount"} == fields.keys()
        assert f"expected Decimal, got {value} (float)" == fields["amount"]

    def test_decimal_subclasses_are_amounts(self):
        """A Decimal subclass is still a Decimal."""

        class Money(Decimal):
            pass

        assert (
            Money("1.50") == RefundIssued(amount=Money("1.50"), currency="EUR").amount
        )


class TestCurrencyCode:
    @given(CURRENCIES)
    def test_accepts_three_upper_case_ascii_letters(self, currency):
        """Any three upper-case ASCII letters are a code."""
        assert currency == RefundIssued(amount=Decimal(1), currency=currency).currency
        assert currency == Loose(currency=currency).currency
        assert currency == plain(currency=currency).currency

    @given(NOT_CURRENCIES)
    def test_refuses_anything_else(self, currency):
        """Lower case, other lengths, digits, non-ASCII letters are refused."""
        fields = refused(RefundIssued, amount=Decimal(1), currency=currency)

        assert {"currency"} == fields.keys()
        assert fields["currency"].startswith("'currency' must match regex")
        with pytest.raises(ValueError):
            plain(currency=currency)

    @given(st.one_of(st.integers(), st.binary(), st.none()))
    def test_refuses_non_strings(self, value):
        """A value that is no string at all is refused too."""
        assert {"currency"} == refused(Loose, currency=value).keys()


class TestQuantity:
    @given(QUANTITIES)
    def test_accepts_one_to_the_maximum(self, count):
        """Any int from 1 to MAX_QUANTITY is a quantity."""
        assert count == StockCounted(sku="MUG", quantity=count, level=0).quantity
        assert count == plain(quantity=count).quantity

    @given(st.one_of(st.integers(max_value=0), TOO_MANY))
    def test_refuses_zero_negatives_and_too_many(self, count):
        """Zero, negative counts and more than MAX_QUANTITY are refused."""
        fields = refused(StockCounted, sku="MUG", quantity=count, level=0)

        assert {"quantity"} == fields.keys()
        assert re.fullmatch(
            r"'quantity' must be (>= 1|<= 1000000): -?\d+", fields["quantity"]
        )
        with pytest.raises(ValueError):
            plain(quantity=count)

    @pytest.mark.parametrize("value", [True, False])
    def test_bools_are_refused_by_the_int_annotation(self, value):
        """True is no quantity: the field's int annotation refuses bools."""
        fields = refused(StockCounted, sku="MUG", quantity=value, level=0)

        assert {"quantity": f"expected int, got {value} (bool)"} == fields

    @given(st.one_of(st.floats(1, MAX_QUANTITY), st.decimals(1, MAX_QUANTITY)))
    def test_other_numbers_are_refused_by_the_int_annotation(self, value):
        """2.0 or Decimal(2) is no quantity either on an int field."""
        assert {"quantity"} == refused(
            StockCounted, sku="MUG", quantity=value, level=0
        ).keys()


class TestStockLevel:
    @given(LEVELS)
    def test_accepts_zero_to_the_maximum(self, level):
        """Any int from 0 to MAX_QUANTITY is a stock level."""
        assert level == StockCounted(sku="MUG", quantity=1, level=level).level
        assert level == Loose(level=level).level
        assert level == plain(level=level).level

    @given(st.one_of(st.integers(max_value=-1), TOO_MANY))
    def test_refuses_negatives_and_too_many(self, level):
        """Negative levels and more than MAX_QUANTITY are refused."""
        assert {"level"} == refused(
            StockCounted, sku="MUG", quantity=1, level=level
        ).keys()
        with pytest.raises(ValueError):
            plain(level=level)

    @pytest.mark.parametrize("value", [True, False])
    def test_bools_are_refused_by_the_int_annotation(self, value):
        """False is no stock level: the field's int annotation refuses bools."""
        fields = refused(StockCounted, sku="MUG", quantity=1, level=value)

        assert {"level": f"expected int, got {value} (bool)"} == fields


class TestDiffersFrom:
    @given(st.text(), st.text())
    def test_accepts_exactly_the_changes(self, old, new):
        """Two different values are a change; two equal ones are refused."""
        if old != new:
            assert (old, new) == attrs.astuple(TicketMoved(old=old, new=new))
        else:
            fields = refused(TicketMoved, old=old, new=new)
            assert {
                "new": f"'new' must differ from 'old' (both are {new!r}): nothing changed"
            } == fields

    @given(st.text())
    def test_refuses_no_change(self, status):
        """The same value twice is refused, naming only the changed field."""
        assert {"new"} == refused(TicketMoved, old=status, new=status).keys()
        assert {"new"} == refused(TicketMovedBack, old=status, new=status).keys()
        with pytest.raises(ValueError, match="nothing changed"):
            plain(old=status, new=status)

    @given(st.text(), st.text())
    def test_field_order_does_not_matter(self, old, new):
        """A field may differ from one declared after it."""
        if old != new:
            assert (new, old) == attrs.astuple(TicketMovedBack(old=old, new=new))

    def test_equal_values_of_different_types_are_no_change(self):
        """Equality decides: 1 and 1.0 are the same quantity."""

        @event("validators_count_changed")
        class CountChanged:
            old: float = field(doc="before")
            new: int | float = field(doc="after", validator=differs_from("old"))

        assert {"new"} == refused(CountChanged, old=1.0, new=1).keys()

    def test_a_wrong_old_value_is_reported_alone(self):
        """A wrong old value is its own problem: the new one is still compared."""
        assert {"old"} == refused(TicketMoved, old=7, new="paid").keys()

    @pytest.mark.parametrize("old", [7, None, "missing"])
    def test_an_invalid_other_field_is_not_blamed_on_this_one(self, old):
        """Only the offending field is named when the other one is invalid."""

        @event(f"validators_optional_change_{old}")
        class OptionalChange:
            old: str = field(doc="before")
            new: str | None = field(
                default=None, doc="after", validator=differs_from("old")
            )

        kwargs = {} if old == "missing" else {"old": old}

        assert {"old"} == refused(OptionalChange, **kwargs).keys()

    def test_naming_no_field_is_an_error(self):
        """A differs_from naming a field the event lacks is refused when it is defined."""
        with pytest.raises(EventDefinitionError) as info:

            @event("validators_typo")
            class Typo:
                old: str = field(doc="before")
                new: str = field(doc="after", validator=differs_from("olde"))

        assert ["new"] == list(info.value.fields)


# -- the built-in events ----------------------------------------------------------------

_NOT_STR = st.one_of(st.none(), st.integers(), st.binary(), st.booleans())
_BAD_AMOUNTS = st.one_of(NEGATIVE_AMOUNTS, NON_FINITE, NOT_DECIMALS, st.none())
_BAD_LEVELS = st.one_of(
    st.integers(max_value=-1), TOO_MANY, st.booleans(), st.floats(), st.none()
)
BAD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "amount": _BAD_AMOUNTS,
    "currency": st.one_of(NOT_CURRENCIES, _NOT_STR),
    "order_number": st.one_of(st.just(""), _NOT_STR),
    "old_status": _NOT_STR,
    "new_status": _NOT_STR,
    "old_quantity": _BAD_LEVELS,
    "new_quantity": _BAD_LEVELS,
    # The custom events
    "quantity": st.one_of(st.integers(max_value=0), TOO_MANY, st.booleans()),
    "level": _BAD_LEVELS,
    "old": _NOT_STR,
    "new": _NOT_STR,
}
# A change is also spoiled by making it no change at all.
CHANGES = {"new_status": "old_status", "new_quantity": "old_quantity", "new": "old"}


@st.composite
def spoiled(draw: st.DrawFn, payload_type: type) -> tuple[dict[str, Any], set[str]]:
    """A valid payload's arguments with some validated fields spoiled, and those."""
    payload = draw(ces.payloads(payload_type))
    kwargs = {a.name: getattr(payload, a.name) for a in attrs.fields(payload_type)}
    names = draw(
        st.sets(st.sampled_from(sorted(BAD_VALUES.keys() & kwargs)), min_size=1)
    )
    # Changes last, so "no change" copies the old value as it ends up.
    for name in sorted(names, key=lambda n: n in CHANGES):
        if name in CHANGES and draw(st.booleans()):
            kwargs[name] = kwargs[CHANGES[name]]
        else:
            kwargs[name] = draw(BAD_VALUES[name])
    return kwargs, names


VALIDATED = [
    OrderStatusChanged,
    BasketLineQuantityChanged,
    PaymentFailed,
    OrderPaid,
    OrderRefunded,
    RefundIssued,
    StockCounted,
    TicketMoved,
    TicketMovedBack,
]


class TestValidatedEvents:
    @pytest.mark.parametrize("payload_type", VALIDATED, ids=lambda c: c.__name__)
    @given(data=st.data())
    def test_one_error_names_exactly_the_spoiled_fields(self, payload_type, data):
        """Spoiling some validated fields raises one error naming just those."""
        kwargs, names = data.draw(spoiled(payload_type))

        assert names == refused(payload_type, **kwargs).keys()

    @pytest.mark.parametrize(
        "payload_type",
        [PaymentFailed, OrderPaid, OrderRefunded, RefundIssued],
        ids=lambda c: c.__name__,
    )
    @given(data=st.data())
    def test_money_is_a_decimal_and_a_currency(self, payload_type, data):
        """Every valid payload's money is a finite, non-negative Decimal in ISO 4217."""
        payload = data.draw(ces.payloads(payload_type))

        assert isinstance(payload.amount, Decimal)
        assert payload.amount.is_finite()
        assert Decimal(0) <= payload.amount
        assert re.fullmatch(r"[A-Z]{3}", payload.currency)

    @given(ces.payloads(BasketLineQuantityChanged))
    def test_quantity_changes_are_changes(self, payload):
        """A valid quantity change goes between two stock levels that differ."""
        assert payload.old_quantity != payload.new_quantity
        assert 0 <= payload.old_quantity <= MAX_QUANTITY
        assert 0 <= payload.new_quantity <= MAX_QUANTITY

    @given(ces.payloads(OrderStatusChanged))
    def test_status_changes_are_changes(self, payload):
        """A valid status change goes between two statuses that differ."""
        assert payload.old_status != payload.new_status

    def test_payment_failed_reports_every_problem(self):
        """A payment failure names every wrong field at once, in field order."""
        fields = refused(
            PaymentFailed,
            order_number="",
            error="declined",
            amount=19.99,
            currency="eur",
        )

        assert ["order_number", "amount", "currency"] == list(fields)

    def test_order_status_changed_refuses_no_change(self):
        """An order moving to the status it has is not a status change."""
        fields = refused(
            OrderStatusChanged, order="100042", old_status="paid", new_status="paid"
        )

        assert {
            "new_status": "'new_status' must differ from 'old_status' "
            "(both are 'paid'): nothing changed"
        } == fields

    def test_basket_line_quantity_changed_allows_zero(self):
        """A line's quantity may go down to zero (a stock level, not a quantity)."""
        payload = BasketLineQuantityChanged(
            basket="b", line="l", old_quantity=2, new_quantity=0
        )

        assert (2, 0) == (payload.old_quantity, payload.new_quantity)
