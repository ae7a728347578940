"""Turn a field's annotation into a runtime check.

A :class:`Check` is used twice: its ``expr`` is inlined into the payload's
generated ``__init__`` (the hot path, one boolean expression per field), and its
``accepts`` function explains a failure on the cold path. Both come from the same
annotation, read by :mod:`._annotations` as every other layer reads it, so
they cannot disagree with each other nor with the schemas and strategies.

Supported: classes, ``X | None`` and other unions, ``Literal``, ``Any``/``object``,
``Annotated`` (with :class:`~commerce_events.domain.Domain` metadata and
``annotated-types`` bounds), and containers (``tuple``, ``list``, ``set``,
``frozenset``, ``dict`` and their ``collections.abc`` counterparts) checked
shallowly: the container's type and its items' classes, one level deep. An
expression names nothing but its own namespace's ``_ce_`` names and the value.
"""

from __future__ import annotations

import collections.abc as cabc
import typing
from collections.abc import Callable
from typing import Any, get_args, get_origin

import attrs

from ._annotations import (
    STRINGS,
    Container,
    Unwrapped,
    article,
    container_of,
    describe,
    is_literal,
    is_none,
    members,
    repeated_item,
    show_bounds,
    unwrap,
    within,
)
from ._domain import Domain

__all__ = ["Check", "UnsupportedAnnotationError", "compile_check"]


class UnsupportedAnnotationError(Exception):
    """Internal: the annotation cannot be checked at run time."""


@attrs.frozen
class Check:
    """How one field's value is checked.

    Attributes:
        none_ok: Whether None is an accepted value.
        expr: A Python expression, with ``{v}`` standing for the value, that is
            true when a *non-None* value is invalid; None when any non-None value
            is valid.
        namespace: The globals ``expr`` refers to.
        accepts: ``accepts(value)`` for a non-None value.
        expect: Human-readable description of what is accepted.
        domain: The domain marker, if the field holds a domain object.
    """

    none_ok: bool
    expr: str | None
    namespace: dict[str, Any]
    accepts: Callable[[Any], bool]
    expect: str
    domain: Domain | None = None


def _any(value: object) -> bool:
    return True


def _class_test(tp: type[Any]) -> Callable[[Any], bool]:
    # bool is an int subclass, but True is not a quantity: refuse it where an
    # int (or float) is asked for.
    if tp is int:
        return lambda v: isinstance(v, int) and v.__class__ is not bool
    if tp is float:
        return lambda v: isinstance(v, (int, float)) and v.__class__ is not bool
    return lambda v: isinstance(v, tp)


def _element_test(tp: Any) -> Callable[[Any], bool]:
    """A one-level test for container items: classes and unions of classes."""
    if tp is Any or tp is object:
        return _any
    origin = get_origin(tp)
    if origin is typing.Annotated:
        unwrapped = unwrap(tp)
        inner = _element_test(unwrapped.base)
        if not unwrapped.bounds:
            return inner
        bounded = within(unwrapped.bounds)
        return lambda v: inner(v) and bounded(v)
    real, none_ok = members(tp)
    if len(real) != 1 or none_ok:
        tests = [_element_test(arg) for arg in real]
        if none_ok:
            tests.append(is_none)
        return lambda v: any(test(v) for test in tests)
    if is_literal(tp):
        return _literal_test(get_args(tp))
    if origin is not None and isinstance(origin, type):
        # Nested generics are checked by their outer class only (shallow).
        return _instance_test(origin)
    if isinstance(tp, type):
        return _class_test(tp)
    raise UnsupportedAnnotationError(describe(tp))


def _instance_test(outer: type[Any]) -> Callable[[Any], bool]:
    container = container_of(outer)
    if container is not None and container.refuses_strings:
        return lambda v: isinstance(v, outer) and not isinstance(v, STRINGS)
    return lambda v: isinstance(v, outer)


def _literal_test(values: tuple[Any, ...]) -> Callable[[Any], bool]:
    # Compare by (type, value) so that 1 does not pass for True or 1.0.
    allowed = frozenset((type(v), v) for v in values)

    def test(v: object) -> bool:
        try:
            return (type(v), v) in allowed
        except TypeError:  # unhashable
            return False

    return test


def _container_test(
    container: Container, tp: Any, args: tuple[Any, ...]
) -> Callable[[Any], bool]:
    outer = container.runtime
    is_outer = _instance_test(outer)
    if not args:
        return is_outer
    if outer is tuple:
        repeated = repeated_item(tp)
        if repeated is not None:
            item = _element_test(repeated)
            return lambda v: isinstance(v, tuple) and all(map(item, v))
        tests = [_element_test(a) for a in args]
        return lambda v: (
            isinstance(v, tuple)
            and len(v) == len(tests)
            and all(t(x) for t, x in zip(tests, v, strict=True))
        )
    if container.json == "object":
        key, value = _element_test(args[0]), _element_test(args[-1])
        return lambda v: (
            isinstance(v, outer) and all(key(k) and value(x) for k, x in v.items())
        )
    if container.runtime is cabc.Iterable:
        # Iterating could consume a generator: check the outer type only.
        return is_outer
    item = _element_test(args[0])
    return lambda v: is_outer(v) and all(map(item, v))


def compile_check(annotation: Any, index: int) -> Check:
    """Compile *annotation* into a :class:`Check`.

    Args:
        annotation: The resolved annotation (``include_extras=True``).
        index: A number unique within the class, to name the check's globals.

    Raises:
        UnsupportedAnnotationError: The annotation has no run-time meaning we check.
    """
    if is_none(annotation):
        return Check(True, "True", {}, lambda v: False, "None")
    real, none_ok = members(annotation)

    if len(real) == 1:
        unwrapped = unwrap(real[0])
        tp = unwrapped.base
        if unwrapped.domain is not None:
            base = None if tp is Any or tp is object else compile_check(tp, index)
            return _domain_check(unwrapped.domain, index, base, none_ok=none_ok)
        if unwrapped.bounds:
            return _bounded_check(
                compile_check(tp, index), unwrapped, index, none_ok=none_ok
            )
        real = [tp]

    if any(m is Any or m is object for m in real):
        return Check(none_ok, None, {}, _any, "any object")

    expect = " | ".join(describe(m) for m in real)
    if none_ok:
        expect += " | None"

    # Fast path: plain classes become one isinstance() against a constant tuple.
    if all(_plain_class(m) for m in real):
        classes = tuple(real)
        name = f"_ce_t{index}"
        if classes == (int,):
            # Inlined: a bool is an int subclass, but True is not a quantity.
            return Check(
                none_ok,
                "(not _ce_isinstance({v}, _ce_int) or {v}.__class__ is _ce_bool)",
                dict(_BUILTINS),
                _class_test(int),
                expect,
            )
        if int in classes or float in classes:
            tests = [_class_test(c) for c in classes]
            fname = f"_ce_c{index}"

            def accepts(v: object) -> bool:
                return any(t(v) for t in tests)

            return Check(
                none_ok, f"not {fname}({{v}})", {fname: accepts}, accepts, expect
            )
        ns: dict[str, Any] = {
            name: classes[0] if len(classes) == 1 else classes,
            **_BUILTINS,
        }
        return Check(
            none_ok,
            f"not _ce_isinstance({{v}}, {name})",
            ns,
            lambda v: isinstance(v, classes),
            expect,
        )

    tests = [_member_test(m) for m in real]

    def accepts_any(v: object) -> bool:
        return any(t(v) for t in tests)

    fname = f"_ce_c{index}"
    return Check(
        none_ok, f"not {fname}({{v}})", {fname: accepts_any}, accepts_any, expect
    )


# Every name a check's expression uses comes from its namespace, under the
# reserved prefix: a field named ``int`` or ``bool`` cannot change its meaning.
_BUILTINS: dict[str, Any] = {
    "_ce_isinstance": isinstance,
    "_ce_int": int,
    "_ce_bool": bool,
}


def _plain_class(tp: Any) -> bool:
    if not isinstance(tp, type) or get_origin(tp) is not None:
        return False
    container = container_of(tp)
    return container is None or not container.refuses_strings


def _bounded_check(
    base: Check, unwrapped: Unwrapped, index: int, *, none_ok: bool
) -> Check:
    """``Annotated[int, Ge(0)]``: the base check, then the bounds."""
    base_accepts = base.accepts
    bounded = within(unwrapped.bounds)

    def accepts(v: object) -> bool:
        return base_accepts(v) and bounded(v)

    fname = f"_ce_b{index}"
    return Check(
        none_ok,
        f"not {fname}({{v}})",
        {fname: accepts},
        accepts,
        f"{base.expect.removesuffix(' | None')} ({show_bounds(unwrapped.bounds)})",
    )


def _member_test(tp: Any) -> Callable[[Any], bool]:
    origin = get_origin(tp)
    if origin is tuple and not get_args(tp) and tp is not typing.Tuple:  # noqa: UP006
        # tuple[()]: on 3.11+ its args are () too, unlike bare typing.Tuple.
        return lambda v: isinstance(v, tuple) and not v
    if is_literal(tp):
        return _literal_test(get_args(tp))
    container = container_of(tp)
    if container is not None:
        return _container_test(container, tp, get_args(tp))
    if origin is cabc.Callable or tp is cabc.Callable:
        return callable
    if origin is typing.Annotated:
        return _element_test(tp)
    if origin is not None and isinstance(origin, type):
        return _instance_test(origin)
    if isinstance(tp, type):
        return _class_test(tp)
    raise UnsupportedAnnotationError(describe(tp))


def _domain_check(
    domain: Domain, index: int, base: Check | None, *, none_ok: bool
) -> Check:
    classes = domain.classes()
    if base is not None:
        # Annotated[str, Domain("sku")]: the base type is checked too.
        if classes is None:
            return attrs.evolve(
                base,
                none_ok=none_ok,
                expect=f"{article(domain.name)} ({base.expect})",
                domain=domain,
            )
        base_accepts = base.accepts

        def both(v: object) -> bool:
            return base_accepts(v) and isinstance(v, classes)

        fname = f"_ce_d{index}"
        return Check(
            none_ok,
            f"not {fname}({{v}})",
            {fname: both},
            both,
            f"{article(domain.name)} ({base.expect}, "
            f"{' | '.join(c.__qualname__ for c in classes)})",
            domain,
        )
    if classes is None:
        return Check(none_ok, None, {}, _any, article(domain.name), domain)
    name = f"_ce_t{index}"
    expect = " | ".join(c.__qualname__ for c in classes)
    return Check(
        none_ok,
        f"not _ce_isinstance({{v}}, {name})",
        {name: classes, **_BUILTINS},
        lambda v: isinstance(v, classes),
        f"{article(domain.name)} ({expect})",
        domain,
    )
