"""Tests for commerce_events._registry: the namespace, signal(), event, catalog()."""

import attrs
import blinker
import pytest

import commerce_events
from commerce_events import (
    BasketAddition,
    EventNamespace,
    EventSignal,
    OrderPlaced,
    PostCheckout,
    PostPayment,
    PrePayment,
    ProductSearch,
    ProductViewed,
    ReviewAdded,
    StartCheckout,
    UserRegistered,
    VoucherAddition,
    catalog,
    emit,
    event,
    field,
    namespace,
    signal,
    subscribe,
)
from commerce_events.exceptions import (
    DuplicateEventError,
    EventDefinitionError,
    NotAPayloadError,
    PayloadError,
    UnknownEventError,
)

BUILT_INS = {
    "product_viewed": ProductViewed,
    "product_search": ProductSearch,
    "user_registered": UserRegistered,
    "basket_addition": BasketAddition,
    "voucher_addition": VoucherAddition,
    "start_checkout": StartCheckout,
    "pre_payment": PrePayment,
    "post_payment": PostPayment,
    "order_placed": OrderPlaced,
    "post_checkout": PostCheckout,
    "review_added": ReviewAdded,
}


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


class TestEvent:
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

        assert [("till", {"member": "ann", "points": 10, "reason": None})] == calls

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
        """catalog() has one entry per registered event, aliases included."""
        specs = catalog()
        names = {spec.name for spec in specs}
        aliases = {alias for spec in specs for alias in spec.aliases}

        assert len(specs) == len(names)
        assert set(namespace) == names | aliases
        assert set(BUILT_INS) <= names
        assert "points_awarded_test_registry" in names

    def test_built_ins_come_in_registration_order(self):
        """The built-in events are listed first, in their registration order."""
        assert list(BUILT_INS) == [spec.name for spec in catalog()][: len(BUILT_INS)]

    def test_entries_describe_the_event(self):
        """Each entry has the name, aliases, payload class and doc."""
        specs = {spec.name: spec for spec in catalog()}

        for name, payload_type in BUILT_INS.items():
            assert payload_type is specs[name].payload_type
            assert specs[name].doc.startswith("Raised ")
        assert ("review_created",) == specs["review_added"].aliases
        assert () == specs["product_viewed"].aliases

    def test_entries_describe_the_fields(self):
        """Each entry lists its fields with required/optional and their docs."""
        spec = {spec.name: spec for spec in catalog()}["product_viewed"]

        assert [
            ("product", True, "The product being viewed"),
            ("user", False, "The user in question"),
            ("request", False, "The request instance"),
            ("response", False, "The response instance"),
        ] == [(f.name, f.required, f.doc) for f in spec.fields]

    def test_custom_event_entry(self):
        """A custom event's entry is derived from its class like a built-in's."""
        spec = {spec.name: spec for spec in catalog()}["points_awarded_test_registry"]

        assert PointsAwardedTestRegistry is spec.payload_type
        assert ("points_granted_test_registry",) == spec.aliases
        assert spec.doc.startswith("Raised when loyalty points are awarded")
        assert [
            ("member", True, "The loyalty scheme member"),
            ("points", True, "How many points were awarded"),
            ("reason", False, "Why they were awarded"),
        ] == [(f.name, f.required, f.doc) for f in spec.fields]
