"""Payloads as JSON data and back: :func:`to_dict` and :func:`from_dict`.

Needs the ``serialization`` extra (cattrs). Both directions are derived from the
payload class's attrs fields, like validation and the catalogue:

- ``to_dict(payload)`` gives a dict that :func:`json.dumps` accepts as is
  (``json.loads(json.dumps(d)) == d``): strings, numbers, booleans, null,
  lists and string-keyed dicts only.
- ``from_dict(OrderPlaced, data)`` (or ``from_dict("order_placed", data)``)
  checks the document, reports every offending path at once
  (``lines[0].quantity``), then builds the payload, which validates it as any
  emit does. It only ever builds registered payload classes: no pickle, no
  import by name.

How values are written:

================================  ============================================
Annotation                        JSON
================================  ============================================
``str``, ``int``, ``bool``        as is
``float``                         a finite number (NaN and infinities refused)
``Decimal``                       a string, ``"19.90"``: exact, never a float
``UUID``                          its canonical string
``datetime``                      RFC 3339 with its UTC offset; naive refused
``date``                          ``"2026-05-01"``
``Enum``, ``Literal``             the value
tuples, lists, sets, frozensets   arrays (abstract ``Sequence`` and ``Set``
                                  come back as ``tuple`` and ``frozenset``)
``dict[str, X]``, ``Mapping``     objects (keys must serialize to strings)
attrs classes                     objects, field by field
``Any``, ``object``               JSON data, as is
domain objects (``Product``)      their identity (see :func:`register_identity`)
``request``, ``response``         never: left out, rebuilt as ``None`` (see
                                  below)
================================  ============================================

Sensitive domains (``request``, ``response``) are never serialized: they are
left out of the dict, and a rebuilt payload gets the field's default, so
``request`` comes from the current request context (``None`` outside one) and
``response`` is ``None``. An event whose request is *required*
(``start_checkout``) can therefore only be rebuilt inside a request context.

Aware datetimes come back as the same instant with the same UTC offset; a
``zoneinfo`` zone comes back as that fixed offset.
"""

from __future__ import annotations

import collections.abc as cabc
import datetime as dt
import enum
import json
import math
import re
import types
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar, cast, get_args, get_origin, overload

import attrs

try:
    import cattrs
except ImportError as _exc:  # pragma: no cover - depends on the installation
    msg = (
        "commerce_events.serialization needs cattrs: install the serialization "
        "extra, pip install 'commerce-events[serialization]'"
    )
    raise ImportError(msg) from _exc
from cattrs.cols import homogenous_tuple_structure_factory, list_structure_factory
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)

from . import _formats
from ._annotations import (
    CONTAINERS,
    article,
    container_of,
    is_literal,
    is_union,
    members,
    repeated_item,
    unwrap,
)
from ._checks import UnsupportedAnnotationError, compile_check
from ._delivery import Payload
from ._domain import Domain
from ._limits import MAX_DECIMAL_LENGTH, MAX_DEPTH, MAX_IDENTITY_LENGTH, too_deep
from ._payload import FieldSpec, PayloadSpec
from ._registry import payload_spec, spec_for
from ._serialization_hooks import (
    NoIdentityError,
    default_identity,
    hooks_for,
    register_identity,
    reset_identities,
)
from .exceptions import PayloadError, SerializationError

__all__ = [
    "Unknown",
    "from_dict",
    "register_identity",
    "reset_identities",
    "to_dict",
]

P = TypeVar("P")

Unknown = Literal["reject", "ignore"]
"""What :func:`from_dict` does with fields a document has and the class has not.

``"reject"`` (the default) reports them, so a misspelt field is never silently
dropped; ``"ignore"`` skips them, so that a document from a newer producer,
which may carry optional fields added since, still reads. Consumers of
forwarded events ignore them.
"""


class _InvalidError(ValueError):
    """Internal: a value does not fit its annotation; ``str()`` says why."""


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _got(value: object) -> str:
    return f"{_short(value)} ({type(value).__qualname__})"


# -- scalars -------------------------------------------------------------------------

# What the JSON Schema export promises for these strings (its patterns),
# enforced when reading: the same expressions, from one place.
_DECIMAL = re.compile(_formats.DECIMAL)
_UUID = re.compile(_formats.UUID)
_DATETIME = re.compile(_formats.DATETIME)
_DATE = re.compile(_formats.DATE)


def _dump_str(value: object) -> str:
    if not isinstance(value, str):
        msg = f"expected a string, got {_got(value)}"
        raise _InvalidError(msg)
    # str.__str__ gives the plain string of a subclass (str() of a str-mixin
    # enum member would give its name).
    return str.__str__(value)


def _dump_int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        msg = f"expected an integer, got {_got(value)}"
        raise _InvalidError(msg)
    return int(value)


def _dump_float(value: object) -> float | int:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        msg = f"expected a number, got {_got(value)}"
        raise _InvalidError(msg)
    if isinstance(value, float) and not math.isfinite(value):
        msg = f"{value!r} is not finite: JSON has no NaN or Infinity"
        raise _InvalidError(msg)
    # An int stays an int (1 is not 1.0 in JSON as Python reads it back).
    return int(value) if isinstance(value, int) else float(value)


def _dump_bool(value: object) -> bool:
    if not isinstance(value, bool):
        msg = f"expected a boolean, got {_got(value)}"
        raise _InvalidError(msg)
    return value


def _dump_decimal(value: object) -> str:
    if not isinstance(value, Decimal):
        msg = f"expected a Decimal, got {_got(value)}"
        raise _InvalidError(msg)
    if not value.is_finite():
        msg = f"{value!r} is not finite: JSON numbers are finite"
        raise _InvalidError(msg)
    return str(value)


def _dump_uuid(value: object) -> str:
    if not isinstance(value, uuid.UUID):
        msg = f"expected a UUID, got {_got(value)}"
        raise _InvalidError(msg)
    return str(value)


def _dump_datetime(value: object) -> str:
    if not isinstance(value, dt.datetime):
        msg = f"expected a datetime, got {_got(value)}"
        raise _InvalidError(msg)
    if value.utcoffset() is None:
        msg = (
            f"{value!r} is naive: give it a timezone (a JSON date-time needs a UTC "
            f"offset, and a naive time means different instants in different "
            f"processes)"
        )
        raise _InvalidError(msg)
    return value.isoformat()


def _dump_date(value: object) -> str:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        msg = f"expected a date, got {_got(value)}"
        raise _InvalidError(msg)
    return value.isoformat()


def _load_str(value: object, _: object) -> str:
    if type(value) is not str:
        msg = f"expected a string, got {_got(value)}"
        raise _InvalidError(msg)
    return value


def _integral(value: object) -> object:
    """*value*, or the int a float with an integral value stands for.

    JSON has one kind of number: ``5.0`` and ``5`` are the same, and JSON
    Schema counts both as integers. ``5.99e16`` reads as a float in Python.
    """
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def _load_int(value: object, _: object) -> int:
    value = _integral(value)
    if type(value) is not int:
        msg = f"expected an integer, got {_got(value)}"
        raise _InvalidError(msg)
    return value


def _load_float(value: object, _: object) -> float | int:
    if type(value) is int:
        return value
    if type(value) is not float:
        msg = f"expected a number, got {_got(value)}"
        raise _InvalidError(msg)
    if not math.isfinite(value):
        msg = f"{value!r} is not finite"
        raise _InvalidError(msg)
    return value


def _load_bool(value: object, _: object) -> bool:
    if type(value) is not bool:
        msg = f"expected a boolean, got {_got(value)}"
        raise _InvalidError(msg)
    return value


def _load_decimal(value: object, _: object) -> Decimal:
    if (
        type(value) is not str
        or len(value) > MAX_DECIMAL_LENGTH
        or not _DECIMAL.fullmatch(value)
    ):
        msg = (
            f"expected a decimal number as a string (such as '19.90'), got "
            f"{_got(value)}"
        )
        raise _InvalidError(msg)
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        msg = f"{value!r} is not a decimal number"
        raise _InvalidError(msg) from None


def _load_uuid(value: object, _: object) -> uuid.UUID:
    if type(value) is not str or not _UUID.fullmatch(value):
        msg = f"expected a UUID string, got {_got(value)}"
        raise _InvalidError(msg)
    return uuid.UUID(value)


def _load_datetime(value: object, _: object) -> dt.datetime:
    if type(value) is not str or not _DATETIME.fullmatch(value):
        msg = (
            f"expected an RFC 3339 date-time with a UTC offset (such as "
            f"'2026-05-01T12:00:00+02:00'), got {_got(value)}"
        )
        raise _InvalidError(msg)
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError as exc:  # pragma: no cover - the form admits real dates
        msg = f"{value!r} is not a valid date-time: {exc}"
        raise _InvalidError(msg) from None


def _load_date(value: object, _: object) -> dt.date:
    if type(value) is not str or not _DATE.fullmatch(value):
        msg = f"expected a date (such as '2026-05-01'), got {_got(value)}"
        raise _InvalidError(msg)
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:  # pragma: no cover - the form admits real dates
        msg = f"{value!r} is not a valid date: {exc}"
        raise _InvalidError(msg) from None


def _load_anything(value: object, _: object) -> object:
    return value


_SCALARS: tuple[
    tuple[type[Any], Callable[[Any], Any], Callable[[Any, Any], Any]], ...
] = (
    (str, _dump_str, _load_str),
    (int, _dump_int, _load_int),
    (float, _dump_float, _load_float),
    (bool, _dump_bool, _load_bool),
    (Decimal, _dump_decimal, _load_decimal),
    (uuid.UUID, _dump_uuid, _load_uuid),
    (dt.datetime, _dump_datetime, _load_datetime),
    (dt.date, _dump_date, _load_date),
)


def _scalar_load(
    exact: type[Any], load: Callable[[Any, Any], Any]
) -> Callable[[Any, Any], Any]:
    # Registered by class, so subclasses reach it too: a str-mixin enum, a
    # ``class Sku(str)``. They are loaded as their class, from the same data.
    def hook(value: object, tp: Any) -> Any:
        if tp is exact:
            return load(value, tp)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return _load_enum(value, tp)
        return tp(load(value, tp))

    return hook


def _load_enum(value: object, tp: type[enum.Enum]) -> enum.Enum:
    for member in tp:
        if _same_json(member.value, value):
            return member
    values = ", ".join(repr(m.value) for m in tp)
    msg = f"expected one of {values} ({tp.__qualname__}), got {_got(value)}"
    raise _InvalidError(msg)


def _same_json(a: object, b: object) -> bool:
    """Whether two values are the same JSON value: numbers by value (``1.0`` is
    ``1``), anything else by type and value (``true`` is not ``1``)."""
    numbers = (int, float)
    if type(a) in numbers and type(b) in numbers:
        return a == b
    return type(a) is type(b) and a == b


def _is_enum(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, enum.Enum)


# -- annotations -----------------------------------------------------------------------


def _has_domain(tp: Any) -> bool:
    return unwrap(tp).domain is not None


def _domain_and_base(tp: Any) -> tuple[Any, Domain]:
    unwrapped = unwrap(tp)
    if unwrapped.domain is None:  # pragma: no cover - _has_domain said so
        raise TypeError(tp)
    return unwrapped.base, unwrapped.domain


def _is_array(tp: Any) -> bool:
    container = container_of(tp)
    return container is not None and container.json == "array"


def _is_set(tp: Any) -> bool:
    container = container_of(tp)
    return container is not None and container.unique


def _is_object(tp: Any) -> bool:
    container = container_of(tp)
    return container is not None and container.json == "object"


def _set_dump(conv: cattrs.Converter, tp: Any) -> Callable[[Any], Any]:
    args = get_args(tp)
    item = args[0] if args else Any

    def dump(value: Any) -> list[Any]:
        items = [conv.unstructure(v, unstructure_as=item) for v in value]
        # Sorted, so that equal payloads give equal documents (sets have no
        # order of their own).
        return sorted(items, key=_sort_key)

    return dump


def _sort_key(value: Any) -> tuple[int, Any, str]:
    # Numbers by value, strings by text, anything else by its JSON text.
    if value is None:
        return (0, 0, "")
    if isinstance(value, bool):
        return (1, int(value), "")
    if isinstance(value, (int, float)):
        return (2, value, "")
    if isinstance(value, str):
        return (3, 0, value)
    try:
        return (4, 0, json.dumps(value, sort_keys=True, default=repr))
    except (TypeError, ValueError):  # pragma: no cover - reported as not JSON
        return (4, 0, repr(value))


def _is_nested_class(tp: Any) -> bool:
    return isinstance(tp, type) and attrs.has(tp)


def _expect(tp: Any) -> str:
    try:
        return compile_check(tp, 0).expect
    except UnsupportedAnnotationError:
        return repr(tp).replace("typing.", "")


# -- the converters ------------------------------------------------------------------


def _make_converter(*, forbid_extra_keys: bool) -> cattrs.Converter:
    conv = cattrs.Converter(
        detailed_validation=True,
        forbid_extra_keys=forbid_extra_keys,
        # Every collection is written as a JSON array.
        unstruct_collection_overrides={
            cabc.Set: list,
            cabc.MutableSet: list,
            cabc.Sequence: list,
            cabc.MutableSequence: list,
            tuple: list,
        },
    )
    # By class (cattrs' singledispatch, consulted before anything else): the
    # built-in hooks for str, int and float would coerce ("12" -> 12).
    for tp, dump, load in _SCALARS:
        conv.register_unstructure_hook(tp, dump)
        conv.register_structure_hook(tp, _scalar_load(tp, load))
    conv.register_structure_hook_func(lambda t: t is object, _load_anything)
    conv.register_structure_hook_func(_is_enum, _load_enum)

    # Hook factories registered later are consulted first: these win over
    # cattrs' own handling of the same shapes.
    conv.register_structure_hook_factory(
        _is_nested_class, lambda t: _object_first(conv.gen_structure_attrs_fromdict(t))
    )
    conv.register_structure_hook_factory(
        _is_object, lambda t: _object_first(conv.gen_structure_mapping(_as_dict(t)))
    )
    conv.register_structure_hook_factory(_is_array, lambda t: _array_hook(conv, t))
    conv.register_structure_hook_factory(is_literal, _literal_hook)
    conv.register_unstructure_hook_factory(is_literal, lambda t: _dump_literal)
    conv.register_unstructure_hook_factory(_is_set, lambda t: _set_dump(conv, t))
    conv.register_structure_hook_factory(is_union, lambda t: _union_load(conv, t))
    conv.register_unstructure_hook_factory(is_union, lambda t: _union_dump(conv, t))
    conv.register_structure_hook_factory(_has_domain, lambda t: _domain_load(conv, t))
    conv.register_unstructure_hook_factory(_has_domain, lambda t: _domain_dump(conv, t))
    return conv


def _as_dict(tp: Any) -> Any:
    args = get_args(tp)
    return types.GenericAlias(dict, args or (str, Any))


def _object_first(hook: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def load(value: object, tp: Any) -> Any:
        if not isinstance(value, dict):
            msg = f"expected an object, got {_got(value)}"
            raise _InvalidError(msg)
        return hook(value, tp)

    return load


def _array_hook(conv: cattrs.Converter, tp: Any) -> Callable[[Any, Any], Any]:
    container = container_of(tp) or CONTAINERS[list]  # _is_array said it is one
    args = get_args(tp)
    inner: Any
    if get_origin(tp) is tuple and repeated_item(tp) is None:
        inner = conv.gen_structure_hetero_tuple(tp)  # tuple[X, Y], tuple[()]
    elif container.runtime is tuple:
        item = args[0] if args else Any
        inner = homogenous_tuple_structure_factory(
            cast("Any", types.GenericAlias(tuple, (item, ...))), conv
        )
    else:
        item = args[0] if args else Any
        as_list = list_structure_factory(
            cast("Any", types.GenericAlias(list, (item,))), conv
        )
        make = container.concrete

        def as_collection(value: Any, _: Any) -> Any:
            return make(as_list(value, list))

        inner = as_collection

    def load(value: object, target: Any) -> Any:
        # cattrs would iterate a string or a dict's keys into a list.
        if not isinstance(value, list):
            msg = f"expected an array, got {_got(value)}"
            raise _InvalidError(msg)
        return inner(value, target)

    return load


def _literal_hook(tp: Any) -> Callable[[Any, Any], Any]:
    # Compared by (type, value): JSON true is not the Literal 1, nor 1.0.
    allowed: dict[tuple[type[Any], Any], Any] = {}
    for arg in get_args(tp):
        value = arg.value if isinstance(arg, enum.Enum) else arg
        allowed[(type(value), value)] = arg
    expect = " | ".join(
        repr(a.value if isinstance(a, enum.Enum) else a) for a in allowed.values()
    )

    def load(value: object, _: object) -> Any:
        value = _integral(value)
        try:
            return allowed[(type(value), value)]
        except (KeyError, TypeError):
            msg = f"expected one of {expect}, got {_got(value)}"
            raise _InvalidError(msg) from None

    return load


def _dump_literal(value: object) -> object:
    return value.value if isinstance(value, enum.Enum) else value


def _union_load(conv: cattrs.Converter, tp: Any) -> Callable[[Any, Any], Any]:
    real, none_ok = members(tp)
    expect = _expect(tp)

    if len(real) == 1:
        # X | None: keep X's own detailed errors (and their paths).
        only = real[0]
        hook = conv.get_structure_hook(only)

        def load_optional(value: object, _: object) -> Any:
            if value is None:
                if none_ok:
                    return None
                msg = f"must not be None (expected {expect})"
                raise _InvalidError(msg)
            return hook(value, only)

        return load_optional

    hooks = [(m, conv.get_structure_hook(m)) for m in real]

    def load(value: object, _: object) -> Any:
        if value is None and none_ok:
            return None
        # Members are tried in order: they must be told apart in JSON (an int
        # and a string are; a UUID and a string are not).
        for member, hook in hooks:
            try:
                return hook(value, member)
            except Exception:  # noqa: BLE001, S112 - the next member may fit
                continue
        msg = f"expected {expect}, got {_got(value)}"
        raise _InvalidError(msg)

    return load


def _union_dump(conv: cattrs.Converter, tp: Any) -> Callable[[Any], Any]:
    real, _ = members(tp)
    if len(real) == 1:
        hook = conv.get_unstructure_hook(real[0])
        return lambda value: None if value is None else hook(value)
    expect = _expect(tp)

    def dump(value: object) -> Any:
        if value is None:
            return None
        for member in real:
            # The payload's own checks pick the member: declared domain
            # classes may change, so they are compiled per call.
            try:
                fits = compile_check(member, 0).accepts(value)
            except UnsupportedAnnotationError:
                fits = True
            if fits:
                return conv.unstructure(value, unstructure_as=member)
        msg = f"expected {expect}, got {_got(value)}"
        raise _InvalidError(msg)

    return dump


def _domain_dump(conv: cattrs.Converter, tp: Any) -> Callable[[Any], Any]:
    base, domain = _domain_and_base(tp)
    plain = base is Any or base is object

    def dump(value: object) -> Any:
        if value is None:
            msg = f"must not be None (expected {article(domain.name)})"
            raise _InvalidError(msg)
        hooks = hooks_for(domain.name)
        if hooks.dump is not None:
            identity = hooks.dump(value)
        elif not plain:
            # Annotated[str, Domain("sku")]: the value is already data.
            return conv.unstructure(value, unstructure_as=base)
        else:
            try:
                identity = default_identity(value, domain.name)
            except NoIdentityError as exc:
                raise _InvalidError(str(exc)) from None
        return conv.unstructure(identity)

    return dump


def _domain_load(conv: cattrs.Converter, tp: Any) -> Callable[[Any, Any], Any]:
    base, domain = _domain_and_base(tp)
    plain = base is Any or base is object

    def load(value: object, _: object) -> Any:
        if value is None:
            msg = f"must not be None (expected {article(domain.name)})"
            raise _InvalidError(msg)
        hooks = hooks_for(domain.name)
        # JSON numbers: the hook gets 5 for 5.0, as a schema's "integer" has it.
        value = _integral(value)
        if hooks.load is not None:
            try:
                return hooks.load(value)
            except Exception as exc:  # reported for the field
                msg = (
                    f"cannot load {article(domain.name)} from {_short(value)}: "
                    f"{type(exc).__name__}: {exc}"
                )
                raise _InvalidError(msg) from exc
        if plain:
            # Without a load hook, the field gets the identity: exactly what
            # the exported schema says it is (DEFAULT_IDENTITY_SCHEMA, by
            # schema.py's _domain_schema).
            if (
                hooks.schema is None
                and hooks.dump is None
                and not (
                    type(value) is int
                    or (type(value) is str and len(value) <= MAX_IDENTITY_LENGTH)
                )
            ):
                msg = (
                    f"expected the identity of {article(domain.name)} (an "
                    f"integer or a string), got {_got(value)}"
                )
                raise _InvalidError(msg)
            return value
        return conv.structure(value, base)

    return load


_strict = _make_converter(forbid_extra_keys=True)
_tolerant = _make_converter(forbid_extra_keys=False)


# -- JSON data -------------------------------------------------------------------


class _NotJSONError(Exception):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)
        self.path = path
        self.reason = reason


def _plain(value: Any, path: str) -> Any:
    """*value* as plain JSON data (exact builtin types), or raise _NotJSONError."""
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise _NotJSONError(
                path, f"{value!r} is not finite: JSON has no NaN or Infinity"
            )
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _NotJSONError(
                    path, f"key {_got(key)} is not a string (JSON object keys are)"
                )
            result[str.__str__(key)] = _plain(item, f"{path}[{key!r}]")
        return result
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _plain(float(value), path)
    raise _NotJSONError(path, f"{_got(value)} is not JSON data")


# -- payloads --------------------------------------------------------------------------


def to_dict(payload: Payload, /) -> dict[str, Any]:
    """Return the payload's fields as JSON data.

    Every field is written, ``None`` included, except sensitive ones
    (``request``, ``response``), which are never serialized. Domain objects are
    written as their identity (see :func:`register_identity`).

    ::

        >>> to_dict(ProductSearch(query="mug"))
        {'query': 'mug', 'user': None}

    Raises:
        NotAPayloadError: *payload* is not a registered payload.
        SerializationError: Some field cannot be written; its ``fields`` name
            every offending path, and the message says why (a domain object
            without identity, a naive datetime, a non-finite number, something
            that is not JSON data).
    """
    spec = payload_spec(
        payload, use="to_dict() takes a payload of an event registered with @event"
    )
    result: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for fs in spec.fields:
        if fs.sensitive:
            continue
        value = getattr(payload, fs.name)
        try:
            dumped = (
                None
                if value is None
                else _strict.unstructure(value, unstructure_as=fs.annotation)
            )
            result[fs.name] = _plain(dumped, fs.name)
        except _NotJSONError as exc:
            problems[exc.path] = exc.reason
        except _InvalidError as exc:
            problems[fs.name] = str(exc)
        except Exception as exc:  # noqa: BLE001 - a dump hook failed: name the field
            problems[fs.name] = f"{type(exc).__name__}: {exc}"
        if fs.hidden:
            _hide(problems, fs, value)
    if problems:
        raise SerializationError(spec.name, spec.payload_type, problems)
    return result


@overload
def from_dict(
    event: type[P], data: Mapping[str, Any], /, *, unknown: Unknown = ...
) -> P: ...
@overload
def from_dict(
    event: str, data: Mapping[str, Any], /, *, unknown: Unknown = ...
) -> Any: ...
def from_dict(
    event: str | type[Any], data: Mapping[str, Any], /, *, unknown: Unknown = "reject"
) -> Any:
    """Rebuild a payload from JSON data, validating it.

    The document is checked against the class's fields first, and every
    problem is reported at once, nested ones by path (``lines[0].quantity``);
    then the payload class builds (and validates) the payload as for any emit.
    Missing optional fields take their defaults, so documents written before a
    field was added still read.

    ::

        >>> from_dict(ProductSearch, {"query": "mug", "user": None})
        ProductSearch(query='mug', user=None, session=None)

    Args:
        event: The payload class, or the event's name or alias. Only
            registered events are ever built.
        data: The document (``json.loads`` output, or ``to_dict`` output).
        unknown: What to do with fields the class does not have (see
            :data:`Unknown`).

    Raises:
        UnknownEventError: No event has that name.
        NotAPayloadError: The class is not a registered payload class.
        PayloadError: The document is invalid; ``fields`` maps each offending
            path to what is wrong there.
    """
    spec = spec_for(
        event,
        use="from_dict() takes an event name or a payload class registered with @event",
    )
    if unknown not in ("reject", "ignore"):
        msg = f"unknown must be 'reject' or 'ignore', got {unknown!r}"
        raise ValueError(msg)
    if not isinstance(data, Mapping):
        raise PayloadError(
            spec.name,
            spec.payload_type,
            {"<document>": f"expected an object (a mapping), got {_got(data)}"},
        )
    if too_deep(data):
        # Checked before reading: a hostile document must not recurse deeply.
        raise PayloadError(
            spec.name,
            spec.payload_type,
            {"<document>": f"nested deeper than {MAX_DEPTH} levels"},
        )
    conv = _strict if unknown == "reject" else _tolerant
    problems: dict[str, str] = {}
    kwargs: dict[str, Any] = {}
    for fs in spec.fields:
        if fs.sensitive:
            if fs.name in data and unknown == "reject":
                problems[fs.name] = (
                    "never serialized (it may hold secrets): a document must not "
                    "carry it"
                )
            # Left out: the field's own default applies (the current request
            # context for a request, else None).
            continue
        if fs.name not in data:
            if fs.required:
                problems[fs.name] = f"missing (required, expected {fs.expect})"
            elif fs.default is not attrs.NOTHING:
                # Passed explicitly: an omitted user would be taken from the
                # consuming process's request context.
                kwargs[fs.name] = fs.default
            continue
        raw = data[fs.name]
        if raw is None:
            if fs.none_ok:
                kwargs[fs.name] = None
            else:
                problems[fs.name] = f"must not be None (expected {fs.expect})"
            continue
        try:
            kwargs[fs.name] = conv.structure(raw, fs.annotation)
        except Exception as exc:  # noqa: BLE001 - every problem is reported
            _collect(exc, fs.name, problems)
            if fs.hidden:
                _hide(problems, fs, raw)
    if unknown == "reject":
        names = {f.name for f in spec.fields}
        known = ", ".join(f.name for f in spec.fields if not f.sensitive) or "none"
        for key in data:
            if key not in names:
                problems[str(key)] = f"unknown field (the fields are: {known})"
    if problems:
        raise PayloadError(spec.name, spec.payload_type, problems)
    try:
        return spec.payload_type(**kwargs)
    except PayloadError as exc:
        raise PayloadError(
            exc.event, exc.payload_type, _hinted(spec, exc.fields)
        ) from None


def _hide(problems: dict[str, str], fs: FieldSpec, value: object) -> None:
    """A ``repr=False`` field's problems, by type only: messages quote values."""
    at_field = [
        path
        for path in problems
        if path == fs.name or (path.startswith(fs.name) and path[len(fs.name)] in ".[{")
    ]
    for path in at_field:
        del problems[path]
    if at_field:
        problems[fs.name] = (
            f"expected {fs.expect}, got <{type(value).__qualname__}> (not shown: "
            f"the field is declared repr=False)"
        )


def _collect(exc: BaseException, path: str, problems: dict[str, str]) -> None:
    """Turn a (cattrs) structuring failure into path -> reason entries."""
    if isinstance(exc, IterableValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            index = note.index
            step = f"[{index!r}]" if isinstance(index, str) else f"[{index}]"
            _collect(sub, path + step, problems)
        for sub in without:
            _collect(sub, path, problems)
    elif isinstance(exc, ClassValidationError):
        named, unnamed = exc.group_exceptions()
        for sub, attribute in named:
            _collect(sub, f"{path}.{attribute.name}", problems)
        for sub in unnamed:
            _collect(sub, path, problems)
    elif isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            problems[f"{path}.{key}"] = "unknown field"
    elif isinstance(exc, KeyError):
        problems[path] = "missing (required)"
    elif isinstance(exc, _InvalidError):
        problems[path] = str(exc)
    else:
        problems[path] = f"{type(exc).__name__}: {exc}"


def _hinted(spec: PayloadSpec, fields: Mapping[str, str]) -> dict[str, str]:
    """Point at the missing load hook when a rebuilt identity is refused."""
    result = dict(fields)
    for fs in spec.fields:
        if fs.name not in result or fs.domain is None or fs.sensitive:
            continue
        if hooks_for(fs.domain).load is None and "expected" in result[fs.name]:
            result[fs.name] += (
                f"; without a load hook the field receives the identity: register "
                f"one with commerce_events.serialization.register_identity("
                f"{fs.domain!r}, load=...)"
            )
    for fs in spec.fields:
        if fs.sensitive and fs.required and fs.name in result:
            result[fs.name] += (
                " (it is never serialized: rebuild this event inside a request "
                "context, commerce_events.request_context(request))"
            )
    return result
