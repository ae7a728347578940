"""Stateful tests: the dispatcher's caches always deliver what a naive model does.

The dispatcher decides at subscribe time what it can (plans per sender, a fast
tuple of plain functions, flags) and must throw those decisions away on every
path that changes who is subscribed. This state machine subscribes,
unsubscribes, kills weakly held subscribers, uses blinker's own API and mutes,
in any order, and after each emit compares who was called, in which order and
with which arguments against a model: a plain list of subscriptions sorted on
every emit.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import weakref
from contextlib import ExitStack
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
)

import commerce_events
from commerce_events import (
    ANY,
    ProductViewed,
    _settings,
    emit,
    emit_async,
    field,
    subscribe,
    unsubscribe,
)
from commerce_events.exceptions import AsyncDeliveryError, SubscriberSignatureError


@commerce_events.event("stateful_probe")
class StatefulProbe:
    """Emitted only by this state machine."""

    value: int = field(doc="Tells one emit from the next")
    label: str = field(default="", doc="A second field, for Oscar-style receivers")


LOG: list[tuple[Any, ...]] = []
"""Every call of every subscriber below, in order: (name, arguments...)."""


def _typed(name: str) -> Any:
    def subscriber(event: StatefulProbe) -> None:
        LOG.append((name, event))

    subscriber.__qualname__ = f"typed_{name}"
    return subscriber


def _async(name: str) -> Any:
    async def subscriber(event: StatefulProbe) -> None:
        LOG.append((name, event))

    subscriber.__qualname__ = f"async_{name}"
    return subscriber


def _oscar(name: str) -> Any:
    def receiver(sender: Any, **fields: Any) -> None:
        LOG.append((name, sender, fields))

    receiver.__qualname__ = f"oscar_{name}"
    return receiver


FUNCTIONS: dict[str, tuple[Any, str]] = {
    **{f"t{i}": (_typed(f"t{i}"), "typed") for i in range(4)},
    **{f"a{i}": (_async(f"a{i}"), "async") for i in range(2)},
    **{f"o{i}": (_oscar(f"o{i}"), "oscar") for i in range(3)},
}
"""Plain functions (held strongly): typed subscribers (sync and async), Oscar-style
receivers."""


class Listener:
    """An object whose bound methods subscribe; held weakly, so it can vanish."""

    def __init__(self, name: str) -> None:
        self.name = name

    def on_probe(self, event: StatefulProbe) -> None:
        """Typed subscriber."""
        LOG.append((f"{self.name}.typed", event))

    def on_signal(self, sender: Any, **fields: Any) -> None:
        """Oscar-style receiver."""
        LOG.append((f"{self.name}.oscar", sender, fields))


class View:
    """A sender class: as a subscription's sender it matches its instances."""


class CheckoutView(View):
    """A subclass: its instances match subscriptions for View too."""


class AdminView:
    """An unrelated sender class."""


VIEW_1, VIEW_2, CHECKOUT_1, ADMIN_1 = View(), View(), CheckoutView(), AdminView()

FILTERS: dict[str, Any] = {
    "ANY": ANY,
    "View": View,
    "CheckoutView": CheckoutView,
    "VIEW_1": VIEW_1,
    "CHECKOUT_1": CHECKOUT_1,
    "'cli'": "cli",
}
"""What a subscription may be restricted to, by name (ANY: every sender)."""

EMIT_SENDERS: tuple[Any, ...] = (
    None,
    VIEW_1,
    VIEW_2,
    CHECKOUT_1,
    ADMIN_1,
    "cli",
    View,
    CheckoutView,
)
"""Who may emit: instances with and without their own subscriptions, classes."""

PRIORITIES = st.sampled_from([-5, 0, 0, 1, 10])
METHODS = ("", "typed", "oscar")  # which bound method subscribes at once, if any
SENDERS = st.sampled_from(EMIT_SENDERS)


def _at_address(factory: Any, address: int) -> Any:
    """A new object, at *address* (so with that id) if CPython frees it up for it."""
    spares = []
    for _ in range(2000):
        obj = factory()
        if id(obj) == address:
            return obj
        spares.append(obj)
    return obj


def _matches(sender_filter: Any, sender: Any) -> bool:
    if sender_filter is ANY:
        return True
    if isinstance(sender_filter, type):
        return sender is sender_filter or isinstance(sender, sender_filter)
    if isinstance(sender_filter, str):
        return sender_filter == sender
    return sender is sender_filter


class Sender:
    """A short-lived sender: when it is collected, subscriptions to it go too."""


@dataclass
class Sub:
    """The model of one subscriber: what the dispatcher should remember."""

    kind: (
        str  # "typed"/"async": subscriber(payload); "oscar": receiver(sender, **fields)
    )
    priority: int
    seq: int
    senders: list[str] = dataclass_field(default_factory=list)  # filter names


class DispatchMachine(RuleBasedStateMachine):
    """Random subscription changes and emits, checked against a naive model."""

    def __init__(self) -> None:
        super().__init__()
        self.stack = ExitStack()
        self.stack.enter_context(_settings.isolated_state())
        self.signal = commerce_events.signal(StatefulProbe)
        self.model: dict[str, Sub] = {}
        self.seq = itertools.count()
        self.values = itertools.count()
        self.listeners: dict[str, Listener] = {}
        self.listener_names = (f"L{i}" for i in itertools.count())
        self.senders: dict[str, Sender] = {}  # short-lived senders, by name
        self.sender_names = (f"S{i}" for i in itertools.count())

    def teardown(self) -> None:
        """Restore every subscription of the bus as it was before this run."""
        self.stack.close()
        LOG.clear()

    # -- the model -------------------------------------------------------------

    def _filter(self, name: str) -> Any:
        return self.senders[name] if name in self.senders else FILTERS[name]

    def _filters(self) -> list[str]:
        return [*FILTERS, *self.senders]

    def _draw_filter(self, data: st.DataObject) -> str:
        """A sender to subscribe for: a short-lived one half of the time, if any."""
        static = st.sampled_from(list(FILTERS))
        choices = st.one_of(st.sampled_from(list(self.senders)), static)
        return data.draw(choices if self.senders else static, label="sender")

    def _model_add(self, key: str, kind: str, priority: int, sender: str) -> None:
        sub = self.model.get(key)
        if sub is None:
            sub = self.model[key] = Sub(kind, priority, next(self.seq))
        sub.priority = priority
        if sender not in sub.senders:
            sub.senders.append(sender)

    def _model_remove(self, key: str, sender: str = "ANY") -> None:
        sub = self.model.get(key)
        if sub is None:
            return
        if sender == "ANY":
            del self.model[key]
            return
        sub.senders = [s for s in sub.senders if s != sender]
        if not sub.senders:
            del self.model[key]

    def _expected(self, sender: Any) -> list[tuple[str, str]]:
        live = [
            (sub.priority, sub.seq, key, sub.kind)
            for key, sub in self.model.items()
            if any(_matches(self._filter(f), sender) for f in sub.senders)
        ]
        return [
            (key, kind)
            for _p, _s, key, kind in sorted(live, key=lambda e: (-e[0], e[1]))
        ]

    # -- the real thing ----------------------------------------------------------

    def _callable(self, key: str) -> tuple[Any, str]:
        if key in FUNCTIONS:
            return FUNCTIONS[key]
        name, kind = key.split(".")
        listener = self.listeners[name]
        return (listener.on_probe if kind == "typed" else listener.on_signal), kind

    def _keys(self) -> list[str]:
        keys = list(FUNCTIONS)
        for name in self.listeners:
            keys += [f"{name}.typed", f"{name}.oscar"]
        return keys

    def _connect(
        self, key: str, priority: int, sender_name: str, *, blinker_style: bool
    ) -> None:
        fn, kind = self._callable(key)
        sender = self._filter(sender_name)
        if kind != "oscar":
            subscribe(StatefulProbe, fn, priority=priority, sender=sender)
        elif blinker_style and priority == 0:
            self.signal.connect(fn, sender)
        else:
            self.signal.connect(fn, sender, priority=priority)
        self._model_add(key, kind, priority, sender_name)

    def _emit_and_check(
        self, sender: Any, api: str = "emit", *, muted: bool = False
    ) -> None:
        value = next(self.values)
        payload = StatefulProbe(value=value, label=f"#{value}")
        fields = {"value": value, "label": f"#{value}"}
        expected = [] if muted else self._expected(sender)
        LOG.clear()
        if "async" not in api and any(kind == "async" for _, kind in expected):
            with pytest.raises(AsyncDeliveryError):
                self._send(api, payload, sender)
            assert [] == LOG
            return
        self._send(api, payload, sender)
        calls, LOG[:] = list(LOG), []
        assert [key for key, _kind in expected] == [call[0] for call in calls]
        for (_key, kind), call in zip(expected, calls, strict=True):
            if kind != "oscar":
                assert 2 == len(call)
                if api.startswith("emit"):
                    assert payload is call[1]
                else:
                    assert payload == call[1]
            else:
                assert 3 == len(call)
                assert sender is call[1]
                # Receivers taking **fields also get signal=, as Django passes.
                assert {**fields, "signal": self.signal} == call[2]

    def _send(self, api: str, payload: StatefulProbe, sender: Any) -> None:
        fields = {"value": payload.value, "label": payload.label}
        if api == "emit":
            emit(payload, sender=sender)
        elif api == "emit_async":
            asyncio.run(emit_async(payload, sender=sender))
        elif api == "send":
            self.signal.send(sender, **fields)
        elif api == "send_kw":  # Oscar's own spelling
            self.signal.send(sender=sender, **fields)
        else:
            asyncio.run(self.signal.send_async(sender, **fields))

    def _check_receivers(self) -> None:
        """Check receivers_for() for every sender: who would be called, in order."""
        for sender in (*EMIT_SENDERS, *self.senders.values()):
            expected = [self._callable(k)[0] for k, _kind in self._expected(sender)]
            assert expected == list(self.signal.receivers_for(sender))

    # -- rules -------------------------------------------------------------------

    @initialize(sender=SENDERS)
    def start_with_an_emit(self, sender: Any) -> None:
        """An emit before any subscription reaches nobody (and warms the caches)."""
        self._emit_and_check(sender)

    @rule(data=st.data(), priority=PRIORITIES, blinker_style=st.booleans())
    def add(self, data: st.DataObject, priority: int, blinker_style: bool) -> None:
        """Subscribe (typed) or connect (Oscar-style) a function or a bound method."""
        key = data.draw(st.sampled_from(self._keys()), label="subscriber")
        sender = self._draw_filter(data)
        self._connect(key, priority, sender, blinker_style=blinker_style)

    @rule(data=st.data(), every_sender=st.booleans())
    def remove(self, data: st.DataObject, every_sender: bool) -> None:
        """Unsubscribe (typed) or disconnect (Oscar-style), from one sender or all."""
        key = data.draw(st.sampled_from(self._keys()), label="subscriber")
        fn, kind = self._callable(key)
        if every_sender:
            if kind != "oscar":
                unsubscribe(StatefulProbe, fn)
            else:
                self.signal.disconnect(fn)
            self._model_remove(key)
            return
        name = self._draw_filter(data)
        if kind != "oscar":
            unsubscribe(StatefulProbe, fn, sender=self._filter(name))
        else:
            self.signal.disconnect(fn, self._filter(name))
        self._model_remove(key, name)

    @precondition(lambda self: any(k.startswith("o") for k in self.model))
    @rule(data=st.data(), priority=PRIORITIES)
    def refuse_other_kind(self, data: st.DataObject, priority: int) -> None:
        """Subscribing a connected Oscar-style receiver as typed fails, changing nothing."""
        key = data.draw(
            st.sampled_from(sorted(k for k in self.model if k.startswith("o"))),
            label="receiver",
        )
        sender = self._filter(
            data.draw(st.sampled_from(self._filters()), label="sender")
        )
        with pytest.raises(SubscriberSignatureError):
            subscribe(
                StatefulProbe, FUNCTIONS[key][0], priority=priority, sender=sender
            )

    @precondition(lambda self: len(self.listeners) < 3)
    @rule(data=st.data(), priority=PRIORITIES, method=st.sampled_from(METHODS))
    def new_listener(self, data: st.DataObject, priority: int, method: str) -> None:
        """Create an object whose bound methods subscribe (weakly), one at once."""
        name = next(self.listener_names)
        self.listeners[name] = Listener(name)
        if method:
            key = f"{name}.{method}"
            self._connect(key, priority, self._draw_filter(data), blinker_style=False)

    @precondition(lambda self: bool(self.listeners))
    @rule(data=st.data(), replace=st.booleans())
    def drop_listener(self, data: st.DataObject, replace: bool) -> None:
        """Delete a listener and collect it: its weakly held subscriptions vanish."""
        name = data.draw(st.sampled_from(sorted(self.listeners)), label="listener")
        listener = self.listeners.pop(name)
        ref, address = weakref.ref(listener), id(listener)
        del listener
        gc.collect()
        assert None is ref()
        for key in (f"{name}.typed", f"{name}.oscar"):
            self._model_remove(key)
        if replace:  # with the same id: no trace of the old one may remain
            new = next(self.listener_names)
            self.listeners[new] = _at_address(lambda: Listener(new), address)
            self._connect(
                f"{new}.typed", 0, self._draw_filter(data), blinker_style=False
            )
            self._emit_and_check(data.draw(SENDERS, label="emit sender"))

    @precondition(lambda self: len(self.senders) < 3)
    @rule(data=st.data(), priority=PRIORITIES, subscribe_one=st.booleans())
    def new_sender(
        self, data: st.DataObject, priority: int, subscribe_one: bool
    ) -> None:
        """Create a short-lived sender, and maybe subscribe someone to it at once."""
        name = next(self.sender_names)
        self.senders[name] = Sender()
        if subscribe_one:
            key = data.draw(st.sampled_from(self._keys()), label="subscriber")
            self._connect(key, priority, name, blinker_style=False)

    @precondition(lambda self: bool(self.senders))
    @rule(data=st.data(), replace=st.booleans())
    def drop_sender(self, data: st.DataObject, replace: bool) -> None:
        """Delete a sender and collect it: subscriptions to it alone vanish."""
        name = data.draw(st.sampled_from(sorted(self.senders)), label="sender")
        sender = self.senders.pop(name)
        ref, address = weakref.ref(sender), id(sender)
        del sender
        gc.collect()
        assert None is ref()
        for key in list(self.model):
            self._model_remove(key, name)
        if replace:  # with the same id: no trace of the old one may remain
            new = next(self.sender_names)
            self.senders[new] = _at_address(Sender, address)
            self._check_receivers()
            self._emit_and_check(self.senders[new])

    @rule(
        sender=SENDERS,
        api=st.sampled_from(["emit", "emit_async", "send", "send_kw", "send_async"]),
    )
    def deliver(self, sender: Any, api: str) -> None:
        """An emit reaches exactly the matching subscribers, in order, with their arguments."""
        self._emit_and_check(sender, api)

    @precondition(lambda self: bool(self.senders))
    @rule(data=st.data(), api=st.sampled_from(["emit", "send", "emit_async"]))
    def deliver_from_short_lived(self, data: st.DataObject, api: str) -> None:
        """An emit from a short-lived sender reaches the subscribers matching it."""
        name = data.draw(st.sampled_from(sorted(self.senders)), label="sender")
        self._emit_and_check(self.senders[name], api)

    @rule()
    def receivers_for(self) -> None:
        """blinker's receivers_for() lists the matching subscribers in delivery order."""
        self._check_receivers()

    @rule(data=st.data(), emit_sender=SENDERS)
    def connected_to(self, data: st.DataObject, emit_sender: Any) -> None:
        """blinker's connected_to() connects a receiver for the block only."""
        key = data.draw(st.sampled_from([k for k in FUNCTIONS if k.startswith("o")]))
        name = data.draw(st.sampled_from(self._filters()), label="sender")
        with self.signal.connected_to(FUNCTIONS[key][0], self._filter(name)):
            self._model_add(key, "oscar", 0, name)
            self._emit_and_check(emit_sender)
        self._model_remove(key)
        self._emit_and_check(emit_sender)

    @rule(
        which=st.sampled_from(["every event", "this event", "another event"]),
        sender=SENDERS,
        data=st.data(),
    )
    def context_muted(self, which: str, sender: Any, data: st.DataObject) -> None:
        """commerce_events.muted() silences the event in the block, subscribing included."""
        types = {"every event": (), "this event": (StatefulProbe,)}.get(
            which, (ProductViewed,)
        )
        with commerce_events.muted(*types):
            self._emit_and_check(sender, muted=which != "another event")
            if data.draw(st.booleans(), label="subscribe while muted"):
                key = data.draw(st.sampled_from(self._keys()), label="subscriber")
                self._connect(key, 0, "ANY", blinker_style=False)
                self._emit_and_check(sender, muted=which != "another event")
        self._emit_and_check(sender)

    @rule(sender=SENDERS, data=st.data())
    def blinker_muted(self, sender: Any, data: st.DataObject) -> None:
        """blinker's signal.muted() silences the signal in the block only."""
        with self.signal.muted():
            self._emit_and_check(sender, muted=True)
            if data.draw(st.booleans(), label="subscribe while muted"):
                key = data.draw(st.sampled_from(self._keys()), label="subscriber")
                self._connect(key, 1, "ANY", blinker_style=False)
                self._emit_and_check(sender, muted=True)
        self._emit_and_check(sender)


DispatchMachine.TestCase.settings = settings(
    max_examples=75, stateful_step_count=30, deadline=None
)
TestDispatchStateful = DispatchMachine.TestCase
