"""Tests for commerce_events._subscriptions: senders, plans, catch-alls, once."""

from __future__ import annotations

import gc
import logging
import threading
import tracemalloc
from decimal import Decimal

import pytest

from commerce_events import (
    ANY,
    GROUPS,
    BasketAddition,
    OrderPaid,
    OrderPlaced,
    ProductViewed,
    emit,
    subscribe,
    subscribe_all,
    unsubscribe,
    unsubscribe_all,
)
from commerce_events._subscriptions import MAX_SENDER_PLANS, route_for_type
from commerce_events.exceptions import SubscriberError


class TestValueSenders:
    @pytest.mark.parametrize("value", [0, False, "", 0.0, None, b""])
    def test_falsy_values_filter_on_themselves(self, value):
        """sender=0 (or False, "") receives only that sender, not every sender."""
        got = []
        subscribe(ProductViewed, sender=value)(lambda e: got.append(e.product))

        emit(ProductViewed(product="other"), sender="someone")
        emit(ProductViewed(product="mine"), sender=value)

        assert ["mine"] == got

    def test_zero_and_false_are_different_senders(self):
        got = []
        subscribe(ProductViewed, sender=0)(lambda e: got.append(("zero", e.product)))
        subscribe(ProductViewed, sender=False)(
            lambda e: got.append(("false", e.product))
        )

        emit(ProductViewed(product=1), sender=0)
        emit(ProductViewed(product=2), sender=False)

        assert [("zero", 1), ("false", 2)] == got

    def test_equal_strings_match(self):
        """Value senders match by equality, not identity."""
        got = []
        subscribe(ProductViewed, sender="checkout-view")(lambda e: got.append(1))
        emit(ProductViewed(product=1), sender="".join(["checkout", "-view"]))
        assert [1] == got

    def test_any_is_no_user_value(self):
        assert ANY != 0
        assert ANY is not None
        got = []
        subscribe(ProductViewed)(lambda e: got.append(1))
        emit(ProductViewed(product=1), sender=0)
        assert [1] == got

    def test_object_senders_by_identity_and_weakly_held(self):
        class View:
            pass

        got = []
        view = View()
        subscribe(ProductViewed, sender=view)(lambda e: got.append(1))
        emit(ProductViewed(product=1), sender=View())
        emit(ProductViewed(product=1), sender=view)
        assert [1] == got
        route = route_for_type(ProductViewed)
        del view
        gc.collect()
        assert not route.records


class TestPlanCache:
    def test_bounded_with_many_sender_classes(self):
        """20k dynamic sender classes do not grow the plan cache (or memory)."""

        class Base:
            pass

        got = []
        subscribe(ProductViewed, sender=Base)(lambda e: got.append(1))
        route = route_for_type(ProductViewed)
        payload = ProductViewed(product=1)
        emit(payload, sender=Base())
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for index in range(20_000):
                cls = type(f"Dynamic{index}", (Base,), {})
                emit(payload, sender=cls())
                del cls
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert 20_001 == len(got)
        assert len(route.plans) <= MAX_SENDER_PLANS
        assert grown < 2_000_000

    def test_unrelated_senders_share_one_plan(self):
        subscribe(ProductViewed, sender="only")(lambda e: None)
        route = route_for_type(ProductViewed)
        for index in range(1000):
            emit(ProductViewed(product=1), sender=object())
            emit(ProductViewed(product=1), sender=f"s{index}")
        assert len(route.plans) <= 1


class TestSeveralEvents:
    def test_one_subscriber_for_several_events(self):
        got = []

        @subscribe(OrderPlaced, OrderPaid)
        def on_order(event: OrderPlaced | OrderPaid) -> None:
            got.append(type(event).__name__)

        emit(OrderPlaced(order="1"))
        emit(OrderPaid(order="1", amount=Decimal("10.00"), currency="EUR"))
        assert ["OrderPlaced", "OrderPaid"] == got

    def test_refused_by_one_event_subscribes_to_none(self):
        def on_placed(event: OrderPlaced) -> None:
            pass

        with pytest.raises(Exception, match="annotated"):
            subscribe(OrderPlaced, OrderPaid)(on_placed)
        assert not route_for_type(OrderPlaced).records


class TestCatchAll:
    def test_every_event_including_later_ones(self):
        seen = []
        subscribe_all(lambda event: seen.append(type(event).__name__))

        from commerce_events import event

        @event("catch_all_later_test")
        class CatchAllLater:
            value: int

        emit(ProductViewed(product=1))
        emit(CatchAllLater(value=1))
        assert ["ProductViewed", "CatchAllLater"] == seen

    def test_group(self):
        seen = []
        subscribe_all(group="basket")(lambda event: seen.append(type(event).__name__))
        emit(ProductViewed(product=1))
        emit(BasketAddition(product=2))
        assert ["BasketAddition"] == seen

    def test_unknown_group_lists_the_groups(self):
        with pytest.raises(ValueError, match="basket"):
            subscribe_all(group="baskets")
        assert "basket" in GROUPS

    def test_order_and_policy_like_any_subscriber(self, caplog):
        order = []
        subscribe(ProductViewed)(lambda e: order.append("typed"))

        @subscribe_all(priority=10, on_error="log")
        def audit(event: object) -> None:
            order.append("audit")
            raise ValueError("audit failed")

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            emit(ProductViewed(product=1))
        assert ["audit", "typed"] == order
        assert "audit failed" in caplog.text

    def test_unsubscribe_all(self):
        seen = []

        def audit(event: object) -> None:
            seen.append(event)

        subscribe_all(audit)
        assert unsubscribe_all(audit) is True
        assert unsubscribe_all(audit) is False
        emit(ProductViewed(product=1))
        assert [] == seen

    def test_with_metadata(self):
        seen = []
        subscribe_all(with_metadata=True)(lambda event, meta: seen.append(meta.event))
        emit(ProductViewed(product=1))
        assert ["product_viewed"] == seen

    def test_not_a_callable(self):
        with pytest.raises(TypeError, match="callable"):
            subscribe_all(OrderPlaced)  # type: ignore[type-var]


class TestOnce:
    def test_called_once(self):
        got = []
        subscribe(ProductViewed, once=True)(lambda e: got.append(e.product))
        emit(ProductViewed(product=1))
        emit(ProductViewed(product=2))
        assert [1] == got
        assert not route_for_type(ProductViewed).records

    def test_exactly_once_across_threads(self):
        got = []
        subscribe(ProductViewed, once=True)(lambda e: got.append(e.product))
        barrier = threading.Barrier(8)

        def worker(index: int) -> None:
            barrier.wait()
            emit(ProductViewed(product=index))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert 1 == len(got)

    def test_catch_all_once(self):
        got = []
        subscribe_all(once=True)(got.append)
        emit(ProductViewed(product=1))
        emit(ProductViewed(product=2))
        assert 1 == len(got)

    def test_a_failing_once_subscriber_is_still_gone(self):
        def broken(event: ProductViewed) -> None:
            raise ValueError

        subscribe(ProductViewed, broken, once=True)
        with pytest.raises(SubscriberError):
            emit(ProductViewed(product=1))
        emit(ProductViewed(product=2))


class TestMessages:
    def test_an_instance_instead_of_the_class(self):
        with pytest.raises(
            TypeError, match=r"not a payload.*subscribe\(ProductViewed\)"
        ):
            subscribe(ProductViewed(product=1))  # type: ignore[call-overload]

    def test_bare_decorator(self):
        with pytest.raises(TypeError, match=r"@subscribe\(EventClass\)"):

            @subscribe  # type: ignore[call-overload]
            def handler(event: ProductViewed) -> None:
                pass

    def test_an_event_name(self):
        with pytest.raises(TypeError, match=r"did you mean subscribe\(ProductViewed\)"):
            subscribe("product_viewed")  # type: ignore[call-overload]

    def test_nothing(self):
        with pytest.raises(TypeError, match="payload class"):
            subscribe()  # type: ignore[call-overload]

    def test_weak_must_be_a_bool(self):
        with pytest.raises(TypeError, match="weak"):
            subscribe(ProductViewed, weak="yes")  # type: ignore[call-overload]

    def test_unsubscribing_what_was_never_subscribed(self):
        def handler(event: ProductViewed) -> None:
            pass

        assert unsubscribe(ProductViewed, handler) is False
        subscribe(ProductViewed, handler)
        assert unsubscribe(ProductViewed, handler) is True
