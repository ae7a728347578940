"""Payload classes: frozen, slotted, keyword-only attrs classes that validate.

attrs builds the class (fields, equality, hashing, immutability, slots); this
module then generates its ``__init__`` so that validation is one pass: a single
boolean expression over all fields on the happy path, and a full report of every
offending field (missing, unknown, ``None``, wrong type, failed validator) on the
unhappy one. The class's attrs fields are the only source of truth: the checks,
the catalogue and the docs are all derived from them.
"""

from __future__ import annotations

import inspect
import itertools
import keyword
import linecache
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

from . import _context, _domain
from ._annotations import flatten
from ._checks import Check, UnsupportedAnnotationError, compile_check
from .exceptions import EventDefinitionError, FrozenPayloadError, PayloadError

__all__ = [
    "FieldSpec",
    "PayloadSpec",
    "build_payload_class",
    "field",
    "short_repr",
    "spec_of",
    "type_only",
]

T = TypeVar("T")

_META_KEY = "commerce_events.doc"
_RESERVED = frozenset({"sender", "self"})
_SPEC_ATTR = "__commerce_event__"
FIELDS_ATTR = "_commerce_event_fields"  # payload -> {field: value}, generated


class _Missing:
    """The value of a required argument that was not given."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()

# Fields of these domains default to the current request context's values.
_FROM_CONTEXT = {"request": "request", "user": "user"}


FROM_CONTEXT: Any = _context.FROM_REQUEST


def field(
    *,
    doc: str = "",
    default: Any = attrs.NOTHING,
    factory: Callable[[], Any] | None = None,
    validator: Any = None,
    converter: Any = None,
    repr: bool | Callable[[Any], str] = True,  # noqa: A002
    eq: bool = True,
    metadata: Mapping[Any, Any] | None = None,
) -> Any:
    """Declare a payload field with its documentation.

    A thin wrapper around :func:`attrs.field` that stores *doc* where the
    catalogue, the CLI and the docs find it. Plain ``attrs.field()`` works too.

    Args:
        doc: What the field holds, for humans.
        default: The value when the emitter omits the field. A field without a
            default (or factory) is required.
        factory: A callable making the default.
        validator: An attrs validator (or a list of them), run after the
            annotation's type check. Failures are reported with the other
            offending fields in one :class:`~commerce_events.exceptions.PayloadError`.
        converter: An attrs converter, applied before validation.
        repr: False to leave the field out of the payload's repr, or a callable
            to format it.
        eq: False to leave the field out of equality and hashing.
        metadata: Extra attrs metadata.
    """
    meta = dict(metadata or {})
    meta[_META_KEY] = doc
    return attrs.field(
        default=default,
        factory=factory,
        validator=validator,
        converter=converter,
        repr=repr,
        eq=eq,
        metadata=meta,
    )


@attrs.frozen
class FieldSpec:
    """What the catalogue knows about one payload field.

    Attributes:
        name: The field (and keyword argument) name.
        annotation: The resolved annotation.
        required: Whether the emitter must pass it.
        none_ok: Whether None is a valid value.
        doc: The field's documentation.
        default: The default value, or ``attrs.NOTHING`` when required or made
            by a factory.
        domain: The domain name (``"product"``) for domain objects, else None.
        sensitive: Whether the value may hold secrets (a request): shown by
            type only, and never serialized.
        hidden: Whether the value is shown by type only in reprs and error
            messages: a sensitive field, or one declared with ``repr=False``
            (a card number). Unlike sensitive fields, hidden ones are
            serialized.
    """

    name: str
    annotation: Any
    required: bool
    none_ok: bool
    doc: str
    default: Any
    domain: str | None
    sensitive: bool
    hidden: bool = False

    @property
    def expect(self) -> str:
        """Human-readable description of the accepted values.

        Computed on access: declaring domain classes changes it.
        """
        return compile_check(self.annotation, 0).expect


@attrs.frozen
class PayloadSpec:
    """The contract of one event: its name, payload class and fields.

    Attributes:
        name: The event's name (``"product_viewed"``).
        aliases: Other names resolving to the same event.
        payload_type: The payload class.
        doc: The payload class's docstring.
        fields: The fields, in declaration order.
        group: The part of the shop the event belongs to (``"browsing"``,
            ``"customer"``, ``"basket"``, ``"checkout"``, ``"order"``,
            ``"review"``, or a custom one; ``"custom"`` by default).
        version: The version of the event's contract, in its envelope type
            (``io.commerce-events.order_placed.v2``) and schema: 1 unless
            ``@event(..., version=N)`` says otherwise.
    """

    name: str
    aliases: tuple[str, ...]
    payload_type: type[Any]
    doc: str
    fields: tuple[FieldSpec, ...]
    group: str = "custom"
    version: int = 1

    @property
    def field_names(self) -> tuple[str, ...]:
        """The field names, in declaration order."""
        return tuple(f.name for f in self.fields)


def spec_of(cls: type[Any]) -> PayloadSpec | None:
    """Return the spec of a payload class, or None for any other class."""
    spec = cls.__dict__.get(_SPEC_ATTR) if isinstance(cls, type) else None
    return spec if isinstance(spec, PayloadSpec) else None


def build_payload_class(
    cls: type[T],
    name: str,
    aliases: tuple[str, ...],
    group: str = "custom",
    version: int = 1,
) -> tuple[type[T], PayloadSpec]:
    """Make *cls* a validating payload class.

    Raises:
        EventDefinitionError: The class cannot be an event as written.
    """
    if not isinstance(cls, type):
        raise EventDefinitionError(name, {"<class>": f"expected a class, got {cls!r}"})
    problems: dict[str, str] = {}
    for base in cls.__mro__[1:]:
        if base is not object and attrs.has(base):
            problems["<class>"] = (
                f"payload classes cannot inherit from attrs classes "
                f"({base.__qualname__}); declare the fields on the class itself"
            )
    for fname in inspect.get_annotations(cls):
        problem = _name_problem(fname)
        if problem is not None:
            problems[str(fname)] = problem
    if problems:
        raise EventDefinitionError(name, problems)

    built: Any = attrs.frozen(
        cls, slots=True, kw_only=True, init=False, repr=False, weakref_slot=False
    )
    try:
        attrs.resolve_types(built, include_extras=True)
    except Exception as exc:  # noqa: BLE001 - NameError, TypeError, ... from annotations
        raise EventDefinitionError(
            name, {"<annotations>": f"cannot resolve annotations: {exc}"}
        ) from None

    checks: dict[str, Check] = {}
    names = tuple(a.name for a in attrs.fields(built))
    for index, attribute in enumerate(attrs.fields(built)):
        try:
            checks[attribute.name] = compile_check(attribute.type, index)
        except UnsupportedAnnotationError as exc:
            problems[attribute.name] = f"cannot check annotation {exc} at run time"
            continue
        problem = _field_problem(attribute, checks[attribute.name], names)
        if problem is not None:
            problems[attribute.name] = problem
    if problems:
        raise EventDefinitionError(name, problems)

    spec = PayloadSpec(
        name=name,
        aliases=aliases,
        payload_type=built,
        doc=inspect.cleandoc(built.__doc__ or ""),
        fields=tuple(_field_spec(a, checks[a.name]) for a in attrs.fields(built)),
        group=group,
        version=version,
    )
    setattr(built, _SPEC_ATTR, spec)
    _install(built, spec)
    result: type[T] = built
    if any(f.domain is not None for f in spec.fields):
        # Declaring domain classes later recompiles the checks.
        _domain.on_declaration(lambda: _install(built, spec))
    return result, spec


def _name_problem(fname: object) -> str | None:
    """Why *fname* cannot be a field name, or None."""
    if not isinstance(fname, str) or not fname.isidentifier():
        # The generated code spells field names: only plain identifiers.
        return f"{fname!r} is not a valid field name (a Python identifier)"
    if fname.startswith("_"):
        return "field names cannot start with an underscore"
    if fname in _RESERVED:
        return f"{fname!r} is reserved (it is the emitter, not a field)"
    if keyword.iskeyword(fname):
        return "field names cannot be Python keywords"
    return None


def _field_problem(
    attribute: attrs.Attribute[Any], check: Check, names: tuple[str, ...]
) -> str | None:
    """Why the field cannot be declared as written, or None."""
    default = attribute.default
    if not attribute.init:
        return (
            "init=False is not supported: every field is a keyword argument "
            "(compute derived values in a subscriber, or give a default)"
        )
    if attribute.alias != attribute.name:
        return (
            f"alias={attribute.alias!r} is not supported: the keyword argument "
            f"is the field's name, {attribute.name!r}"
        )
    if default is FROM_CONTEXT and not _is_context_domain(attribute.type):
        return "only request and user fields can default to FROM_REQUEST"
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        if getattr(default, "takes_self", False):
            return "factories with takes_self are not supported"
    elif default is not attrs.NOTHING and default is not FROM_CONTEXT:
        problem = _default_problem(attribute, check, default)
        if problem is not None:
            return problem
    for validator in flatten(attribute.validator):
        # Validators may check their own arguments against the event's
        # fields (differs_from("old_status")), once, at definition time.
        check_definition = getattr(validator, "check_definition", None)
        problem = check_definition(names) if callable(check_definition) else None
        if isinstance(problem, str) and problem:
            return problem
    return None


def _default_problem(
    attribute: attrs.Attribute[Any], check: Check, default: object
) -> str | None:
    """Why *default* cannot be the field's default, or None."""
    try:
        hash(default)
    except TypeError:
        # One object shared by every payload: a change to it would show in all.
        return (
            f"the default {type_only(default)} is mutable (unhashable) and would "
            f"be shared by every payload: use factory= instead"
        )
    if default is None:
        return None  # a None default admits None, whatever the annotation says
    shown = type_only(default) if attribute.repr is False else short_repr(default)
    value = default
    if attribute.converter is not None:
        try:
            value = attribute.converter(default)  # type: ignore[operator]
        except Exception as exc:  # noqa: BLE001 - any converter failure
            return f"the default {shown} fails its converter ({type(exc).__name__})"
    if check.domain is None and not check.accepts(value):
        # Domain checks change as classes are declared: not judged here.
        return f"the default {shown} is not {check.expect}"
    for validator in flatten(attribute.validator):
        try:
            validator(types.SimpleNamespace(), attribute, value)
        except (TypeError, ValueError) as exc:
            # Only these: a validator reading another field raises
            # AttributeError on this stand-in, and is judged per payload.
            return f"the default {shown} fails its validator ({type(exc).__name__})"
        except Exception:  # noqa: BLE001, S110 - see above
            pass
    return None


def _is_context_domain(annotation: Any) -> bool:
    try:
        check = compile_check(annotation, 0)
    except UnsupportedAnnotationError:
        return False
    return check.domain is not None and check.domain.name in _FROM_CONTEXT


def _field_spec(attribute: attrs.Attribute[Any], check: Check) -> FieldSpec:
    default = attribute.default
    # FROM_REQUEST looks like a default to type checkers, but the field is
    # required: it only comes from the request context when omitted.
    required = default is attrs.NOTHING or default is FROM_CONTEXT
    plain_default = (
        attrs.NOTHING if required or isinstance(default, attrs.Factory) else default  # type: ignore[arg-type]
    )
    sensitive = bool(check.domain and check.domain.sensitive)
    return FieldSpec(
        name=attribute.name,
        annotation=attribute.type,
        required=required,
        # A None default admits None, whatever the annotation says.
        none_ok=check.none_ok or (not required and default is None),
        doc=str(attribute.metadata.get(_META_KEY, "")),
        default=plain_default,
        domain=check.domain.name if check.domain else None,
        sensitive=sensitive,
        hidden=sensitive or attribute.repr is False,
    )


def _install(cls: type[Any], spec: PayloadSpec) -> None:
    """Generate and set ``cls.__init__`` and ``cls.__repr__``."""
    # Recompiled on domain declarations, so read the current checks.
    checks = {a.name: compile_check(a.type, i) for i, a in enumerate(attrs.fields(cls))}
    installed: dict[str, Any] = {
        "__init__": _make_init(cls, spec, checks),
        "__repr__": _make_repr(cls, spec),
        FIELDS_ATTR: _make_fields_getter(cls, spec),
        # IPython and Hypothesis pretty-print attrs instances field by field,
        # which would show sensitive values: make them use the safe repr.
        "_repr_pretty_": _PrettyRepr(),
        "__setattr__": _frozen,
        "__delattr__": _frozen,
    }
    for name, value in installed.items():
        # Through setattr: mypy rightly forbids replacing methods.
        setattr(cls, name, value)


def _frozen(self: object, name: str, *_: object) -> typing.NoReturn:
    """``__setattr__`` and ``__delattr__``: name the field in the error."""
    spec = spec_of(type(self))
    event = spec.name if spec is not None else type(self).__qualname__
    raise FrozenPayloadError(event, type(self), name)


# Everything the generated code names, bar its parameters (the fields), comes
# from its namespace under this prefix, which field names cannot take (they
# cannot start with an underscore): builtins included, so that a field named
# ``Exception`` or ``int`` cannot change what the code does.
_PREFIX = "_ce_"


def _make_init(
    cls: type[Any], spec: PayloadSpec, checks: Mapping[str, Check]
) -> Callable[..., None]:
    ns: dict[str, Any] = {
        "_ce_MISSING": MISSING,
        "_ce_CONTEXT": FROM_CONTEXT,
        "_ce_current": _context.REQUEST_CONTEXT.get,
        "_ce_fail": _fail,
        "_ce_invalid": _invalid,
        "_ce_conversion_failed": _conversion_failed,
        "_ce_spec": spec,
        "_ce_checks": checks,
        "_ce_Exception": Exception,
    }
    params: list[str] = []
    prologue: list[str] = []
    conditions: list[str] = []
    setters: list[str] = []
    epilogue: list[str] = []
    attributes = {a.name: a for a in attrs.fields(cls)}
    from_context: list[str] = []
    context_names: list[str] = []
    for fs in spec.fields:
        name = fs.name
        attribute = attributes[name]
        check = checks[name]
        default = attribute.default
        if fs.domain in _FROM_CONTEXT and (
            default is attrs.NOTHING or default is None or default is FROM_CONTEXT
        ):
            params.append(f"{name}=_ce_CONTEXT")
            context_names.append(name)
            fallback = "None" if default is None else "_ce_MISSING"
            from_context.append(
                f"        if {name} is _ce_CONTEXT: {name} = "
                f"{fallback} if _ce_ctx is None else _ce_ctx.{_FROM_CONTEXT[fs.domain]}"
            )
            if fs.required:
                conditions.append(f"{name} is _ce_MISSING")
        elif default is attrs.NOTHING:
            params.append(f"{name}=_ce_MISSING")
            conditions.append(f"{name} is _ce_MISSING")
        elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            params.append(f"{name}=_ce_MISSING")
            ns[f"_ce_factory_{name}"] = default.factory
            prologue.append(
                f"    if {name} is _ce_MISSING: {name} = _ce_factory_{name}()"
            )
        elif default is None:
            params.append(f"{name}=None")
        else:
            ns[f"_ce_default_{name}"] = default
            params.append(f"{name}=_ce_default_{name}")
        if attribute.converter is not None:
            ns[f"_ce_convert_{name}"] = attribute.converter
            prologue += [
                f"    if {name} is not _ce_MISSING and {name} is not _ce_CONTEXT:",
                "        try:",
                f"            {name} = _ce_convert_{name}({name})",
                "        except _ce_Exception as _ce_exc:",
                "            _ce_conversion_failed("
                f"_ce_spec, {name!r}, {name}, _ce_exc)",
            ]
        ns.update(check.namespace)
        if not fs.none_ok:
            conditions.append(f"{name} is None")
        if check.expr is not None:
            expr = check.expr.format(v=name)
            conditions.append(
                f"({name} is not None and {expr})" if fs.none_ok else expr
            )
        ns[f"_ce_set_{name}"] = cls.__dict__[name].__set__
        setters.append(f"    _ce_set_{name}(self, {name})")
        if attribute.validator is not None:
            ns[f"_ce_validate_{name}"] = attribute.validator
            ns[f"_ce_attr_{name}"] = attribute
            epilogue.append(
                f"        _ce_validate_{name}(self, _ce_attr_{name}, {name})"
            )
    if from_context:
        prologue[:0] = [
            "    if " + " or ".join(f"{n} is _ce_CONTEXT" for n in context_names) + ":",
            "        _ce_ctx = _ce_current()",
            *from_context,
        ]
    values = "{" + ", ".join(f"{n!r}: {n}" for n in spec.field_names) + "}"
    lines = [
        # self is positional-only so that self=... is reported as unknown.
        "def __init__(self, /, *_ce_args, "
        + "".join(f"{p}, " for p in params)
        + "**_ce_unknown):",
        *prologue,
        "    if " + " or ".join(["_ce_args", "_ce_unknown", *conditions]) + ":",
        f"        _ce_fail(_ce_spec, _ce_checks, _ce_args, _ce_unknown, {values})",
        *setters,
    ]
    if epilogue:
        lines += [
            "    try:",
            *epilogue,
            # Any exception: a validator's bug is reported as the field's
            # problem, its traceback chained.
            "    except _ce_Exception as _ce_exc:",
            "        _ce_invalid(_ce_spec, self, _ce_exc)",
        ]
    if hasattr(cls, "__attrs_post_init__"):
        lines.append("    self.__attrs_post_init__()")
    source = "\n".join(lines) + "\n"
    init = _compile(source, ns, cls, "__init__")
    # inspect.signature() shows the fields, not the generated catch-alls.
    vars(init)["__signature__"] = _signature(spec)
    return init


def _signature(spec: PayloadSpec) -> inspect.Signature:
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for fs in spec.fields:
        default = (
            inspect.Parameter.empty
            if fs.required
            else (fs.default if fs.default is not attrs.NOTHING else MISSING)
        )
        params.append(
            inspect.Parameter(
                fs.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=default,
                annotation=fs.annotation,
            )
        )
    return inspect.Signature(params, return_annotation=None)


def _make_repr(cls: type[Any], spec: PayloadSpec) -> Callable[[Any], str]:
    attributes = {a.name: a for a in attrs.fields(cls)}
    ns: dict[str, Any] = {"_cetype_only": type_only, "_ce_shown_name": _shown_name}
    parts: list[str] = []
    for fs in spec.fields:
        shown = attributes[fs.name].repr
        if shown is False:
            continue
        if callable(shown):
            ns[f"_ce_repr_{fs.name}"] = shown
            parts.append(f"{fs.name}={{_ce_repr_{fs.name}(self.{fs.name})}}")
        elif fs.sensitive:
            parts.append(f"{fs.name}={{_cetype_only(self.{fs.name})}}")
        else:
            parts.append(f"{fs.name}={{self.{fs.name}!r}}")
    body = ", ".join(parts)
    # The class's name is read when called, never written into the source: a
    # name is whatever the class statement (or type()) made it.
    source = f"def __repr__(self):\n    return f'{{_ce_shown_name(self)}}({body})'\n"
    return _compile(source, ns, cls, "__repr__")


def _shown_name(payload: object) -> str:
    # A class defined in a function shows as Cls, not f.<locals>.Cls.
    return type(payload).__qualname__.rsplit(">.", 1)[-1]


def _make_fields_getter(cls: type[Any], spec: PayloadSpec) -> Any:
    """``fields(payload) -> dict``: a dict display, for Oscar-style receivers."""
    items = ", ".join(f"{n!r}: payload.{n}" for n in spec.field_names)
    source = f"def fields(payload):\n    return {{{items}}}\n"
    return staticmethod(_compile(source, {}, cls, "fields"))


class _PrettyRepr:
    """``_repr_pretty_`` for instances only: the class itself prints as usual."""

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            name = "_repr_pretty_"
            raise AttributeError(name)
        return lambda printer, cycle: printer.text(repr(instance))


def type_only(value: object) -> str:
    """How a hidden value is shown: ``<str>``, by its type alone."""
    return "None" if value is None else f"<{type(value).__qualname__}>"


_generated = itertools.count(1)


def _compile(
    source: str, ns: dict[str, Any], cls: type[Any], method: str
) -> Callable[..., Any]:
    # Unique: two classes of the same module and qualname (or one recompiled
    # after a domain declaration) must not show each other's lines.
    filename = (
        f"<commerce_events generated {method} {cls.__module__}.{cls.__qualname__} "
        f"#{next(_generated)}>"
    )
    # Registering the source lets tracebacks and debuggers show generated lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    code = compile(source, filename, "exec")
    exec(code, ns)  # noqa: S102 - our own source, built from identifiers only
    function: types.FunctionType = ns[method]
    function.__qualname__ = f"{cls.__qualname__}.{method}"
    function.__module__ = cls.__module__
    return function


def _fail(
    spec: PayloadSpec,
    checks: Mapping[str, Check],
    args: tuple[Any, ...],
    unknown: Mapping[str, Any],
    values: Mapping[str, Any],
) -> typing.NoReturn:
    """Explain every problem with a payload's arguments, then raise."""
    problems: dict[str, str] = {}
    valid: dict[str, Any] = {}
    for fs in spec.fields:
        value = values[fs.name]
        check = checks[fs.name]
        if value is MISSING:
            problems[fs.name] = f"missing (required, expected {check.expect})"
        elif value is None:
            if not fs.none_ok:
                problems[fs.name] = f"must not be None (expected {check.expect})"
            else:
                valid[fs.name] = value
        elif not check.accepts(value):
            shown = type_only(value) if fs.hidden else short_repr(value)
            problems[fs.name] = (
                f"expected {check.expect}, got {shown} ({type(value).__qualname__})"
            )
        else:
            valid[fs.name] = value
    # Validators get a stand-in instance carrying the values that passed their
    # type checks, so that every failing field is reported at once.
    found, cause = _validator_problems(spec, types.SimpleNamespace(**valid), valid)
    problems.update(found)
    problems = {n: problems[n] for n in spec.field_names if n in problems}
    known = ", ".join(spec.field_names) or "none"
    for extra in unknown:
        problems[extra] = f"unknown field (the fields are: {known})"
    if args:
        problems["<positional>"] = (
            f"{len(args)} positional argument(s) given; pass fields by keyword"
        )
    raise PayloadError(spec.name, spec.payload_type, problems) from cause


def _invalid(spec: PayloadSpec, payload: object, exc: Exception) -> typing.NoReturn:
    """A validator raised on the built payload: report every failing field."""
    values = {fs.name: getattr(payload, fs.name) for fs in spec.fields}
    # Every value passed its type check and is set: the validators see the
    # real instance, as attrs gives it to them.
    problems, _ = _validator_problems(spec, payload, values)
    if not problems:  # pragma: no cover - a validator that fails only once
        problems = {"<validators>": f"a validator raised {type(exc).__name__}"}
    raise PayloadError(spec.name, spec.payload_type, problems) from exc


def _conversion_failed(
    spec: PayloadSpec, name: str, value: object, exc: Exception
) -> typing.NoReturn:
    if any(f.name == name and f.hidden for f in spec.fields):
        # The converter's message may quote the value: keep secrets out.
        why = f"cannot convert {type_only(value)} ({type(exc).__name__})"
    else:
        why = f"cannot convert {short_repr(value)}: {type(exc).__name__}: {exc}"
    raise PayloadError(spec.name, spec.payload_type, {name: why}) from exc


def _validator_problems(
    spec: PayloadSpec, instance: object, valid: Mapping[str, Any]
) -> tuple[dict[str, str], Exception | None]:
    """Run the validators of the *valid* values: (field -> why, first exception)."""
    hidden = {f.name for f in spec.fields if f.hidden}
    problems: dict[str, str] = {}
    first: Exception | None = None
    for attribute in attrs.fields(spec.payload_type):
        if attribute.validator is None or attribute.name not in valid:
            continue
        value = valid[attribute.name]
        try:
            attribute.validator(instance, attribute, value)
        except Exception as exc:  # noqa: BLE001 - any validator failure is reported
            first = exc if first is None else first
            problems[attribute.name] = (
                # A validator's message may quote the value: keep secrets out.
                f"rejected by its validator ({type(exc).__name__}); got "
                f"{type_only(value)}"
                if attribute.name in hidden
                else _validator_message(exc)
            )
    return problems, first


def _validator_message(exc: BaseException) -> str:
    # attrs' validators (and ours) raise TypeError or ValueError with a
    # sentence naming the field; anything else is likely a validator's bug.
    if isinstance(exc, TypeError | ValueError) and exc.args[:1] != ():
        first = exc.args[0]
        if isinstance(first, str):
            return first
    return f"its validator raised {type(exc).__name__}: {exc}"


def short_repr(value: object, limit: int = 60) -> str:
    """A repr cut to *limit* characters, for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
