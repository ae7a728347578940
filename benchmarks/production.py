"""The production-shaped process: the emit rows again, in a process like a shop's.

A real shop's process is not empty. This phase turns the benchmark's process
into one: ``OrderPlaced`` is forwarded to an (in-memory) broker, an audit
subscriber reads the metadata of ``BasketAddition``, another thread sits inside
a ``deferred()`` block (its request's transaction) for the whole phase, and the
measuring thread runs inside ``request_context``. Then the emit rows are
measured again, emitting ``ProductViewed``, which none of that concerns: what
one event needs must cost the others nothing, and a scope must cost only the
context that opened it.

Three rows only this phase has:

- ``emit`` inside the measuring thread's own ``deferred()`` block (the block's
  delivery included), against L(N);
- an emit of the forwarded ``OrderPlaced`` (envelope, JSON-ready, handed to the
  in-memory forwarder), against building its payload alone and against
  ``json.dumps`` of the envelope it makes.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Mapping
from typing import Any

import commerce_events
from commerce_events import (
    BasketAddition,
    OrderPlaced,
    ProductViewed,
    deferred,
    emit,
    emit_async,
    request_context,
    subscribe,
)

from .cells import NS, Suite
from .fixtures import KEEPALIVE, KW4, RQ, SENDER, U, typed_subscribers

COPIED_ROWS = (
    "limit",
    "emit",
    "blinker",
    "oscar_send",
    "loop_prebuilt",
    "emit_prebuilt",
    "async_limit",
    "emit_async",
)
"""Rows of the empty-process suite measured again, as ``prod_<row>``."""

ORDER = "100042"


class MemoryBroker:
    """A forwarder that keeps the last envelope (the broker of this phase)."""

    def __init__(self) -> None:
        self.last: Mapping[str, Any] = {}

    def send(self, envelope: Mapping[str, Any]) -> None:
        self.last = envelope


_stop = threading.Event()


class _OpenBlock:
    """A ``deferred()`` block held open across a sample, then rolled back."""

    def __init__(self) -> None:
        self.block: deferred | None = None

    def open(self) -> None:
        self.block = deferred()
        self.block.__enter__()

    def roll_back(self) -> None:
        assert self.block is not None  # noqa: S101 - opened by the setup
        self.block.__exit__(RuntimeError, RuntimeError("rolled back"), None)
        self.block = None


def apply_shape() -> MemoryBroker:
    """Make this process production-shaped, for the rest of its life."""
    broker = MemoryBroker()
    KEEPALIVE.append(commerce_events.forward(OrderPlaced, to=broker))

    def audit(event: BasketAddition, metadata: commerce_events.EventMetadata) -> None:
        return None

    subscribe(BasketAddition, audit, with_metadata=True)
    KEEPALIVE.append(audit)

    inside = threading.Event()

    def request_in_a_transaction() -> None:
        with deferred():
            inside.set()
            _stop.wait()

    holder = threading.Thread(target=request_in_a_transaction, daemon=True)
    holder.start()
    inside.wait()
    context = request_context(RQ, U)
    context.__enter__()  # the measuring thread stays inside a request
    KEEPALIVE.append(context)
    return broker


def build(empty: Suite) -> tuple[Suite, MemoryBroker]:
    """Shape the process, then the production cells (copies and new rows)."""
    broker = apply_shape()
    suite = Suite()
    for cell in (*empty.sync, *empty.async_):
        if cell.row in COPIED_ROWS:
            copy = dataclasses.replace(
                cell, key=f"prod_{cell.key}", row=f"prod_{cell.row}", samples=[]
            )
            (suite.async_ if cell.is_async else suite.sync).append(copy)
    for n in NS:
        typed = typed_subscribers(n)
        KEEPALIVE.append(typed)

        def setup(typed: list[Any] = typed) -> None:
            for fn in typed:
                subscribe(ProductViewed, fn)

        def teardown(typed: list[Any] = typed) -> None:
            for fn in typed:
                commerce_events.unsubscribe(ProductViewed, fn)

        unit = _OpenBlock()

        def setup_in_block(setup: Any = setup, unit: _OpenBlock = unit) -> None:
            setup()
            unit.open()

        def teardown_in_block(
            teardown: Any = teardown, unit: _OpenBlock = unit
        ) -> None:
            unit.roll_back()
            teardown()

        # The emit itself, inside the thread's own open block: it queues.
        suite.sync.append(
            _cell(
                "prod_deferred",
                n,
                f"emit(PV({KW4}), sender=SENDER)",
                0,
                setup=setup_in_block,
                teardown=teardown_in_block,
            )
        )
        # A whole block around one emit, its delivery included.
        suite.sync.append(
            _cell(
                "prod_deferred_block",
                n,
                f"with DEFERRED():\n    emit(PV({KW4}), sender=SENDER)",
                n,
                setup=setup,
                teardown=teardown,
            )
        )
    emit(OrderPlaced(order=ORDER), sender=SENDER)
    envelope = dict(broker.last)
    for row, stmt in (
        ("prod_forward", "emit(OP(order=ORDER), sender=SENDER)"),
        ("prod_order", "OP(order=ORDER)"),
        ("prod_dumps", "dumps(ENVELOPE)"),
    ):
        suite.sync.append(_cell(row, 0, stmt, 0, envelope=envelope))
    return suite, broker


def _cell(
    row: str,
    n: int,
    stmt: str,
    expect: int,
    *,
    setup: Any = None,
    teardown: Any = None,
    envelope: Mapping[str, Any] | None = None,
) -> Any:
    from .fixtures import RS, P
    from .harness import Cell

    namespace = {
        "P": P,
        "U": U,
        "RQ": RQ,
        "RS": RS,
        "SENDER": SENDER,
        "PV": ProductViewed,
        "OP": OrderPlaced,
        "ORDER": ORDER,
        "DEFERRED": deferred,
        "emit": emit,
        "emit_async": emit_async,
        "dumps": json.dumps,
        "ENVELOPE": envelope,
    }
    return Cell(
        key=f"{row}@{n}",
        row=row,
        n=n,
        stmt=stmt,
        namespace=namespace,
        expect_calls=expect,
        setup=setup,
        teardown=teardown,
    )
