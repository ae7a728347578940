"""Tests for commerce_events._domain (and commerce_events.domain): domain objects."""

import itertools
import typing
from typing import Annotated, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import commerce_events
from commerce_events import declare_domain_classes, domain, event, field
from commerce_events._payload import spec_of
from commerce_events.domain import Domain, Line, Order, User, domain_classes
from commerce_events.exceptions import (
    DomainClassError,
    PayloadError,
    UnknownDomainError,
)

_counter = itertools.count()


def _unique(label: str) -> str:
    """Return a name no other test registers."""
    return f"test_domain_{label}_{next(_counter)}"


class _Order:
    """The shop's order class."""


class _SpecialOrder(_Order):
    """A subclass of the shop's order class."""


class _Customer:
    """The shop's user class."""


class _Anonymous:
    """The shop's anonymous user class."""


class _Line:
    """The shop's order line class."""


_Loyalty = Annotated[Any, Domain("test_domain_loyalty", "A loyalty-scheme member.")]


@event("test_domain_shipment")
class Shipment:
    """An event holding domain objects."""

    order: Order = field(doc="The order shipped")
    line: Line | None = field(default=None, doc="One line of it")
    member: _Loyalty | None = None


_OBJECTS = st.one_of(
    st.integers(),
    st.text(),
    st.binary(),
    st.builds(object),
    st.builds(_Order),
    st.builds(_SpecialOrder),
    st.builds(_Customer),
    st.builds(_Line),
    st.lists(st.integers(), max_size=2),
)

_ALIASES = {
    "Basket": ("basket", False),
    "Line": ("line", False),
    "Order": ("order", False),
    "Product": ("product", False),
    "Request": ("request", True),
    "Response": ("response", True),
    "Review": ("review", False),
    "Session": ("session", True),
    "User": ("user", False),
    "View": ("view", False),
    "Voucher": ("voucher", False),
    "Wishlist": ("wishlist", False),
}


def _ensure(**classes: Any) -> None:
    """Declare *classes* unless they are declared already (declaring recompiles)."""
    current = domain_classes()
    wanted = {n: c if isinstance(c, tuple) else (c,) for n, c in classes.items()}
    if any(current.get(n) != c for n, c in wanted.items()):
        declare_domain_classes(**classes)


def _marker(alias: Any) -> Domain:
    """The Domain marker of an Annotated alias."""
    (marker,) = [m for m in typing.get_args(alias)[1:] if isinstance(m, Domain)]
    return marker


class TestDomain:
    """The Domain marker and the aliases built on it."""

    @pytest.mark.parametrize(("alias", "expected"), sorted(_ALIASES.items()))
    def test_aliases_are_annotated_any_with_a_domain(self, alias, expected):
        """Each alias is Annotated[Any, Domain]; only request/response are sensitive."""
        annotation = getattr(domain, alias)
        assert Any is typing.get_args(annotation)[0]
        marker = _marker(annotation)
        assert expected == (marker.name, marker.sensitive)
        assert marker.doc

    def test_public_module_exports(self):
        """commerce_events.domain exports the aliases, Domain and domain_classes;
        declare_domain_classes is exported by commerce_events alone."""
        expected = {*_ALIASES, "Domain", "domain_classes"}
        assert expected == set(domain.__all__)
        assert not hasattr(domain, "declare_domain_classes")
        assert "declare_domain_classes" in commerce_events.__all__

    def test_classes_is_none_until_declared(self):
        """A domain's classes() is None until declared, then the declared tuple."""
        marker = _marker(Order)
        assert None is marker.classes()
        declare_domain_classes(order=_Order)
        assert (_Order,) == marker.classes()

    def test_new_domain_can_be_declared(self):
        """Creating a Domain makes its name known to declare_domain_classes."""
        name = _unique("new")
        with pytest.raises(UnknownDomainError):
            declare_domain_classes(**{name: _Order})
        marker = Domain(name, "A new domain.")
        declare_domain_classes(**{name: _Order})
        assert (_Order,) == marker.classes()

    def test_is_frozen(self):
        """Domain markers cannot be modified."""
        marker = _marker(Order)
        with pytest.raises(AttributeError):
            marker.name = "other"  # type: ignore[misc]


class TestUndeclared:
    """Before any declaration: any non-None object is a domain object."""

    @given(_OBJECTS, st.one_of(st.none(), _OBJECTS), st.one_of(st.none(), _OBJECTS))
    def test_any_non_none_object_is_accepted(self, order, line, member):
        """Domain fields accept any non-None object, kept as given."""
        payload = Shipment(order=order, line=line, member=member)
        assert (order, line, member) == (payload.order, payload.line, payload.member)
        assert order is payload.order

    def test_required_domain_field_refuses_none(self):
        """A required domain field refuses None even before any declaration."""
        with pytest.raises(PayloadError) as info:
            Shipment(order=None)
        assert {"order"} == set(info.value.fields)


class TestDeclareDomainClasses:
    """declare_domain_classes: isinstance checks for domain fields."""

    @given(_OBJECTS, st.one_of(st.none(), _OBJECTS))
    def test_isinstance_is_enforced(self, order, line):
        """Declared classes (and subclasses) are accepted, others name their field."""
        _ensure(order=_Order, line=_Line)
        offending = {
            name
            for name, value in (("order", order), ("line", line))
            if value is not None
            and not isinstance(value, (_Order, _Line)[name == "line"])
        }
        if offending:
            with pytest.raises(PayloadError) as info:
                Shipment(order=order, line=line)
            assert offending == set(info.value.fields)
        else:
            assert order is Shipment(order=order, line=line).order

    @given(st.one_of(st.builds(_Customer), st.builds(_Anonymous), st.builds(_Order)))
    def test_tuple_declares_several_classes(self, user):
        """A tuple declares several classes, each accepted."""
        _ensure(user=(_Customer, _Anonymous))
        if isinstance(user, _Order):
            with pytest.raises(PayloadError) as info:
                commerce_events.OrderPlaced(order=object(), user=user)
            assert {"user"} == set(info.value.fields)
        else:
            assert user is commerce_events.OrderPlaced(order=object(), user=user).user

    # Each example declares twice (declaring recompiles every payload class),
    # so fewer examples, each checking several objects.
    @settings(max_examples=max(10, settings.default.max_examples // 5))
    @given(st.lists(_OBJECTS, min_size=1, max_size=8))
    def test_none_resets_to_any_object(self, orders):
        """Declaring None for a domain makes it accept any object again."""
        _ensure(order=_Order)
        declare_domain_classes(order=None)
        assert "order" not in domain_classes()
        assert all(order is Shipment(order=order).order for order in orders)

    def test_optional_domain_field_still_admits_none(self):
        """After declaration, an optional domain field still admits None."""
        declare_domain_classes(order=_Order, line=_Line)
        assert None is Shipment(order=_Order(), line=None).line

    def test_required_domain_field_still_refuses_none(self):
        """After declaration, a required domain field still refuses None."""
        declare_domain_classes(order=_Order)
        with pytest.raises(PayloadError) as info:
            Shipment(order=None)
        assert {"order"} == set(info.value.fields)

    def test_applies_to_events_defined_later(self):
        """Payload classes defined after a declaration enforce it too."""
        declare_domain_classes(order=_Order)

        @event(_unique("later"))
        class Later:
            order: Order

        with pytest.raises(PayloadError) as info:
            Later(order=object())
        assert {"order"} == set(info.value.fields)

    def test_applies_to_custom_domains(self):
        """A custom Domain used in a payload is enforced once declared."""
        declare_domain_classes(test_domain_loyalty=_Customer)
        with pytest.raises(PayloadError) as info:
            Shipment(order=_Order(), member=_Anonymous())
        assert {"member"} == set(info.value.fields)

    @given(st.sampled_from(["order", "line", "user"]))
    def test_other_domains_are_untouched(self, name):
        """Declaring one domain leaves the other domains' declarations alone."""
        _ensure(order=_Order, line=_Line, user=_Customer)
        before = dict(domain_classes())
        declare_domain_classes(**{name: _Anonymous})
        assert {**before, name: (_Anonymous,)} == dict(domain_classes())

    def test_domain_classes_reports_declarations(self):
        """domain_classes maps each declared domain to its tuple of classes."""
        declare_domain_classes(order=None, user=None)
        declare_domain_classes(order=_Order, user=(_Customer, _Anonymous))
        declared = domain_classes()
        assert ((_Order,), (_Customer, _Anonymous)) == (
            declared["order"],
            declared["user"],
        )

    def test_domain_classes_returns_a_copy(self):
        """Changing the mapping returned by domain_classes changes nothing."""
        declare_domain_classes(order=None)
        declared = domain_classes()
        declared["order"] = (_Order,)  # type: ignore[index]
        assert "order" not in domain_classes()

    def test_expect_follows_the_declaration(self):
        """A field spec's expect is recomputed after a declaration."""
        spec = spec_of(Shipment)
        assert spec is not None
        order = spec.fields[0]
        assert (True, False) == ("order" in order.expect, "_Order" in order.expect)
        declare_domain_classes(order=(_Order, _Line))
        assert "(_Order | _Line)" in order.expect

    def test_error_message_names_the_declared_classes(self):
        """A refused domain object's reason names the declared classes."""
        declare_domain_classes(order=_Order)
        with pytest.raises(PayloadError) as info:
            Shipment(order=_Line())
        assert "_Order" in info.value.fields["order"]


_KNOWN = st.sampled_from(["order", "line", "user", "product"])
# Names with spaces: no domain is ever named like that.
_UNKNOWN = st.text(max_size=10).map(lambda s: f"no such domain {s}")


class TestDeclarationErrors:
    """Bad declarations raise and change nothing."""

    @given(st.dictionaries(_KNOWN, st.sampled_from([_Order, _Line])), _UNKNOWN)
    def test_unknown_domain_raises_and_declares_nothing(self, good, unknown):
        """An unknown domain name raises UnknownDomainError and nothing is declared."""
        before = dict(domain_classes())
        with pytest.raises(UnknownDomainError) as info:
            declare_domain_classes(**good, **{unknown: _Order})
        assert unknown == info.value.domain
        assert {"order", "product", "request"} <= set(info.value.known)
        assert before == dict(domain_classes())

    @given(
        st.dictionaries(_KNOWN, st.sampled_from([_Order, _Line])),
        _KNOWN,
        st.one_of(
            st.integers(),
            st.text(),
            st.just(()),
            st.just(list[int]),
            st.builds(_Order),
            st.tuples(st.just(_Order), st.integers()),
        ),
    )
    def test_non_class_raises_and_declares_nothing(self, good, name, value):
        """A value that is not a class or tuple of classes raises DomainClassError."""
        before = dict(domain_classes())
        with pytest.raises(DomainClassError) as info:
            declare_domain_classes(**{**good, name: value})
        assert (name, value) == (info.value.domain, info.value.value)
        assert before == dict(domain_classes())

    def test_user_alias_is_the_user_domain(self):
        """The User alias is checked against the declared user classes."""
        declare_domain_classes(user=_Customer)
        with pytest.raises(PayloadError):
            commerce_events.OrderPlaced(order=_Order(), user=_Order())
        assert "user" == _marker(User).name
