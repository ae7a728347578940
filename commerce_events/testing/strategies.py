"""Hypothesis strategies for event payloads (needs the ``hypothesis`` extra).

Every strategy draws *valid* payloads: a field's values are derived from its
annotation, the common attrs validators are turned into constrained strategies
(``in_``, ``gt``/``ge``/``lt``/``le``, ``min_len``/``max_len``,
``matches_re``), any other validator filters the draws, and the payload is
finally built by its own class, which validates it. Values the application
supplies (overrides, domain strategies) are checked rather than filtered, so a
strategy that draws invalid values fails loudly, naming the field.

Installing the package registers every payload class with Hypothesis (through
its ``hypothesis`` entry point, when Hypothesis is imported), and every event
defined later as it is defined, so ``st.from_type(OrderPlaced)`` needs no
setup, for built-in and custom events alike.
"""

from __future__ import annotations

import functools
import math
import re
import threading
import types
import typing
from collections.abc import Mapping
from contextlib import AbstractContextManager
from decimal import Decimal
from functools import partial
from typing import Any, Final, Literal, TypeAlias, TypeVar, cast

import annotated_types as at
import attrs

try:
    from hypothesis import reject
except ImportError as _exc:  # pragma: no cover - depends on the installation
    msg = (
        "commerce_events.testing.strategies needs Hypothesis: install the "
        "hypothesis extra, pip install 'commerce-events[hypothesis]'"
    )
    raise ImportError(msg) from _exc
from hypothesis import strategies as st
from hypothesis.errors import ResolutionFailed
from hypothesis.strategies import SearchStrategy

from .. import _domain, _registry
from .._annotations import (
    Constraints,
    bound_value,
    constraints,
    container_of,
    is_none,
    is_union,
    members,
    repeated_item,
    unwrap,
)
from .._checks import Check, compile_check
from .._domain import Domain
from .._payload import FieldSpec, PayloadSpec, short_repr, type_only
from .._registry import catalogue, spec_for
from ..exceptions import PayloadError

__all__ = [
    "DomainStandIn",
    "InvalidArguments",
    "Problem",
    "any_payload",
    "domain_objects",
    "invalid_arguments",
    "payloads",
    "register_domain_strategy",
    "reset_domain_strategies",
]

P = TypeVar("P")

_lock = threading.Lock()
_domain_strategies: dict[str, SearchStrategy[Any]] = {}
_registered: set[type[Any]] = set()
_cache: dict[type[Any], SearchStrategy[Any]] = {}


# -- domain objects -------------------------------------------------------------


@attrs.frozen
class DomainStandIn:
    """The default value of a domain field: an opaque, hashable object.

    Drawn for a domain (``product``, ``order``, ...) that has neither a
    registered strategy (:func:`register_domain_strategy`) nor declared classes
    (:func:`~commerce_events.declare_domain_classes`).

    Attributes:
        domain: The domain's name.
        key: Tells stand-ins of the same domain apart.
    """

    domain: str
    key: int

    def __repr__(self) -> str:
        return f"<{self.domain} #{self.key}>"


class _Registration(AbstractContextManager[None]):
    """Undoes a :func:`register_domain_strategy` when used as a context manager."""

    def __init__(self, name: str, previous: SearchStrategy[Any] | None) -> None:
        self._name = name
        self._previous = previous

    def __enter__(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"<domain strategy for {self._name!r}>"

    def __exit__(self, *exc_info: object) -> None:
        with _lock:
            if self._previous is None:
                _domain_strategies.pop(self._name, None)
            else:
                _domain_strategies[self._name] = self._previous


def register_domain_strategy(
    domain: str, strategy: SearchStrategy[Any], /
) -> AbstractContextManager[None]:
    """Draw the domain objects of *domain* from *strategy*.

    ::

        register_domain_strategy("product", st.builds(myshop.Product, price=...))

    Every payload strategy then draws its ``product`` fields from it, so
    subscribers get realistic objects. The values must be valid for the field:
    if the domain's classes are declared
    (:func:`~commerce_events.declare_domain_classes`), instances of them; a
    value that is not fails the draw with a
    :class:`~commerce_events.exceptions.PayloadError` naming the field.

    The registration lasts until replaced or reset; used as a context manager
    it lasts for the ``with`` block::

        with register_domain_strategy("product", st.builds(myshop.Product)):
            ...

    Args:
        domain: The domain's name (``"product"``).
        strategy: A strategy of the application's domain objects.

    Returns:
        A context manager restoring the previous strategy on exit.

    Raises:
        UnknownDomainError: No domain has that name.
        TypeError: *strategy* is not a Hypothesis strategy.
    """
    _domain.known(domain)
    if not isinstance(cast("object", strategy), SearchStrategy):  # run-time check
        msg = f"expected a Hypothesis strategy for domain {domain!r}, got {strategy!r}"
        raise TypeError(msg)
    with _lock:
        previous = _domain_strategies.get(domain)
        _domain_strategies[domain] = strategy
    return _Registration(domain, previous)


def reset_domain_strategies() -> None:
    """Forget every strategy registered with :func:`register_domain_strategy`."""
    with _lock:
        _domain_strategies.clear()


@functools.cache
def _default_domain_values(
    name: str, classes: tuple[type[Any], ...] | None
) -> SearchStrategy[Any]:
    # Cached: building a strategy on every draw would cost more than drawing.
    if classes is None:
        return st.builds(DomainStandIn, st.just(name), st.integers(0, 999))
    return st.one_of([st.from_type(c) for c in classes])


@st.composite
def _domain_draw(draw: st.DrawFn, domain: Domain) -> Any:
    # Looked up on every draw, so that registrations and declarations made after
    # the strategy was built (or cached by st.from_type) are honoured.
    registered = _domain_strategies.get(domain.name)
    if registered is not None:
        return draw(registered)
    classes = domain.classes()
    try:
        return draw(_default_domain_values(domain.name, classes))
    except ResolutionFailed as exc:
        exc.add_note(
            f"commerce_events: register a strategy for the {domain.name!r} domain, "
            f"register_domain_strategy({domain.name!r}, st.builds(...))"
        )
        raise


def domain_objects(domain: str, /) -> SearchStrategy[Any]:
    """Draw objects of a domain, as payload strategies do.

    From the strategy registered with :func:`register_domain_strategy` if any;
    else instances of the declared classes (``st.from_type``); else
    :class:`DomainStandIn` objects.

    Raises:
        UnknownDomainError: No domain has that name.
    """
    return _domain_draw(_domain.known(domain))


# -- deriving strategies from annotations -------------------------------------------

# Any value but None: what an ``Any`` field (or item) is given.
_ANYTHING: Final[SearchStrategy[Any]] = st.one_of(
    st.integers(), st.text(), st.booleans(), st.builds(object)
)


@attrs.frozen
class _Hints:
    """What a field's validators say about its values, to draw them directly."""

    options: tuple[Any, ...] | None = None
    lower: tuple[Any, bool] | None = None  # (bound, exclusive)
    upper: tuple[Any, bool] | None = None
    min_size: int = 0
    max_size: int | None = None
    pattern: re.Pattern[Any] | None = None
    fullmatch: bool = False


_NO_HINTS: Final = _Hints()


def _hints(found: Constraints) -> _Hints:
    """What :func:`~commerce_events._annotations.constraints` read, to draw by."""

    def side(bound: Any) -> tuple[Any, bool] | None:
        if bound is None:
            return None
        return (bound_value(bound), isinstance(bound, at.Gt | at.Lt))

    return _Hints(
        options=found.options,
        lower=side(found.lower),
        upper=side(found.upper),
        min_size=found.min_len.min_length if found.min_len is not None else 0,
        max_size=found.max_len.max_length if found.max_len is not None else None,
        pattern=found.pattern,
        fullmatch=found.match == "fullmatch",
    )


def _values(tp: Any, hints: _Hints = _NO_HINTS) -> SearchStrategy[Any]:
    """Valid values of annotation *tp* (None only where *tp* admits it)."""
    if typing.get_origin(tp) is typing.Annotated:
        unwrapped = unwrap(tp)
        if unwrapped.domain is not None:
            return _domain_draw(unwrapped.domain)
        if hints is _NO_HINTS:
            hints = _hints(constraints(None, unwrapped.bounds))
        return _values(unwrapped.base, hints)
    if hints.options is not None:
        return st.sampled_from(hints.options)
    if tp is Any or tp is object:
        return _ANYTHING
    if is_none(tp):
        return st.none()
    if is_union(tp):
        real, none_ok = members(tp)
        inner = hints if len(real) == 1 else _NO_HINTS
        strategies = [_values(m, inner) for m in real]
        if none_ok:
            strategies.insert(0, st.none())
        return st.one_of(strategies)
    origin = typing.get_origin(tp)
    if origin is Literal:
        return st.sampled_from(typing.get_args(tp))
    if origin is not None:
        container = _container(tp, hints)
        if container is not None:
            return container
        return st.from_type(tp)
    return _scalar(tp, hints)


def _container(tp: Any, hints: _Hints) -> SearchStrategy[Any] | None:
    container = container_of(tp)
    if container is None:
        return None
    args = typing.get_args(tp)
    size: dict[str, Any] = {"min_size": hints.min_size, "max_size": hints.max_size}
    item = _values(args[0]) if args else _ANYTHING
    if typing.get_origin(tp) is tuple and repeated_item(tp) is None:
        if args == ((),):
            return st.just(())
        return st.tuples(*[_values(a) for a in args])
    if container.json == "object":
        value = _values(args[-1]) if args else _ANYTHING
        return st.dictionaries(item, value, **size)
    if container.unique:
        draw_set = st.sets(item, **size)
        return draw_set if container.concrete is set else draw_set.map(frozenset)
    lists = st.lists(item, **size)
    if container.concrete is list:
        return lists
    if container.runtime is tuple:
        return lists.map(tuple)
    # An abstract sequence: lists and tuples both fit.
    return st.one_of(lists, lists.map(tuple))


def _scalar(tp: Any, hints: _Hints) -> SearchStrategy[Any]:
    lower, upper = hints.lower, hints.upper
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(min_value=_int_lower(lower), max_value=_int_upper(upper))
    if tp is float:
        return st.floats(
            min_value=_finite(lower),
            max_value=_finite(upper),
            exclude_min=bool(lower and lower[1] and _finite(lower) is not None),
            exclude_max=bool(upper and upper[1] and _finite(upper) is not None),
        )
    if tp is Decimal:
        if lower is None and upper is None:
            # A signalling NaN cannot be hashed, nor can a payload holding one.
            return st.decimals().filter(lambda d: not d.is_snan())
        return st.decimals(
            min_value=_finite(lower), max_value=_finite(upper), allow_nan=False
        )
    if tp is str or tp is bytes:
        if hints.pattern is not None and isinstance(hints.pattern.pattern, tp):
            return st.from_regex(hints.pattern, fullmatch=hints.fullmatch)
        if tp is str:
            return st.text(min_size=hints.min_size, max_size=hints.max_size)
        return st.binary(min_size=hints.min_size, max_size=hints.max_size)
    return st.from_type(tp)


def _finite(bound: tuple[Any, bool] | None) -> Any:
    if bound is None:
        return None
    try:
        return bound[0] if math.isfinite(bound[0]) else None
    except TypeError:  # not a number
        return None


def _int_lower(bound: tuple[Any, bool] | None) -> int | None:
    value = _finite(bound)
    if value is None or bound is None:
        return None
    return int(math.floor(value) + 1 if bound[1] else math.ceil(value))


def _int_upper(bound: tuple[Any, bool] | None) -> int | None:
    value = _finite(bound)
    if value is None or bound is None:
        return None
    return int(math.ceil(value) - 1 if bound[1] else math.floor(value))


# -- checking values ------------------------------------------------------------------


def _problem(
    attribute: attrs.Attribute[Any],
    fs: FieldSpec,
    value: Any,
    check: Check | None = None,
) -> str | None:
    """What is wrong with *value* for this field, or None; as the payload does it."""
    check = check if check is not None else compile_check(attribute.type, 0)
    if attribute.converter is not None:
        try:
            value = attribute.converter(value)  # type: ignore[operator]
        except Exception as exc:  # noqa: BLE001 - the converter rejects the value
            return f"its converter raised {type(exc).__qualname__}: {exc}"
    if value is None:
        if not fs.none_ok:
            return f"must not be None (expected {check.expect})"
    elif not check.accepts(value):
        return f"expected {check.expect}, got {type(value).__qualname__}"
    if attribute.validator is not None:
        try:
            attribute.validator(types.SimpleNamespace(), attribute, value)
        except (TypeError, ValueError) as exc:
            if fs.hidden or not exc.args:  # its message may quote the value
                return f"rejected by its validator ({type(exc).__qualname__})"
            return str(exc.args[0])
        except Exception:  # noqa: BLE001
            # Most likely it reads other fields: building the payload decides.
            return None
    return None


def _show(fs: FieldSpec, value: Any) -> str:
    return type_only(value) if fs.hidden else short_repr(value)


def _checked(
    spec: PayloadSpec,
    attribute: attrs.Attribute[Any],
    fs: FieldSpec,
    source: str,
    value: Any,
) -> Any:
    problem = _problem(attribute, fs, value)
    if problem is not None:
        raise _drew_invalid(spec, fs, source, value, problem)
    return value


def _valid(
    attribute: attrs.Attribute[Any], fs: FieldSpec, check: Check | None, value: Any
) -> bool:
    return _problem(attribute, fs, value, check) is None


def _field_values(
    spec: PayloadSpec, attribute: attrs.Attribute[Any], fs: FieldSpec
) -> SearchStrategy[Any]:
    """Valid values of one field (never drawn from the application's overrides)."""
    annotation = attribute.type
    if fs.domain is not None:
        domain = _domain.known(fs.domain)
        values = _domain_draw(domain).map(partial(_checked_domain, spec, attribute, fs))
        if fs.none_ok:
            values = st.none() | values
        # The check depends on declared classes: compute it per draw.
        return values.filter(partial(_valid, attribute, fs, None))
    check = compile_check(annotation, 0)
    found = constraints(attribute.validator, unwrap(annotation).bounds)
    values = _values(annotation, _hints(found))
    if fs.none_ok:
        values = st.none() | values
    return values.filter(partial(_valid, attribute, fs, check))


def _checked_domain(
    spec: PayloadSpec, attribute: attrs.Attribute[Any], fs: FieldSpec, value: Any
) -> Any:
    # Only the application's own strategy can draw a wrong domain object;
    # ours (stand-ins, instances of the declared classes) always fit.
    if fs.domain not in _domain_strategies:
        return value
    source = f"the strategy registered for domain {fs.domain!r}"
    return _checked(spec, attribute, fs, source, value)


def _drew_invalid(
    spec: PayloadSpec, fs: FieldSpec, source: str, value: Any, problem: str
) -> PayloadError:
    why = f"{source} drew {_show(fs, value)}, which is invalid: {problem}"
    return PayloadError(spec.name, spec.payload_type, {fs.name: why})


# -- payloads -------------------------------------------------------------------------


def _spec(payload_type: Any, caller: str) -> PayloadSpec:
    return spec_for(
        payload_type, use=f"{caller}() takes a payload class registered with @event"
    )


class _Arguments:
    """The keyword-argument strategy of a payload class, with a short repr.

    Hypothesis prints a strategy's repr when draws are rejected; the full repr
    of every field's strategy grows past its size warning for wide events.
    """

    __slots__ = ("label", "strategy")

    def __init__(self, strategy: SearchStrategy[dict[str, Any]], label: str) -> None:
        self.strategy = strategy
        self.label = label

    def __repr__(self) -> str:
        return self.label


@st.composite
def _build(draw: st.DrawFn, payload_type: type[Any], arguments: _Arguments) -> Any:
    # A composite, not arguments.map(payload_type): Hypothesis then reports a
    # failing payload by its fields, not as a call to an internal function.
    kwargs = draw(arguments.strategy)
    try:
        return payload_type(**kwargs)
    except PayloadError:
        # Each field was valid on its own: a validator relating several fields
        # refused the combination. Draw again.
        reject()


def payloads(payload_type: type[P], /, **overrides: Any) -> SearchStrategy[P]:
    """Draw valid payloads of a registered event, built-in or custom.

    Required fields are always drawn; optional ones are sometimes left out (so
    their defaults are used too), sometimes None where allowed. Domain fields
    are drawn as :func:`domain_objects` describes.

    ::

        @given(payloads(OrderPlaced, user=st.none()))
        def test_anonymous_orders(event): ...

    Args:
        payload_type: The payload class.
        overrides: Field name -> a strategy for that field, or a fixed value.
            The values must be valid for the field: an invalid one is an error
            (raised at once for a fixed value, on the draw for a strategy),
            never silently filtered out.

    Raises:
        NotAPayloadError: *payload_type* is not a registered payload class.
        PayloadError: An override names an unknown field, or is a fixed value
            that is invalid for its field. Its ``fields`` name them.
    """
    spec = _spec(payload_type, "payloads")
    _register_type_strategies()
    return _payloads(spec, payload_type, overrides)


def _payloads(
    spec: PayloadSpec, payload_type: type[P], overrides: Mapping[str, Any]
) -> SearchStrategy[P]:
    if not overrides and payload_type in _cache:
        return cast("SearchStrategy[P]", _cache[payload_type])
    attributes = {a.name: a for a in attrs.fields(cast("Any", payload_type))}
    fields = {fs.name: fs for fs in spec.fields}
    problems: dict[str, str] = {}
    required: dict[str, SearchStrategy[Any]] = {}
    optional: dict[str, SearchStrategy[Any]] = {}
    for name, override in overrides.items():
        fs = fields.get(name)
        if fs is None:
            known = ", ".join(spec.field_names) or "none"
            problems[name] = f"unknown field (the fields are: {known})"
        elif isinstance(override, SearchStrategy):
            required[name] = override.map(
                partial(_checked, spec, attributes[name], fs, "the override strategy")
            )
        else:
            problem = _problem(attributes[name], fs, override)
            if problem is not None:
                problems[name] = f"override {_show(fs, override)} is invalid: {problem}"
            required[name] = st.just(override)
    if problems:
        raise PayloadError(spec.name, payload_type, problems)
    for fs in spec.fields:
        if fs.name not in overrides:
            target = required if fs.required else optional
            target[fs.name] = _field_values(spec, attributes[fs.name], fs)
    label = (
        f"<fields of {payload_type.__name__}{' with overrides' if overrides else ''}>"
    )
    strategy = _build(
        payload_type,
        _Arguments(st.fixed_dictionaries(required, optional=optional), label),
    )
    if not overrides:
        _cache[payload_type] = strategy
    return cast("SearchStrategy[P]", strategy)


def any_payload() -> SearchStrategy[Any]:
    """Draw a payload of any registered event.

    The events are looked up when the strategy is first drawn from, so events
    registered after this call (but before the test runs) are included.
    """
    return st.deferred(
        lambda: st.one_of([payloads(spec.payload_type) for spec in catalogue()])
    )


# -- invalid arguments ----------------------------------------------------------------

Problem: TypeAlias = Literal["missing", "unknown", "none", "wrong_type"]
"""How :func:`invalid_arguments` spoiled an argument.

``"missing"``: a required field is left out; ``"unknown"``: an argument that is
not a field is added; ``"none"``: None is passed where it is not allowed;
``"wrong_type"``: a value of the wrong type is passed.
"""


@attrs.frozen(kw_only=True)
class InvalidArguments:
    """Keyword arguments that an event must reject, and why.

    Attributes:
        payload_type: The payload class.
        kwargs: The arguments, for ``payload_type(**kwargs)`` or
            ``signal.send(sender, **kwargs)``.
        problems: Argument name -> how it was spoiled. Every other argument is
            valid on its own.
    """

    payload_type: type[Any]
    kwargs: Mapping[str, Any]
    problems: Mapping[str, Problem]

    @property
    def fields(self) -> frozenset[str]:
        """The names the :class:`~commerce_events.exceptions.PayloadError` must list.

        It may list more when a validator relates several fields.
        """
        return frozenset(self.problems)


_RESERVED_NAMES: Final = frozenset({"self", "sender"})

# Values of many types, for "wrong type": each field keeps the ones it refuses.
_WRONG: Final[SearchStrategy[Any]] = st.one_of(
    st.integers(),
    st.text(max_size=5),
    st.booleans(),
    st.floats(allow_nan=False),
    st.binary(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.tuples(st.integers()),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.builds(object),
)


def _refused(check: Check, value: object) -> bool:
    return not check.accepts(value)


def _unknown_names(spec: PayloadSpec) -> SearchStrategy[str]:
    taken = set(spec.field_names) | _RESERVED_NAMES
    return st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True).filter(
        lambda name: name not in taken
    )


@st.composite
def _invalid(draw: st.DrawFn, payload_type: type[Any]) -> InvalidArguments:
    spec = spec_for(payload_type)
    attributes = {a.name: a for a in attrs.fields(payload_type)}
    kwargs: dict[str, Any] = {
        fs.name: draw(_field_values(spec, attributes[fs.name], fs))
        for fs in spec.fields
    }
    try:
        payload_type(**kwargs)
    except PayloadError:
        # A validator across fields (new_status differs from old_status)
        # refused this combination: the starting point must be valid.
        reject()
    options: list[tuple[str, Problem]] = [("", "unknown")]
    checks: dict[str, Check] = {}
    for fs in spec.fields:
        if fs.required:
            options.append((fs.name, "missing"))
        if attributes[fs.name].converter is not None:
            continue  # a converter may turn anything into a valid value
        if not fs.none_ok:
            options.append((fs.name, "none"))
        checks[fs.name] = check = compile_check(attributes[fs.name].type, 0)
        if check.expr is not None:  # some non-None values are refused
            options.append((fs.name, "wrong_type"))
    chosen = draw(
        st.lists(
            st.sampled_from(options), min_size=1, max_size=3, unique_by=lambda o: o[0]
        )
    )
    problems: dict[str, Problem] = {}
    for chosen_name, problem in chosen:
        name = draw(_unknown_names(spec)) if problem == "unknown" else chosen_name
        if problem == "unknown":
            kwargs[name] = draw(_WRONG)
        elif problem == "missing":
            del kwargs[name]
        elif problem == "none":
            kwargs[name] = None
        else:
            kwargs[name] = draw(_WRONG.filter(partial(_refused, checks[name])))
        problems[name] = problem
    return InvalidArguments(payload_type=payload_type, kwargs=kwargs, problems=problems)


def invalid_arguments(payload_type: type[Any], /) -> SearchStrategy[InvalidArguments]:
    """Draw argument sets that building (or sending) the event must reject.

    Each draw starts from valid values for every field and spoils one to three
    arguments: a required field left out, an unknown argument added, None where
    it is not allowed, or a value of the wrong type. The event must then raise
    a :class:`~commerce_events.exceptions.PayloadError` listing at least those
    arguments::

        @given(invalid_arguments(PointsAwarded))
        def test_points_awarded_rejects(case):
            with pytest.raises(PayloadError) as error:
                PointsAwarded(**case.kwargs)
            assert case.fields <= error.value.fields.keys()

    Fields with a converter are only ever left out (a converter may make any
    value valid).

    Raises:
        NotAPayloadError: *payload_type* is not a registered payload class.
    """
    _spec(payload_type, "invalid_arguments")
    return _invalid(payload_type)


# -- registration with Hypothesis --------------------------------------------------


def _from_type(thing: type[Any]) -> SearchStrategy[Any]:
    # Not payloads(): registering from inside a from_type resolution would
    # clear Hypothesis's from_type cache under its feet.
    return _payloads(_spec(thing, "from_type"), thing, {})


def _known_to_hypothesis(cls: type[Any]) -> bool:
    # Hypothesis has no public "is a strategy registered?"; peeking keeps us
    # from replacing a strategy the application registered itself.
    try:
        from hypothesis.strategies._internal.types import _global_type_lookup
    except ImportError:  # pragma: no cover - Hypothesis moved it
        return False
    return cls in _global_type_lookup


def _register(payload_type: type[Any]) -> None:
    with _lock:
        if payload_type in _registered:
            return
        _registered.add(payload_type)
    if not _known_to_hypothesis(payload_type):
        st.register_type_strategy(payload_type, _from_type)


def _register_type_strategies() -> None:
    """Make ``st.from_type`` draw valid payloads for every registered event.

    Registers a *function*, resolved when ``from_type`` is first asked for the
    class, so nothing is built while Hypothesis is being imported.
    """
    for spec in catalogue():  # outside _lock: catalogue() takes the registry's lock
        _register(spec.payload_type)


_register_type_strategies()
# Events registered from now on are registered with Hypothesis as they are
# defined: st.from_type() resolves eagerly, so registering them any later would
# miss the common ``@given(st.from_type(MyEvent))`` right below the class.
_registry.on_registration(_register)
