"""Tests for commerce_events._signal: EventSignal speaks blinker's and Django's API."""

from __future__ import annotations

import asyncio
import logging

import pytest

from commerce_events import (
    ANY,
    ProductViewed,
    StartCheckout,
    emit,
    signal,
    subscribe,
)
from commerce_events.exceptions import PayloadError, SubscriberError


def _product() -> object:
    return object()


@pytest.fixture(name="sig")
def _sig():
    return signal("product_viewed")


class TestSendRobust:
    def test_returns_receivers_errors_as_values_and_logs_them(self, sig, caplog):
        """send_robust: every receiver runs, exceptions come back and are logged."""
        boom = ValueError("boom")
        calls = []

        def broken(sender, **kwargs):
            raise boom

        def fine(sender, **kwargs):
            calls.append(sender)
            return "ok"

        sig.connect(broken)
        sig.connect(fine)
        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            results = sig.send_robust(sender="view", product=_product())

        assert [(broken, boom), (fine, "ok")] == results
        assert ["view"] == calls
        assert any("broken" in r.getMessage() for r in caplog.records)

    def test_ignores_the_raise_policy(self, sig, caplog):
        """A receiver whose policy is "raise" is still returned, not raised."""
        boom = KeyError("k")

        def broken(sender, **kwargs):
            raise boom

        sig.connect(broken, on_error="raise")
        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            results = sig.send_robust("view", product=_product())

        assert [(broken, boom)] == results

    def test_bad_arguments_are_the_callers_error(self, sig):
        """A contract error is a PayloadError at the call site; no receiver runs."""
        calls = []
        sig.connect(lambda sender, **kwargs: calls.append(sender))

        with pytest.raises(PayloadError) as info:
            sig.send_robust(sender="view", product=_product(), colour="red")

        assert "colour" in str(info.value)
        assert [] == calls

    def test_typed_subscribers_are_robust_too(self, sig, caplog):
        """Typed subscribers' failures are returned by send_robust as well."""
        boom = RuntimeError("typed")

        @subscribe(ProductViewed)
        def typed(event: ProductViewed) -> None:
            raise boom

        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            results = sig.send_robust("view", product=_product())

        assert [(typed, boom)] == results

    def test_oscar_start_checkout_with_email(self):
        """Oscar's guest checkout: send_robust(sender, request, email) is accepted."""
        got = []
        start_checkout = signal("start_checkout")
        start_checkout.connect(lambda sender, **kwargs: got.append(kwargs["request"]))

        start_checkout.send_robust(sender="view", request="request")

        assert ["request"] == got


class TestAsend:
    def test_asend_awaits_async_receivers_concurrently(self, sig):
        """asend runs async receivers together, as Django 5's does."""
        order = []

        async def slow(sender, **kwargs):
            order.append("slow start")
            await asyncio.sleep(0.01)
            order.append("slow end")
            return "slow"

        async def quick(sender, **kwargs):
            order.append("quick")
            return "quick"

        sig.connect(slow)
        sig.connect(quick)

        results = asyncio.run(sig.asend(sender="view", product=_product()))

        assert [(slow, "slow"), (quick, "quick")] == results
        assert ["slow start", "quick", "slow end"] == order

    def test_asend_raises_failures_after_all_ran(self, sig):
        """asend keeps the failure policy: raised together after every receiver."""
        calls = []

        async def broken(sender, **kwargs):
            raise ValueError("x")

        async def fine(sender, **kwargs):
            calls.append(sender)

        sig.connect(broken)
        sig.connect(fine)

        with pytest.raises(SubscriberError):
            asyncio.run(sig.asend("view", product=_product()))
        assert ["view"] == calls

    def test_asend_robust_returns_errors(self, sig, caplog):
        boom = ValueError("x")

        async def broken(sender, **kwargs):
            raise boom

        sig.connect(broken)
        with caplog.at_level(logging.ERROR, logger="commerce_events"):
            results = asyncio.run(sig.asend_robust("view", product=_product()))

        assert [(broken, boom)] == results

    def test_asend_robust_validates_first(self, sig):
        with pytest.raises(PayloadError):
            asyncio.run(sig.asend_robust("view"))


class TestDjangoConnect:
    def test_sender_none_means_any_sender(self, sig):
        """connect(receiver, sender=None) receives every sender, as in Django."""
        calls = []
        sig.connect(lambda sender, **kwargs: calls.append(sender), sender=None)

        sig.send("a", product=_product())
        emit(ProductViewed(product=_product()), sender="b")

        assert ["a", "b"] == calls

    def test_dispatch_uid_connects_once(self, sig):
        """A second connect under the same dispatch_uid is ignored (Django)."""
        calls = []

        def first(sender, **kwargs):
            calls.append("first")

        def second(sender, **kwargs):
            calls.append("second")

        sig.connect(first, dispatch_uid="analytics")
        sig.connect(second, dispatch_uid="analytics")
        sig.send("view", product=_product())

        assert ["first"] == calls

    def test_disconnect_by_dispatch_uid(self, sig):
        calls = []
        sig.connect(lambda sender, **kwargs: calls.append(1), dispatch_uid="uid")

        assert sig.disconnect(dispatch_uid="uid") is True
        assert sig.disconnect(dispatch_uid="uid") is False
        sig.send("view", product=_product())
        assert [] == calls

    def test_disconnect_returns_whether_connected(self, sig):
        def receiver(sender, **kwargs):
            pass

        assert sig.disconnect(receiver) is False
        sig.connect(receiver)
        assert sig.disconnect(receiver) is True
        assert sig.disconnect(receiver) is False

    def test_disconnect_needs_something(self, sig):
        with pytest.raises(TypeError, match="receiver or a dispatch_uid"):
            sig.disconnect()

    def test_has_listeners(self, sig):
        assert sig.has_listeners() is False
        sig.connect(lambda sender, **kwargs: None, sender="only-this")
        assert sig.has_listeners() is True
        assert sig.has_listeners("only-this") is True
        assert sig.has_listeners("another") is False

    def test_signal_keyword_only_for_var_keyword_receivers(self, sig):
        """signal= goes to receivers taking **kwargs, never to exact signatures."""
        got = []

        def exact(sender, product, user, request, response):
            got.append("exact")

        def loose(sender, **kwargs):
            got.append(kwargs["signal"])

        sig.connect(exact)
        sig.connect(loose)
        sig.send("view", product=_product())

        assert ["exact", sig] == got

    def test_receivers_see_signal_with_blinker_any(self, sig):
        """blinker's ANY still means any sender."""
        calls = []
        sig.connect(lambda sender, **kwargs: calls.append(sender), ANY)
        sig.send("x", product=_product())
        assert ["x"] == calls


class TestBlinkerMute:
    def test_blinker_muted_silences_the_signal(self, sig):
        calls = []
        subscribe(ProductViewed, calls.append)

        with sig.muted():
            emit(ProductViewed(product=_product()))
        emit(ProductViewed(product=_product()))

        assert 1 == len(calls)


def test_start_checkout_type():
    """The payload class behind start_checkout is StartCheckout."""
    assert StartCheckout is signal("start_checkout").payload_type
