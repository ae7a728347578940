"""attrs validators for commerce payloads: money, currencies, quantities, changes.

The built-in catalogue uses them, and custom events can too::

    from commerce_events import event, field, validators

    @event("gift_card_redeemed")
    class GiftCardRedeemed:
        amount: Decimal = field(validator=validators.money_amount)
        currency: str = field(validator=validators.currency_code)

They are ordinary attrs validators: failures are reported, with every other
offending field, in one :class:`~commerce_events.exceptions.PayloadError`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

import attrs
from attrs import validators as _v

from ._limits import check_money

__all__ = [
    "MAX_QUANTITY",
    "currency_code",
    "differs_from",
    "money_amount",
    "quantity",
    "stock_level",
]

MAX_QUANTITY: Final = 1_000_000
"""The largest quantity a payload accepts (far inside a 64-bit integer, so
quantities survive JSON, msgpack and every database column)."""

currency_code: Final = _v.matches_re(r"[A-Z]{3}")
"""A currency code in the shape of ISO 4217: three capital letters (``"EUR"``).

The shape only: the codes themselves are not looked up (``"ABC"`` passes), as
the list changes and a payload must not fail when a country adopts a new one.
"""


money_amount: Final = _v.and_(_v.instance_of(Decimal), check_money)
"""An amount of money: a finite, non-negative :class:`~decimal.Decimal`, of at
most 30 significant digits and a decimal exponent within ±30.

Money is never a float: ``0.1 + 0.2`` is not ``0.3``. The bounds keep hostile
amounts cheap: formatting ``Decimal("1e100000000")`` builds a 100 MB string.

.. versionchanged:: 0.2.0
   Digits and exponent bounded.
"""

quantity: Final = _v.and_(_v.ge(1), _v.le(MAX_QUANTITY))
"""A quantity of items added, removed or bought: 1 to :data:`MAX_QUANTITY`."""

stock_level: Final = _v.and_(_v.ge(0), _v.le(MAX_QUANTITY))
"""A quantity that may be zero (a line's new quantity, a stock level)."""


_ABSENT: Final = object()


@attrs.frozen
class _DiffersFrom:
    other: str

    def check_definition(self, field_names: tuple[str, ...]) -> str | None:
        """Called when the event is defined: a typo must not pass silently."""
        if self.other not in field_names:
            return f"differs_from({self.other!r}) names no field of this event"
        return None

    def __call__(
        self, instance: Any, attribute: attrs.Attribute[Any], value: Any
    ) -> None:
        previous = getattr(instance, self.other, _ABSENT)
        if previous is _ABSENT:
            # The other field is itself missing or invalid, and reported as
            # such: there is nothing to compare with.
            return
        if value == previous:
            msg = (
                f"'{attribute.name}' must differ from '{self.other}' "
                f"(both are {value!r}): nothing changed"
            )
            raise ValueError(msg)


def differs_from(other: str) -> Any:
    """Require the field to differ from the field named *other*.

    For changes: ``new_status`` must differ from ``old_status``.
    """
    return _DiffersFrom(other)
