"""Tests for commerce_events._dispatch: subscribing, ordering, senders, failures."""

import asyncio
import gc
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

import attrs
import blinker
import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce_events import (
    ANY,
    EventSignal,
    OrderPlaced,
    PrePayment,
    ProductViewed,
    bridges,
    emit,
    emit_async,
    event,
    field,
    set_async_bridge,
    set_default_on_error,
    signal,
    subscribe,
    unsubscribe,
)
from commerce_events.exceptions import (
    AsyncDeliveryError,
    NotAPayloadError,
    PayloadError,
    SubscriberError,
)


@event("parcel_logged_test_dispatch", on_error="log")
class ParcelLoggedTestDispatch:
    """Raised in these tests: an event whose own failure policy is "log"."""

    parcel: str = field(doc="The parcel's reference")


@attrs.frozen
class NotRegistered:
    """An attrs class that was never registered as an event."""

    product: int


class CheckoutView:
    """Stands for a web framework view class (a sender)."""


class ExpressCheckoutView(CheckoutView):
    """A subclass of CheckoutView."""


class BasketView:
    """Another, unrelated view class."""


def _product() -> object:
    return object()


@pytest.fixture(name="sig")
def _sig() -> EventSignal:
    return signal(ProductViewed)


@pytest.fixture(name="payload")
def _payload() -> ProductViewed:
    return ProductViewed(product=_product())


class TestEmit:
    def test_emit_delivers_to_every_subscriber(self, payload):
        """Every subscriber of the event receives the payload."""
        calls = []
        subscribe(ProductViewed, lambda p: calls.append(("a", p)))
        subscribe(ProductViewed, lambda p: calls.append(("b", p)))

        emit(payload)

        assert [("a", payload), ("b", payload)] == calls

    def test_emit_does_not_deliver_other_events(self, payload):
        """Subscribers of another event are not called."""
        calls = []
        subscribe(OrderPlaced, calls.append)

        emit(payload)

        assert [] == calls

    def test_emit_passes_the_sender_to_oscar_receivers(self, sig, payload):
        """Oscar-style receivers get the emit's sender as first argument."""
        senders = []
        sig.connect(lambda sender, **fields: senders.append(sender))

        emit(payload, sender="catalogue")
        emit(payload)

        assert ["catalogue", None] == senders

    @pytest.mark.parametrize(
        "value",
        [object(), {"product": 1}, ProductViewed, NotRegistered(product=1), None],
        ids=["object", "dict", "payload-class", "unregistered-attrs", "none"],
    )
    def test_non_payloads_raise(self, value):
        """emit() of anything but a registered payload raises NotAPayloadError."""
        with pytest.raises(NotAPayloadError) as info:
            emit(value)

        assert value is info.value.value


class TestOrdering:
    def test_higher_priority_runs_first(self, payload):
        """Subscribers run by descending priority."""
        calls = []
        subscribe(ProductViewed, lambda p: calls.append("low"), priority=-1)
        subscribe(ProductViewed, lambda p: calls.append("mid"))
        subscribe(ProductViewed, lambda p: calls.append("high"), priority=10)

        emit(payload)

        assert ["high", "mid", "low"] == calls

    def test_equal_priorities_run_in_subscription_order(self, payload):
        """Subscribers of equal priority run in the order they subscribed."""
        calls = []
        for name in ["a", "b", "c", "d"]:
            subscribe(ProductViewed, lambda p, name=name: calls.append(name))

        emit(payload)

        assert ["a", "b", "c", "d"] == calls

    def test_typed_and_oscar_receivers_share_one_order(self, sig, payload):
        """Typed subscribers and connect() receivers interleave in one order."""
        calls = []
        subscribe(ProductViewed, lambda p: calls.append("typed-1"))
        sig.connect(lambda sender, **f: calls.append("oscar-1"))
        subscribe(ProductViewed, lambda p: calls.append("typed-2"))
        sig.connect(lambda sender, **f: calls.append("oscar-high"), priority=5)

        emit(payload)

        assert ["oscar-high", "typed-1", "oscar-1", "typed-2"] == calls

    def test_resubscribing_keeps_the_position(self, payload):
        """Subscribing a function again keeps its place and delivers once."""
        calls = []

        def first(p):
            calls.append("first")

        def second(p):
            calls.append("second")

        subscribe(ProductViewed, first)
        subscribe(ProductViewed, second)
        subscribe(ProductViewed, first)
        emit(payload)

        assert ["first", "second"] == calls

    def test_resubscribing_updates_the_priority(self, payload):
        """Subscribing a function again with a new priority re-sorts it."""
        calls = []

        def first(p):
            calls.append("first")

        def second(p):
            calls.append("second")

        subscribe(ProductViewed, first)
        subscribe(ProductViewed, second)
        subscribe(ProductViewed, second, priority=1)
        emit(payload)

        assert ["second", "first"] == calls

    def test_resubscribing_updates_the_failure_policy(self, payload, caplog):
        """Subscribing a function again with a new on_error changes its policy."""

        def failing(p):
            raise RuntimeError("boom")

        subscribe(ProductViewed, failing, on_error="raise")
        subscribe(ProductViewed, failing, on_error="log")

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            emit(payload)

        assert 1 == len(caplog.records)

    @given(
        kinds=st.lists(st.booleans(), min_size=6, max_size=6),
        ops=st.lists(
            st.tuples(
                st.sampled_from(["subscribe", "unsubscribe"]),
                st.integers(0, 5),
                st.integers(-3, 3),
            ),
            max_size=25,
        ),
    )
    def test_delivery_order_matches_the_model(self, kinds, ops):
        """Delivery follows (-priority, first subscription index) after any ops."""
        sig = signal(ProductViewed)
        calls = []
        receivers: list[Callable[..., Any]] = []
        for index, typed in enumerate(kinds):
            if typed:

                def receiver(p, index=index):
                    calls.append(index)

            else:

                def receiver(sender, index=index, **fields):
                    calls.append(index)

            receivers.append(receiver)

        model: dict[int, tuple[int, int]] = {}
        counter = 0
        try:
            for op, index, priority in ops:
                receiver = receivers[index]
                if op == "subscribe":
                    if kinds[index]:
                        subscribe(ProductViewed, receiver, priority=priority)
                    else:
                        sig.connect(receiver, priority=priority)
                    seq = model[index][1] if index in model else counter
                    counter += 1
                    model[index] = (-priority, seq)
                else:
                    sig.disconnect(receiver)
                    model.pop(index, None)
            expected = sorted(model, key=model.__getitem__)

            emit(ProductViewed(product=1))
            in_order = [r for r in sig.receivers_for(None) if r in receivers]

            assert expected == calls
            assert [receivers[i] for i in expected] == in_order
        finally:
            for receiver in receivers:
                sig.disconnect(receiver)


class TestSenderFiltering:
    def test_sender_filter_receives_only_that_sender(self, sig):
        """A subscription for sender X ignores emits from other senders."""
        calls = []
        view, other = CheckoutView(), CheckoutView()
        subscribe(PrePayment, lambda p: calls.append(p.view), sender=view)

        emit(PrePayment(view=view), sender=view)
        emit(PrePayment(view=other), sender=other)
        emit(PrePayment(view=other))

        assert [view] == calls

    def test_string_senders_match_by_value(self):
        """A string sender matches an equal string that is another object."""
        calls = []
        subscribe(OrderPlaced, lambda p: calls.append(p.order), sender="web")

        emit(OrderPlaced(order=1), sender="".join(["w", "e", "b"]))
        emit(OrderPlaced(order=2), sender="api")

        assert [1] == calls

    def test_int_senders_match_by_value(self):
        """An int sender matches an equal int that is another object."""
        calls = []
        subscribe(OrderPlaced, lambda p: calls.append(p.order), sender=1_000_001)

        emit(OrderPlaced(order=1), sender=int("1000001"))
        emit(OrderPlaced(order=2), sender=1_000_002)

        assert [1] == calls

    def test_class_sender_matches_instances(self):
        """A class given as sender also receives emits from its instances."""
        calls = []
        subscribe(PrePayment, lambda p: calls.append(p.view), sender=CheckoutView)
        checkout, express, basket = CheckoutView(), ExpressCheckoutView(), BasketView()

        for view in (checkout, express, basket):
            emit(PrePayment(view=view), sender=view)

        assert [checkout, express] == calls

    def test_class_sender_matches_the_class_itself(self):
        """A class given as sender receives emits whose sender is that class."""
        calls = []
        subscribe(PrePayment, lambda p: calls.append(p.view), sender=CheckoutView)
        view = CheckoutView()

        emit(PrePayment(view=view), sender=CheckoutView)

        assert [view] == calls

    def test_oscar_receiver_class_sender_matches_instances(self, sig, payload):
        """connect() with a class as sender also matches its instances."""
        senders = []
        sig.connect(lambda sender, **f: senders.append(sender), sender=CheckoutView)
        view = ExpressCheckoutView()

        emit(payload, sender=view)
        emit(payload, sender=BasketView())

        assert [view] == senders

    def test_any_receives_everything(self):
        """A subscription for ANY receives emits from every sender."""
        calls = []
        subscribe(OrderPlaced, lambda p: calls.append(p.order), sender=ANY)

        emit(OrderPlaced(order=1), sender="web")
        emit(OrderPlaced(order=2), sender=CheckoutView())
        emit(OrderPlaced(order=3))

        assert [1, 2, 3] == calls

    def test_disconnecting_one_sender_keeps_the_others(self):
        """unsubscribe(sender=X) keeps the subscription for other senders."""
        calls = []

        def on_order(p):
            calls.append(p.order)

        subscribe(OrderPlaced, on_order, sender="web")
        subscribe(OrderPlaced, on_order, sender="api")
        unsubscribe(OrderPlaced, on_order, sender="web")

        emit(OrderPlaced(order=1), sender="web")
        emit(OrderPlaced(order=2), sender="api")

        assert [2] == calls

    def test_disconnecting_a_class_sender_stops_its_instances(self):
        """unsubscribe(sender=Cls) also stops emits from instances of Cls."""
        calls = []

        def on_pay(p):
            calls.append(p.view)

        subscribe(PrePayment, on_pay, sender=CheckoutView)
        subscribe(PrePayment, on_pay, sender=BasketView)
        unsubscribe(PrePayment, on_pay, sender=CheckoutView)
        checkout, basket = CheckoutView(), BasketView()

        emit(PrePayment(view=checkout), sender=checkout)
        emit(PrePayment(view=basket), sender=basket)

        assert [basket] == calls

    def test_unsubscribed_class_sender_is_forgotten(self):
        """After a full unsubscribe, a new sender class replaces the old one."""
        calls = []

        def on_pay(p):
            calls.append(p.view)

        subscribe(PrePayment, on_pay, sender=CheckoutView)
        unsubscribe(PrePayment, on_pay)
        subscribe(PrePayment, on_pay, sender=BasketView)
        checkout, basket = CheckoutView(), BasketView()

        emit(PrePayment(view=checkout), sender=checkout)
        emit(PrePayment(view=basket), sender=basket)

        assert [basket] == calls

    def test_sender_and_any_deliver_once(self):
        """A function subscribed for ANY and for X is called once per emit."""
        calls = []

        def on_order(p):
            calls.append(p.order)

        subscribe(OrderPlaced, on_order)
        subscribe(OrderPlaced, on_order, sender="web")

        emit(OrderPlaced(order=1), sender="web")

        assert [1] == calls

    @given(
        subscriptions=st.lists(st.sampled_from(["web", "api", "app"]), max_size=3),
        senders=st.lists(st.sampled_from(["web", "api", "app", "pos"]), max_size=6),
    )
    def test_sender_filtering_matches_the_model(self, subscriptions, senders):
        """A receiver gets exactly the emits whose sender it subscribed for."""
        calls = []

        def on_order(p):
            calls.append(p.order)

        try:
            for sender in subscriptions:
                subscribe(OrderPlaced, on_order, sender=sender)
            for index, sender in enumerate(senders):
                emit(OrderPlaced(order=index), sender=sender)
        finally:
            unsubscribe(OrderPlaced, on_order)

        expected = [i for i, s in enumerate(senders) if s in subscriptions]
        assert expected == calls


class Listener:
    """An object whose bound method subscribes."""

    def __init__(self) -> None:
        self.calls: list[object] = []

    def on_view(self, payload):
        self.calls.append(payload)

    def receive(self, sender, **fields):
        self.calls.append(sender)


class TestReferences:
    def test_nested_functions_are_held_strongly(self, sig, payload):
        """A decorated function defined inside a function survives gc."""
        calls = []

        def install():
            @subscribe(ProductViewed)
            def on_view(p):
                calls.append(p)

            sig.connect(lambda sender, **f: calls.append(sender))

        install()
        gc.collect()
        emit(payload, sender="shop")

        assert [payload, "shop"] == calls

    def test_bound_methods_are_held_weakly(self, sig, payload):
        """Subscribing obj.method does not keep obj alive nor connected."""
        listener = Listener()
        ref = weakref.ref(listener)
        before = len(sig.receivers)
        subscribe(ProductViewed, listener.on_view)
        assert before + 1 == len(sig.receivers)

        del listener
        gc.collect()
        emit(payload)

        assert None is ref()
        assert before == len(sig.receivers)
        assert [] == list(sig.receivers_for(None))

    def test_connected_bound_methods_are_held_weakly(self, sig, payload):
        """connect(obj.method) does not keep obj alive nor connected."""
        listener = Listener()
        ref = weakref.ref(listener)
        sig.connect(listener.receive)

        del listener
        gc.collect()
        emit(payload)

        assert None is ref()
        assert not sig.receivers

    def test_live_bound_methods_are_called(self, payload):
        """A bound method is called while its object lives."""
        listener = Listener()
        subscribe(ProductViewed, listener.on_view)

        emit(payload)

        assert [payload] == listener.calls

    def test_weak_true_lets_functions_go(self, sig, payload):
        """weak=True makes a function's subscription vanish with the function."""
        calls = []

        def install():
            def on_view(p):
                calls.append(p)

            subscribe(ProductViewed, on_view, weak=True)

        install()
        gc.collect()
        emit(payload)

        assert [] == calls
        assert not sig.receivers

    def test_weak_false_keeps_objects_alive(self, sig, payload):
        """weak=False holds a bound method, and so its object, strongly."""
        listener = Listener()
        ref = weakref.ref(listener)
        subscribe(ProductViewed, listener.on_view, weak=False)

        del listener
        gc.collect()
        emit(payload)

        assert None is not ref()
        assert [payload] == ref().calls


class TestFailures:
    def test_every_subscriber_runs_despite_failures(self, payload):
        """A failing subscriber does not keep later ones from running."""
        calls = []

        def failing(p):
            calls.append("failing")
            raise RuntimeError("boom")

        subscribe(ProductViewed, lambda p: calls.append("before"))
        subscribe(ProductViewed, failing)
        subscribe(ProductViewed, lambda p: calls.append("after"))

        with pytest.raises(SubscriberError):
            emit(payload)

        assert ["before", "failing", "after"] == calls

    def test_failures_are_raised_together(self, sig, payload):
        """All failures come in one SubscriberError, in delivery order."""
        first, second = RuntimeError("first"), KeyError("second")

        def fails_first(p):
            raise first

        def fails_second(sender, **fields):
            raise second

        subscribe(ProductViewed, fails_first)
        subscribe(ProductViewed, lambda p: None)
        sig.connect(fails_second)

        with pytest.raises(SubscriberError) as info:
            emit(payload)

        error = info.value
        assert isinstance(error, ExceptionGroup)
        assert "product_viewed" == error.event
        assert payload is error.payload
        assert ((fails_first, first), (fails_second, second)) == error.failures
        assert (first, second) == error.exceptions

    def test_failures_carry_a_note(self, payload):
        """Each raised exception has a note naming its subscriber and event."""
        exc = RuntimeError("boom")

        def failing(p):
            raise exc

        subscribe(ProductViewed, failing)

        with pytest.raises(SubscriberError):
            emit(payload)

        notes = getattr(exc, "__notes__", [])
        assert 1 == len(notes)
        assert failing.__qualname__ in notes[0]
        assert "product_viewed" in notes[0]

    def test_send_raises_failures_after_the_fan_out(self, sig):
        """signal.send() also runs everyone, then raises the failures."""
        calls = []

        def failing(sender, **fields):
            raise RuntimeError("boom")

        sig.connect(failing)
        sig.connect(lambda sender, **f: calls.append(sender))

        with pytest.raises(SubscriberError) as info:
            sig.send("shop", product=_product())

        assert ["shop"] == calls
        assert [failing] == [sub for sub, _ in info.value.failures]

    def test_log_policy_logs_and_does_not_raise(self, payload, caplog):
        """on_error="log" logs the failure at ERROR with traceback, never raises."""
        exc = RuntimeError("boom")
        calls = []

        def failing(p):
            raise exc

        subscribe(ProductViewed, failing, on_error="log")
        subscribe(ProductViewed, calls.append)

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            emit(payload)

        assert [payload] == calls
        [record] = caplog.records
        assert "commerce_events" == record.name
        assert logging.ERROR == record.levelno
        assert exc is record.exc_info[1]
        assert "product_viewed" == record.event_name
        assert failing.__qualname__ in record.subscriber
        assert failing.__qualname__ in record.getMessage()
        assert "product_viewed" in record.getMessage()

    def test_logged_failure_is_the_send_result(self, sig, caplog):
        """send() returns the logged exception as the failing receiver's value."""
        exc = RuntimeError("boom")

        def failing(sender, **fields):
            raise exc

        sig.connect(failing, on_error="log")

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            result = sig.send("shop", product=_product())

        assert [(failing, exc)] == result

    def test_library_default_log(self, payload, caplog):
        """set_default_on_error("log") makes failures logged library-wide."""

        def failing(p):
            raise RuntimeError("boom")

        subscribe(ProductViewed, failing)
        subscribe(OrderPlaced, failing)
        set_default_on_error("log")

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            emit(payload)
            emit(OrderPlaced(order=1))

        assert ["product_viewed", "order_placed"] == [
            r.event_name for r in caplog.records
        ]

    def test_event_default_log(self, payload, caplog):
        """set_default_on_error("log", Cls) only affects that event."""

        def failing(p):
            raise RuntimeError("boom")

        subscribe(ProductViewed, failing)
        subscribe(OrderPlaced, failing)
        set_default_on_error("log", ProductViewed)

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            emit(payload)
            with pytest.raises(SubscriberError):
                emit(OrderPlaced(order=1))

        assert ["product_viewed"] == [r.event_name for r in caplog.records]

    def test_event_decorator_on_error(self, caplog):
        """@event(..., on_error="log") makes that event's failures logged."""

        def failing(p):
            raise RuntimeError("boom")

        subscribe(ParcelLoggedTestDispatch, failing)

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            emit(ParcelLoggedTestDispatch(parcel="P-1"))

        assert ["parcel_logged_test_dispatch"] == [r.event_name for r in caplog.records]

    def test_subscription_raise_beats_event_decorator_log(self):
        """on_error="raise" on a subscription overrides @event(on_error="log")."""

        def failing(p):
            raise RuntimeError("boom")

        subscribe(ParcelLoggedTestDispatch, failing, on_error="raise")

        with pytest.raises(SubscriberError):
            emit(ParcelLoggedTestDispatch(parcel="P-1"))

    @pytest.mark.parametrize(
        ("subscription", "per_event", "library", "expected"),
        [
            (None, None, None, "raise"),
            (None, None, "log", "log"),
            (None, "log", None, "log"),
            (None, "raise", "log", "raise"),
            ("raise", "log", "log", "raise"),
            ("log", "raise", "raise", "log"),
            ("log", None, None, "log"),
        ],
    )
    def test_policy_resolution(
        self, payload, caplog, subscription, per_event, library, expected
    ):
        """The policy is the subscription's, else the event's, else the library's."""

        def failing(p):
            raise RuntimeError("boom")

        subscribe(ProductViewed, failing, on_error=subscription)
        if per_event is not None:
            set_default_on_error(per_event, ProductViewed)
        if library is not None:
            set_default_on_error(library)

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            try:
                emit(payload)
            except SubscriberError:
                actual = "raise"
            else:
                actual = "log" if caplog.records else "lost"

        assert expected == actual

    @given(
        plan=st.lists(
            st.tuples(
                st.booleans(),
                st.booleans(),
                st.sampled_from([None, "raise", "log"]),
            ),
            min_size=1,
            max_size=8,
        )
    )
    def test_no_failure_is_lost(self, plan):
        """Whichever subscribers fail, all run and each failure is raised or logged."""
        sig = signal(OrderPlaced)
        calls: list[int] = []
        receivers: list[Callable[..., Any]] = []
        errors: dict[int, Exception] = {}
        for index, (fails, typed, _policy) in enumerate(plan):
            if fails:
                errors[index] = RuntimeError(f"failure {index}")

            def act(index=index):
                calls.append(index)
                if index in errors:
                    raise errors[index]

            if typed:

                def receiver(p, act=act):
                    act()

            else:

                def receiver(sender, act=act, **fields):
                    act()

            receivers.append(receiver)

        records: list[logging.LogRecord] = []
        handler = logging.Handler(logging.ERROR)
        handler.emit = records.append  # type: ignore[method-assign]
        logger = logging.getLogger("commerce_events")
        logger.addHandler(handler)
        raised: list[tuple[Callable[..., Any], Exception]] = []
        try:
            for receiver, (_fails, typed, policy) in zip(receivers, plan, strict=True):
                if typed:
                    subscribe(OrderPlaced, receiver, on_error=policy)
                else:
                    sig.connect(receiver, on_error=policy)
            try:
                emit(OrderPlaced(order=1))
            except SubscriberError as exc:
                raised = list(exc.failures)
        finally:
            logger.removeHandler(handler)
            for receiver in receivers:
                sig.disconnect(receiver)

        expected_raised = [
            (receivers[i], errors[i]) for i in errors if plan[i][2] != "log"
        ]
        expected_logged = [errors[i] for i in errors if plan[i][2] == "log"]
        assert list(range(len(plan))) == calls
        assert expected_raised == raised
        assert expected_logged == [r.exc_info[1] for r in records if r.exc_info]


class TestEventSignalSend:
    def test_django_style_receivers_get_the_sender_by_keyword(self):
        """A receiver taking a field first (Oscar's voucher counters) gets sender=."""
        received = []

        def track_voucher_addition(basket, voucher, **kwargs):
            received.append((basket, voucher, kwargs))

        voucher_addition = signal("voucher_addition")
        voucher_addition.connect(track_voucher_addition)
        voucher_addition.send("voucher-view", basket="basket-1", voucher="V")

        # As Django does: sender= by keyword, and signal= for **kwargs.
        assert [
            ("basket-1", "V", {"sender": "voucher-view", "signal": voucher_addition})
        ] == received

    def test_django_style_async_receivers_get_the_sender_by_keyword(self):
        """An async receiver taking a field first gets sender= from emit_async too."""
        received = []

        async def track(basket, voucher, **kwargs):
            received.append(kwargs["sender"])

        signal("voucher_addition").connect(track)
        asyncio.run(
            signal("voucher_addition").send_async("view", basket="b", voucher="v")
        )

        assert ["view"] == received

    def test_positional_sender(self, sig):
        """send(sender, **fields) delivers with that sender."""
        senders = []
        sig.connect(lambda sender, **f: senders.append(sender))

        sig.send("view", product=_product())

        assert ["view"] == senders

    def test_keyword_sender(self, sig):
        """send(sender=view, **fields), Oscar's form, delivers with that sender."""
        senders = []
        sig.connect(lambda sender, **f: senders.append(sender))

        sig.send(sender="view", product=_product())

        assert ["view"] == senders

    def test_send_returns_receivers_and_values(self, sig):
        """send() returns blinker's [(receiver, return value)] in delivery order."""

        def typed(p):
            return "typed"

        def oscar(sender, **fields):
            return "oscar"

        subscribe(ProductViewed, typed)
        sig.connect(oscar, priority=1)

        assert [(oscar, "oscar"), (typed, "typed")] == sig.send(
            "view", product=_product()
        )

    def test_send_builds_the_payload_for_typed_subscribers(self, sig):
        """Typed subscribers get a payload built from send()'s fields."""
        calls = []
        subscribe(ProductViewed, calls.append)
        product, user = _product(), _product()

        sig.send("view", product=product, user=user)

        assert [ProductViewed(product=product, user=user)] == calls

    def test_oscar_receivers_get_every_field(self, sig):
        """Oscar-style receivers get every field, None values included, and signal=."""
        calls = []
        sig.connect(lambda sender, **fields: calls.append((sender, fields)))
        product = _product()

        sig.send("view", product=product)

        expected = {
            "product": product,
            "user": None,
            "request": None,
            "response": None,
            "signal": sig,
        }
        assert [("view", expected)] == calls

    @pytest.mark.parametrize(
        "fields",
        [{}, {"product": None}, {"product": 1, "colour": "red"}],
        ids=["missing", "none", "unknown"],
    )
    def test_invalid_fields_call_nobody(self, sig, fields):
        """send() with invalid fields raises PayloadError before any receiver."""
        calls = []
        sig.connect(lambda sender, **f: calls.append(sender))
        subscribe(ProductViewed, calls.append)

        with pytest.raises(PayloadError):
            sig.send("view", **fields)

        assert [] == calls


class TestBlinkerCompatibility:
    def test_signals_are_named_signals(self, sig):
        """Each event's signal is a blinker.NamedSignal named after the event."""
        assert isinstance(sig, EventSignal)
        assert isinstance(sig, blinker.NamedSignal)
        assert "product_viewed" == sig.name

    def test_receivers_reflect_subscriptions(self, sig):
        """signal.receivers is truthy exactly while something is subscribed."""

        def on_view(p):
            pass

        assert not sig.receivers
        subscribe(ProductViewed, on_view)
        assert sig.receivers
        unsubscribe(ProductViewed, on_view)
        assert not sig.receivers

    def test_has_receivers_for(self, sig):
        """has_receivers_for() tells whether an emit from a sender reaches anyone."""
        subscribe(ProductViewed, lambda p: None, sender="web")

        assert not sig.has_receivers_for("api")
        assert sig.has_receivers_for("web")

        subscribe(ProductViewed, lambda p: None)

        assert sig.has_receivers_for("api")

    def test_has_receivers_for_class_sender_instances(self, sig):
        """has_receivers_for(instance) is true when a class sender matches it."""
        subscribe(ProductViewed, lambda p: None, sender=CheckoutView)

        assert sig.has_receivers_for(CheckoutView())
        assert not sig.has_receivers_for(BasketView())

    def test_receivers_for_yields_in_delivery_order(self, sig):
        """receivers_for() yields the matching receivers in delivery order."""

        def low(p):
            pass

        def high(sender, **fields):
            pass

        def web_only(p):
            pass

        subscribe(ProductViewed, low, priority=-1)
        sig.connect(high, priority=1)
        subscribe(ProductViewed, web_only, sender="web")

        assert [high, web_only, low] == list(sig.receivers_for("web"))
        assert [high, low] == list(sig.receivers_for("api"))

    def test_connected_to(self, sig):
        """blinker's connected_to() connects Oscar-style for the block only."""
        senders = []

        def receive(sender, **fields):
            senders.append(sender)

        with sig.connected_to(receive):
            sig.send("inside", product=_product())
        sig.send("outside", product=_product())

        assert ["inside"] == senders

    def test_connect_via(self, sig):
        """blinker's connect_via() connects Oscar-style for one sender."""
        senders = []

        @sig.connect_via("web")
        def receive(sender, **fields):
            senders.append(sender)

        sig.send("web", product=_product())
        sig.send("api", product=_product())

        assert ["web"] == senders

    def test_connect_returns_the_receiver(self, sig):
        """connect() returns the receiver, as blinker's does."""

        def receive(sender, **fields):
            pass

        assert receive is sig.connect(receive)

    def test_receiver_connected_meta_signal(self, sig):
        """receiver_connected fires for connect() and subscribe()."""
        seen = []

        def meta(signal_, receiver, sender, weak):
            seen.append((signal_, receiver, sender))

        def receive(sender, **fields):
            pass

        def on_view(p):
            pass

        with sig.receiver_connected.connected_to(meta):
            sig.connect(receive, sender="web")
            subscribe(ProductViewed, on_view)

        assert [(sig, receive, "web"), (sig, on_view, ANY)] == seen

    def test_muted_delivers_nothing(self, sig, payload):
        """Nothing is delivered while blinker's muted() is in effect."""
        calls = []
        subscribe(ProductViewed, lambda p: calls.append("typed"))
        sig.connect(lambda sender, **f: calls.append("oscar"))

        with sig.muted():
            emit(payload)
            assert [] == sig.send("view", product=_product())
        emit(payload)

        assert ["typed", "oscar"] == calls

    def test_muted_plain_subscribers_after_fast_path(self, sig, payload):
        """muted() also silences typed subscribers that were already warmed up."""
        calls = []
        subscribe(ProductViewed, calls.append)
        emit(payload)

        with sig.muted():
            emit(payload)

        assert [payload] == calls


class TestAsyncSubscribers:
    def test_async_subscribers_are_accepted(self, sig):
        """async def subscribers and receivers are accepted at subscribe time."""

        async def on_view(p):
            pass

        async def receive(sender, **fields):
            pass

        assert on_view is subscribe(ProductViewed, on_view)
        assert receive is sig.connect(receive)

    def test_emit_async_awaits_in_order(self, sig, payload):
        """emit_async() awaits async subscribers in the one delivery order."""
        calls = []

        async def first(p):
            calls.append("async-typed")

        async def third(sender, **fields):
            calls.append("async-oscar")

        subscribe(ProductViewed, first, priority=1)
        subscribe(ProductViewed, lambda p: calls.append("sync"))
        sig.connect(third, priority=-1)

        asyncio.run(emit_async(payload))

        assert ["async-typed", "sync", "async-oscar"] == calls

    def test_sync_emit_without_bridge_runs_nobody(self, payload):
        """A sync emit with async subscribers and no bridge raises first."""
        calls = []

        async def on_view(p):
            calls.append("async")

        subscribe(ProductViewed, lambda p: calls.append("sync"), priority=1)
        subscribe(ProductViewed, on_view)

        with pytest.raises(AsyncDeliveryError):
            emit(payload)

        assert [] == calls

    def test_sync_emit_uses_the_bridge(self, payload):
        """With a bridge configured, a sync emit runs async subscribers too."""
        calls = []

        async def on_view(p):
            calls.append(p)

        subscribe(ProductViewed, on_view)
        set_async_bridge(bridges.new_event_loop)

        emit(payload)

        assert [payload] == calls


class TestThreadSafety:
    def test_concurrent_subscribe_and_emit(self):
        """Churning subscriptions while emitting never fails or loses an emit."""
        sig = signal(OrderPlaced)
        received: list[tuple[int, int]] = []
        errors: list[BaseException] = []
        iterations, emitters, churners = 300, 3, 3

        def steady(p):
            received.append(p.order)

        subscribe(OrderPlaced, steady)
        barrier = threading.Barrier(emitters + churners)

        def guarded(work):
            def run():
                try:
                    barrier.wait()
                    work()
                except BaseException as exc:
                    errors.append(exc)

            return run

        def emit_many(k):
            for i in range(iterations):
                emit(OrderPlaced(order=(k, i)), sender="web" if i % 2 else None)

        def churn(k):
            for i in range(iterations):

                def temporary(p):
                    pass

                def receive(sender, **fields):
                    pass

                listener = Listener()
                subscribe(OrderPlaced, temporary, priority=i % 3)
                sig.connect(receive, sender="web", priority=-(i % 2))
                subscribe(OrderPlaced, listener.on_view, sender=CheckoutView)
                unsubscribe(OrderPlaced, temporary)
                sig.disconnect(receive)
                del listener

        threads = [
            threading.Thread(target=guarded(lambda k=k: emit_many(k)))
            for k in range(emitters)
        ] + [
            threading.Thread(target=guarded(lambda k=k: churn(k)))
            for k in range(churners)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        expected = sorted((k, i) for k in range(emitters) for i in range(iterations))
        assert [] == errors
        assert expected == sorted(received)
