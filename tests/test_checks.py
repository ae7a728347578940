"""Tests for commerce_events._checks: annotations turned into run-time checks."""

import enum
import itertools
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal, Optional, TypeVar, Union

import annotated_types as at
import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

import commerce_events
from commerce_events import event
from commerce_events._checks import Check, UnsupportedAnnotationError, compile_check
from commerce_events.domain import Domain, Product, domain_classes
from commerce_events.exceptions import EventDefinitionError, PayloadError

_counter = itertools.count()


def _unique(label: str) -> str:
    """Return an event name no other test registers."""
    return f"test_checks_{label}_{next(_counter)}"


def _holder(name: str, annotation: Any) -> type:
    """Register an event whose one required field, value, has *annotation*."""
    body = {"__annotations__": {"value": annotation}, "__module__": __name__}
    return event(name)(type(f"Holder_{name}", (), body))


def _accepted(check: Check, value: object) -> bool:
    """What the cold path (accepts, none_ok) says about *value*."""
    return check.none_ok if value is None else check.accepts(value)


def _accepted_hot(check: Check, value: object) -> bool:
    """What the hot path (the inlined expression) says about *value*."""
    if value is None:
        return check.none_ok
    if check.expr is None:
        return True
    expr = check.expr.format(v="value")
    return not eval(expr, dict(check.namespace), {"value": value})  # noqa: S307


class _Widget:
    """A class annotation."""


class _SubWidget(_Widget):
    """A subclass of a class annotation."""


class _Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


def _answer() -> int:
    return 42


_ANYTHING = st.one_of(
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.text(),
    st.binary(),
    st.builds(object),
    st.builds(_Widget),
    st.lists(st.integers(), max_size=3),
    st.tuples(st.text()),
)
_NOT_INT = st.one_of(st.booleans(), st.floats(), st.text(), st.binary(), st.none())
_NOT_STR = st.one_of(st.integers(), st.binary(), st.builds(object), st.none())


def _with_intruder(items: SearchStrategy[Any], intruder: SearchStrategy[Any]) -> Any:
    """Lists of *items* with one *intruder* inserted somewhere."""
    return st.tuples(
        st.lists(items, max_size=3), intruder, st.lists(items, max_size=3)
    ).map(lambda t: [*t[0], t[1], *t[2]])


@attrs.frozen
class Case:
    """An annotation, values it accepts and values it refuses."""

    label: str
    annotation: Any
    valid: SearchStrategy[Any]
    invalid: SearchStrategy[Any] | None


CASES = [
    Case(
        "int",
        int,
        st.one_of(st.integers(), st.sampled_from(list(_Level))),
        st.one_of(st.booleans(), st.floats(), st.text(), st.binary()),
    ),
    Case("bool", bool, st.booleans(), st.one_of(st.integers(), st.text())),
    Case(
        "float",
        float,
        st.one_of(st.floats(), st.integers()),
        st.one_of(st.booleans(), st.text(), st.complex_numbers()),
    ),
    Case(
        "str", str, st.text(), st.one_of(st.integers(), st.binary(), st.builds(object))
    ),
    Case(
        "class",
        _Widget,
        st.one_of(st.builds(_Widget), st.builds(_SubWidget)),
        _ANYTHING.filter(lambda v: not isinstance(v, _Widget)),
    ),
    Case(
        "union",
        int | str,
        st.one_of(st.integers(), st.text()),
        st.one_of(st.booleans(), st.floats(), st.binary()),
    ),
    Case(
        "typing_union",
        Union[int, str],  # noqa: UP007
        st.one_of(st.integers(), st.text()),
        st.one_of(st.booleans(), st.floats(), st.binary()),
    ),
    Case(
        "optional",
        int | None,
        st.one_of(st.none(), st.integers()),
        st.one_of(st.booleans(), st.text()),
    ),
    Case(
        "typing_optional",
        Optional[str],  # noqa: UP045
        st.one_of(st.none(), st.text()),
        st.one_of(st.integers(), st.binary()),
    ),
    Case(
        "optional_union",
        Union[int, str, None],  # noqa: UP007
        st.one_of(st.none(), st.integers(), st.text()),
        st.one_of(st.booleans(), st.floats()),
    ),
    Case(
        "literal",
        Literal["web", "shop", 3],
        st.sampled_from(["web", "shop", 3]),
        st.one_of(
            st.text().filter(lambda s: s not in {"web", "shop"}),
            st.integers().filter(lambda i: i != 3),
            st.just(3.0),
            st.booleans(),
            st.none(),
        ),
    ),
    Case(
        "literal_true",
        Literal[True],
        st.just(True),
        st.sampled_from([1, 1.0, False, "True"]),
    ),
    Case("any", Any, _ANYTHING, None),
    Case("object", object, _ANYTHING, None),
    Case(
        "bare_tuple",
        tuple,
        st.lists(_ANYTHING, max_size=3).map(tuple),
        st.lists(_ANYTHING, max_size=3),
    ),
    Case(
        "tuple_of_ints",
        tuple[int, ...],
        st.lists(st.integers(), max_size=4).map(tuple),
        st.one_of(
            st.lists(st.integers(), max_size=3),
            _with_intruder(st.integers(), _NOT_INT).map(tuple),
        ),
    ),
    Case(
        "tuple_fixed",
        tuple[int, str],
        st.tuples(st.integers(), st.text()),
        st.one_of(
            st.tuples(st.text(), st.integers()),
            st.tuples(st.integers()),
            st.tuples(st.integers(), st.text(), st.integers()),
            st.tuples(st.booleans(), st.text()),
            st.tuples(st.integers(), st.text()).map(list),
        ),
    ),
    Case(
        "list_of_str",
        list[str],
        st.lists(st.text(), max_size=4),
        st.one_of(
            _with_intruder(st.text(), _NOT_STR),
            st.lists(st.text(), max_size=3).map(tuple),
            st.text(),
        ),
    ),
    Case(
        "typing_list",
        typing.List[str],  # noqa: UP006
        st.lists(st.text(), max_size=4),
        _with_intruder(st.text(), _NOT_STR),
    ),
    Case(
        "set_of_ints",
        set[int],
        st.sets(st.integers(), max_size=4),
        st.one_of(
            st.frozensets(st.integers(), max_size=3),
            st.sets(st.text(), min_size=1, max_size=3),
            st.sets(st.booleans(), min_size=1),
            st.lists(st.integers(), max_size=3),
        ),
    ),
    Case(
        "frozenset_of_str",
        frozenset[str],
        st.frozensets(st.text(), max_size=4),
        st.one_of(
            st.sets(st.text(), max_size=3),
            st.frozensets(st.integers(), min_size=1, max_size=3),
        ),
    ),
    Case(
        "dict",
        dict[str, int],
        st.dictionaries(st.text(), st.integers(), max_size=3),
        st.one_of(
            st.dictionaries(st.integers(), st.integers(), min_size=1, max_size=3),
            st.dictionaries(st.text(), st.text(), min_size=1, max_size=3),
            st.dictionaries(st.text(), st.booleans(), min_size=1, max_size=3),
            st.lists(st.tuples(st.text(), st.integers()), max_size=3),
        ),
    ),
    Case(
        "list_of_optional",
        list[int | None],
        st.lists(st.one_of(st.none(), st.integers()), max_size=4),
        _with_intruder(st.integers(), st.one_of(st.text(), st.booleans())),
    ),
    Case(
        "list_of_literal",
        list[Literal["a", "b"]],
        st.lists(st.sampled_from(["a", "b"]), max_size=4),
        _with_intruder(st.sampled_from(["a", "b"]), st.sampled_from(["c", 1, None])),
    ),
    Case(
        "list_of_lists_is_shallow",
        list[list[int]],
        st.lists(st.lists(_ANYTHING, max_size=2), max_size=3),
        _with_intruder(st.lists(st.integers()), st.tuples(st.integers())),
    ),
    Case(
        "sequence",
        Sequence[int],
        st.one_of(
            st.lists(st.integers(), max_size=3),
            st.lists(st.integers(), max_size=3).map(tuple),
        ),
        st.one_of(st.text(min_size=1), st.sets(st.integers(), max_size=3)),
    ),
    Case(
        "mapping",
        Mapping[str, int],
        st.dictionaries(st.text(), st.integers(), max_size=3),
        st.one_of(
            st.lists(st.tuples(st.text(), st.integers()), max_size=3),
            st.dictionaries(st.integers(), st.integers(), min_size=1, max_size=3),
        ),
    ),
    Case(
        "iterable_is_outer_only",
        Iterable[int],
        st.one_of(st.lists(_ANYTHING, max_size=3), st.sets(st.text())),
        # A string is an iterable, but not what Iterable[...] means.
        st.one_of(st.integers(), st.floats(), st.builds(object), st.text()),
    ),
    Case(
        "sequence_of_str_refuses_a_str",
        Sequence[str],
        st.one_of(
            st.lists(st.text(), max_size=3), st.lists(st.text(), max_size=3).map(tuple)
        ),
        st.one_of(st.text(), st.binary(), st.lists(st.integers(), min_size=1)),
    ),
    Case(
        "bare_sequence_refuses_a_str",
        Sequence,
        st.one_of(st.lists(_ANYTHING, max_size=3), st.tuples(st.integers())),
        st.one_of(st.text(), st.binary(), st.integers()),
    ),
    Case(
        "annotated_bounds",
        Annotated[int, at.Ge(1), at.Le(10)],
        st.integers(1, 10),
        st.one_of(st.integers(max_value=0), st.integers(min_value=11), st.text()),
    ),
    Case(
        "annotated_interval_in_a_list",
        list[Annotated[int, at.Interval(ge=0, lt=5)]],
        st.lists(st.integers(0, 4), max_size=3),
        st.lists(st.integers(5, 9), min_size=1, max_size=3),
    ),
    Case(
        "annotated_length",
        Annotated[str, at.MinLen(2), at.MaxLen(3)],
        st.text(min_size=2, max_size=3),
        st.one_of(st.text(max_size=1), st.text(min_size=4)),
    ),
    Case(
        "annotated",
        Annotated[int, "a unit"],
        st.integers(),
        st.one_of(st.booleans(), st.text()),
    ),
    Case(
        "callable",
        Callable,
        st.sampled_from([len, print, _Widget, _answer]),
        st.one_of(st.integers(), st.text()),
    ),
    Case(
        "callable_signature",
        Callable[[int], str],
        st.sampled_from([str, repr, _answer]),
        st.one_of(st.integers(), st.text()),
    ),
    Case(
        "int_or_list",
        int | list[str],
        st.one_of(st.integers(), st.lists(st.text(), max_size=3)),
        st.one_of(st.booleans(), _with_intruder(st.text(), st.integers())),
    ),
    Case("none", None, st.none(), _ANYTHING),
]

_HOLDERS = {
    case.label: _holder(f"test_checks_{case.label}", case.annotation) for case in CASES
}


def _labelled(case: Case) -> SearchStrategy[tuple[bool, Any]]:
    """(True, valid value) or (False, invalid value) for *case*."""
    values = case.valid.map(lambda v: (True, v))
    if case.invalid is None:
        return values
    return values | case.invalid.map(lambda v: (False, v))


_LABELLED = {case.label: _labelled(case) for case in CASES}

# The property below runs once per case: half the profile's examples each keeps
# the suite fast, every annotation still getting dozens of examples.
_PER_CASE = settings(max_examples=max(10, settings.default.max_examples // 2))


class TestCompileCheck:
    """compile_check: the same annotation drives the hot and the cold path."""

    @pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
    @_PER_CASE
    @given(st.data())
    def test_accepts_exactly_the_annotated_values(self, case, data):
        """Both paths and the payload accept the annotation's values, and only those."""
        valid, value = data.draw(_LABELLED[case.label])
        check = compile_check(case.annotation, 0)
        assert (valid, valid) == (_accepted(check, value), _accepted_hot(check, value))
        if valid:
            assert value is _HOLDERS[case.label](value=value).value
        else:
            with pytest.raises(PayloadError) as info:
                _HOLDERS[case.label](value=value)
            assert {"value"} == set(info.value.fields)

    @pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
    def test_required_even_when_none_is_allowed(self, case):
        """A field without a default is required, whatever its annotation admits."""
        with pytest.raises(PayloadError) as info:
            _HOLDERS[case.label]()
        assert {"value"} == set(info.value.fields)

    @given(st.lists(st.integers(), max_size=5))
    def test_empty_tuple_annotation_admits_only_the_empty_tuple(self, items):
        """tuple[()] accepts the empty tuple and refuses every other tuple."""
        check = compile_check(tuple[()], 0)
        expected = not items
        assert (expected, expected) == (
            _accepted(check, tuple(items)),
            _accepted_hot(check, tuple(items)),
        )

    @given(st.lists(st.integers(), max_size=5))
    def test_iterable_is_not_consumed(self, items):
        """Checking an Iterable field does not consume a generator."""
        values = (i for i in items)
        payload = _HOLDERS["iterable_is_outer_only"](value=values)
        assert items == list(payload.value)

    @pytest.mark.parametrize(
        "annotation",
        [
            Literal["a", None],
            Literal[None],
            Literal["a"] | None,
            Optional[Literal["a"]],  # noqa: UP045
        ],
    )
    def test_literal_listing_none_admits_none(self, annotation):
        """A Literal that lists None, or is unioned with None, admits None."""
        holder = _holder(_unique("literal_none"), annotation)
        assert None is holder(value=None).value


class TestNoneOk:
    """Check.none_ok: which annotations admit None."""

    @pytest.mark.parametrize(
        "annotation",
        [
            int | None,
            Optional[int],  # noqa: UP045
            Union[int, None],  # noqa: UP007
            Union[int, str, None],  # noqa: UP007
            _Widget | None,
            Any | None,
            list[int] | None,
            Product | None,
            None,
            type(None),
        ],
    )
    def test_optional_annotations_admit_none(self, annotation):
        """Unions with None (and None itself) admit None."""
        assert compile_check(annotation, 0).none_ok

    @pytest.mark.parametrize(
        "annotation", [int, str, _Widget, int | str, list[int], Literal["a"], Product]
    )
    def test_other_annotations_refuse_none(self, annotation):
        """Annotations that do not mention None refuse it."""
        assert not compile_check(annotation, 0).none_ok

    @given(st.booleans())
    def test_none_annotation_refuses_everything_else(self, flag):
        """A field annotated None accepts only None."""
        check = compile_check(None, 0)
        assert (False, False) == (_accepted(check, flag), _accepted_hot(check, flag))


class TestExpect:
    """Check.expect: a readable description of the accepted values."""

    @pytest.mark.parametrize(
        ("annotation", "expect"),
        [
            (int, "int"),
            (int | None, "int | None"),
            (int | str, "int | str"),
            (_Widget, "_Widget"),
            (Any, "any object"),
            (object, "any object"),
            (Literal["a"], "Literal['a']"),
            (None, "None"),
            (Product, "a product"),
        ],
    )
    def test_describes_the_annotation(self, annotation, expect):
        """expect names the accepted types in the annotation's own terms."""
        assert expect == compile_check(annotation, 0).expect


class TestDomainAnnotations:
    """Annotated with a Domain marker."""

    def test_domain_marker_is_found(self):
        """The check of a domain alias carries its Domain marker."""
        check = compile_check(Product | None, 0)
        assert check.domain is not None
        assert ("product", True) == (check.domain.name, check.none_ok)

    @given(_ANYTHING)
    def test_undeclared_domain_accepts_any_object(self, value):
        """Until classes are declared, a domain check accepts any non-None object."""
        check = compile_check(Product, 0)
        assert (True, True) == (_accepted(check, value), _accepted_hot(check, value))

    @given(_ANYTHING)
    def test_declared_domain_checks_isinstance(self, value):
        """Once classes are declared, a domain check is an isinstance check."""
        if (_Widget,) != domain_classes().get("product"):
            commerce_events.declare_domain_classes(product=_Widget)
        check = compile_check(Product, 0)
        expected = isinstance(value, _Widget)
        assert (expected, expected) == (
            _accepted(check, value),
            _accepted_hot(check, value),
        )
        assert "a product (_Widget)" == check.expect

    @given(st.one_of(st.integers(), st.binary(), st.builds(object)))
    def test_domain_marker_keeps_the_base_type(self, value):
        """Annotated[str, Domain(...)] still refuses values that are not str."""
        annotation = Annotated[str, Domain("test_checks_sku", "A stock-keeping unit.")]
        check = compile_check(annotation, 0)
        assert (False, False) == (_accepted(check, value), _accepted_hot(check, value))


class TestUnsupported:
    """Annotations without a run-time meaning."""

    @pytest.mark.parametrize(
        "annotation",
        [TypeVar("T"), list[TypeVar("U")], dict[str, TypeVar("V")] | None],
    )
    def test_raise_unsupported_annotation(self, annotation):
        """compile_check refuses annotations it cannot check."""
        with pytest.raises(UnsupportedAnnotationError):
            compile_check(annotation, 0)

    def test_make_event_definition_errors(self):
        """An event with such a field is refused at definition, naming the field."""
        body = {"__annotations__": {"item": TypeVar("T")}, "__module__": __name__}
        with pytest.raises(EventDefinitionError) as info:
            event(_unique("typevar"))(type("Generic", (), body))
        assert {"item"} == set(info.value.fields)
