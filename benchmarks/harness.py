"""The timing harness: compiled loops, calibration, interleaved rounds, stats.

Every measured statement is compiled into a timeit-style loop
(``for _ in repeat(None, n): <stmt>``), as in /work/shared/bench/peers_bench.py,
timed by default with the thread's CPU time rather than perf_counter: on a
shared machine, the time the process spends descheduled is not counted. Each
cell's iteration count is calibrated once (about ``target_ns`` per sample);
then every cell is sampled once per round, round-robin, in groups shuffled
inside each round, so that machine noise hits the cells being compared alike.
Ratios are taken per round (cell / reference cell of the same round), then the
median over rounds.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import random
import statistics
import sys
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

SYNC_TEMPLATE = """
def _bench(_n, _repeat=_itertools.repeat, _clock=_CLOCK):
    _t0 = _clock()
    for _ in _repeat(None, _n):
{body}
    return _clock() - _t0
"""

ASYNC_TEMPLATE = """
async def _bench(_n, _repeat=_itertools.repeat, _clock=_CLOCK):
    _t0 = _clock()
    for _ in _repeat(None, _n):
{body}
    return _clock() - _t0
"""

CLOCKS: dict[str, Callable[[], int]] = {
    "cpu": time.thread_time_ns,
    "wall": time.perf_counter_ns,
}
"""``cpu``: the thread's CPU time, so that time spent descheduled (a shared
machine) is not counted; ``wall``: perf_counter, as peers_bench.py does."""

CLOCK: Callable[[], int] = time.thread_time_ns
"""The clock of every timed loop (set by run.main() before compiling)."""


def clock_overhead() -> float:
    """The cost of one clock reading, ns (subtracted from short intervals)."""
    clock = CLOCK
    samples = []
    for _ in range(21):
        t0 = clock()
        for _ in range(100):
            clock()
        samples.append((clock() - t0) / 101)
    return statistics.median(samples)


# Set by run.main(): the loop that async cells run in (inside, it is running).
LOOP: asyncio.AbstractEventLoop | None = None


@dataclass
class Cell:
    """One measured statement: a row's value at one N."""

    key: str  # unique, "row@N"
    row: str  # the row this cell belongs to
    n: int | None  # receivers per emit, None for cells without receivers
    stmt: str
    namespace: dict[str, Any]
    expect_calls: int  # receiver calls per execution of stmt (verified)
    is_async: bool = False
    setup: Callable[[], None] | None = None  # outside the timed loop
    teardown: Callable[[], None] | None = None
    n_iter: int = 0
    samples: list[float] = field(default_factory=list)  # ns per execution
    fn: Callable[[int], Any] | None = field(default=None, repr=False)

    def compile(self) -> None:
        """Compile the statement into its timed loop."""
        body = "\n".join("        " + line for line in self.stmt.splitlines())
        template = ASYNC_TEMPLATE if self.is_async else SYNC_TEMPLATE
        namespace = {"_itertools": itertools, "_CLOCK": CLOCK, **self.namespace}
        code = compile(template.format(body=body), f"<bench {self.key}>", "exec")
        exec(code, namespace)  # noqa: S102 - our own statement, timeit-style
        self.fn = namespace["_bench"]

    def _call(self, n: int) -> int:
        assert self.fn is not None  # noqa: S101 - compiled first
        if self.is_async:
            assert LOOP is not None  # noqa: S101
            result: int = LOOP.run_until_complete(self.fn(n))
            return result
        timed: int = self.fn(n)
        return timed

    def run(self, n: int) -> int:
        """Run *n* iterations; return the elapsed ns (setup not included)."""
        if self.setup is not None:
            self.setup()
        try:
            if self.setup is not None:
                self._call(1)  # builds whatever the setup invalidated
                # The setup's allocations must not trigger a collection inside
                # the timed loop (the GC stays enabled, as in production).
                gc.collect()
            return self._call(n)
        finally:
            if self.teardown is not None:
                self.teardown()

    def sample(self) -> None:
        """Take one sample (ns per execution) at the calibrated count."""
        self.samples.append(self.run(self.n_iter) / self.n_iter)


def count_calls(cell: Cell, codes: set[types.CodeType]) -> int:
    """How many functions with one of *codes* one execution of *cell* calls."""
    calls = 0

    def profile(frame: types.FrameType, event: str, arg: object) -> None:
        nonlocal calls
        if event == "call" and frame.f_code in codes:
            calls += 1

    if cell.setup is not None:
        cell.setup()
    try:
        sys.setprofile(profile)
        try:
            cell._call(1)  # noqa: SLF001
        finally:
            sys.setprofile(None)
    finally:
        if cell.teardown is not None:
            cell.teardown()
    return calls


def calibrate(cell: Cell, target_ns: int) -> None:
    """Pick the iteration count giving samples of about *target_ns*."""
    for _ in range(3):  # warm up: specialisation, caches, plans
        cell.run(8)
    n = 1
    while True:
        elapsed = cell.run(n)
        if elapsed >= min(2_000_000, target_ns) or n >= 1 << 24:
            break
        n *= 4
    per = max(elapsed / n, 1.0)
    cell.n_iter = max(1, int(target_ns / per))


def sample_rounds(
    groups: Sequence[Sequence[Cell]],
    rounds: int,
    rng: random.Random,
    log: Callable[[str], None],
    label: str = "",
) -> None:
    """Sample every cell once per round, each group shuffled in every round."""
    for index in range(rounds):
        for group in groups:
            order = list(group)
            rng.shuffle(order)
            for cell in order:
                cell.sample()
        log(f"{label}round {index + 1}/{rounds} done")


def median(values: Sequence[float]) -> float:
    """The median, NaN for no values."""
    return statistics.median(values) if values else float("nan")


def spread(values: Sequence[float]) -> float:
    """Median absolute deviation over the median, in %."""
    if len(values) < 2:  # noqa: PLR2004
        return 0.0
    mid = statistics.median(values)
    if not mid:
        return 0.0
    return 100.0 * statistics.median(abs(v - mid) for v in values) / mid


def ratio(cell: Cell, reference: Cell) -> float:
    """The median over rounds of cell / reference in the same round."""
    return median([a / b for a, b in zip(cell.samples, reference.samples, strict=True)])
