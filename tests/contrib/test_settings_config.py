"""The COMMERCE_EVENTS reader Django and Flask share: checks, then wiring."""

from __future__ import annotations

import logging
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from commerce_events import (
    BasketAddition,
    OrderPlaced,
    ProductViewed,
    StartCheckout,
    bridges,
    emit,
    subscribe,
)
from commerce_events._domain import domain_classes
from commerce_events._settings import get_async_bridge
from commerce_events.contrib._settings_config import Problem, apply, read, wire
from commerce_events.exceptions import SettingsError, SubscriberError

SINKS = textwrap.dedent(
    """
    class Product:
        pass

    class ListForwarder:
        destination = "a list"

        def __init__(self):
            self.sent = []
            made.append(self)

        def send(self, envelope, /):
            self.sent.append(envelope)

    made = []
    ready_made = ListForwarder()
    made.clear()  # made by wiring only

    def factory():
        return ListForwarder()

    not_callable = 42
    """
)


@pytest.fixture(name="sinks")
def _sinks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """An importable module ``ce_sinks``: forwarders and a class, by dotted path."""
    (tmp_path / "ce_sinks.py").write_text(SINKS)
    monkeypatch.syspath_prepend(str(tmp_path))
    import ce_sinks  # type: ignore[import-not-found]

    yield ce_sinks
    del sys.modules["ce_sinks"]


def problems_of(config: object) -> list[str]:
    return [str(problem) for problem in read(config)[1]]


class Thing:
    """A domain object with an identity, so that it can be forwarded."""

    def __init__(self, pk: int = 1) -> None:
        self.pk = pk


def fail(payload: Any) -> None:
    raise LookupError("out of stock")


class TestRead:
    def test_nothing_set(self) -> None:
        """No setting (None) or an empty mapping: nothing to wire, no problem."""
        assert read(None)[1] == [] == read({})[1]

    def test_every_problem_at_once_with_did_you_mean(self, sinks: ModuleType) -> None:
        """Unknown keys, events, groups, domains, bridges and forwarders are
        all named, each with the key at fault and the close names."""
        found = problems_of(
            {
                "FORWRD": [],
                "ON_ERROR": {"chekout": "log", "order_placed": "ignore"},
                "DOMAIN_CLASSES": {"prodct": "ce_sinks.Product"},
                "FORWARD": [
                    {
                        "events": ["order_placd"],
                        "to": "ce_sinks.ListForwardr",
                        "sorce": "/shop",
                    }
                ],
                "ASYNC_BRIDGE": "asgirf",
            }
        )
        assert found == [
            "COMMERCE_EVENTS: unknown key 'FORWRD'; did you mean 'FORWARD'?",
            "COMMERCE_EVENTS['ON_ERROR']['chekout']: no event or group is named "
            "'chekout'; did you mean 'checkout'?",
            "COMMERCE_EVENTS['ON_ERROR']['order_placed']: a failure policy is one "
            "of ('raise', 'log'), got 'ignore'",
            "COMMERCE_EVENTS['DOMAIN_CLASSES']['prodct']: no domain is named "
            "'prodct'; did you mean 'product'?",
            "COMMERCE_EVENTS['FORWARD'][0]: unknown key 'sorce'; did you mean "
            "'source'?",
            "COMMERCE_EVENTS['FORWARD'][0]['events']: no event or group is named "
            "'order_placd'; did you mean 'order_paid', 'order_placed'?",
            "COMMERCE_EVENTS['FORWARD'][0]['to']: cannot import "
            "'ce_sinks.ListForwardr': module 'ce_sinks' has no 'ListForwardr'; "
            "did you mean 'ListForwarder'?",
            "COMMERCE_EVENTS['ASYNC_BRIDGE']: no bridge is named 'asgirf' (one of "
            "['anyio', 'asgiref', 'auto', 'new_event_loop'], or a dotted path); "
            "did you mean 'asgiref'?",
        ]

    def test_problem_kinds(self, sinks: ModuleType) -> None:
        """Unknown names, failed imports and wrong values are told apart."""
        _wiring, problems = read(
            {
                "ON_ERROR": "sometimes",
                "FORWARD": [
                    {"events": "order", "to": "no_such_module.forwarder"},
                    {"events": "order", "to": "ce_sinks.not_callable"},
                    {"events": [], "to": "ce_sinks.factory"},
                    {"events": "order"},
                ],
                "DOMAIN_CLASSES": {"product": "ce_sinks.not_callable"},
            }
        )
        assert [(p.where, p.kind) for p in problems] == [
            ("COMMERCE_EVENTS['ON_ERROR']", "invalid"),
            ("COMMERCE_EVENTS['DOMAIN_CLASSES']['product']", "invalid"),
            ("COMMERCE_EVENTS['FORWARD'][0]['to']", "import"),
            ("COMMERCE_EVENTS['FORWARD'][1]['to']", "invalid"),
            ("COMMERCE_EVENTS['FORWARD'][2]['events']", "invalid"),
            ("COMMERCE_EVENTS['FORWARD'][3]", "invalid"),
        ]
        assert all(isinstance(p, Problem) for p in problems)

    def test_not_a_mapping(self) -> None:
        assert problems_of(["ON_ERROR"]) == [
            "COMMERCE_EVENTS: expected a mapping, got ['ON_ERROR']"
        ]

    def test_read_changes_nothing(self, sinks: ModuleType) -> None:
        """Reading resolves paths but wires nothing: no forwarder is made."""
        read({"FORWARD": [{"events": "order", "to": "ce_sinks.ListForwarder"}]})
        assert sinks.made == []


class TestApply:
    def test_policies_per_event_and_group(self) -> None:
        """The library default, a group's and an event's policy; the event's
        own entry wins over its group's, whatever the order of the keys."""
        wire(
            {
                "ON_ERROR": {
                    "order_placed": "raise",
                    "order": "log",
                    "default": "log",
                    "checkout": "raise",
                }
            }
        )
        for payload_type in (OrderPlaced, StartCheckout, BasketAddition):
            subscribe(payload_type, fail)
        emit(BasketAddition(product=Thing()))  # log
        with pytest.raises(SubscriberError):
            emit(OrderPlaced(order=Thing()))  # its own entry: raise
        with pytest.raises(SubscriberError):
            emit(StartCheckout(request=object()))  # its group: raise

    def test_a_single_policy_is_the_library_default(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        wire({"ON_ERROR": "log"})
        subscribe(ProductViewed, fail)
        with caplog.at_level(logging.ERROR, "commerce_events"):
            emit(ProductViewed(product=Thing()))
        assert "subscriber" in caplog.text

    def test_domain_classes_by_dotted_path(self, sinks: ModuleType) -> None:
        wire({"DOMAIN_CLASSES": {"product": ["ce_sinks.Product"]}})
        assert domain_classes()["product"] == (sinks.Product,)

    @pytest.mark.parametrize(
        ("setting", "expected"),
        [("asgiref", bridges.asgiref), ("commerce_events.bridges.auto", bridges.auto)],
    )
    def test_bridge_by_name_or_path(self, setting: str, expected: Any) -> None:
        wire({"ASYNC_BRIDGE": setting})
        assert get_async_bridge() is expected

    @pytest.mark.parametrize(
        "to", ["ce_sinks.ListForwarder", "ce_sinks.factory", "ce_sinks.ready_made"]
    )
    def test_forwarder_by_class_factory_or_object(
        self, sinks: ModuleType, to: str
    ) -> None:
        """A class or factory is called once; an object is used as it is; the
        events of a group and a single event reach it, as envelopes."""
        wired = wire(
            {
                "FORWARD": [
                    {
                        "events": ["order", "product_viewed"],
                        "to": to,
                        "source": "/shop/web",
                    }
                ]
            }
        )
        forwarder = sinks.ready_made if to.endswith("ready_made") else sinks.made[-1]
        assert len(sinks.made) == (0 if to.endswith("ready_made") else 1)
        emit(OrderPlaced(order=Thing()))
        emit(ProductViewed(product=Thing()))
        emit(BasketAddition(product=Thing()))
        assert [e["source"] for e in forwarder.sent] == ["/shop/web"] * 2
        assert [e["type"].rsplit(".", 2)[-2] for e in forwarder.sent] == [
            "order_placed",
            "product_viewed",
        ]
        wired.cancel()
        emit(OrderPlaced(order=Thing()))
        assert len(forwarder.sent) == 2

    def test_problems_wire_nothing(self, sinks: ModuleType) -> None:
        """wire() raises with every problem, before wiring any of it."""
        with pytest.raises(SettingsError) as raised:
            wire(
                {
                    "ON_ERROR": "log",
                    "FORWARD": [{"events": "order", "to": "ce_sinks.ListForwarder"}],
                    "ASYNC_BRIDGE": "nope",
                }
            )
        assert raised.value.problems == (
            "COMMERCE_EVENTS['ASYNC_BRIDGE']: no bridge is named 'nope' (one of "
            "['anyio', 'asgiref', 'auto', 'new_event_loop'], or a dotted path)",
        )
        assert "ASYNC_BRIDGE" in str(raised.value)
        assert sinks.made == []
        subscribe(OrderPlaced, fail)
        with pytest.raises(SubscriberError):  # the policy was not applied
            emit(OrderPlaced(order=Thing()))

    def test_apply_read_result(self, sinks: ModuleType) -> None:
        wiring, problems = read(
            {
                "FORWARD": [
                    {
                        "events": "order_placed",
                        "to": "ce_sinks.factory",
                        "on_error": "log",
                        "priority": 5,
                    }
                ]
            }
        )
        assert problems == []
        apply(wiring)
        emit(OrderPlaced(order=Thing()))
        assert len(sinks.made[-1].sent) == 1

    def test_unforwardable_event_is_a_problem(self, sinks: ModuleType) -> None:
        """start_checkout's request is never serialized: found when reading."""
        found = problems_of(
            {"FORWARD": [{"events": "checkout", "to": "ce_sinks.ListForwarder"}]}
        )
        assert len(found) == 1
        assert found[0].startswith(
            "COMMERCE_EVENTS['FORWARD'][0]['events']: cannot forward: StartCheckout"
        )

    def test_a_failing_factory_wires_no_forwarding(self, sinks: ModuleType) -> None:
        """A factory raising on the second rule cancels the first rule's."""
        sinks.broken = lambda: 1 / 0
        with pytest.raises(ZeroDivisionError):
            wire(
                {
                    "FORWARD": [
                        {"events": "order_placed", "to": "ce_sinks.factory"},
                        {"events": "order_placed", "to": "ce_sinks.broken"},
                    ]
                }
            )
        emit(OrderPlaced(order=Thing()))
        assert sinks.made[-1].sent == []

    def test_a_module_failing_at_import_is_a_problem(
        self, sinks: ModuleType, tmp_path: Path
    ) -> None:
        """Whatever a module raises when imported, it is reported, not raised."""
        (tmp_path / "ce_broken.py").write_text("raise RuntimeError('no config')\n")
        assert problems_of({"FORWARD": [{"events": "order", "to": "ce_broken.f"}]}) == [
            "COMMERCE_EVENTS['FORWARD'][0]['to']: cannot import 'ce_broken.f': "
            "RuntimeError: no config"
        ]
