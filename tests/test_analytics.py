"""Tests for commerce_events.analytics: Segment and GA4 names of the events."""

import re

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import commerce_events
from commerce_events import (
    OrderPlaced,
    PostCheckout,
    ProductViewed,
    ReviewAdded,
    event,
    field,
    namespace,
)
from commerce_events.analytics import ANALYTICS_NAMES, AnalyticsNames, analytics_names
from commerce_events.exceptions import NotAPayloadError, UnknownEventError

BUILT_INS = tuple(
    spec
    for spec in commerce_events.catalogue()
    if spec.payload_type.__module__ == "commerce_events._catalogue"
)
NO_NAMES = AnalyticsNames(segment=None, ga4=None)

# GA4: up to 40 characters, letters, digits and underscores, starting with a
# letter (recommended events are lower-case snake_case).
GA4_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Segment's e-commerce spec: Object Action in Title Case ("Product Added to
# Wishlist": short prepositions stay lower-case).
SEGMENT_NAME = re.compile(r"[A-Z][a-z]+( ([A-Z][a-z]+|to|from))+")


@event("analytics_points_awarded", aliases=("analytics_points_granted",))
class PointsAwarded:
    """A custom event: the table knows nothing about it."""

    member: str = field(doc="The loyalty scheme member")


@attrs.frozen
class NotRegistered:
    """An attrs class that was never registered as an event."""

    member: str


def _spec_id(spec: commerce_events.PayloadSpec) -> str:
    return spec.name


class TestAnalyticsNamesTable:
    def test_every_built_in_has_an_entry(self):
        """Each built-in event has an entry in ANALYTICS_NAMES."""
        assert {spec.name for spec in BUILT_INS} <= set(ANALYTICS_NAMES)

    def test_every_entry_is_a_built_in(self):
        """No entry names an unregistered, aliased or custom event."""
        assert set(ANALYTICS_NAMES) <= {spec.name for spec in BUILT_INS}

    @pytest.mark.parametrize("name", sorted(ANALYTICS_NAMES))
    def test_entries_are_keyed_by_the_canonical_name(self, name):
        """Each key is the name its event is registered under, not an alias."""
        assert name == namespace[name].name

    @pytest.mark.parametrize("name", sorted(ANALYTICS_NAMES))
    def test_names_follow_each_service_conventions(self, name):
        """Segment names are Title Case words, GA4 names lower-case snake_case."""
        names = ANALYTICS_NAMES[name]

        assert isinstance(names, AnalyticsNames)
        assert names.segment is None or SEGMENT_NAME.fullmatch(names.segment)
        assert names.ga4 is None or GA4_NAME.fullmatch(names.ga4)

    @pytest.mark.parametrize("service", ["segment", "ga4"])
    def test_no_two_events_share_a_name(self, service):
        """An analytics event comes from one built-in only: nothing counts twice."""
        names = [getattr(n, service) for n in ANALYTICS_NAMES.values()]
        given_names = [n for n in names if n is not None]

        assert len(set(given_names)) == len(given_names)

    def test_is_read_only(self):
        """The table cannot be changed at run time."""
        with pytest.raises(TypeError):
            ANALYTICS_NAMES["order_placed"] = NO_NAMES  # type: ignore[index]

        assert (
            AnalyticsNames("Order Completed", "purchase")
            == (ANALYTICS_NAMES["order_placed"])
        )

    def test_entries_are_frozen(self):
        """An entry's names cannot be changed either."""
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            ANALYTICS_NAMES["order_placed"].ga4 = "refund"  # type: ignore[misc]


class TestDocumentedMappings:
    @pytest.mark.parametrize(
        ("name", "segment", "ga4"),
        [
            ("product_viewed", "Product Viewed", "view_item"),
            ("basket_addition", "Product Added", "add_to_cart"),
            ("basket_line_removed", "Product Removed", "remove_from_cart"),
            ("start_checkout", "Checkout Started", "begin_checkout"),
            ("order_placed", "Order Completed", "purchase"),
            ("order_refunded", "Order Refunded", "refund"),
        ],
    )
    def test_commerce_events_map_to_both_services(self, name, segment, ga4):
        """The e-commerce events have their Segment and GA4 names."""
        assert AnalyticsNames(segment, ga4) == analytics_names(name)

    def test_post_checkout_maps_to_nothing(self):
        """The thank-you page is no second purchase: post_checkout has no names."""
        assert NO_NAMES == analytics_names("post_checkout")
        assert NO_NAMES == analytics_names(PostCheckout)

    def test_quantity_changes_map_to_nothing(self):
        """A quantity change is an addition or a removal: the table cannot tell."""
        assert NO_NAMES == analytics_names("basket_line_quantity_changed")

    @pytest.mark.parametrize(
        ("name", "ga4"), [("user_registered", "sign_up"), ("user_logged_in", "login")]
    )
    def test_accounts_are_outside_segment_ecommerce(self, name, ga4):
        """Registering and logging in have GA4 names only."""
        assert AnalyticsNames(None, ga4) == analytics_names(name)


class TestAnalyticsNamesLookup:
    @pytest.mark.parametrize("spec", BUILT_INS, ids=_spec_id)
    def test_by_name_and_by_class(self, spec):
        """A built-in event resolves by its name and by its payload class."""
        expected = ANALYTICS_NAMES[spec.name]

        assert expected == analytics_names(spec.name)
        assert expected == analytics_names(spec.payload_type)

    def test_by_alias(self):
        """review_created resolves to review_added's names."""
        assert ANALYTICS_NAMES["review_added"] == analytics_names("review_created")
        assert analytics_names(ReviewAdded) == analytics_names("review_created")

    def test_agrees_with_the_table(self):
        """The lookup returns the table's own entries, not copies of them."""
        assert ANALYTICS_NAMES["product_viewed"] is analytics_names(ProductViewed)
        assert ANALYTICS_NAMES["order_placed"] is analytics_names("order_placed")

    @pytest.mark.parametrize(
        "lookup",
        [PointsAwarded, "analytics_points_awarded", "analytics_points_granted"],
        ids=["class", "name", "alias"],
    )
    def test_custom_events_have_no_names(self, lookup):
        """A custom event gives (None, None), by class, name or alias."""
        assert NO_NAMES == analytics_names(lookup)

    def test_events_registered_later_have_no_names(self):
        """An event registered after the module was imported gives (None, None)."""

        @event("analytics_registered_late")
        class Late:
            n: int

        assert NO_NAMES == analytics_names(Late)
        assert NO_NAMES == analytics_names("analytics_registered_late")

    def test_unknown_names_raise(self):
        """A name no event has raises UnknownEventError with a hint."""
        with pytest.raises(UnknownEventError) as info:
            analytics_names("order_plcaed")

        assert "order_plcaed" == info.value.event
        assert "'order_placed'" in str(info.value).partition("did you mean")[2]

    @given(st.text())
    def test_any_unregistered_name_raises(self, name):
        """Every string is either a registered name or alias, or raises."""
        if name in namespace:
            expected = ANALYTICS_NAMES.get(namespace[name].name, NO_NAMES)
            assert expected == analytics_names(name)
        else:
            with pytest.raises(UnknownEventError):
                analytics_names(name)
            assert name not in namespace

    @given(st.sampled_from(sorted(namespace)))
    def test_any_registered_name_resolves_like_its_signal(self, name):
        """Every registered name or alias gives its event's entry, or none."""
        expected = ANALYTICS_NAMES.get(namespace[name].name, NO_NAMES)

        assert expected == analytics_names(name)

    @pytest.mark.parametrize("value", [NotRegistered, object, OrderPlaced(order="o")])
    def test_unregistered_classes_raise(self, value):
        """A class (or object) that is not a registered payload class raises."""
        with pytest.raises(NotAPayloadError):
            analytics_names(value)
