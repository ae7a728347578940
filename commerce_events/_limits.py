"""Limits on what comes from outside: sizes, depths, digits; safe log text.

Every entry point that reads data from another process (envelopes, JSON
documents, money amounts) checks it against these bounds *before* doing
anything whose cost grows with the input, so that a hostile document costs
little and fails with a clear error instead of a crash or minutes of CPU.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

__all__ = [
    "EVENT_NAME",
    "MAX_ATTRIBUTE_LENGTH",
    "MAX_DECIMAL_LENGTH",
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "MAX_EVENT_NAME_LENGTH",
    "MAX_IDENTITY_LENGTH",
    "MAX_MONEY_DIGITS",
    "MAX_MONEY_EXPONENT",
    "check_money",
    "loads",
    "money_problem",
    "name_problem",
    "printable",
    "shown",
    "too_deep",
]

MAX_DOCUMENT_BYTES: Final = 1 << 20
"""The largest envelope or JSON document read (1 MiB of UTF-8)."""

MAX_DEPTH: Final = 32
"""How deeply JSON arrays and objects may nest in a document."""

MAX_ATTRIBUTE_LENGTH: Final = 4096
"""The longest string attribute of an envelope (``id``, ``source``, ...)."""

MAX_DECIMAL_LENGTH: Final = 100
"""The longest decimal number read from a document (a string such as
``"19.90"``): far beyond any amount, and cheap to refuse."""

MAX_DECIMAL_EXPONENT_DIGITS: Final = 9
"""The most digits of a decimal number's written exponent (``1e123456789``):
beyond 18, :class:`~decimal.Decimal` refuses the number itself."""

MAX_IDENTITY_LENGTH: Final = 4096
"""The longest string identity of a domain object read without a load hook."""

MAX_EVENT_NAME_LENGTH: Final = 100
"""The longest event name; also bounds the "did you mean" search."""

EVENT_NAME: Final = r"[A-Za-z_][A-Za-z0-9_]*"
"""What an event name is (a regular expression): ASCII letters, digits and
underscores, not starting with a digit, at most :data:`MAX_EVENT_NAME_LENGTH`
characters. Checked when an event is defined, and what every consumer's
``type`` parser accepts, so any event that can be forwarded can be consumed."""


def name_problem(name: object) -> str | None:
    """What is wrong with *name* as an event name, or None."""
    if not isinstance(name, str):
        return f"{shown(name)} is not a valid event name: not a string"
    if len(name) > MAX_EVENT_NAME_LENGTH:
        return (
            f"{shown(name)} is not a valid event name: longer than "
            f"{MAX_EVENT_NAME_LENGTH} characters"
        )
    if re.fullmatch(EVENT_NAME, name) is None:
        return (
            f"{shown(name)} is not a valid event name: use ASCII letters, digits "
            "and underscores (consumers accept nothing else)"
        )
    return None


MAX_MONEY_DIGITS: Final = 30
"""The most significant digits of a money amount (far beyond any currency)."""

MAX_MONEY_EXPONENT: Final = 30
"""The largest decimal exponent, either way, of a money amount."""

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SHOWN: Final = 80  # characters of a hostile value shown in an error


def printable(text: str) -> str:
    """*text* with control characters (newlines included) escaped.

    For logs: text from outside cannot start a forged log line or move the
    terminal's cursor.
    """
    return _CONTROL.sub(lambda found: repr(found.group())[1:-1], text)


def shown(value: object) -> str:
    """A short, printable repr of *value* for an error message."""
    if isinstance(value, str) and len(value) > _SHOWN:
        return f"{value[:_SHOWN]!r}... ({len(value)} characters)"
    text = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    return printable(text if len(text) <= _SHOWN else f"{text[:_SHOWN]}...")


def _refuse_constant(name: str) -> Any:
    msg = f"{name} is not a JSON number"
    raise ValueError(msg)


def too_deep(value: object, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON data has more than *limit* arrays and objects nested."""
    level: list[object] = [value]
    for _ in range(limit):
        deeper: list[object] = []
        for item in level:
            if isinstance(item, Mapping):
                deeper.extend(item.values())
            elif isinstance(item, (list, tuple)):
                deeper.extend(item)
        if not deeper:
            return False
        level = deeper
    return any(isinstance(item, (Mapping, list, tuple)) for item in level)


def loads(text: str | bytes | bytearray) -> object:
    """Parse a JSON document within the limits.

    Raises:
        ValueError: Too large, not JSON, ``NaN``/``Infinity``, or nested
            deeper than :data:`MAX_DEPTH`; the message says which.
    """
    if len(text) > MAX_DOCUMENT_BYTES:
        msg = f"larger than {MAX_DOCUMENT_BYTES} bytes ({len(text)})"
        raise ValueError(msg)
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        msg = f"nested deeper than {MAX_DEPTH} levels"
        raise ValueError(msg) from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError too
        msg = f"not JSON: {exc}"
        raise ValueError(msg) from None
    if too_deep(value):
        msg = f"nested deeper than {MAX_DEPTH} levels"
        raise ValueError(msg)
    return value


def money_problem(value: Decimal) -> str | None:
    """What is wrong with *value* as an amount of money, or None.

    Finite, at most :data:`MAX_MONEY_DIGITS` digits, an exponent within
    :data:`MAX_MONEY_EXPONENT`: formatting ``Decimal("1e100000000")`` would
    build a 100 MB string.
    """
    if not value.is_finite():
        return f"must be a finite amount (got {value})"
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # noqa: S101 - finite
    if len(digits) > MAX_MONEY_DIGITS or abs(exponent) > MAX_MONEY_EXPONENT:
        return (
            f"must have at most {MAX_MONEY_DIGITS} digits and an exponent within "
            f"±{MAX_MONEY_EXPONENT} (got {len(digits)} digits, exponent {exponent})"
        )
    return None


def check_money(instance: Any, attribute: Any, value: Decimal) -> None:
    """The attrs validator of money amounts: finite, bounded, not negative.

    What :data:`commerce_events.validators.money_amount` runs; the JSON Schema
    export recognises it, and describes the same bounds as a pattern.

    Raises:
        ValueError: The amount is out of bounds (the message names the field).
    """
    problem = money_problem(value)
    if problem is not None:
        msg = f"'{attribute.name}' {problem}"
        raise ValueError(msg)
    if value < 0:
        msg = f"'{attribute.name}' must not be negative (got {value})"
        raise ValueError(msg)
