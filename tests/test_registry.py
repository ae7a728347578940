"""Tests for commerce_events._registry: the namespace, signal(), event, catalogue()."""

import attrs
import blinker
import pytest

import commerce_events
from commerce_events import (
    GROUPS,
    BasketAddition,
    BasketLineQuantityChanged,
    BasketLineRemoved,
    BasketsMerged,
    BasketViewed,
    CheckoutStepCompleted,
    EventNamespace,
    EventSignal,
    OrderCancelled,
    OrderLineStatusChanged,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
    OrderStatusChanged,
    PaymentFailed,
    PostCheckout,
    PostPayment,
    PrePayment,
    ProductSearch,
    ProductViewed,
    ReviewAdded,
    StartCheckout,
    UserLoggedIn,
    UserRegistered,
    VoucherAddition,
    VoucherDenied,
    VoucherRemoval,
    WishlistProductAdded,
    WishlistProductRemoved,
    catalogue,
    emit,
    event,
    field,
    namespace,
    signal,
    subscribe,
)
from commerce_events._registry import payload_spec, spec_for
from commerce_events.exceptions import (
    DuplicateEventError,
    EventDefinitionError,
    NotAPayloadError,
    PayloadError,
    UnknownEventError,
)

# The built-in events in registration order (the catalogue module's order),
# each with its group: the model catalogue() is checked against.
REGISTERED = (
    ("product_viewed", ProductViewed, "browsing"),
    ("product_search", ProductSearch, "browsing"),
    ("user_registered", UserRegistered, "customer"),
    ("user_logged_in", UserLoggedIn, "customer"),
    ("wishlist_product_added", WishlistProductAdded, "customer"),
    ("wishlist_product_removed", WishlistProductRemoved, "customer"),
    ("basket_viewed", BasketViewed, "basket"),
    ("basket_addition", BasketAddition, "basket"),
    ("basket_line_quantity_changed", BasketLineQuantityChanged, "basket"),
    ("basket_line_removed", BasketLineRemoved, "basket"),
    ("voucher_addition", VoucherAddition, "basket"),
    ("voucher_removal", VoucherRemoval, "basket"),
    ("voucher_denied", VoucherDenied, "basket"),
    ("baskets_merged", BasketsMerged, "basket"),
    ("start_checkout", StartCheckout, "checkout"),
    ("checkout_step_completed", CheckoutStepCompleted, "checkout"),
    ("pre_payment", PrePayment, "checkout"),
    ("payment_failed", PaymentFailed, "checkout"),
    ("post_payment", PostPayment, "checkout"),
    ("post_checkout", PostCheckout, "checkout"),
    ("order_placed", OrderPlaced, "order"),
    ("order_paid", OrderPaid, "order"),
    ("order_status_changed", OrderStatusChanged, "order"),
    ("order_line_status_changed", OrderLineStatusChanged, "order"),
    ("order_shipped", OrderShipped, "order"),
    ("order_cancelled", OrderCancelled, "order"),
    ("order_refunded", OrderRefunded, "order"),
    ("review_added", ReviewAdded, "review"),
)
BUILT_INS = {name: payload_type for name, payload_type, _group in REGISTERED}
GROUP_OF = {name: group for name, _payload_type, group in REGISTERED}


def group_order(group: str) -> tuple[int, str]:
    """The model's sort key of a group: GROUPS in order, then others by name."""
    return (GROUPS.index(group) if group in GROUPS else len(GROUPS), group)


@event("points_awarded_test_registry", aliases=("points_granted_test_registry",))
class PointsAwardedTestRegistry:
    """Raised when loyalty points are awarded (a custom event of these tests).

    Used to check that custom events behave like the built-in ones.
    """

    member: str = field(doc="The loyalty scheme member")
    points: int = field(doc="How many points were awarded")
    reason: str | None = field(default=None, doc="Why they were awarded")


@attrs.frozen
class NotRegistered:
    """An attrs class that was never registered as an event."""

    member: str


class TestEventNamespace:
    def test_is_a_blinker_namespace(self):
        """The library's namespace is a blinker.Namespace of its own."""
        assert isinstance(namespace, EventNamespace)
        assert isinstance(namespace, blinker.Namespace)
        assert namespace is not blinker.default_namespace
        assert namespace is commerce_events.namespace

    def test_built_ins_stay_out_of_blinker_default_namespace(self):
        """Registering events adds nothing to blinker's default namespace."""
        assert set() == set(BUILT_INS) & set(blinker.default_namespace)

    @pytest.mark.parametrize(("name", "payload_type"), sorted(BUILT_INS.items()))
    def test_name_maps_to_its_signal(self, name, payload_type):
        """namespace[name] is the event's signal, whose payload_type is its class."""
        sig = namespace[name]

        assert isinstance(sig, EventSignal)
        assert name == sig.name
        assert payload_type is sig.payload_type
        assert sig is namespace.signal(name)

    def test_alias_is_the_same_signal(self):
        """review_created is the very same signal object as review_added."""
        assert namespace["review_added"] is namespace["review_created"]
        assert namespace["review_added"] is namespace.signal("review_created")

    @pytest.mark.parametrize(
        "lookup",
        [namespace.__getitem__, namespace.signal, signal],
        ids=["getitem", "namespace.signal", "signal"],
    )
    def test_unknown_names_raise(self, lookup):
        """Looking up an unknown name raises UnknownEventError, a LookupError."""
        with pytest.raises(UnknownEventError) as info:
            lookup("nope_test_registry")

        assert isinstance(info.value, LookupError)
        assert "nope_test_registry" == info.value.event
        assert "nope_test_registry" in str(info.value)

    @pytest.mark.parametrize(
        "lookup",
        [namespace.__getitem__, namespace.signal, signal],
        ids=["getitem", "namespace.signal", "signal"],
    )
    def test_unknown_names_create_nothing(self, lookup):
        """A failed lookup never creates a signal."""
        before = dict(namespace)

        with pytest.raises(UnknownEventError):
            lookup("never_test_registry")

        assert "never_test_registry" not in namespace
        assert before == dict(namespace)

    @pytest.mark.parametrize(
        ("typo", "meant"),
        [
            ("prodcut_viewed", "product_viewed"),
            ("order_place", "order_placed"),
            ("review_creatd", "review_created"),
        ],
    )
    def test_typos_get_a_hint(self, typo, meant):
        """A near miss suggests the registered name it resembles."""
        with pytest.raises(UnknownEventError) as info:
            namespace[typo]

        assert "did you mean" in str(info.value)
        assert repr(meant) in str(info.value)

    def test_unrelated_names_get_no_hint(self):
        """A name resembling nothing gets no "did you mean" hint."""
        with pytest.raises(UnknownEventError) as info:
            namespace["zzz"]

        assert "did you mean" not in str(info.value)


class TestSignal:
    @pytest.mark.parametrize(("name", "payload_type"), sorted(BUILT_INS.items()))
    def test_by_class_and_by_name(self, name, payload_type):
        """signal(PayloadCls) and signal(name) both give the namespace's signal."""
        assert namespace[name] is signal(payload_type)
        assert namespace[name] is signal(name)

    def test_by_alias(self):
        """signal(alias) gives the aliased event's signal."""
        assert signal(ReviewAdded) is signal("review_created")

    @pytest.mark.parametrize("value", [NotRegistered, object, int])
    def test_unregistered_classes_raise(self, value):
        """signal() of a class that is not a registered payload raises."""
        with pytest.raises(NotAPayloadError):
            signal(value)


class TestSpecFor:
    """spec_for(): the one lookup of an event's spec."""

    def test_by_name_alias_and_class(self):
        spec = signal(ReviewAdded).spec
        assert spec is spec_for("review_added")
        assert spec is spec_for("review_created")
        assert spec is spec_for(ReviewAdded)

    def test_note_says_what_the_caller_takes(self):
        with pytest.raises(NotAPayloadError) as error:
            spec_for(NotRegistered, use="thing() takes a payload class")
        assert ["thing() takes a payload class"] == error.value.__notes__

    def test_payload_spec_names_the_object(self):
        """payload_spec() of a non-payload shows the object itself."""
        with pytest.raises(NotAPayloadError) as error:
            payload_spec(42)
        assert 42 == error.value.value


class TestNamespaceSignalDoc:
    def test_doc_documents_an_undocumented_event(self):
        """signal(name, doc=...) documents a signal whose class has no docstring."""

        @event("registry_undocumented_test")
        class Undocumented:
            n: int

        found = namespace.signal("registry_undocumented_test", doc="Points given.")

        assert "Points given." == found.__doc__

    def test_payload_docstring_wins(self):
        """The payload class's docstring stays the signal's documentation."""
        found = namespace.signal("review_added", doc="Something else.")

        assert "Something else." != found.__doc__
        assert signal(ReviewAdded).spec.doc.splitlines()[0] in (found.__doc__ or "")


class TestEvent:
    def test_without_a_name(self):
        """@event above a class without its name says how to write it."""
        with pytest.raises(EventDefinitionError) as error:

            @event  # type: ignore[arg-type]
            class PointsRedeemed:
                points: int

        assert '@event("points_redeemed")' in error.value.fields["<name>"]

    def test_custom_event_is_registered(self):
        """@event registers the class's signal under its name and aliases."""
        sig = namespace["points_awarded_test_registry"]

        assert isinstance(sig, EventSignal)
        assert PointsAwardedTestRegistry is sig.payload_type
        assert sig is signal(PointsAwardedTestRegistry)
        assert sig is namespace["points_granted_test_registry"]

    def test_custom_event_payload_validates(self):
        """A custom payload class validates its fields like a built-in."""
        with pytest.raises(PayloadError) as info:
            PointsAwardedTestRegistry(member="ann", points="many")

        assert ["points"] == list(info.value.fields)

    def test_custom_event_is_emittable_and_subscribable(self):
        """Custom events are emitted and subscribed to like built-ins."""
        calls = []
        subscribe(PointsAwardedTestRegistry, calls.append)
        payload = PointsAwardedTestRegistry(member="ann", points=10)

        emit(payload)

        assert [payload] == calls

    def test_custom_event_supports_oscar_style(self):
        """Custom events' signals take connect() and send() like built-ins."""
        calls = []
        sig = namespace["points_awarded_test_registry"]
        sig.connect(lambda sender, **fields: calls.append((sender, fields)))

        sig.send(sender="till", member="ann", points=10)

        fields = {"member": "ann", "points": 10, "reason": None, "signal": sig}
        assert [("till", fields)] == calls

    def test_duplicate_name_raises(self):
        """Registering a taken name raises DuplicateEventError."""

        class Again:
            member: str

        with pytest.raises(DuplicateEventError) as info:
            event("product_viewed")(Again)

        assert "product_viewed" == info.value.event
        assert ProductViewed is info.value.existing
        assert ProductViewed is namespace["product_viewed"].payload_type

    def test_duplicate_alias_raises(self):
        """An alias that is already a name raises DuplicateEventError."""

        class Again:
            member: str

        with pytest.raises(DuplicateEventError):
            event("fresh_test_registry", aliases=("review_created",))(Again)

        assert "fresh_test_registry" not in namespace

    def test_invalid_on_error_raises(self):
        """@event with an unknown on_error raises ValueError."""
        with pytest.raises(ValueError, match="on_error"):
            event("bad_policy_test_registry", on_error="ignore")

    @pytest.mark.parametrize("name", ["", "two words", "1st", "dash-ed"])
    def test_invalid_names_raise(self, name):
        """An event name must be an identifier."""
        with pytest.raises(EventDefinitionError):
            event(name)


class TestCatalog:
    def test_lists_every_registered_event(self):
        """catalogue() has one entry per registered event, aliases included."""
        specs = catalogue()
        names = {spec.name for spec in specs}
        aliases = {alias for spec in specs for alias in spec.aliases}

        # One entry per version; a name stands for its latest version.
        assert len(specs) == len({(spec.name, spec.version) for spec in specs})
        assert set(namespace) == names | aliases
        for spec in specs:
            latest = max(s.version for s in specs if s.name == spec.name)
            assert latest == namespace[spec.name].spec.version
        assert set(BUILT_INS) <= names
        assert "points_awarded_test_registry" in names

    def test_model_names_every_built_in(self):
        """The model of these tests names every event the catalogue registers."""
        assert set(BUILT_INS) == {
            spec.name
            for spec in catalogue()
            if spec.payload_type.__module__ == "commerce_events._catalogue"
        }

    def test_built_ins_come_by_group_then_in_registration_order(self):
        """The built-ins come by GROUPS, in registration order within a group."""
        expected = sorted(BUILT_INS, key=lambda name: GROUPS.index(GROUP_OF[name]))

        assert expected == [spec.name for spec in catalogue() if spec.name in BUILT_INS]

    def test_built_ins_have_their_groups(self):
        """Each built-in event belongs to the group of the model."""
        assert GROUP_OF == {
            spec.name: spec.group for spec in catalogue() if spec.name in BUILT_INS
        }

    def test_groups_are_contiguous_in_journey_order_then_by_name(self):
        """GROUPS come first in their order, other groups after them by name."""

        @event("late_test_registry_zz", group="zz_test_registry")
        class LateZz:
            n: int

        @event("late_test_registry_aa", group="aa_test_registry")
        class LateAa:
            n: int

        groups = [spec.group for spec in catalogue()]
        runs = [g for i, g in enumerate(groups) if i == 0 or groups[i - 1] != g]

        assert sorted(set(groups), key=group_order) == runs
        assert list(GROUPS) == runs[: len(GROUPS)]

    def test_later_events_join_the_end_of_their_group(self):
        """An event registered in a built-in group comes after the earlier ones."""

        @event("late_test_registry_shipment_delayed", group="order")
        class ShipmentDelayed:
            n: int

        @event("late_test_registry_shipment_lost", group="order")
        class ShipmentLost:
            n: int

        names = [spec.name for spec in catalogue() if spec.group == "order"]

        assert [n for n, *_ in REGISTERED if GROUP_OF[n] == "order"] == [
            n for n in names if n in BUILT_INS
        ]
        assert [
            "late_test_registry_shipment_delayed",
            "late_test_registry_shipment_lost",
        ] == names[-2:]

    def test_custom_events_default_to_the_custom_group(self):
        """@event without group= puts the event in the "custom" group."""
        spec = {spec.name: spec for spec in catalogue()}["points_awarded_test_registry"]

        assert "custom" == spec.group
        assert spec in catalogue("custom")

    @pytest.mark.parametrize("group", [*GROUPS, "custom", "no_such_group"])
    def test_group_argument_filters_in_the_same_order(self, group):
        """catalogue(group) is catalogue() restricted to that group, in order."""
        assert tuple(spec for spec in catalogue() if spec.group == group) == catalogue(
            group
        )

    def test_unknown_group_gives_nothing(self):
        """A group nobody uses gives an empty catalogue, not an error."""
        assert () == catalogue("no_such_group_test_registry")

    def test_entries_describe_the_event(self):
        """Each entry has the name, aliases, payload class and doc."""
        specs = {spec.name: spec for spec in catalogue()}

        for name, payload_type in BUILT_INS.items():
            assert payload_type is specs[name].payload_type
            assert specs[name].doc.startswith("Raised ")
        assert ("review_created",) == specs["review_added"].aliases
        assert () == specs["product_viewed"].aliases

    def test_entries_describe_the_fields(self):
        """Each entry lists its fields with required/optional and their docs."""
        spec = {spec.name: spec for spec in catalogue()}["product_viewed"]

        assert [
            ("product", True, "The product being viewed"),
            ("user", False, "The user in question"),
            ("request", False, "The request instance"),
            ("response", False, "The response instance"),
        ] == [(f.name, f.required, f.doc) for f in spec.fields]

    def test_custom_event_entry(self):
        """A custom event's entry is derived from its class like a built-in's."""
        spec = {spec.name: spec for spec in catalogue()}["points_awarded_test_registry"]

        assert PointsAwardedTestRegistry is spec.payload_type
        assert ("points_granted_test_registry",) == spec.aliases
        assert spec.doc.startswith("Raised when loyalty points are awarded")
        assert [
            ("member", True, "The loyalty scheme member"),
            ("points", True, "How many points were awarded"),
            ("reason", False, "Why they were awarded"),
        ] == [(f.name, f.required, f.doc) for f in spec.fields]
