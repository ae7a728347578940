"""The one reader of annotations and attrs validators.

Validation (:mod:`._checks`), serialization, the JSON Schemas and the
Hypothesis strategies all ask this module what an annotation means: ``None``
and unions, ``Literal``, ``Annotated`` with its domain marker and bounds, the
containers; and what a field's attrs validators promise (bounds as
``annotated-types`` metadata, allowed values, a pattern). Reading them in one
place is what keeps the runtime, the exported schemas and the strategies in
agreement.
"""

from __future__ import annotations

import collections.abc as cabc
import re
import types
import typing
from collections.abc import Iterable
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types as at
import attrs
import attrs.validators as attrs_validators

from ._domain import Domain
from ._limits import check_money

__all__ = [
    "CONTAINERS",
    "STRINGS",
    "Constraints",
    "Container",
    "Unwrapped",
    "article",
    "bound_value",
    "constraints",
    "container_of",
    "describe",
    "flatten",
    "is_literal",
    "is_none",
    "is_union",
    "members",
    "repeated_item",
    "show_bounds",
    "unwrap",
    "within",
]

# -- shapes ---------------------------------------------------------------------------


def is_none(tp: Any) -> bool:
    """Whether *tp* is ``None`` as an annotation."""
    return tp is None or tp is type(None)


def is_union(tp: Any) -> bool:
    """Whether *tp* is a union (``X | Y`` or ``Optional[X]``)."""
    origin = get_origin(tp)
    return origin is Union or origin is types.UnionType


def is_literal(tp: Any) -> bool:
    """Whether *tp* is a ``Literal[...]``."""
    return get_origin(tp) is Literal


def members(tp: Any) -> tuple[list[Any], bool]:
    """``(the members other than None, whether None is admitted)``.

    A non-union is its own only member. PEP 586: ``Literal[None]`` is None, so
    a ``Literal`` listing it admits None too.
    """
    candidates = list(get_args(tp)) if is_union(tp) else [tp]
    real = [m for m in candidates if not is_none(m)]
    none_ok = len(real) < len(candidates) or any(
        is_literal(m) and None in get_args(m) for m in real
    )
    return real, none_ok


def describe(tp: Any) -> str:
    """A short human name of an annotation (``int``, ``list[str]``)."""
    if isinstance(tp, type) and not get_args(tp):
        return tp.__qualname__
    return repr(tp).replace("typing.", "")


def article(name: str) -> str:
    """``"an order"``, ``"a user"``: *name* with its indefinite article."""
    # "u" sounds like "you" in user, unit, usage, union; not in umbrella.
    vowel = name[:1] in "aeio" or name.startswith(("ul", "um", "und", "up"))
    return f"an {name}" if vowel else f"a {name}"


@attrs.frozen
class Unwrapped:
    """An annotation without its ``Annotated`` layers.

    Attributes:
        base: The annotation inside.
        domain: The domain marker, if any.
        bounds: The ``annotated-types`` bounds in the metadata (``Ge(0)``).
    """

    base: Any
    domain: Domain | None
    bounds: tuple[at.BaseMetadata, ...] = ()


def unwrap(tp: Any) -> Unwrapped:
    """Strip ``Annotated`` (nested ones too), keeping what we read of its metadata."""
    domain: Domain | None = None
    bounds: list[at.BaseMetadata] = []
    while get_origin(tp) is typing.Annotated:
        base, *meta = get_args(tp)
        for item in meta:
            if isinstance(item, Domain):
                domain = item
            elif isinstance(item, _BOUND_TYPES):
                bounds.append(item)
            elif isinstance(item, at.Interval | at.Len):
                bounds.extend(item)
        tp = base
    return Unwrapped(tp, domain, tuple(bounds))


# -- containers -----------------------------------------------------------------------


@attrs.frozen
class Container:
    """What a container annotation means, to every reader.

    Attributes:
        runtime: The class a value must be an instance of.
        json: How it is written in JSON: ``"array"`` or ``"object"``.
        unique: Whether its items are unique (a set).
        concrete: The class a reader builds (and a strategy draws).
        refuses_strings: Whether a ``str`` (or bytes) is refused although it
            is an instance: ``Sequence[str]`` does not mean ``"abc"``.
    """

    runtime: type[Any]
    json: Literal["array", "object"]
    unique: bool
    concrete: type[Any]
    refuses_strings: bool = False


CONTAINERS: dict[Any, Container] = {
    tuple: Container(tuple, "array", False, tuple),
    list: Container(list, "array", False, list),
    set: Container(set, "array", True, set),
    frozenset: Container(frozenset, "array", True, frozenset),
    dict: Container(dict, "object", False, dict),
    cabc.Sequence: Container(cabc.Sequence, "array", False, tuple, True),
    cabc.MutableSequence: Container(cabc.MutableSequence, "array", False, list),
    cabc.Collection: Container(cabc.Collection, "array", False, tuple, True),
    cabc.Iterable: Container(cabc.Iterable, "array", False, tuple, True),
    cabc.Set: Container(cabc.Set, "array", True, frozenset),
    cabc.MutableSet: Container(cabc.MutableSet, "array", True, set),
    cabc.Mapping: Container(cabc.Mapping, "object", False, dict),
    cabc.MutableMapping: Container(cabc.MutableMapping, "object", False, dict),
}
"""Container annotations (bare or subscripted), by their origin."""

STRINGS: tuple[type[Any], ...] = (str, bytes, bytearray)
"""What a ``Sequence``, ``Collection`` or ``Iterable`` annotation refuses."""


def container_of(tp: Any) -> Container | None:
    """The :class:`Container` of a container annotation, else None."""
    try:
        return CONTAINERS.get(get_origin(tp) or tp)
    except TypeError:  # unhashable annotation
        return None


def repeated_item(tp: Any) -> Any | None:
    """The item of ``tuple[X, ...]``; None for any other annotation."""
    args = get_args(tp)
    if get_origin(tp) is tuple and args[1:] == (Ellipsis,):
        return args[0]
    return None


# -- validators -----------------------------------------------------------------------

# attrs' validator classes are private: their types are taken from public
# factories, and only the attributes their reprs show are read.
_AND: type[Any] = type(attrs_validators.and_())
_OPTIONAL: type[Any] = type(
    attrs_validators.optional(attrs_validators.instance_of(object))
)
_IN: type[Any] = type(attrs_validators.in_(()))
_NUMBER: type[Any] = type(attrs_validators.ge(0))
_MIN_LEN: type[Any] = type(attrs_validators.min_len(0))
_MAX_LEN: type[Any] = type(attrs_validators.max_len(0))
_MATCHES: type[Any] = type(attrs_validators.matches_re(""))
_BOUND_TYPES = (at.Gt, at.Ge, at.Lt, at.Le, at.MinLen, at.MaxLen)
_COMPARISONS: dict[str, type[at.Gt | at.Ge | at.Lt | at.Le]] = {
    ">": at.Gt,
    ">=": at.Ge,
    "<": at.Lt,
    "<=": at.Le,
}


@attrs.frozen
class Constraints:
    """What a field's validators (and ``Annotated`` bounds) promise of its values.

    Attributes:
        lower: The tightest lower bound, ``Gt`` or ``Ge``.
        upper: The tightest upper bound, ``Lt`` or ``Le``.
        min_len: The largest ``MinLen``.
        max_len: The smallest ``MaxLen``.
        options: The allowed values (``in_``), in a stable order.
        exhaustive: Whether *options* are all the allowed values; not so for
            ``in_("abc")``, a substring test, whose options are its letters.
        pattern: A regular expression the value must match.
        match: How: ``"fullmatch"``, ``"match"`` or ``"search"``.
        money: Whether the value is an amount of money
            (:data:`~commerce_events.validators.money_amount`).
    """

    lower: at.Gt | at.Ge | None = None
    upper: at.Lt | at.Le | None = None
    min_len: at.MinLen | None = None
    max_len: at.MaxLen | None = None
    options: tuple[Any, ...] | None = None
    exhaustive: bool = True
    pattern: re.Pattern[Any] | None = None
    match: str = "fullmatch"
    money: bool = False

    @property
    def metadata(self) -> tuple[at.BaseMetadata, ...]:
        """The bounds as ``annotated-types`` metadata, for ``Annotated[...]``."""
        found = (self.lower, self.upper, self.min_len, self.max_len)
        return tuple(m for m in found if m is not None)


def bound_value(bound: at.Gt | at.Ge | at.Lt | at.Le) -> Any:
    """The number a comparison bound compares with."""
    if isinstance(bound, at.Gt):
        return bound.gt
    if isinstance(bound, at.Ge):
        return bound.ge
    if isinstance(bound, at.Lt):
        return bound.lt
    return bound.le


def flatten(validator: Any) -> list[Any]:
    """The validators inside attrs' ``and_()`` and validator lists, in order."""
    if validator is None:
        return []
    if isinstance(validator, list | tuple):
        return [v for item in validator for v in flatten(item)]
    if type(validator) is _AND:
        # attrs has no public way to list them; its repr shows this attribute.
        inner: Iterable[Any] = getattr(validator, "_validators", ())
        return [v for item in inner for v in flatten(item)]
    return [validator]


def within(bounds: tuple[at.BaseMetadata, ...]) -> Any:
    """``test(value)``: whether *value* satisfies every bound."""

    def test(value: Any) -> bool:
        try:
            for bound in bounds:
                if isinstance(bound, at.Gt):
                    ok = value > bound.gt
                elif isinstance(bound, at.Ge):
                    ok = value >= bound.ge
                elif isinstance(bound, at.Lt):
                    ok = value < bound.lt
                elif isinstance(bound, at.Le):
                    ok = value <= bound.le
                elif isinstance(bound, at.MinLen):
                    ok = len(value) >= bound.min_length
                else:
                    ok = len(value) <= typing.cast("at.MaxLen", bound).max_length
                if not ok:
                    return False
        except TypeError:  # not comparable, or no length
            return False
        return True

    return test


def show_bounds(bounds: tuple[at.BaseMetadata, ...]) -> str:
    """``">= 0, <= 10"``: bounds for humans."""
    words = {at.Gt: ">", at.Ge: ">=", at.Lt: "<", at.Le: "<="}
    shown = []
    for bound in bounds:
        if isinstance(bound, at.Gt | at.Ge | at.Lt | at.Le):
            shown.append(f"{words[type(bound)]} {bound_value(bound)!r}")
        elif isinstance(bound, at.MinLen):
            shown.append(f"length >= {bound.min_length}")
        elif isinstance(bound, at.MaxLen):
            shown.append(f"length <= {bound.max_length}")
    return ", ".join(shown)


def constraints(validator: Any, bounds: Iterable[at.BaseMetadata] = ()) -> Constraints:
    """Read the attrs validators we know, and *bounds*, into :class:`Constraints`.

    Validators we do not know promise nothing here (they still validate).
    """
    found: dict[str, Any] = {}

    def bound(new: at.BaseMetadata) -> None:
        if isinstance(new, at.Gt | at.Ge):
            _tighten(found, "lower", new, lower=True)
        elif isinstance(new, at.Lt | at.Le):
            _tighten(found, "upper", new, lower=False)
        elif isinstance(new, at.MinLen):
            current = found.get("min_len")
            if current is None or new.min_length > current.min_length:
                found["min_len"] = new
        elif isinstance(new, at.MaxLen):
            current = found.get("max_len")
            if current is None or new.max_length < current.max_length:
                found["max_len"] = new

    def visit(v: Any) -> None:
        kind = type(v)
        if kind is _AND or isinstance(v, list | tuple):
            for inner in flatten(v):
                visit(inner)
        elif kind is _OPTIONAL:
            visit(v.validator)
        elif kind is _IN:
            options = getattr(v, "_original_options", v.options)
            found["options"] = _ordered(options)
            found["exhaustive"] = not isinstance(options, str | bytes)
        elif kind is _NUMBER and v.compare_op in _COMPARISONS:
            bound(_COMPARISONS[v.compare_op](v.bound))
        elif kind is _MIN_LEN:
            bound(at.MinLen(v.min_length))
        elif kind is _MAX_LEN:
            bound(at.MaxLen(v.max_length))
        elif kind is _MATCHES:
            found["pattern"] = v.pattern
            found["match"] = getattr(v.match_func, "__name__", "search")
        elif v is check_money:
            found["money"] = True

    for item in bounds:
        bound(item)
    if validator is not None:
        visit(validator)
    return Constraints(**found)


def _tighten(found: dict[str, Any], key: str, new: Any, *, lower: bool) -> None:
    current = found.get(key)
    if current is None:
        found[key] = new
        return
    value, old = bound_value(new), bound_value(current)
    try:
        tighter = (value > old if lower else value < old) or (
            value == old and isinstance(new, at.Gt | at.Lt)
        )
    except TypeError:  # incomparable bounds: keep the first
        return
    if tighter:
        found[key] = new


def _ordered(options: Any) -> tuple[Any, ...]:
    if isinstance(options, str | bytes):
        # ``value in "abc"`` is a substring test: single characters qualify.
        return tuple(options[i : i + 1] for i in range(len(options)))
    if isinstance(options, set | frozenset):
        return tuple(sorted(options, key=repr))  # a stable order
    return tuple(options)
