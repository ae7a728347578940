"""The string forms of values in JSON documents, as regular expressions.

One definition for both sides of the contract: the reader
(:mod:`commerce_events.serialization`) accepts a string exactly when it
*fullmatches* one of these, and the JSON Schema export
(:mod:`commerce_events.schema`) writes them, anchored with :func:`anchored`, as
``pattern`` keywords. So a document the schema accepts is one the reader
accepts, and the other way round. They are written in the subset of regular
expressions that Python and ECMA-262 (JSON Schema's dialect) read alike: ASCII
classes (``[0-9]``, never ``\\d``, which also takes other scripts' digits),
groups, lookaheads.
"""

from __future__ import annotations

from typing import Final

from ._limits import (
    MAX_DECIMAL_EXPONENT_DIGITS,
    MAX_MONEY_DIGITS,
    MAX_MONEY_EXPONENT,
)

__all__ = ["DATE", "DATETIME", "DECIMAL", "MONEY", "UUID", "anchored"]


def anchored(pattern: str) -> str:
    """*pattern* as a JSON Schema ``pattern`` matching whole strings only.

    ``$(?!\\n)`` because Python's ``$`` also matches before a final newline,
    and Python validators (``jsonschema``) read patterns with Python's engine.
    """
    return f"^(?:{pattern})$(?!\\n)"


_MANTISSA: Final = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"

_EXPONENT: Final = rf"[eE][+-]?[0-9]{{1,{MAX_DECIMAL_EXPONENT_DIGITS}}}"

DECIMAL: Final = rf"[+-]?{_MANTISSA}(?:{_EXPONENT})?"
"""A decimal number (a string: JSON numbers are binary floats to most readers)."""

UUID: Final = (
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
"""A UUID in its canonical hyphenated form."""

_MONTH_DAY: Final = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_YEAR: Final = (
    r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
)

DATE: Final = rf"(?!0000)(?:[0-9]{{4}}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
"""A calendar date that exists (year 1 to 9999), ``2026-05-01``."""

_TIME: Final = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?"
# datetime.isoformat() writes an offset's seconds and microseconds when the
# zone has them (historical local mean times): read back what is written.
_OFFSET: Final = (
    r"(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{6})?)?)"
)

DATETIME: Final = rf"{DATE}[Tt]{_TIME}{_OFFSET}"
"""An RFC 3339 date-time with a UTC offset, to the microsecond (a finer
fraction would be silently rounded by the reader, so it is refused)."""


def _money() -> str:
    # A money amount is a decimal of at most MAX_MONEY_DIGITS significant
    # digits whose exponent (as Decimal.as_tuple() gives it: the written
    # exponent minus the number of fraction digits) lies within
    # ±MAX_MONEY_EXPONENT, and not negative (-0 is not). A regular expression
    # cannot subtract, so the written exponents are listed, each with the
    # numbers of fraction digits that keep the result in bounds.
    digits, bound = MAX_MONEY_DIGITS, MAX_MONEY_EXPONENT
    sign = r"(?:\+|-(?=[0.]*(?:[eE]|$)))?"
    # Leading zeros (before and just after the point) are not significant.
    significant = rf"(?=0*\.?0*(?:[1-9](?:\.?[0-9]){{0,{digits - 1}}}\.?)?(?:[eE]|$))"

    def mantissa(least: int, most: int) -> str:
        fraction = rf"\.[0-9]{{{least},{most}}}"
        if most == 0:
            return r"[0-9]+\.?"
        if least == 0:
            return rf"(?:[0-9]+(?:{fraction})?|[0-9]*\.[0-9]{{1,{most}}})"
        return rf"[0-9]*{fraction}"

    alternatives = [
        mantissa(0, bound),
        rf"{mantissa(0, bound)}[eE](?:\+?0*{_up_to(bound)}|-0+)",
    ]
    alternatives.extend(
        rf"{mantissa(written - bound, bound)}[eE]\+?0*{written}"
        for written in range(bound + 1, 2 * bound + 1)
    )
    alternatives.extend(
        rf"{mantissa(0, bound - written)}[eE]-0*{written}"
        for written in range(1, bound + 1)
    )
    # Within DECIMAL first (the exponent's length, ASCII digits only).
    within = rf"(?={DECIMAL}$)"
    return within + sign + significant + "(?:" + "|".join(alternatives) + ")"


def _up_to(most: int) -> str:
    """A regular expression of the numbers 0 to *most* (below 100), no zeros first."""
    tens, units = divmod(most, 10)
    choices = ["[0-9]"]
    if tens > 1:
        choices.append(f"[1-{tens - 1}][0-9]")
    if tens >= 1:
        choices.append(f"{tens}[0-{units}]")
    return "(?:" + "|".join(choices) + ")"


MONEY: Final = _money()
"""An amount of money as :func:`~commerce_events.validators.money_amount`
accepts it: a :data:`DECIMAL` within the bounds of :mod:`._limits`, not
negative."""
