"""Tests for commerce_events.testing: capture, isolation and the contract check."""

from __future__ import annotations

import pickle
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import commerce_events
from commerce_events import (
    OrderPlaced,
    ProductSearch,
    ProductViewed,
    StartCheckout,
    emit,
    event,
    field,
    signals,
    subscribe,
)
from commerce_events.exceptions import (
    NotAPayloadError,
    PayloadError,
    SubscriberError,
    SubscriberSignatureError,
)
from commerce_events.testing import (
    CapturedEvent,
    CapturedEvents,
    SubscriberContractError,
    capture_events,
    check_subscriber,
    isolated_subscriptions,
    performing_nothing,
    performing_only,
)
from commerce_events.testing import strategies as ces

BUILT_INS = tuple(
    getattr(commerce_events, name)
    for name in commerce_events.__all__
    if isinstance(getattr(commerce_events, name), type)
    and getattr(commerce_events, name).__module__ == "commerce_events._catalogue"
)

# Built-in payloads only: other test modules register events of their own.
built_in_payloads = st.sampled_from(BUILT_INS).flatmap(ces.payloads)


@event("testing_points_awarded")
class PointsAwarded:
    """Points were awarded to a loyalty-scheme member."""

    member: str = field(doc="The member's number")
    points: int = field(doc="How many points")


class View:
    """A stand-in for a web framework's view."""

    def __repr__(self) -> str:
        return "<View>"


class Mailer:
    """Has a bound-method subscriber."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def on_order(self, payload: OrderPlaced) -> None:
        self.sent.append(payload)


class TestCaptureEvents:
    @given(st.lists(built_in_payloads, max_size=8), st.sampled_from([None, View()]))
    def test_records_every_emit_in_order(self, payloads, sender):
        """Every emitted payload is recorded, with its sender, in emission order."""
        with capture_events() as captured:
            for payload in payloads:
                emit(payload, sender=sender)

        assert [(p, sender, i) for i, p in enumerate(payloads)] == [
            (r.payload, r.sender, r.index) for r in captured.events
        ]

    @given(st.lists(built_in_payloads, max_size=8))
    def test_filters_by_exact_class(self, payloads):
        """Given classes, only payloads of exactly those classes are recorded."""
        with capture_events(OrderPlaced, ProductViewed) as captured:
            for payload in payloads:
                emit(payload)

        assert [p for p in payloads if type(p) in (OrderPlaced, ProductViewed)] == list(
            captured.payloads
        )

    def test_records_events_registered_later(self):
        """Capturing everything includes events registered after it started."""
        with capture_events() as captured:

            @event("testing_registered_during_capture")
            class Late:
                n: int

            emit(Late(n=1))

        assert [Late(n=1)] == list(captured.payloads)

    def test_records_oscar_style_sends(self):
        """``signal.send(sender, **fields)`` is recorded like ``emit``."""
        view = View()
        with capture_events(ProductViewed) as captured:
            signals.product_viewed.send(sender=view, product="p")

        assert [(ProductViewed(product="p"), view)] == [
            (r.payload, r.sender) for r in captured
        ]

    def test_records_emits_whose_subscribers_fail(self):
        """An emit is recorded before its subscribers run, even if they fail."""

        def fail(payload: ProductSearch) -> None:
            raise RuntimeError

        subscribe(ProductSearch, fail)
        with capture_events() as captured, pytest.raises(SubscriberError):
            emit(ProductSearch(query="a"))

        assert [ProductSearch(query="a")] == list(captured.payloads)

    def test_does_not_record_muted_emits(self):
        """A muted signal delivers nothing, so nothing is recorded."""
        with capture_events() as captured, signals.product_search.muted():
            emit(ProductSearch(query="b"))

        assert 0 == len(captured)

    def test_records_the_metadata(self):
        """Each record carries its emit's metadata (id, time, event name)."""
        with capture_events() as captured:
            emit(ProductSearch(query="a"))
            emit(ProductSearch(query="b"))

        first, second = captured.events
        assert "product_search" == first.metadata.event
        assert first.metadata.id != second.metadata.id

    def test_does_not_record_invalid_sends(self):
        """A send rejected by validation delivered nothing, so nothing is recorded."""
        with capture_events() as captured, pytest.raises(PayloadError):
            signals.product_viewed.send(None, product=None)

        assert 0 == len(captured)

    def test_stops_recording_on_exit_and_keeps_records(self):
        """After the block, emits are not recorded and the records stay."""
        with capture_events() as captured:
            emit(ProductSearch(query="in"))
        emit(ProductSearch(query="out"))

        assert [ProductSearch(query="in")] == list(captured.payloads)

    def test_subscribers_still_run(self):
        """Capturing does not change what subscribers receive."""
        received: list[Any] = []
        subscribe(ProductSearch, received.append)

        with capture_events():
            emit(ProductSearch(query="q"))

        assert [ProductSearch(query="q")] == received

    def test_nested_captures_both_record(self):
        """Nested captures each record what they are asked to."""
        with capture_events() as outer:
            with capture_events(ProductSearch) as inner:
                emit(ProductSearch(query="q"))
                emit(StartCheckout(request="r"))
            emit(ProductSearch(query="after"))

        assert (3, 1) == (len(outer), len(inner))

    def test_cannot_be_entered_twice(self):
        """Entering a recorder that is already recording is an error."""
        with (
            capture_events() as captured,
            pytest.raises(RuntimeError, match="already recording"),
            captured,
        ):
            pass

    def test_rejects_non_payload_classes(self):
        """Asking to capture a class that is not an event fails at once."""
        with pytest.raises(NotAPayloadError):
            capture_events(View)

    def test_clear_forgets_and_restarts_indexes(self):
        """``clear`` drops the records; the next one is index 0 again."""
        with capture_events() as captured:
            emit(ProductSearch(query="a"))
            captured.clear()
            emit(ProductSearch(query="b"))

        assert [(ProductSearch(query="b"), 0)] == [
            (r.payload, r.index) for r in captured.events
        ]

    def test_of_type_returns_payloads_of_that_class(self):
        """``of_type`` returns the payloads of exactly that class, in order."""
        with capture_events() as captured:
            emit(ProductSearch(query="a"))
            emit(OrderPlaced(order="o"))
            emit(ProductSearch(query="b"))

        assert ["a", "b"] == [p.query for p in captured.of_type(ProductSearch)]

    def test_of_type_of_an_uncaptured_class_fails(self):
        """Asking about a class the recorder does not capture is an error."""
        with capture_events(ProductSearch) as captured:
            pass

        with pytest.raises(ValueError, match="OrderPlaced is not captured"):
            captured.of_type(OrderPlaced)

    def test_threads_are_recorded_with_distinct_indexes(self):
        """Emits from several threads are all recorded, each with its own index."""

        def work(n: int) -> None:
            for i in range(50):
                emit(PointsAwarded(member=str(n), points=i))

        with capture_events() as captured:
            threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        assert list(range(200)) == [r.index for r in captured.events]

    def test_repr_says_what_is_captured(self):
        """The recorder's repr names what it captures and how much it holds."""
        with capture_events(ProductSearch) as captured:
            emit(ProductSearch(query="a"))

        assert "<CapturedEvents of ProductSearch: 1 recorded>" == repr(captured)
        assert "<CapturedEvents of every event: 0 recorded>" == repr(capture_events())


class TestCapturedEvent:
    def test_event_is_the_event_name(self):
        """A record knows its event's name."""
        record = CapturedEvent(payload=OrderPlaced(order="o"), sender=None, index=0)

        assert "order_placed" == record.event

    def test_is_immutable(self):
        """Records are frozen."""
        record = CapturedEvent(payload=OrderPlaced(order="o"), sender=None, index=0)

        with pytest.raises(AttributeError):
            record.index = 1  # type: ignore[misc]


@pytest.fixture(name="captured")
def _captured() -> CapturedEvents:
    view = View()
    with capture_events() as captured:
        emit(ProductSearch(query="shoes"), sender=view)
        emit(OrderPlaced(order="o-1", user="alice"), sender=view)
        emit(OrderPlaced(order="o-2"))
        emit(StartCheckout(request="secret-cookie"))
    return captured


class TestAssertEmitted:
    def test_returns_the_first_match(self, captured):
        """A match returns the first matching payload."""
        assert OrderPlaced(order="o-1", user="alice") == captured.assert_emitted(
            OrderPlaced
        )

    def test_matches_fields_and_sender(self, captured):
        """Fields are compared with ``==``, and ``sender`` matches the emitter."""
        assert "o-2" == captured.assert_emitted(OrderPlaced, user=None).order
        assert (
            "shoes"
            == (
                captured.assert_emitted(ProductSearch, sender=captured.events[0].sender)
            ).query
        )

    def test_failure_shows_what_was_emitted(self, captured):
        """A failure lists what was emitted and how same-class events differ."""
        with pytest.raises(AssertionError) as error:
            captured.assert_emitted(OrderPlaced, order="o-3")

        assert (
            "OrderPlaced(order='o-3') was not emitted.\n"
            "Emitted (4):\n"
            "  [0] ProductSearch(query='shoes', user=None, session=None) from <View>\n"
            "  [1] OrderPlaced(order='o-1', user='alice') from <View>\n"
            "        order: expected 'o-3', got 'o-1'\n"
            "  [2] OrderPlaced(order='o-2', user=None)\n"
            "        order: expected 'o-3', got 'o-2'\n"
            "  [3] StartCheckout(request=<str>, email=None)"
        ) == str(error.value)

    def test_failure_with_sender_shows_the_sender(self, captured):
        """A sender mismatch is shown too."""
        with pytest.raises(AssertionError, match="sender: expected 'x', got <View>"):
            captured.assert_emitted(ProductSearch, sender="x")

    def test_failure_hides_sensitive_values(self, captured):
        """Sensitive fields (requests) are shown by type only."""
        with pytest.raises(AssertionError) as error:
            captured.assert_emitted(StartCheckout, request="other-secret")

        assert "secret" not in str(error.value)
        assert "request: expected <str>, got <str>" in str(error.value)

    def test_failure_when_nothing_was_emitted(self):
        """With nothing recorded, the failure says so."""
        with capture_events() as captured:
            pass

        with pytest.raises(AssertionError) as error:
            captured.assert_emitted(OrderPlaced)

        assert "OrderPlaced() was not emitted.\nNothing was emitted." == str(
            error.value
        )

    def test_long_recordings_are_shortened(self):
        """Only the first twenty events are listed."""
        with capture_events() as captured:
            for i in range(25):
                emit(ProductSearch(query=str(i)))

        with pytest.raises(AssertionError) as error:
            captured.assert_emitted(OrderPlaced)

        assert str(error.value).endswith("  ... and 5 more")

    def test_unknown_field_is_an_error(self, captured):
        """Matching on a field the event does not have raises, naming it."""
        with pytest.raises(PayloadError) as error:
            captured.assert_emitted(OrderPlaced, odrer="o-1")

        assert ["odrer"] == list(error.value.fields)

    def test_uncaptured_class_is_an_error(self):
        """Asserting on a class the capture ignores is an error, not a pass."""
        with capture_events(ProductSearch) as captured:
            pass

        with pytest.raises(ValueError, match="not captured"):
            captured.assert_not_emitted(OrderPlaced)


class TestAssertEmittedOnce:
    def test_returns_the_only_match(self, captured):
        """Exactly one match returns it."""
        assert "alice" == captured.assert_emitted_once(OrderPlaced, order="o-1").user

    def test_several_matches_fail(self, captured):
        """Two matches fail, saying where they are."""
        with pytest.raises(
            AssertionError, match=r"emitted 2 times, expected once \(at \[1\], \[2\]\)"
        ):
            captured.assert_emitted_once(OrderPlaced)

    def test_no_match_fails(self, captured):
        """No match fails."""
        with pytest.raises(AssertionError, match="was not emitted"):
            captured.assert_emitted_once(OrderPlaced, order="nope")


class TestAssertNotEmitted:
    def test_passes_when_nothing_matches(self, captured):
        """No matching event passes."""
        captured.assert_not_emitted(ProductViewed)
        captured.assert_not_emitted(OrderPlaced, order="o-3")

    def test_fails_listing_the_matches(self, captured):
        """A matching event fails, listing the matches."""
        with pytest.raises(AssertionError) as error:
            captured.assert_not_emitted(OrderPlaced, user=None)

        assert (
            "OrderPlaced(user=None) was emitted 1 time(s), expected never:\n"
            "  [2] OrderPlaced(order='o-2', user=None)"
        ) == str(error.value)


class TestIsolatedSubscriptions:
    def test_undoes_subscriptions_made_inside(self):
        """Subscribers added inside the block are gone after it."""
        received: list[Any] = []
        with isolated_subscriptions():
            subscribe(ProductSearch, received.append)
        emit(ProductSearch(query="q"))

        assert [] == received

    def test_restores_subscribers_removed_inside(self):
        """Subscribers removed inside the block are back after it, even on error."""
        received: list[Any] = []
        subscribe(ProductSearch, received.append)
        with pytest.raises(KeyError), isolated_subscriptions():
            commerce_events.unsubscribe(ProductSearch, received.append)
            raise KeyError
        emit(ProductSearch(query="q"))

        assert [ProductSearch(query="q")] == received


class TestPerformingOnly:
    def test_runs_only_the_chosen_subscribers(self):
        """Only the chosen subscribers (typed or connected) run in the block."""
        calls: list[str] = []

        def typed(payload: OrderPlaced) -> None:
            calls.append("typed")

        def other(payload: OrderPlaced) -> None:
            calls.append("other")

        def receiver(sender: object, **fields: object) -> None:
            calls.append("receiver")

        subscribe(OrderPlaced, typed)
        subscribe(OrderPlaced, other)
        signals.order_placed.connect(receiver)

        with performing_only(typed, receiver):
            emit(OrderPlaced(order="o"))
        assert ["typed", "receiver"] == calls

        calls.clear()
        emit(OrderPlaced(order="o"))
        assert ["typed", "other", "receiver"] == calls

    def test_keeps_sender_filters_and_priorities(self):
        """The chosen subscribers keep their sender filter and priority."""
        calls: list[str] = []
        view = View()

        def low(payload: OrderPlaced) -> None:
            calls.append("low")

        def high(payload: OrderPlaced) -> None:
            calls.append("high")

        subscribe(OrderPlaced, low)
        subscribe(OrderPlaced, high, priority=10, sender=view)

        with performing_only(low, high):
            emit(OrderPlaced(order="o"), sender=view)
            emit(OrderPlaced(order="o"))

        assert ["high", "low", "low"] == calls

    def test_works_with_bound_methods(self):
        """A bound-method subscriber is chosen by the same bound method."""
        mailer = Mailer()
        subscribe(OrderPlaced, mailer.on_order)

        with performing_only(mailer.on_order):
            emit(OrderPlaced(order="o"))

        assert [OrderPlaced(order="o")] == mailer.sent

    def test_unsubscribed_subscriber_is_an_error(self):
        """Choosing a function that is not subscribed anywhere is an error."""

        def nowhere(payload: object) -> None: ...

        with pytest.raises(ValueError, match=r"not subscribed to any event: .*nowhere"):
            performing_only(nowhere).__enter__()

    def test_subscriptions_made_inside_are_undone(self):
        """Subscribing inside the block works, and is undone on exit."""
        received: list[Any] = []
        with performing_only():
            subscribe(ProductSearch, received.append)
            emit(ProductSearch(query="in"))
        emit(ProductSearch(query="out"))

        assert [ProductSearch(query="in")] == received


class TestPerformingNothing:
    def test_runs_no_subscriber_but_still_records(self):
        """No subscriber runs; captures still record; everything is back after."""
        received: list[Any] = []
        subscribe(ProductSearch, received.append)

        with capture_events() as captured, performing_nothing():
            emit(ProductSearch(query="in"))
        emit(ProductSearch(query="out"))

        assert [ProductSearch(query="out")] == received
        assert [ProductSearch(query="in")] == list(captured.payloads)


def robust(payload: ProductSearch) -> None:
    """Handles every search."""
    str(payload.query)


def picky(payload: ProductSearch) -> None:
    """Fails on queries of two characters or more."""
    if len(payload.query) >= 2:
        raise ValueError(payload.query)


class TestCheckSubscriber:
    def test_passes_for_a_subscriber_that_never_fails(self):
        """A subscriber that handles every valid payload passes."""
        check_subscriber(ProductSearch, robust)

    def test_reports_the_smallest_failing_payload(self):
        """A failing subscriber is reported with the smallest failing payload."""
        with pytest.raises(SubscriberContractError) as error:
            check_subscriber(ProductSearch, picky)

        assert ProductSearch(query="00") == error.value.payload
        assert isinstance(error.value.__cause__, ValueError)
        assert (
            "picky fails on a valid ProductSearch:\n"
            "  smallest failing payload: ProductSearch(query='00', user=None, session=None)\n"
            "  raised: ValueError: 00"
        ) == str(error.value)

    def test_error_pickles(self):
        """The error survives pickling, keeping its attributes."""
        with pytest.raises(SubscriberContractError) as error:
            check_subscriber(ProductSearch, picky)

        copy = pickle.loads(pickle.dumps(error.value))  # noqa: S301

        assert (ProductSearch, picky, ProductSearch(query="00")) == (
            copy.payload_type,
            copy.subscriber,
            copy.payload,
        )

    def test_calls_oscar_style_receivers_with_fields(self):
        """With ``oscar_style``, the receiver gets the sender and every field."""
        calls: list[tuple[object, dict[str, object]]] = []

        def receiver(sender: object, **fields: object) -> None:
            calls.append((sender, fields))

        check_subscriber(
            ProductSearch,
            receiver,
            oscar_style=True,
            sender="view",
            settings=settings(max_examples=5),
        )

        assert calls
        assert all(
            s == "view" and {"query", "user", "session"} == f.keys() for s, f in calls
        )

    def test_uses_the_given_payloads_and_settings(self):
        """Custom payload strategies and settings are honoured."""
        seen: list[ProductSearch] = []

        check_subscriber(
            ProductSearch,
            seen.append,
            payloads=ces.payloads(ProductSearch, query="fixed"),
            settings=settings(max_examples=7, database=None),
        )

        assert 1 <= len(seen) <= 7
        assert {"fixed"} == {p.query for p in seen}

    def test_rejects_subscribers_that_cannot_subscribe(self):
        """A subscriber with the wrong signature fails before any payload is drawn."""

        def wrong(payload: ProductSearch, extra: int) -> None: ...

        with pytest.raises(SubscriberSignatureError):
            check_subscriber(ProductSearch, wrong)

    def test_rejects_non_payload_classes(self):
        """A class that is not an event is refused."""
        with pytest.raises(NotAPayloadError):
            check_subscriber(View, robust)

    def test_leaves_no_subscription_behind(self):
        """Checking a subscriber does not subscribe it."""
        check_subscriber(ProductSearch, robust, settings=settings(max_examples=2))

        assert not signals.product_search.receivers


class TestHiddenFieldsInCaptureMessages:
    def test_repr_false_values_never_appear(self):
        """A field declared repr=False shows its type only in assertion messages."""

        @commerce_events.event("card_charged_capture_test")
        class CardCharged:
            card: str = commerce_events.field(repr=False)

        with capture_events(CardCharged) as captured:
            commerce_events.emit(CardCharged(card="4111111111111111"))
        with pytest.raises(AssertionError) as info:
            captured.assert_emitted(CardCharged, card="4000000000000002")
        message = str(info.value)
        assert "4111111111111111" not in message
        assert "4000000000000002" not in message
        assert "<str>" in message
