"""JSON Schemas of the events, and a check for breaking changes.

The schema of an event describes its data, the document
:func:`~commerce_events.serialization.to_dict` writes (and the ``data`` of its
CloudEvents envelope): JSON Schema 2020-12, derived from the payload class's
fields like everything else. ``python -m commerce_events schema`` exports the
whole catalogue: the contract other services, in any language, consume.

Schemas are *open*: they do not forbid properties they do not list, and readers
(:func:`~commerce_events.cloudevents.from_cloudevent`) ignore fields they do not
know. That is what makes adding an optional field safe.

:func:`compare_schemas` compares a saved export with the current one and lists
the changes; ``python -m commerce_events schema --check saved.json`` fails (exit
status 1) on breaking ones, in a user's CI:

- an event removed;
- a field removed, or renamed;
- a field becoming required, or a new required field;
- a type narrowed: values the old schema accepted that the new one refuses (a
  type changed, ``None`` no longer allowed, fewer ``Literal`` values, a new
  bound or pattern).

Adding events and optional fields, widening types and bumping an event's
version are reported as compatible. This module needs no extra.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import os
import pathlib
import typing
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final, get_args, get_origin

import annotated_types as at
import attrs

from ._annotations import (
    Constraints,
    Container,
    bound_value,
    constraints,
    container_of,
    is_literal,
    is_none,
    is_union,
    repeated_item,
    unwrap,
)
from ._checks import UnsupportedAnnotationError, compile_check
from ._domain import Domain
from ._formats import DATE, DATETIME, MONEY, UUID, anchored
from ._limits import MAX_DECIMAL_LENGTH
from ._payload import FieldSpec, PayloadSpec
from ._registry import catalogue, spec_for
from ._schema_ids import (
    DEFAULT_SCHEMA_BASE_URI,
    schema_base_uri,
    schema_id,
    schema_path,
    set_schema_base_uri,
)
from ._serialization_hooks import DECIMAL_PATTERN, DEFAULT_IDENTITY_SCHEMA, hooks_for
from .exceptions import SerializationError

__all__ = [
    "DEFAULT_SCHEMA_BASE_URI",
    "DIALECT",
    "INDEX",
    "SchemaChange",
    "catalogue_schema",
    "compare_schemas",
    "json_schema",
    "needs_new_version",
    "schema_base_uri",
    "schema_id",
    "schema_path",
    "set_schema_base_uri",
    "write_schemas",
]

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema dialect of the exported schemas.
"""

EXTENSION: Final = "x-commerce-events"
"""The keyword holding what JSON Schema has no word for (event name, version)."""

FORMAT_VERSION: Final = 1
"""The version of the export's layout."""


class _UnsupportedError(Exception):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)
        self.path = path
        self.reason = reason


# -- schemas ------------------------------------------------------------------------


def json_schema(event: str | type[Any], /) -> dict[str, Any]:
    """Return the JSON Schema of an event's data.

    ::

        >>> json_schema(ProductSearch)["properties"]["query"]
        {'type': 'string', 'description': 'The search term (may be empty)'}

    Sensitive fields (``request``, ``response``) are left out, as they are
    never serialized; domain fields are described by their identity's schema
    (see :func:`~commerce_events.serialization.register_identity`).

    Args:
        event: The payload class, or the event's name or alias.

    Raises:
        UnknownEventError: No event has that name.
        NotAPayloadError: The class is not a registered payload class.
        SerializationError: A field's annotation has no JSON form (``bytes``,
            ``Callable``, a class that is neither attrs nor a known value
            type); its ``fields`` name them.
    """
    spec = spec_for(event)
    properties: dict[str, Any] = {}
    required: list[str] = []
    problems: dict[str, str] = {}
    attributes = {a.name: a for a in attrs.fields(spec.payload_type)}
    for fs in spec.fields:
        if fs.sensitive:
            continue
        try:
            properties[fs.name] = _field_schema(fs, attributes[fs.name])
        except _UnsupportedError as exc:
            problems[exc.path] = exc.reason
        if fs.required:
            required.append(fs.name)
    if problems:
        raise SerializationError(spec.name, spec.payload_type, problems)
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": schema_id(spec),
        "title": spec.payload_type.__name__,
    }
    description = _prose(spec.doc)
    if description:
        schema["description"] = description
    schema["type"] = "object"
    schema["properties"] = properties
    schema["required"] = required
    schema[EXTENSION] = {
        "event": spec.name,
        "version": spec.version,
        "aliases": list(spec.aliases),
    }
    return schema


def _prose(doc: str) -> str:
    """A docstring without its reST directives (``.. versionadded::``)."""
    paragraphs = [p for p in doc.split("\n\n") if not p.lstrip().startswith("..")]
    return "\n\n".join(paragraphs).strip()


def _field_schema(fs: FieldSpec, attribute: attrs.Attribute[Any]) -> dict[str, Any]:
    schema = _schema_of(fs.annotation, fs.name, ())
    try:
        admits_none = compile_check(fs.annotation, 0).none_ok
    except UnsupportedAnnotationError:  # pragma: no cover - refused when defined
        admits_none = True
    if fs.none_ok and not admits_none:
        schema = {"anyOf": [schema, {"type": "null"}]}
    elif not fs.none_ok and not schema.keys() & {"type", "anyOf", "enum"}:
        # Any or object: any JSON value but null, as the payload refuses None.
        schema = {**schema, "not": {"type": "null"}}
    schema = {**schema, **_validator_keywords(attribute.validator, schema)}
    if fs.doc:
        schema["description"] = fs.doc
    default = fs.default
    if default is not attrs.NOTHING and _is_json_scalar(default):
        schema["default"] = default.value if isinstance(default, enum.Enum) else default
    return schema


def _is_json_scalar(value: object) -> bool:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or type(value) in (str, int, bool)


def _schema_of(tp: Any, path: str, seen: tuple[type[Any], ...]) -> dict[str, Any]:
    """The JSON Schema of the values of annotation *tp* (as serialized)."""
    origin = get_origin(tp)
    if origin is typing.Annotated:
        unwrapped = unwrap(tp)
        if unwrapped.domain is not None:
            return _domain_schema(unwrapped.domain, unwrapped.base, path, seen)
        described = _schema_of(unwrapped.base, path, seen)
        if not unwrapped.bounds:
            return described
        bounds = constraints(None, unwrapped.bounds)
        return {**described, **_constraint_keywords(bounds, described)}
    if tp is Any or tp is object:
        return {}
    if is_none(tp):
        return {"type": "null"}
    if is_union(tp):
        return {"anyOf": [_schema_of(m, path, seen) for m in get_args(tp)]}
    if is_literal(tp):
        values = [v.value if isinstance(v, enum.Enum) else v for v in get_args(tp)]
        if not all(_is_json_scalar(v) for v in values):
            raise _UnsupportedError(path, f"{tp!r} has values that are not JSON")
        return {"enum": values}
    container = container_of(tp)
    if container is not None and container.json == "array":
        return _array_schema(tp, container, path, seen)
    if container is not None:
        return _object_schema(tp, path, seen)
    if origin is not None:
        raise _UnsupportedError(path, f"cannot serialize {_name(tp)}")
    return _class_schema(tp, path, seen)


_SCALARS: Mapping[Any, Mapping[str, Any]] = {
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    str: {"type": "string"},
    # The patterns are what the reader accepts (see _formats), so that a
    # validator that only annotates formats accepts exactly the same strings.
    Decimal: {
        "type": "string",
        "format": "decimal",
        "pattern": DECIMAL_PATTERN,
        "maxLength": MAX_DECIMAL_LENGTH,
    },
    uuid.UUID: {"type": "string", "format": "uuid", "pattern": anchored(UUID)},
    dt.datetime: {
        "type": "string",
        "format": "date-time",
        "pattern": anchored(DATETIME),
    },
    dt.date: {"type": "string", "format": "date", "pattern": anchored(DATE)},
}


def _class_schema(tp: Any, path: str, seen: tuple[type[Any], ...]) -> dict[str, Any]:
    if not isinstance(tp, type):
        raise _UnsupportedError(path, f"cannot serialize {_name(tp)}")
    if tp in _SCALARS:
        return dict(_SCALARS[tp])
    if issubclass(tp, enum.Enum):
        values = [m.value for m in tp]
        if not all(_is_json_scalar(v) for v in values):
            raise _UnsupportedError(path, f"{_name(tp)} has values that are not JSON")
        return {"title": tp.__qualname__, "enum": values}
    if attrs.has(tp):
        if tp in seen:
            raise _UnsupportedError(
                path,
                f"{_name(tp)} contains itself: recursive types cannot be described",
            )
        return _attrs_schema(tp, path, (*seen, tp))
    for scalar, schema in _SCALARS.items():
        # A subclass (class Sku(str)) is written as its base.
        if issubclass(tp, scalar):
            return dict(schema)
    raise _UnsupportedError(path, f"cannot serialize {_name(tp)}")


def _attrs_schema(
    tp: type[Any], path: str, seen: tuple[type[Any], ...]
) -> dict[str, Any]:
    hints = typing.get_type_hints(tp, include_extras=True)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for attribute in attrs.fields(tp):
        annotation = hints.get(attribute.name, attribute.type)
        key = attribute.alias or attribute.name
        described = _schema_of(annotation, f"{path}.{key}", seen)
        properties[key] = {
            **described,
            **_validator_keywords(attribute.validator, described),
        }
        if attribute.default is attrs.NOTHING:
            required.append(key)
    schema: dict[str, Any] = {"title": tp.__qualname__}
    doc = (tp.__doc__ or "").strip()
    if doc and not doc.startswith(f"{tp.__name__}("):  # attrs' generated doc
        schema["description"] = doc
    schema.update(type="object", properties=properties, required=required)
    return schema


def _array_schema(
    tp: Any, container: Container, path: str, seen: tuple[type[Any], ...]
) -> dict[str, Any]:
    args = get_args(tp)
    schema: dict[str, Any] = {"type": "array"}
    if get_origin(tp) is tuple and repeated_item(tp) is None:
        items = [_schema_of(a, f"{path}[{i}]", seen) for i, a in enumerate(args)]
        if items:
            schema["prefixItems"] = items
        schema.update(items=False, minItems=len(items), maxItems=len(items))
        return schema
    if args:
        schema["items"] = _schema_of(args[0], f"{path}[]", seen)
    if container.unique:
        schema["uniqueItems"] = True
    return schema


def _object_schema(tp: Any, path: str, seen: tuple[type[Any], ...]) -> dict[str, Any]:
    args = get_args(tp)
    schema: dict[str, Any] = {"type": "object"}
    if not args:
        return schema
    key, value = args
    names = _schema_of(key, f"{path}{{}}", seen)
    if names.get("type") != "string" and not (
        "enum" in names and all(isinstance(v, str) for v in names["enum"])
    ):
        raise _UnsupportedError(
            path, f"{_name(tp)} has keys that are not strings (JSON object keys are)"
        )
    if names != {"type": "string"}:
        schema["propertyNames"] = names
    schema["additionalProperties"] = _schema_of(value, f"{path}{{}}", seen)
    return schema


def _domain_schema(
    domain: Domain, base: Any, path: str, seen: tuple[type[Any], ...]
) -> dict[str, Any]:
    if domain.sensitive:
        raise _UnsupportedError(
            path, f"{domain.name} values are never serialized (they may hold secrets)"
        )
    hooks = hooks_for(domain.name)
    if hooks.schema is not None:
        schema = dict(hooks.schema)
    elif hooks.dump is not None:
        schema = {}  # whatever the application's hook returns
    elif base is Any or base is object:
        schema = dict(DEFAULT_IDENTITY_SCHEMA)
    else:
        schema = _schema_of(base, path, seen)
    schema[EXTENSION] = {"domain": domain.name}
    return schema


def _name(tp: Any) -> str:
    return tp.__qualname__ if isinstance(tp, type) else repr(tp).replace("typing.", "")


_BOUND_KEYWORDS: Mapping[type[Any], tuple[str, str]] = {
    at.Gt: ("exclusiveMinimum", "gt"),
    at.Ge: ("minimum", "ge"),
    at.Lt: ("exclusiveMaximum", "lt"),
    at.Le: ("maximum", "le"),
}


def _validator_keywords(validator: Any, schema: Mapping[str, Any]) -> dict[str, Any]:
    """What the common attrs validators say, as JSON Schema keywords."""
    return _constraint_keywords(constraints(validator), schema)


def _constraint_keywords(
    found: Constraints, schema: Mapping[str, Any]
) -> dict[str, Any]:
    """:class:`Constraints` as the JSON Schema keywords that apply to *schema*."""
    kinds = _json_types(schema)
    keywords: dict[str, Any] = {}
    if kinds & {"integer", "number"}:
        for bound in (found.lower, found.upper):
            if bound is None:
                continue
            keyword, _ = _BOUND_KEYWORDS[type(bound)]
            value = bound_value(bound)
            if type(value) in (int, float) and math.isfinite(value):
                keywords[keyword] = value
    options = found.options
    if (
        options is not None
        and found.exhaustive
        and all(_is_json_scalar(o) and not isinstance(o, enum.Enum) for o in options)
    ):
        keywords["enum"] = sorted(options, key=repr)
    sizes = (
        ("min", None if found.min_len is None else found.min_len.min_length),
        ("max", None if found.max_len is None else found.max_len.max_length),
    )
    for side, size in sizes:
        if size is None:
            continue
        if "string" in kinds:
            keywords[f"{side}Length"] = size
        elif "array" in kinds:
            keywords[f"{side}Items"] = size
    if found.money and "string" in kinds:
        # Bounded digits and exponent, not negative: what check_money asks of
        # the Decimal the string is read as.
        keywords["pattern"] = anchored(MONEY)
    if found.pattern is not None and "string" in kinds:
        pattern = found.pattern.pattern
        if isinstance(pattern, str):
            keywords["pattern"] = (
                anchored(pattern)
                if found.match == "fullmatch"
                else f"^(?:{pattern})"
                if found.match == "match"
                else pattern
            )
    return keywords


def _json_types(schema: Mapping[str, Any]) -> set[str]:
    kinds: set[str] = set()
    declared = schema.get("type")
    if isinstance(declared, str):
        kinds.add(declared)
    elif isinstance(declared, list):
        kinds.update(declared)
    for alternative in schema.get("anyOf", ()):
        kinds |= _json_types(alternative)
    return kinds


def catalogue_schema(events: Iterable[str | type[Any]] | None = None) -> dict[str, Any]:
    """Return one JSON Schema document describing every event (or *events*).

    Each event's schema (see :func:`json_schema`) is under ``$defs``, keyed by
    the event's name (``name.vN`` for its versions after the first), sorted, so
    that an export diffs well.

    Raises:
        SerializationError: An event has a field without a JSON form.
    """
    specs = catalogue() if events is None else tuple(spec_for(e) for e in events)
    return _document({_key(spec): json_schema(spec.payload_type) for spec in specs})


def _key(spec: PayloadSpec) -> str:
    # Version 1 keeps the bare name, as in exports saved before versions.
    return spec.name if spec.version == 1 else f"{spec.name}.v{spec.version}"


INDEX: Final = "index.json"
"""The name of the index :func:`write_schemas` writes beside the schemas."""


def write_schemas(
    directory: str | os.PathLike[str], events: Iterable[type[Any]] | None = None
) -> list[pathlib.Path]:
    """Write one JSON Schema file per event version, and an index, under *directory*.

    Each schema goes to its :func:`schema_path` (``order_placed/v1.json``), so
    that serving *directory* at the base URI (:func:`set_schema_base_uri`)
    makes every ``$id``, and every envelope's ``dataschema``, fetchable.
    ``index.json`` lists them: ``{"base": ..., "events": [{"event", "version",
    "title", "$id", "path"}, ...]}``.

    Args:
        directory: Created if missing; files already there are overwritten.
        events: The payload classes; default: the whole catalogue.

    Returns:
        The files written, the index last.

    Raises:
        SerializationError: An event has a field without a JSON form.
    """
    specs = catalogue() if events is None else tuple(spec_for(e) for e in events)
    root = pathlib.Path(directory)
    written: list[pathlib.Path] = []
    entries: list[dict[str, Any]] = []
    for spec in sorted(specs, key=lambda s: (s.name, s.version)):
        schema = json_schema(spec.payload_type)
        target = root / schema_path(spec)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_json_text(schema), encoding="utf-8")
        written.append(target)
        entries.append(
            {
                "event": spec.name,
                "version": spec.version,
                "title": schema["title"],
                "$id": schema["$id"],
                "path": schema_path(spec),
            }
        )
    index = root / INDEX
    root.mkdir(parents=True, exist_ok=True)
    index.write_text(
        _json_text(
            {
                EXTENSION: {"format": FORMAT_VERSION},
                "base": schema_base_uri(),
                "events": entries,
            }
        ),
        encoding="utf-8",
    )
    written.append(index)
    return written


def _json_text(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _document(schemas: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "$schema": DIALECT,
        "title": "commerce_events catalogue",
        "description": (
            "The data of each event (the `data` of its CloudEvents envelope), by "
            "event name."
        ),
        EXTENSION: {"format": FORMAT_VERSION},
        "$defs": {name: schemas[name] for name in sorted(schemas)},
    }


# -- comparing ----------------------------------------------------------------------


@attrs.frozen
class SchemaChange:
    """One difference between two exports of the catalogue.

    Attributes:
        event: The event's name.
        path: Where, in the event's data (``"user"``, ``"lines[].quantity"``);
            empty for the event itself.
        kind: ``"event removed"``, ``"event added"``, ``"version"``,
            ``"removed"``, ``"renamed"``, ``"required"``, ``"narrowed"``,
            ``"added"``, ``"optional"`` or ``"widened"``.
        breaking: Whether consumers or producers written against the old
            schema may fail.
        message: A sentence for humans.
        version: The version of the event that changed (None: the event as
            a whole).
    """

    event: str
    path: str
    kind: str
    breaking: bool
    message: str
    version: int | None = None

    def __str__(self) -> str:
        where = self.event
        if self.version is not None and self.version != 1:
            where += f" v{self.version}"
        where = f"{where}.{self.path}" if self.path else where
        flag = "BREAKING" if self.breaking else "compatible"
        return f"{flag}: {where}: {self.message}"


_IGNORED = frozenset(
    {"title", "description", "default", "examples", EXTENSION, "$schema", "$id"}
)


def compare_schemas(
    old: Mapping[str, Any], new: Mapping[str, Any]
) -> list[SchemaChange]:
    """List what changed between two exports (:func:`catalogue_schema` output).

    Breaking changes are those the module documentation lists; documentation
    and defaults are ignored.

    Args:
        old: The saved export (the contract).
        new: The current export.

    Returns:
        The changes, breaking or not, by event.

    Raises:
        ValueError: A document is not an export of this module.
    """
    old_events = _events_of(old, "old")
    new_events = _events_of(new, "new")
    changes: list[SchemaChange] = []
    for name in sorted(old_events.keys() | new_events.keys()):
        if name not in new_events:
            alias_of = next(
                (
                    other
                    for other, by_version in new_events.items()
                    if any(
                        name in _extension(schema).get("aliases", ())
                        for schema in by_version.values()
                    )
                ),
                None,
            )
            message = "event removed" + (
                f" (now an alias of {alias_of!r}, with another envelope type)"
                if alias_of
                else ""
            )
            changes.append(SchemaChange(name, "", "event removed", True, message))
        elif name not in old_events:
            changes.append(SchemaChange(name, "", "event added", False, "event added"))
        else:
            changes.extend(_compare_versions(name, old_events[name], new_events[name]))
    return changes


def _events_of(document: Mapping[str, Any], which: str) -> dict[str, dict[int, Any]]:
    """An export's schemas: event name -> version -> schema."""
    events = document.get("$defs") if isinstance(document, Mapping) else None
    if (
        not isinstance(events, Mapping)
        or EXTENSION not in document
        or not all(isinstance(e, Mapping) for e in events.values())
    ):
        msg = f"the {which} document is not a commerce_events schema export"
        raise ValueError(msg)
    found: dict[str, dict[int, Any]] = {}
    for key, schema in events.items():
        # Read from the schema itself: exports before versions were keyed by
        # name alone.
        name = _extension(schema).get("event", key)
        version = _extension(schema).get("version", 1)
        if not isinstance(name, str) or not isinstance(version, int):
            msg = f"the {which} document has a malformed event {key!r}"
            raise ValueError(msg)
        found.setdefault(name, {})[version] = schema
    return found


def _extension(schema: object) -> Mapping[str, Any]:
    found = schema.get(EXTENSION) if isinstance(schema, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def _compare_versions(
    name: str, old: Mapping[int, Any], new: Mapping[int, Any]
) -> list[SchemaChange]:
    """Compare each version saved with itself; report versions added, removed."""
    changes: list[SchemaChange] = []
    replaced: set[int] = set()
    for version in sorted(old.keys() & new.keys()):
        found: list[SchemaChange] = []
        _compare(name, old[version], new[version], "", found)
        changes.extend(attrs.evolve(c, version=version) for c in found)
    for version in sorted(new.keys() - old.keys()):
        older = [v for v in old if v < version]
        if not older:
            message = f"version {version} added"
        elif max(older) in new:
            message = (
                f"version {version} added beside version {max(older)}: a new "
                f"contract (its envelopes have another type); consumers read "
                f"version {max(older)} as version {version} through an upcaster"
            )
        else:
            replaced.add(max(older))
            message = (
                f"version {max(older)} -> {version}: a new contract (its "
                f"envelopes have another type)"
            )
        changes.append(SchemaChange(name, "", "version", False, message, version))
    for version in sorted(old.keys() - new.keys() - replaced):
        if any(v > version for v in new):
            changes.append(
                SchemaChange(
                    name,
                    "",
                    "version",
                    False,
                    f"version {version} no longer registered (version "
                    f"{max(new)} is the latest)",
                    version,
                )
            )
        else:
            changes.append(
                SchemaChange(
                    name,
                    "",
                    "version removed",
                    True,
                    f"version {version} removed, and no newer version registered",
                    version,
                )
            )
    return changes


def needs_new_version(changes: Iterable[SchemaChange]) -> dict[str, int]:
    """The events with breaking changes to a saved version: name -> version.

    Each needs its new contract registered as a new version beside the saved
    one (which stays as it was), with an upcaster: ``schema --check`` fails
    until then.
    """
    found: dict[str, int] = {}
    for change in changes:
        if (
            change.breaking
            and change.version is not None
            and change.kind != "version removed"
        ):
            found.setdefault(change.event, change.version)
    return found


def _compare(
    event: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    path: str,
    changes: list[SchemaChange],
) -> None:
    """Append what changed from *old* to *new* (schemas at *path*)."""
    if _strip(old) == _strip(new):
        return
    old_alternatives = _alternatives(old)
    new_alternatives = _alternatives(new)
    for alternative in old_alternatives:
        same_kind = [
            n for n in new_alternatives if _kind_covers(_kind(n), _kind(alternative))
        ]
        if not same_kind:
            changes.append(
                SchemaChange(
                    event,
                    path,
                    "narrowed",
                    True,
                    f"{_describe(alternative)} no longer accepted (now "
                    f"{_describe_all(new_alternatives)})",
                )
            )
            continue
        attempts = []
        for candidate in same_kind:
            found: list[SchemaChange] = []
            _compare_same_kind(event, alternative, candidate, path, found)
            if not any(c.breaking for c in found):
                changes.extend(found)
                break
            attempts.append(found)
        else:
            changes.extend(attempts[0])
    for alternative in new_alternatives:
        if not any(
            _kind_covers(_kind(alternative), _kind(o)) for o in old_alternatives
        ) and not any(
            _kind_covers(_kind(o), _kind(alternative)) for o in old_alternatives
        ):
            changes.append(
                SchemaChange(
                    event,
                    path,
                    "widened",
                    False,
                    f"now also accepts {_describe(alternative)}",
                )
            )


def _strip(schema: Any) -> Any:
    if isinstance(schema, Mapping):
        return {k: _strip(v) for k, v in schema.items() if k not in _IGNORED}
    if isinstance(schema, list):
        return [_strip(v) for v in schema]
    return schema


def _alternatives(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Split a schema into alternatives, one JSON type (or enum) each."""
    if "anyOf" in schema or "oneOf" in schema:
        shared = {
            k: v for k, v in schema.items() if k not in ("anyOf", "oneOf", *_IGNORED)
        }
        result: list[Mapping[str, Any]] = []
        for sub in schema.get("anyOf", schema.get("oneOf", ())):
            result.extend(_alternatives({**sub, **shared}))
        return result
    declared = schema.get("type")
    if isinstance(declared, list):
        return [{**schema, "type": t} for t in declared]
    return [schema]


def _kind(schema: Mapping[str, Any]) -> str:
    if "enum" in schema or "const" in schema:
        return "enum"
    declared = schema.get("type")
    return declared if isinstance(declared, str) else "any"


def _kind_covers(new: str, old: str) -> bool:
    return new in (old, "any") or (new, old) in {
        ("number", "integer"),
        ("string", "enum"),
        ("integer", "enum"),
        ("number", "enum"),
        ("boolean", "enum"),
        ("null", "enum"),
    }


def _describe(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return "values " + ", ".join(json.dumps(v) for v in schema["enum"])
    if "const" in schema:
        return f"the value {json.dumps(schema['const'])}"
    kind = _kind(schema)
    if kind == "any":
        return "any value"
    if kind == "null":
        return "null"
    detail = schema.get("format")
    return f"{kind} ({detail})" if detail else kind


def _describe_all(alternatives: Sequence[Mapping[str, Any]]) -> str:
    return " | ".join(_describe(a) for a in alternatives) or "nothing"


def _compare_same_kind(
    event: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    path: str,
    changes: list[SchemaChange],
) -> None:
    def narrowed(message: str) -> None:
        changes.append(SchemaChange(event, path, "narrowed", True, message))

    def widened(message: str) -> None:
        changes.append(SchemaChange(event, path, "widened", False, message))

    old_values = _enum_values(old)
    new_values = _enum_values(new)
    if new_values is not None:
        if old_values is None:
            narrowed(f"now restricted to {_describe(new)}")
        else:
            lost = [v for v in old_values if v not in new_values]
            if lost:
                narrowed("no longer accepts " + ", ".join(json.dumps(v) for v in lost))
            if [v for v in new_values if v not in old_values]:
                widened("accepts more values")
    elif old_values is not None:
        kinds = {_json_type(v) for v in old_values}
        if _kind(new) != "any" and not all(_kind_covers(_kind(new), k) for k in kinds):
            narrowed(f"{_describe(old)} no longer all accepted")
    for keyword in ("format", "pattern"):
        if new.get(keyword) is not None and new.get(keyword) != old.get(keyword):
            narrowed(
                f"{keyword} {new.get(keyword)!r} now required"
                + (f" (was {old.get(keyword)!r})" if keyword in old else "")
            )
        elif old.get(keyword) is not None and keyword not in new:
            widened(f"{keyword} {old.get(keyword)!r} no longer required")
    _compare_bounds(old, new, narrowed, widened)
    if new.get("uniqueItems") and not old.get("uniqueItems"):
        narrowed("items must now be unique")
    if _kind(old) == "array":
        _compare_arrays(event, old, new, path, changes)
    if _kind(old) == "object":
        _compare_objects(event, old, new, path, changes)


def _enum_values(schema: Mapping[str, Any]) -> list[Any] | None:
    if "enum" in schema:
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    return None


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


_LOWER = (("minimum", False), ("exclusiveMinimum", True))
_UPPER = (("maximum", False), ("exclusiveMaximum", True))


def _bound(schema: Mapping[str, Any], keywords: Any, *, lower: bool) -> Any:
    """The tightest bound: ``(value, exclusive)``, or None."""
    best = None
    for keyword, exclusive in keywords:
        value = schema.get(keyword)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            candidate = (value, exclusive)
            if best is None or _tighter(candidate, best, lower=lower):
                best = candidate
    return best


def _tighter(a: tuple[float, bool], b: tuple[float, bool], *, lower: bool) -> bool:
    if a[0] != b[0]:
        return a[0] > b[0] if lower else a[0] < b[0]
    return a[1] and not b[1]


def _compare_bounds(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    narrowed: Any,
    widened: Any,
) -> None:
    for keywords, lower, word in ((_LOWER, True, "lower"), (_UPPER, False, "upper")):
        before = _bound(old, keywords, lower=lower)
        after = _bound(new, keywords, lower=lower)
        if after is not None and (
            before is None or _tighter(after, before, lower=lower)
        ):
            narrowed(f"{word} bound now {_show_bound(after, lower=lower)}")
        elif before is not None and (
            after is None or _tighter(before, after, lower=lower)
        ):
            widened(f"{word} bound relaxed")
    for keyword, is_min in (
        ("minLength", True),
        ("minItems", True),
        ("maxLength", False),
        ("maxItems", False),
    ):
        before, after = old.get(keyword), new.get(keyword)
        if after is not None and (
            before is None or (after > before if is_min else after < before)
        ):
            narrowed(f"{keyword} now {after}")
        elif before is not None and (
            after is None or (after < before if is_min else after > before)
        ):
            widened(f"{keyword} {before} relaxed")


def _show_bound(bound: tuple[float, bool], *, lower: bool) -> str:
    sign = (">" if bound[1] else ">=") if lower else ("<" if bound[1] else "<=")
    return f"{sign} {bound[0]}"


def _compare_arrays(
    event: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    path: str,
    changes: list[SchemaChange],
) -> None:
    old_prefix = old.get("prefixItems", [])
    new_prefix = new.get("prefixItems", [])
    for index, (before, after) in enumerate(zip(old_prefix, new_prefix, strict=False)):
        _compare(event, before, after, f"{path}[{index}]", changes)
    old_items, new_items = old.get("items", {}), new.get("items", {})
    if new_items is False and old_items is not False and not new_prefix:
        changes.append(SchemaChange(event, path, "narrowed", True, "must now be empty"))
    elif isinstance(old_items, Mapping) and isinstance(new_items, Mapping):
        _compare(event, old_items, new_items, f"{path}[]", changes)


def _compare_objects(
    event: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    path: str,
    changes: list[SchemaChange],
) -> None:
    def at(name: str) -> str:
        return f"{path}.{name}" if path else name

    old_properties: Mapping[str, Any] = old.get("properties", {})
    new_properties: Mapping[str, Any] = new.get("properties", {})
    old_required = set(old.get("required", ()))
    new_required = set(new.get("required", ()))
    removed = [n for n in old_properties if n not in new_properties]
    added = [n for n in new_properties if n not in old_properties]
    renamed_to: set[str] = set()
    for name in removed:
        twin = next(
            (
                a
                for a in added
                if a not in renamed_to
                and _strip(new_properties[a]) == _strip(old_properties[name])
            ),
            None,
        )
        if twin is not None:
            renamed_to.add(twin)
            changes.append(
                SchemaChange(
                    event,
                    at(name),
                    "renamed",
                    True,
                    f"field removed; renamed to {twin!r}?",
                )
            )
        else:
            changes.append(
                SchemaChange(event, at(name), "removed", True, "field removed")
            )
    for name in added:
        if name in renamed_to:
            continue
        if name in new_required:
            changes.append(
                SchemaChange(event, at(name), "required", True, "new required field")
            )
        else:
            changes.append(
                SchemaChange(event, at(name), "added", False, "optional field added")
            )
    for name, before in old_properties.items():
        if name not in new_properties:
            continue
        if name in new_required and name not in old_required:
            changes.append(
                SchemaChange(event, at(name), "required", True, "field became required")
            )
        elif name in old_required and name not in new_required:
            changes.append(
                SchemaChange(
                    event, at(name), "optional", False, "field became optional"
                )
            )
        _compare(event, before, new_properties[name], at(name), changes)
    old_values, new_values = (
        old.get("additionalProperties"),
        new.get("additionalProperties"),
    )
    if isinstance(old_values, Mapping) and isinstance(new_values, Mapping):
        _compare(event, old_values, new_values, f"{path}{{}}", changes)
    old_names, new_names = old.get("propertyNames"), new.get("propertyNames")
    if isinstance(new_names, Mapping):
        _compare(
            event,
            old_names if isinstance(old_names, Mapping) else {"type": "string"},
            new_names,
            f"{path}{{key}}",
            changes,
        )
