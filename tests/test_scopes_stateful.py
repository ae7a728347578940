"""Stateful test: scopes in threads and tasks deliver every event exactly once.

``muted()`` and ``deferred()`` blocks are opened and closed (nested, exited
normally or rolled back) by this thread, by another thread holding its own
blocks open across steps, and by asyncio tasks; worker threads and tasks that
inherited a block emit while it is open and after it closed (a closed block
must behave as if it had never been opened); threads race the close of a
block; subscribers come and go, also during an emit. After every step the
deliveries are compared with a simple model: each event reaches each of its
subscribers exactly once, unless it was muted or its block rolled back.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import os
import queue
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import commerce_events
from commerce_events import (
    _settings,
    deferred,
    emit,
    emit_async,
    field,
    muted,
    subscribe,
    subscribe_all,
    unsubscribe,
    unsubscribe_all,
)

STRESS = os.environ.get("COMMERCE_EVENTS_STRESS") == "1"


@commerce_events.event("scope_probe_a")
class ProbeA:
    """Emitted only by this state machine."""

    ident: int = field(doc="Unique per emit")
    action: str = field(default="", doc="What the meddling subscriber does")


@commerce_events.event("scope_probe_b")
class ProbeB:
    """A second event, so that a mute can name some events only."""

    ident: int = field(doc="Unique per emit")
    action: str = field(default="", doc="What the meddling subscriber does")


TYPES: dict[str, type[Any]] = {"A": ProbeA, "B": ProbeB}
LOG: list[tuple[str, int]] = []
"""Every delivery to a recording subscriber: (subscriber, ident). Thread-safe appends."""


def _recorder(name: str) -> Callable[[Any], None]:
    def subscriber(event: Any) -> None:
        LOG.append((name, event.ident))

    subscriber.__qualname__ = f"recorder_{name}"
    return subscriber


SUBSCRIBERS = {name: _recorder(name) for name in ("s0", "s1", "s2", "s3")}
AUDIT = _recorder("audit")  # a catch-all subscriber


def meddler(event: Any) -> None:
    """Runs first (priority 100): subscribes or unsubscribes a recorder mid-emit."""
    if event.action:
        verb, name = event.action.split(":")
        if verb == "unsub":
            unsubscribe(type(event), SUBSCRIBERS[name])
        else:
            subscribe(type(event), SUBSCRIBERS[name])


class _RollbackError(Exception):
    """Raised to leave a deferred() block with an exception."""


# -- the model ---------------------------------------------------------------------


class MScope:
    """The model of one block: what it mutes or queues, and whether it closed."""

    def __init__(
        self, kind: str, parent: MScope | None, types: frozenset[str] | None = None
    ) -> None:
        self.kind = kind  # "defer" or "mute"
        self.parent = parent
        self.types = types  # muted event names; None: every event
        self.closed = False
        self.queue: list[tuple[str, int, str]] = []


def _chain(scope: MScope | None) -> list[MScope]:
    found = []
    while scope is not None:
        found.append(scope)
        scope = scope.parent
    return found


def _open_unit(scope: MScope | None) -> MScope | None:
    for item in _chain(scope):
        if item.kind == "defer" and not item.closed:
            return item
    return None


class Model:
    """Who is subscribed, and which deliveries must have happened."""

    def __init__(self) -> None:
        self.subs: dict[str, set[str]] = {"A": set(), "B": set()}
        self.audit = False
        self.expected: Counter[tuple[str, int]] = Counter()
        self.fate: dict[int, str] = {}  # ident -> delivered/muted/queued/dropped

    def receivers(self, event: str) -> set[str]:
        return self.subs[event] | ({"audit"} if self.audit else set())

    def deliver(self, event: str, ident: int, action: str) -> None:
        receivers = self.receivers(event)
        if action:
            verb, name = action.split(":")
            if verb == "unsub":
                # Unsubscribed by the first subscriber: not called any more.
                self.subs[event].discard(name)
                receivers.discard(name)
            else:
                # Subscribed during the emit: not called by it.
                self.subs[event].add(name)
        for name in receivers:
            self.expected[name, ident] += 1
        self.fate[ident] = "delivered"

    def emit(
        self, scope: MScope | None, event: str, ident: int, action: str = ""
    ) -> None:
        for item in _chain(scope):
            if (
                item.kind == "mute"
                and not item.closed
                and (item.types is None or event in item.types)
            ):
                self.fate[ident] = "muted"
                return
        unit = _open_unit(scope)
        if unit is not None:
            unit.queue.append((event, ident, action))
            self.fate[ident] = "queued"
            return
        self.deliver(event, ident, action)

    def close(self, scope: MScope, *, rollback: bool) -> None:
        scope.closed = True
        if scope.kind != "defer":
            return
        items, scope.queue = scope.queue, []
        if rollback:
            for _event, ident, _action in items:
                self.fate[ident] = "dropped"
            return
        outer = _open_unit(scope.parent)
        if outer is not None:
            outer.queue.extend(items)
            return
        for item in items:
            self.deliver(*item)


# -- another thread, holding its own blocks open across steps -------------------------


class Holder:
    """A thread that opens and closes its own blocks, on command, in lockstep."""

    def __init__(self) -> None:
        self.commands: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self.acks: queue.Queue[BaseException | None] = queue.Queue()
        self.blocks: list[tuple[Any, MScope]] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            command = self.commands.get()
            if command is None:
                return
            try:
                command()
            except BaseException as exc:
                self.acks.put(exc)
            else:
                self.acks.put(None)

    def run(self, command: Callable[[], None]) -> None:
        """Run *command* in the holder's thread; wait until it is done."""
        self.commands.put(command)
        error = self.acks.get(timeout=60)
        if error is not None:
            raise error

    def stop(self) -> None:
        self.commands.put(None)
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()

    @property
    def scope(self) -> MScope | None:
        return self.blocks[-1][1] if self.blocks else None


def _exit(block: Any, *, rollback: bool) -> None:
    """Leave a block entered by hand, normally or with an exception."""
    if rollback:
        error = _RollbackError()
        assert not block.__exit__(_RollbackError, error, None)
    else:
        block.__exit__(None, None, None)


threads_errors: list[list[BaseException]] = []
"""What the worker threads of the current step raised (checked when joined)."""


def _run_in_threads(
    context: contextvars.Context, count: int, work: Callable[[int], None]
) -> list[threading.Thread]:
    """Start *count* threads, each running ``work(i)`` in a copy of *context*."""
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=context.copy().run, args=(target, i))
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    threads_errors.append(errors)
    return threads


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()
    for errors in threads_errors:
        assert [] == errors
    threads_errors.clear()


EVENTS = st.sampled_from(("A", "B"))
MUTES = st.sampled_from((None, frozenset({"A"}), frozenset({"B"}), frozenset("AB")))
NAMES = st.sampled_from(sorted(SUBSCRIBERS))
ACTIONS = st.one_of(
    st.just(""),
    st.builds(
        lambda verb, name: f"{verb}:{name}", st.sampled_from(("unsub", "sub")), NAMES
    ),
)
APIS = st.sampled_from(("emit", "send", "emit_async", "emit_async_concurrent"))


def _payload(event: str, ident: int, action: str = "") -> Any:
    return TYPES[event](ident=ident, action=action)


async def _emit_async(event: str, ident: int, action: str = "") -> None:
    await emit_async(_payload(event, ident, action))


class ScopesMachine(RuleBasedStateMachine):
    """Scopes, threads, tasks and subscriptions, checked against :class:`Model`."""

    def __init__(self) -> None:
        super().__init__()
        self.stack = ExitStack()
        self.stack.enter_context(_settings.isolated_state())
        LOG.clear()
        threads_errors.clear()
        self.model = Model()
        self.idents = itertools.count()
        self.blocks: list[tuple[Any, MScope]] = []  # this thread's open blocks
        self.captured: list[tuple[contextvars.Context, MScope | None]] = []
        self.holder: Holder | None = None
        for event in ("A", "B"):
            subscribe(TYPES[event], meddler, priority=100)

    @property
    def scope(self) -> MScope | None:
        return self.blocks[-1][1] if self.blocks else None

    def teardown(self) -> None:
        try:
            while self.blocks:
                block, _scope = self.blocks.pop()
                _exit(block, rollback=True)
            if self.holder is not None:
                holder = self.holder
                self.holder = None

                def close_all() -> None:
                    while holder.blocks:
                        _exit(holder.blocks.pop()[0], rollback=True)

                holder.run(close_all)
                holder.stop()
        finally:
            self.stack.close()
            LOG.clear()

    # -- checking -------------------------------------------------------------

    @invariant()
    def deliveries_match_the_model(self) -> None:
        """Each event reached each subscriber exactly once, unless muted or dropped."""
        actual = Counter(LOG)
        if actual != self.model.expected:
            missing = self.model.expected - actual
            extra = actual - self.model.expected
            fates = {i: self.model.fate.get(i) for _, i in (*missing, *extra)}
            raise AssertionError(
                f"missing deliveries {dict(missing)}, unexpected {dict(extra)}; "
                f"the model's fates of those events: {fates}"
            )

    def _next(self) -> int:
        return next(self.idents)

    @initialize()
    def some_subscribers(self) -> None:
        """Start with recorders on both events, so that most emits reach someone."""
        subscribe(ProbeA, ProbeB, SUBSCRIBERS["s0"])
        subscribe(ProbeA, SUBSCRIBERS["s1"], priority=1)
        self.model.subs["A"] |= {"s0", "s1"}
        self.model.subs["B"].add("s0")

    # -- subscriptions ----------------------------------------------------------

    @rule(
        name=NAMES,
        events=st.sampled_from(("A", "B", "AB")),
        priority=st.sampled_from((0, 1)),
    )
    def subscribe_recorder(self, name: str, events: str, priority: int) -> None:
        """Subscribe a recorder to one event or both (one call)."""
        subscribe(*(TYPES[e] for e in events), SUBSCRIBERS[name], priority=priority)
        for event in events:
            self.model.subs[event].add(name)

    @rule(name=NAMES, event=EVENTS)
    def unsubscribe_recorder(self, name: str, event: str) -> None:
        was = name in self.model.subs[event]
        assert was == unsubscribe(TYPES[event], SUBSCRIBERS[name])
        self.model.subs[event].discard(name)

    @rule()
    def toggle_catch_all(self) -> None:
        """Subscribe the audit subscriber to every event, or remove it."""
        if self.model.audit:
            assert unsubscribe_all(AUDIT)
        else:
            subscribe_all(AUDIT)
        self.model.audit = not self.model.audit

    # -- this thread's blocks ----------------------------------------------------

    @precondition(lambda self: len(self.blocks) < 4)
    @rule()
    def open_deferred(self) -> None:
        block = deferred()
        block.__enter__()
        self.blocks.append((block, MScope("defer", self.scope)))

    @precondition(lambda self: len(self.blocks) < 4)
    @rule(types=MUTES)
    def open_muted(self, types: frozenset[str] | None) -> None:
        block = muted(*(TYPES[t] for t in sorted(types or ())))
        block.__enter__()
        self.blocks.append((block, MScope("mute", self.scope, types)))

    @precondition(lambda self: bool(self.blocks))
    @rule(rollback=st.booleans())
    def close_block(self, rollback: bool) -> None:
        """Leave the innermost block: normally (delivers) or with an exception (drops)."""
        block, scope = self.blocks.pop()
        _exit(block, rollback=rollback)
        self.model.close(scope, rollback=rollback)

    # -- emitting -----------------------------------------------------------------

    @rule(event=EVENTS, action=ACTIONS, api=APIS, twice=st.booleans())
    def emit_here(self, event: str, action: str, api: str, twice: bool) -> None:
        """Emit from this thread (emit_async: from a task of a new loop).

        *twice*: emit a plain event first, so that the second emit finds the
        dispatcher's plans ready (its fast path, when no block is open).
        """
        if twice:
            self.emit_here(event, "", api, twice=False)
        ident = self._next()
        payload = _payload(event, ident, action)
        if api == "emit":
            emit(payload)
        elif api == "send":
            commerce_events.signal(TYPES[event]).send(
                "shop", ident=ident, action=action
            )
        else:
            asyncio.run(emit_async(payload, concurrent=api == "emit_async_concurrent"))
        self.model.emit(self.scope, event, ident, action)

    @rule(threads=st.integers(1, 4), per_thread=st.integers(1, 3), event=EVENTS)
    def emit_from_threads(self, threads: int, per_thread: int, event: str) -> None:
        """Worker threads started with a copy of this context emit at once."""
        idents = [[self._next() for _ in range(per_thread)] for _ in range(threads)]
        barrier = threading.Barrier(threads)

        def work(i: int) -> None:
            barrier.wait(timeout=60)
            for ident in idents[i]:
                emit(_payload(event, ident))

        _join(_run_in_threads(contextvars.copy_context(), threads, work))
        for group in idents:
            for ident in group:
                self.model.emit(self.scope, event, ident)

    @precondition(lambda self: len(self.captured) < 4)
    @rule()
    def capture_context(self) -> None:
        """Keep a copy of this context, to emit from later (its blocks may close)."""
        self.captured.append((contextvars.copy_context(), self.scope))

    @precondition(lambda self: bool(self.captured))
    @rule(data=st.data(), event=EVENTS, action=ACTIONS, in_task=st.booleans())
    def emit_from_captured(
        self, data: st.DataObject, event: str, action: str, in_task: bool
    ) -> None:
        """A thread in an old copy of this context emits: closed blocks are ignored."""
        index = data.draw(st.integers(0, len(self.captured) - 1), label="context")
        context, scope = self.captured[index]
        ident = self._next()

        def work(_i: int) -> None:
            if in_task:
                asyncio.run(_emit_async(event, ident, action))
            else:
                emit(_payload(event, ident, action))

        _join(_run_in_threads(context, 1, work))
        self.model.emit(scope, event, ident, action)

    @rule(
        kind=st.sampled_from(("defer", "mute")),
        types=MUTES,
        inside=st.integers(0, 2),
        early=st.integers(0, 2),
        late=st.integers(0, 3),
        rollback=st.booleans(),
        event=EVENTS,
    )
    def async_block(
        self,
        kind: str,
        types: frozenset[str] | None,
        inside: int,
        early: int,
        late: int,
        rollback: bool,
        event: str,
    ) -> None:
        """Tasks created in an ``async with deferred()``/``muted()`` block emit after it closed."""
        inside_ids = [self._next() for _ in range(inside)]
        early_ids = [self._next() for _ in range(early)]
        late_ids = [self._next() for _ in range(late)]

        async def main() -> None:
            gate = asyncio.Event()
            tasks: list[asyncio.Task[None]] = []

            async def late_emit(ident: int) -> None:
                await gate.wait()
                await _emit_async(event, ident)

            async def body() -> None:
                for ident in inside_ids:
                    await _emit_async(event, ident)
                # Tasks that run while the block is open, and end before it closes.
                await asyncio.gather(
                    *(asyncio.create_task(_emit_async(event, i)) for i in early_ids)
                )
                # Tasks created in the block that run only after it closed.
                tasks.extend(asyncio.create_task(late_emit(i)) for i in late_ids)
                if rollback:
                    raise _RollbackError

            try:
                if kind == "defer":
                    async with deferred():
                        await body()
                else:
                    with muted(*(TYPES[t] for t in sorted(types or ()))):
                        await body()
            except _RollbackError:
                assert rollback
            gate.set()
            await asyncio.gather(*tasks)

        asyncio.run(main())
        scope = MScope("defer" if kind == "defer" else "mute", self.scope, types)
        for ident in (*inside_ids, *early_ids):
            self.model.emit(scope, event, ident)
        self.model.close(scope, rollback=rollback)
        for ident in late_ids:
            self.model.emit(scope, event, ident)

    @precondition(
        lambda self: all(
            item.kind == "defer" or item.closed for item in _chain(self.scope)
        )
    )
    @rule(
        threads=st.integers(1, 3),
        per_thread=st.integers(1, 4),
        ending=st.sampled_from(("commit", "rollback", "mute")),
        event=EVENTS,
    )
    def race_the_close(
        self, threads: int, per_thread: int, ending: str, event: str
    ) -> None:
        """Threads that inherited a block emit while it closes: never lost, never twice.

        A committed block delivers each of their events exactly once (queued
        before the close, or delivered at once after it). A rolled-back block
        or a mute drops or silences those emitted before the close only, so
        each event arrives once or not at all.
        """
        if ending != "commit" and _open_unit(self.scope) is not None:
            ending = "commit"  # what the outer block queues cannot be seen yet
        idents = [[self._next() for _ in range(per_thread)] for _ in range(threads)]
        barrier = threading.Barrier(threads + 1)
        block: Any = muted() if ending == "mute" else deferred()
        block.__enter__()
        try:
            context = contextvars.copy_context()

            def work(i: int) -> None:
                barrier.wait(timeout=60)
                for ident in idents[i]:
                    emit(_payload(event, ident))

            workers = _run_in_threads(context, threads, work)
            barrier.wait(timeout=60)
        finally:
            _exit(block, rollback=ending == "rollback")
        _join(workers)
        scope = MScope("mute" if ending == "mute" else "defer", self.scope)
        if ending == "commit":
            for group in idents:
                for ident in group:
                    self.model.emit(scope, event, ident)
            self.model.close(scope, rollback=False)
            return
        scope.closed = True
        counts = Counter(ident for _name, ident in LOG)
        for group in idents:
            for ident in group:
                if counts[ident]:  # emitted after the close: delivered at once
                    self.model.emit(scope, event, ident)
                else:  # emitted before: dropped or muted
                    self.model.fate[ident] = "dropped or muted"

    # -- another thread's blocks ------------------------------------------------------

    def _holder(self) -> Holder:
        if self.holder is None:
            self.holder = Holder()
        return self.holder

    @precondition(lambda self: self.holder is None or len(self.holder.blocks) < 3)
    @rule(kind=st.sampled_from(("defer", "mute")), types=MUTES)
    def other_thread_opens(self, kind: str, types: frozenset[str] | None) -> None:
        """Another thread opens a block and keeps it open across steps."""
        holder = self._holder()
        scope = MScope(kind, holder.scope, types if kind == "mute" else None)

        def open_block() -> None:
            block: Any = (
                deferred()
                if kind == "defer"
                else muted(*(TYPES[t] for t in sorted(types or ())))
            )
            block.__enter__()
            holder.blocks.append((block, scope))

        holder.run(open_block)

    @precondition(lambda self: self.holder is not None)
    @rule(event=EVENTS, action=ACTIONS)
    def other_thread_emits(self, event: str, action: str) -> None:
        holder = self._holder()
        ident = self._next()
        holder.run(lambda: emit(_payload(event, ident, action)))
        self.model.emit(holder.scope, event, ident, action)

    @precondition(lambda self: self.holder is not None and bool(self.holder.blocks))
    @rule(rollback=st.booleans())
    def other_thread_closes(self, rollback: bool) -> None:
        holder = self._holder()
        block, scope = holder.blocks.pop()
        holder.run(lambda: _exit(block, rollback=rollback))
        self.model.close(scope, rollback=rollback)


ScopesMachine.TestCase.settings = settings(
    max_examples=500 if STRESS else 50,
    stateful_step_count=60 if STRESS else 30,
    deadline=None,
)
TestScopesStateful = ScopesMachine.TestCase
