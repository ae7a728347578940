"""Tests for commerce_events._annotations: the one reader of annotations."""

import collections.abc as cabc
import re
from typing import Annotated, Any, Literal, Optional, Union

import annotated_types as at
import attrs
import pytest
from attrs import validators as v

from commerce_events._annotations import (
    article,
    constraints,
    container_of,
    flatten,
    members,
    repeated_item,
    unwrap,
    within,
)
from commerce_events.domain import Domain, Product


class TestShapes:
    @pytest.mark.parametrize(
        ("annotation", "expected"),
        [
            (int, ([int], False)),
            (int | None, ([int], True)),
            (Optional[str], ([str], True)),  # noqa: UP045 - the old spelling too
            (Union[int, str, None], ([int, str], True)),  # noqa: UP007
            (Literal["a", None], ([Literal["a", None]], True)),
        ],
    )
    def test_members(self, annotation, expected):
        """A union's members without None, and whether None is admitted."""
        assert expected == members(annotation)

    @pytest.mark.parametrize(
        ("name", "expected"),
        [("order", "an order"), ("user", "a user"), ("item", "an item"),
         ("unit", "a unit"), ("umbrella", "an umbrella"), ("basket", "a basket")],
    )  # fmt: skip
    def test_article(self, name, expected):
        """One article rule: "a user", not "an user"."""
        assert expected == article(name)

    def test_unwrap(self):
        """Nested Annotated layers give their base, domain marker and bounds."""
        marker = Domain("test_annotations_sku")
        unwrapped = unwrap(Annotated[Annotated[str, marker, "doc"], at.MaxLen(8)])

        assert (str, marker) == (unwrapped.base, unwrapped.domain)
        assert (at.MaxLen(8),) == unwrapped.bounds
        assert unwrap(Product).domain is not None

    def test_interval_is_split(self):
        """An Interval reads as its bounds."""
        assert (at.Ge(0), at.Lt(5)) == unwrap(
            Annotated[int, at.Interval(ge=0, lt=5)]
        ).bounds

    @pytest.mark.parametrize(
        ("annotation", "concrete", "refuses_strings"),
        [
            (list[int], list, False),
            (cabc.Sequence[str], tuple, True),
            (cabc.Sequence, tuple, True),
            (cabc.Set[int], frozenset, False),
            (dict[str, int], dict, False),
        ],
    )
    def test_containers(self, annotation, concrete, refuses_strings):
        """One table of containers for every reader."""
        container = container_of(annotation)
        assert container is not None
        assert (concrete, refuses_strings) == (
            container.concrete,
            container.refuses_strings,
        )

    def test_not_a_container(self):
        assert container_of(int) is None

    def test_repeated_item(self):
        """tuple[X, ...] has a repeated item; tuple[X, Y] does not."""
        assert repeated_item(tuple[int, ...]) is int
        assert repeated_item(tuple[int, str]) is None
        assert repeated_item(list[int]) is None


class TestConstraints:
    def test_attrs_validators_become_annotated_types(self):
        """ge/lt/min_len/max_len read as annotated-types metadata, the tightest."""
        found = constraints(
            v.and_(v.ge(1), v.gt(0), v.lt(10), v.le(3), v.min_len(1), v.max_len(5))
        )
        assert (at.Ge(1), at.Le(3), at.MinLen(1), at.MaxLen(5)) == found.metadata

    def test_equal_bounds_exclusive_wins(self):
        assert at.Gt(1) == constraints([v.ge(1), v.gt(1)]).lower

    def test_options_pattern_optional(self):
        """in_, matches_re and optional() are read too."""
        found = constraints(
            v.optional([v.in_({"B", "A"}), v.matches_re(r"[AB]", func=re.match)])
        )
        assert (("A", "B"), True, "match") == (
            found.options,
            found.exhaustive,
            found.match,
        )

    def test_substring_options_are_not_exhaustive(self):
        """in_("abc") is a substring test: its letters qualify, not only they."""
        found = constraints(v.in_("ab"))
        assert (("a", "b"), False) == (found.options, found.exhaustive)

    def test_unknown_validators_promise_nothing(self):
        assert attrs.evolve(constraints(None)) == constraints(lambda i, a, x: None)

    def test_annotation_bounds_and_validators_merge(self):
        """Annotated bounds and validators combine, the tightest winning."""
        found = constraints(v.le(5), (at.Le(3), at.Ge(0)))
        assert (at.Ge(0), at.Le(3)) == (found.lower, found.upper)

    def test_flatten(self):
        """and_() and lists of validators are flattened, in order."""
        a, b, c = v.ge(0), v.le(1), v.instance_of(int)
        assert [a, b, c] == flatten([v.and_(a, b), c])

    @pytest.mark.parametrize(
        ("bounds", "value", "expected"),
        [
            ((at.Ge(0), at.Lt(2)), 1, True),
            ((at.Ge(0), at.Lt(2)), 2, False),
            ((at.MinLen(2),), "a", False),
            ((at.Gt(0),), "x", False),  # not comparable: refused, not raised
        ],
    )
    def test_within(self, bounds: Any, value: object, expected: bool):
        assert expected == within(bounds)(value)
