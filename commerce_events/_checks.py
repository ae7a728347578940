"""Turn a field's annotation into a runtime check.

A :class:`Check` is used twice: its ``expr`` is inlined into the payload's
generated ``__init__`` (the hot path, one boolean expression per field), and its
``accepts`` function explains a failure on the cold path. Both come from the same
annotation, so they cannot disagree.

Supported: classes, ``X | None`` and other unions, ``Literal``, ``Any``/``object``,
``Annotated`` (with :class:`~commerce_events.domain.Domain` metadata), and
containers (``tuple``, ``list``, ``set``, ``frozenset``, ``dict`` and their
``collections.abc`` counterparts) checked shallowly: the container's type and
its items' classes, one level deep.
"""

from __future__ import annotations

import collections.abc as cabc
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, Union, get_args, get_origin

import attrs

from ._domain import Domain

__all__ = ["Check", "UnsupportedAnnotation", "compile_check"]

_NoneType = type(None)


class UnsupportedAnnotation(Exception):  # noqa: N818
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


def _describe(tp: Any) -> str:
    if isinstance(tp, type):
        return tp.__qualname__
    return repr(tp).replace("typing.", "")


def _is_union(origin: Any) -> bool:
    return origin is Union or origin is types.UnionType


_CONTAINERS: dict[Any, type[Any]] = {
    tuple: tuple,
    list: list,
    set: set,
    frozenset: frozenset,
    dict: dict,
    cabc.Sequence: cabc.Sequence,
    cabc.MutableSequence: cabc.MutableSequence,
    cabc.Set: cabc.Set,
    cabc.MutableSet: cabc.MutableSet,
    cabc.Mapping: cabc.Mapping,
    cabc.MutableMapping: cabc.MutableMapping,
    cabc.Collection: cabc.Collection,
    cabc.Iterable: cabc.Iterable,
}


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
        return _element_test(get_args(tp)[0])
    if _is_union(origin):
        tests = [_element_test(arg) for arg in get_args(tp)]
        return lambda v: any(test(v) for test in tests)
    if tp is None or tp is _NoneType:
        return lambda v: v is None
    if origin is Literal:
        return _literal_test(get_args(tp))
    if origin is not None and isinstance(origin, type):
        # Nested generics are checked by their outer class only (shallow).
        return lambda v: isinstance(v, origin)
    if isinstance(tp, type):
        return _class_test(tp)
    raise UnsupportedAnnotation(_describe(tp))


def _literal_test(values: tuple[Any, ...]) -> Callable[[Any], bool]:
    # Compare by (type, value) so that 1 does not pass for True or 1.0.
    allowed = frozenset((type(v), v) for v in values)

    def test(v: object) -> bool:
        try:
            return (type(v), v) in allowed
        except TypeError:  # unhashable
            return False

    return test


def _container_test(origin: Any, args: tuple[Any, ...]) -> Callable[[Any], bool]:
    outer = _CONTAINERS[origin]
    if not args:
        return lambda v: isinstance(v, outer)
    if outer is tuple:
        if len(args) == 2 and args[1] is Ellipsis:  # noqa: PLR2004
            item = _element_test(args[0])
            return lambda v: isinstance(v, tuple) and all(map(item, v))
        tests = [_element_test(a) for a in args]
        return lambda v: (
            isinstance(v, tuple)
            and len(v) == len(tests)
            and all(t(x) for t, x in zip(tests, v, strict=True))
        )
    if issubclass(outer, cabc.Mapping):
        key, value = _element_test(args[0]), _element_test(args[-1])
        return lambda v: (
            isinstance(v, outer) and all(key(k) and value(x) for k, x in v.items())
        )
    item = _element_test(args[0])
    if outer is cabc.Iterable:
        # Iterating could consume a generator: check the outer type only.
        return lambda v: isinstance(v, outer)
    return lambda v: isinstance(v, outer) and all(map(item, v))


def compile_check(annotation: Any, index: int) -> Check:
    """Compile *annotation* into a :class:`Check`.

    Args:
        annotation: The resolved annotation (``include_extras=True``).
        index: A number unique within the class, to name the check's globals.

    Raises:
        UnsupportedAnnotation: The annotation has no run-time meaning we check.
    """
    none_ok = False
    members: list[Any] = [annotation]
    if _is_union(get_origin(annotation)):
        members = []
        for arg in get_args(annotation):
            if arg is None or arg is _NoneType:
                none_ok = True
            else:
                members.append(arg)
    elif annotation is None or annotation is _NoneType:
        return Check(True, "True", {}, lambda v: False, "None")
    for member in members:
        # PEP 586: Literal[None] is None, so a Literal listing it admits None.
        if get_origin(member) is Literal and None in get_args(member):
            none_ok = True

    if len(members) == 1:
        tp, domain = _unwrap(members[0])
        if domain is not None:
            base = None if tp is Any or tp is object else compile_check(tp, index)
            return _domain_check(domain, none_ok, index, base)
        members = [tp]

    if any(m is Any or m is object for m in members):
        return Check(none_ok, None, {}, _any, "any object")

    expect = " | ".join(_describe(m) for m in members)
    if none_ok:
        expect += " | None"

    # Fast path: plain classes become one isinstance() against a constant tuple.
    if all(isinstance(m, type) and get_origin(m) is None for m in members):
        classes = tuple(members)
        name = f"_ce_t{index}"
        if classes == (int,):
            # Inlined: a bool is an int subclass, but True is not a quantity.
            return Check(
                none_ok,
                "(not _ce_isinstance({v}, int) or {v}.__class__ is bool)",
                {"_ce_isinstance": isinstance},
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
            "_ce_isinstance": isinstance,
        }
        return Check(
            none_ok,
            f"not _ce_isinstance({{v}}, {name})",
            ns,
            lambda v: isinstance(v, classes),
            expect,
        )

    tests = [_member_test(m) for m in members]

    def accepts_any(v: object) -> bool:
        return any(t(v) for t in tests)

    fname = f"_ce_c{index}"
    return Check(
        none_ok, f"not {fname}({{v}})", {fname: accepts_any}, accepts_any, expect
    )


def _member_test(tp: Any) -> Callable[[Any], bool]:
    origin = get_origin(tp)
    if origin is tuple and not get_args(tp) and tp is not typing.Tuple:  # noqa: UP006
        # tuple[()]: on 3.11+ its args are () too, unlike bare typing.Tuple.
        return lambda v: isinstance(v, tuple) and not v
    if origin is Literal:
        return _literal_test(get_args(tp))
    if origin in _CONTAINERS:
        return _container_test(origin, get_args(tp))
    if origin is cabc.Callable:
        return callable
    if origin is typing.Annotated:
        return _element_test(tp)
    if origin is not None and isinstance(origin, type):
        return lambda v: isinstance(v, origin)
    if tp is cabc.Callable:
        return callable
    if isinstance(tp, type):
        return _class_test(tp)
    raise UnsupportedAnnotation(_describe(tp))


def _unwrap(tp: Any) -> tuple[Any, Domain | None]:
    """Strip ``Annotated``, returning the base type and any Domain marker."""
    domain: Domain | None = None
    while get_origin(tp) is typing.Annotated:
        base, *meta = get_args(tp)
        for item in meta:
            if isinstance(item, Domain):
                domain = item
        tp = base
    return tp, domain


def _article(name: str) -> str:
    return f"an {name}" if name[:1] in "aeio" else f"a {name}"


def _domain_check(
    domain: Domain,
    none_ok: bool,  # noqa: FBT001
    index: int,
    base: Check | None,
) -> Check:
    classes = domain.classes()
    if base is not None:
        # Annotated[str, Domain("sku")]: the base type is checked too.
        if classes is None:
            return attrs.evolve(
                base,
                none_ok=none_ok,
                expect=f"{_article(domain.name)} ({base.expect})",
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
            f"{_article(domain.name)} ({base.expect}, "
            f"{' | '.join(c.__qualname__ for c in classes)})",
            domain,
        )
    if classes is None:
        return Check(none_ok, None, {}, _any, _article(domain.name), domain)
    name = f"_ce_t{index}"
    expect = " | ".join(c.__qualname__ for c in classes)
    return Check(
        none_ok,
        f"not _ce_isinstance({{v}}, {name})",
        {name: classes, "_ce_isinstance": isinstance},
        lambda v: isinstance(v, classes),
        f"{_article(domain.name)} ({expect})",
        domain,
    )
