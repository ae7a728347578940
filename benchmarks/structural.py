"""Subscribing: the cost of subscribe + unsubscribe, and memory per subscription.

Subscribe + unsubscribe: per round, for each (library, K) in shuffled order,
K fresh receivers are connected to an empty signal, then disconnected, each
phase timed with the harness's clock (less the cost of reading it); the
per-receiver costs are medians over rounds, and the ratios to blinker are per
round. commerce_events' "empty signal" is a dedicated event that every cycle
leaves empty again.

Memory: tracemalloc around connecting 1000 receivers (made beforehand, so
their own size is excluded) to a fresh signal; CPython's free lists are
drained first, so that objects taken from them are counted; median of reps.
commerce_events is measured after one emit, so its plan is included.
"""

from __future__ import annotations

import gc
import itertools
import random
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import blinker

from commerce_events import emit, subscribe, unsubscribe

from . import harness
from .fixtures import (
    RQ,
    RS,
    AnyFn,
    P,
    Product,
    Request,
    Response,
    U,
    User,
    kw_receivers,
    positional_receivers,
    product_viewed_clone,
    typed_subscribers,
)
from .harness import median

CE = "commerce_events subscribe (typed)"
BLINKER_WEAK = "blinker connect (weak, default)"
BLINKER_STRONG = "blinker connect (weak=False)"
DJANGO = "Django connect (weak, default)"
PSYGNAL = "psygnal connect"


@dataclass
class Library:
    """How to make a signal and receivers, and to connect and disconnect them."""

    name: str
    make_signal: Callable[[], Any]
    make_receivers: Callable[[Any, int], list[AnyFn]]  # (signal, count)
    connect: Callable[[Any, AnyFn], object]
    disconnect: Callable[[Any, AnyFn], object]


def libraries(ce_probes: list[type[Any]]) -> list[Library]:
    """commerce_events and the peers; *ce_probes* are empty bench events.

    Each call of commerce_events' ``make_signal`` returns the next probe,
    cycling: subscribe cycles leave it empty; memory needs a fresh one per rep.
    """
    from psygnal import SignalInstance

    from .cells import _django_signal_class

    django_signal = _django_signal_class()
    probes = itertools.cycle(ce_probes)

    def ce_receivers(payload_type: type[Any], n: int) -> list[AnyFn]:
        return typed_subscribers(n, payload_type)

    def kw(_signal: object, n: int) -> list[AnyFn]:
        return kw_receivers(n)

    def positional(_signal: object, n: int) -> list[AnyFn]:
        return positional_receivers(n)

    return [
        Library(
            CE,
            lambda: next(probes),
            ce_receivers,
            subscribe,
            unsubscribe,
        ),
        Library(
            BLINKER_WEAK,
            blinker.Signal,
            kw,
            lambda s, r: s.connect(r),
            lambda s, r: s.disconnect(r),
        ),
        Library(
            BLINKER_STRONG,
            blinker.Signal,
            kw,
            lambda s, r: s.connect(r, weak=False),
            lambda s, r: s.disconnect(r),
        ),
        Library(
            DJANGO,
            django_signal,
            kw,
            lambda s, r: s.connect(r),
            lambda s, r: s.disconnect(r),
        ),
        Library(
            PSYGNAL,
            lambda: SignalInstance((Product, User, Request, Response)),
            positional,
            lambda s, r: s.connect(r),
            lambda s, r: s.disconnect(r),
        ),
    ]


def make_probes(count: int, prefix: str) -> list[type[Any]]:
    """Register *count* empty ProductViewed-shaped events for subscribing."""
    return [product_viewed_clone(f"{prefix}_{i}") for i in range(count)]


@dataclass
class _Job:
    library: Library
    k: int
    clock_overhead: float
    cycles: int = 1
    connect: list[float] = field(default_factory=list)
    disconnect: list[float] = field(default_factory=list)

    def cycle(self) -> tuple[float, float]:
        lib = self.library
        signal = lib.make_signal()
        receivers = lib.make_receivers(signal, self.k)  # outside the timed region
        clock = harness.CLOCK
        t0 = clock()
        for r in receivers:
            lib.connect(signal, r)
        t1 = clock()
        for r in receivers:
            lib.disconnect(signal, r)
        t2 = clock()
        overhead = self.clock_overhead
        return t1 - t0 - overhead, t2 - t1 - overhead

    def sample(self) -> None:
        connect = disconnect = 0.0
        for _ in range(self.cycles):
            c, d = self.cycle()
            connect += c
            disconnect += d
        per = self.cycles * self.k
        self.connect.append(connect / per)
        self.disconnect.append(disconnect / per)


@dataclass
class ConnectResult:
    """Per-receiver costs (ns) of one library at one K, and ratios to blinker."""

    connect_ns: float
    disconnect_ns: float
    sum_ns: float
    x_blinker: float  # (connect + disconnect) / blinker weak's, per round
    samples: list[float]


def bench_subscribe(
    libs: list[Library],
    ks: tuple[int, ...],
    rounds: int,
    target_ns: int,
    rng: random.Random,
) -> dict[tuple[str, int], ConnectResult]:
    """Connect + disconnect cost per receiver for every library and K."""
    jobs: list[_Job] = []
    overhead = harness.clock_overhead()
    for k in ks:
        for lib in libs:
            job = _Job(lib, k, overhead)
            job.cycle()
            c, d = job.cycle()
            job.cycles = max(1, int(target_ns / max(c + d, 1)))
            jobs.append(job)
    for _ in range(rounds):
        order = jobs[:]
        rng.shuffle(order)
        for job in order:
            job.sample()
    results: dict[tuple[str, int], ConnectResult] = {}
    for job in jobs:
        ref = next(j for j in jobs if j.k == job.k and j.library.name == BLINKER_WEAK)
        sums = [c + d for c, d in zip(job.connect, job.disconnect, strict=True)]
        ref_sums = [c + d for c, d in zip(ref.connect, ref.disconnect, strict=True)]
        results[job.library.name, job.k] = ConnectResult(
            connect_ns=median(job.connect),
            disconnect_ns=median(job.disconnect),
            sum_ns=median(sums),
            x_blinker=median([a / b for a, b in zip(sums, ref_sums, strict=True)]),
            samples=sums,
        )
    return results


def _drain_free_lists() -> tuple[Any, ...]:
    """Empty CPython's tuple/dict/list/float free lists (keeping the objects)."""
    return (
        [tuple(range(k)) for k in range(1, 21) for _ in range(2100)],
        [{} for _ in range(200)],
        [[] for _ in range(200)],
        [float(i) + 0.5 for i in range(200)],
    )


def _connect_all(lib: Library, signal: Any, receivers: list[AnyFn]) -> None:
    for r in receivers:
        lib.connect(signal, r)


def bench_memory(libs: list[Library], receivers: int, reps: int) -> dict[str, float]:
    """Bytes per connected receiver, for every library."""
    results: dict[str, float] = {}
    tracemalloc.start()
    try:
        for lib in libs:
            values = []
            for _ in range(reps):
                signal = lib.make_signal()
                fns = lib.make_receivers(signal, receivers)
                extra = lib.make_receivers(signal, 1)[0]
                lib.connect(signal, extra)  # lazily created per-signal state
                if lib.name == CE:
                    emit(signal(product=P, user=U, request=RQ, response=RS))
                gc.collect()
                drained = _drain_free_lists()
                before = tracemalloc.get_traced_memory()[0]
                _connect_all(lib, signal, fns)
                if lib.name == CE:  # builds the plan, part of the cost
                    emit(signal(product=P, user=U, request=RQ, response=RS))
                gc.collect()
                after = tracemalloc.get_traced_memory()[0]
                values.append((after - before) / receivers)
                del signal, fns, extra, drained
                gc.collect()
            results[lib.name] = median(values)
    finally:
        tracemalloc.stop()
    return results
