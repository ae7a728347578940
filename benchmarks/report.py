"""The targets, their evaluation, and the report (RST, JSON).

The report is reStructuredText made of simple tables, readable as printed and
pasted as is into BENCHMARKS.rst (``--update-doc BENCHMARKS.rst`` does that).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import anatomy
from .cells import FLAT_N, NS, PEERS, ROWS, Suite
from .harness import Cell, median, ratio, spread
from .structural import (
    BLINKER_STRONG,
    BLINKER_WEAK,
    CE,
    DJANGO,
    PSYGNAL,
    ConnectResult,
)

BEGIN_MARKER = ".. begin-bench-results"
END_MARKER = ".. end-bench-results"

MEMORY_LIMIT = 400.0  # bytes per subscription
FLAT_LIMIT = 1.10  # "flat": at most 10% slower
O1_LIMIT = 1.5  # per-subscriber cost at K=1000 / at K=10


@dataclass
class Target:
    """One target row: measured ratios, the limits that apply, and a verdict."""

    measure: str
    values: dict[str, float]  # column -> measured value
    limits: dict[str, float]  # column -> the value must be <= (or <) this
    target: str
    strict: bool = False  # "faster": < instead of <=
    unit: str = "x"

    def misses(self) -> list[tuple[str, float, float]]:
        """(column, value, limit) of every checked column that misses."""
        out = []
        for column, limit in self.limits.items():
            value = self.values.get(column, math.nan)
            ok = value < limit if self.strict else value <= limit
            if not ok:
                out.append((column, value, limit))
        return out

    @property
    def verdict(self) -> str:
        """``pass``, or ``MISS`` and the worst miss."""
        misses = self.misses()
        if not misses:
            return "pass"
        column, value, limit = max(misses, key=lambda m: m[1] / m[2])
        where = f" at {column}" if len(self.values) > 1 else ""
        return f"MISS ({fmt(value, self.unit)}{where}, {value / limit:.2f}x the limit)"


@dataclass
class Results:
    """Everything one run measured."""

    machine: dict[str, Any]
    versions: dict[str, str]
    settings: dict[str, Any]
    suite: Suite
    registry: dict[str, Any]  # custom event counts and phase B cells
    connect: dict[tuple[str, int], ConnectResult]
    connect_ks: tuple[int, ...]
    memory: dict[str, float]
    production: Suite | None = None  # the emit rows in a production-shaped process
    targets: list[Target] = field(default_factory=list)
    production_targets: list[Target] = field(default_factory=list)


def fmt(value: float, unit: str = "x") -> str:
    """A ratio (``1.23``), or bytes (``312 B``), or ns."""
    if value != value:  # noqa: PLR0124 - NaN
        return "n/a"
    if unit == "B":
        return f"{value:,.0f} B"
    if unit == "ns":
        return f"{value:,.0f}"
    return f"{value:.2f}" if value < 100 else f"{value:,.0f}"  # noqa: PLR2004


def _ratio(suite: Suite, row: str, ref: str, n: int) -> float:
    cell, reference = suite.get(row, n), suite.get(ref, n)
    if cell is None or reference is None:
        return math.nan
    return ratio(cell, reference)


def evaluate(results: Results) -> list[Target]:
    """Evaluate every empty-process target on *results*."""
    suite = results.suite
    cols = {f"N={n}": n for n in NS}

    def per_n(row: str, ref: str) -> dict[str, float]:
        return {c: _ratio(suite, row, ref, n) for c, n in cols.items()}

    targets = [
        Target(
            "emit / L(N)",
            per_n("emit", "limit"),
            dict.fromkeys(cols, 1.3),
            "<= 1.3 at every N",
        ),
        Target(
            "emit / blinker send",
            per_n("emit", "blinker"),
            {"N=1": 0.6, "N=10": 0.2},
            "<= 0.6 at N=1, <= 0.2 at N=10",
        ),
    ]
    for peer in PEERS:
        if suite.get(peer, 10) is None:
            continue
        targets.append(
            Target(
                f"emit / {ROWS[peer]}",
                per_n("emit", peer),
                {"N=10": 1.0, "N=100": 1.0},
                "< 1 (faster) at N >= 10",
                strict=True,
            )
        )
    targets += [
        Target(
            "Oscar-style ``signal.send`` / blinker send",
            per_n("oscar_send", "blinker"),
            {"N=1": 1.0, "N=10": 1.0, "N=100": 1.0},
            "<= 1.0 at N >= 1",
        ),
        Target(
            "``emit_async`` / its limit",
            per_n("emit_async", "async_limit"),
            dict.fromkeys(cols, 1.3),
            "<= 1.3",
        ),
    ]
    return targets


def evaluate_production(results: Results) -> list[Target]:
    """The targets of the production-shaped process (see benchmarks/production.py)."""
    suite = results.production
    if suite is None:
        return []
    cols = {f"N={n}": n for n in NS}

    def per_n(row: str, ref: str) -> dict[str, float]:
        return {c: _ratio(suite, row, ref, n) for c, n in cols.items()}

    forward, order, dumps = (
        suite.get(row, 0) for row in ("prod_forward", "prod_order", "prod_dumps")
    )
    if forward is None or order is None or dumps is None:
        added = math.nan
    else:
        added = (median(forward.samples) - median(order.samples)) / median(
            dumps.samples
        )
    return [
        Target(
            "emit / L(N)",
            per_n("prod_emit", "prod_limit"),
            dict.fromkeys(cols, 1.3),
            "<= 1.3 at every N",
        ),
        Target(
            "emit / blinker send",
            per_n("prod_emit", "prod_blinker"),
            {"N=1": 0.6, "N=10": 0.2},
            "<= 0.6 at N=1, <= 0.2 at N=10",
        ),
        Target(
            "emit in own deferred() / L(N)",
            per_n("prod_deferred", "prod_limit"),
            dict.fromkeys(cols, 1.5),
            "<= 1.5 at every N",
        ),
        Target(
            "emit_async / async limit",
            per_n("prod_emit_async", "prod_async_limit"),
            {},
            "reported",
        ),
        Target(
            "forwarded emit's added cost / json.dumps(envelope)",
            {"": added},
            {"": 2.0},
            "<= 2",
        ),
    ]


def evaluate_structural(results: Results) -> list[Target]:
    """Evaluate the subscribing, memory and flatness targets."""
    suite = results.suite
    targets = []
    small, large = results.connect_ks[0], results.connect_ks[-1]
    for k in (small, large):
        r = results.connect.get((CE, k))
        targets.append(
            Target(
                f"subscribe + unsubscribe / blinker connect + disconnect, K={k}",
                {"": r.x_blinker if r else math.nan},
                {"": 1.0},
                "<= 1.0",
            )
        )
    r_small, r_large = (
        results.connect.get((CE, small)),
        results.connect.get((CE, large)),
    )
    growth = (
        median([a / b for a, b in zip(r_large.samples, r_small.samples, strict=True)])
        if r_small and r_large
        else math.nan
    )
    targets.append(
        Target(
            f"subscribe + unsubscribe per subscriber, K={large} / K={small}",
            {"": growth},
            {"": O1_LIMIT},
            f"O(1): <= {O1_LIMIT}",
        )
    )
    targets.append(
        Target(
            "memory per subscription (typed ``subscribe``)",
            {"": results.memory.get(CE, math.nan)},
            {"": MEMORY_LIMIT},
            f"<= {MEMORY_LIMIT:.0f} B",
            unit="B",
        )
    )
    reg = results.registry
    targets.append(
        Target(
            f"emit, {reg['after']} / {reg['before']} custom events registered",
            {"": reg.get("flatness", math.nan)},
            {"": FLAT_LIMIT},
            f"flat: <= {FLAT_LIMIT}",
        )
    )
    targets.append(
        Target(
            f"emit, 1000 / 0 subscribers on other senders (N={FLAT_N})",
            {"": _ratio(suite, "senders_1000", "senders_0", FLAT_N)},
            {"": FLAT_LIMIT},
            f"flat: <= {FLAT_LIMIT}",
        )
    )
    targets.append(
        Target(
            f"emit, 1000 / 1 subscribers on other senders (N={FLAT_N}, info)",
            {"": _ratio(suite, "senders_1000", "senders_1", FLAT_N)},
            {},
            "(shows the count alone)",
        )
    )
    return targets


# -- rendering ----------------------------------------------------------------


def rst_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A reStructuredText simple table."""
    widths = [
        max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))
    ]
    border = "  ".join("=" * w for w in widths)

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            out.append(cell.ljust(width) if i == 0 else cell.rjust(width))
        return "  ".join(out).rstrip()

    return "\n".join([border, line(headers), border, *map(line, rows), border])


def _heading(text: str, char: str = "-") -> str:
    return f"{text}\n{char * len(text)}\n"


def _cell_ns(cell: Cell | None, reference: Cell | None) -> str:
    if cell is None or not cell.samples:
        return ""
    text = f"{median(cell.samples):,.0f}"
    if reference is not None and reference.samples:
        text += f" ({ratio(cell, reference):.2f})"
    return text


def render(results: Results) -> str:
    """The whole report, as reStructuredText."""
    suite = results.suite
    m, s = results.machine, results.settings
    out: list[str] = []
    out.append(_heading("Machine and run"))
    out.append(
        f"- {m['cpu']}, {m['cpus']} CPUs (pinned: {m['pinned']}), {m['platform']}\n"
        f"- Python {m['python']}; load average {m['load_before']:.2f} -> "
        f"{m['load_after']:.2f}\n"
        "- " + ", ".join(f"{k} {v}" for k, v in results.versions.items()) + "\n"
        f"- {s['mode']} run: {s['rounds']} rounds, ~{s['target_ms']:g} ms per "
        f"sample, {s['clock']} clock, seed {s['seed']}, {s['elapsed_s']:.0f} s "
        "in all\n"
    )

    out.append(_heading("Targets"))
    out.append(
        "Ratios are medians over rounds of per-round ratios, measured side by "
        "side in this one run; only they are comparable between machines.\n"
    )
    headers = ["measure", *(f"N={n}" for n in NS), "target", "result"]
    rows = []
    for t in results.targets[: _per_n_count(results)]:
        values = [
            fmt(t.values[f"N={n}"]) + ("*" if f"N={n}" in t.limits else "") for n in NS
        ]
        rows.append([t.measure, *values, t.target, t.verdict])
    out.append(rst_table(headers, rows))
    out.append("\n\\* checked against the target.\n")
    rows = [
        [t.measure, fmt(t.values[""], t.unit), t.target, t.verdict if t.limits else ""]
        for t in results.targets[_per_n_count(results) :]
    ]
    out.append(rst_table(["measure", "value", "target", "result"], rows) + "\n")

    out.append(_heading("Per-emit cost"))
    out.append(
        "ns per emit (median), and in parentheses the ratio to L(N) in the "
        "same round. Every cell includes the harness loop (last row). The "
        "anatomy rows take a payload built beforehand.\n"
    )
    headers = ["statement", *(f"N={n}" for n in NS)]
    rows = []
    for row, label in ROWS.items():
        if row.startswith(("async", "emit_async", "senders")):
            continue
        cells = [suite.get(row, n) for n in NS]
        if all(c is None for c in cells):
            single = suite.get(row, None)
            if single is not None:
                rows.append([label, _cell_ns(single, None), "", "", ""])
            continue
        anatomy_row = row.startswith(("model_", "loop_", "emit_prebuilt"))
        rows.append(
            [
                label,
                *(
                    _cell_ns(c, None if anatomy_row else suite.get("limit", n))
                    for c, n in zip(cells, NS, strict=True)
                ),
            ]
        )
    out.append(rst_table(headers, rows) + "\n")

    out.append(_heading("Where emit's distance to L(N) goes"))
    out.append(
        "ns per emit, medians over rounds of per-round differences. The "
        "payload is built beforehand except in the first row, so the small "
        "pieces are not drowned in its cost; each piece is one step of the "
        "model of emit's fast path (benchmarks/anatomy.py) minus the step "
        "before.\n"
    )
    out.append(rst_table(["piece", *(f"N={n}" for n in NS)], _pieces(suite)) + "\n")

    out.append(_heading("Async, inside a running loop"))
    rows = [
        [
            ROWS[row],
            *(_cell_ns(suite.get(row, n), suite.get("async_limit", n)) for n in NS),
        ]
        for row in ("async_limit", "emit_async")
    ]
    out.append(
        "ns per emit, and the ratio to the async limit.\n\n"
        + rst_table(["statement", *(f"N={n}" for n in NS)], rows)
        + "\n"
    )

    out.append(_heading("Subscribers on other senders"))
    rows = [
        [
            ROWS[f"senders_{k}"],
            _cell_ns(suite.get(f"senders_{k}", FLAT_N), suite.get("limit", FLAT_N)),
        ]
        for k in (0, 1, 1000)
    ]
    reg = results.registry
    out.append(
        f"ns per emit, and the ratio to L({FLAT_N}).\n\n"
        + rst_table(["statement", "ns (x L)"], rows)
        + "\n\n"
        f"Registered custom events: emit / L({FLAT_N}) was "
        f"{reg.get('before_ratio', math.nan):.2f} with {reg['before']} and "
        f"{reg.get('after_ratio', math.nan):.2f} with {reg['after']}.\n"
    )

    out.append(_heading("Subscribe + unsubscribe, per subscriber"))
    headers = ["library"]
    for k in results.connect_ks:
        headers += [f"K={k} sub", "unsub", "sum", "x blinker"]
    rows = []
    for name in (CE, BLINKER_WEAK, BLINKER_STRONG, DJANGO, PSYGNAL):
        line = [name]
        for k in results.connect_ks:
            r = results.connect.get((name, k))
            if r is None:
                line += ["", "", "", ""]
                continue
            line += [
                fmt(r.connect_ns, "ns"),
                fmt(r.disconnect_ns, "ns"),
                fmt(r.sum_ns, "ns"),
                fmt(r.x_blinker),
            ]
        rows.append(line)
    out.append("ns per subscriber (medians).\n\n" + rst_table(headers, rows) + "\n")

    out.append(_heading("Memory per subscription"))
    rows = [[name, fmt(v, "B")] for name, v in results.memory.items()]
    out.append(
        f"tracemalloc, {s['memory_receivers']} receivers connected to a fresh "
        "signal (the functions themselves excluded), median of "
        f"{s['memory_reps']}.\n\n" + rst_table(["library", "bytes"], rows) + "\n"
    )
    if results.production is not None:
        out.append(_render_production(results))
    every = suite.sync + suite.async_
    if results.production is not None:
        every += results.production.sync + results.production.async_
    noisy = [c.key for c in every if spread(c.samples) > 5.0]  # noqa: PLR2004
    if noisy:
        out.append(
            f"Noisy cells (spread over 5%): {', '.join(noisy)}; their ratios are "
            "less certain.\n"
        )
    return "\n".join(out)


def _render_production(results: Results) -> str:
    suite = results.production
    assert suite is not None  # noqa: S101 - checked by the caller
    out = [_heading("Production-shaped process")]
    out.append(
        "The same statements after the process was made production-shaped "
        "(``benchmarks/production.py``): ``OrderPlaced`` forwarded to an "
        "in-memory broker, a metadata-reading subscriber on ``BasketAddition``, "
        "another thread inside ``deferred()`` throughout, the measuring thread "
        "inside ``request_context``. The emits are of ``ProductViewed``, which "
        "none of that concerns.\n"
    )
    headers = ["measure", *(f"N={n}" for n in NS), "target", "result"]
    rows = []
    per_n = [t for t in results.production_targets if "N=0" in t.values]
    for t in per_n:
        values = [
            fmt(t.values[f"N={n}"]) + ("*" if f"N={n}" in t.limits else "") for n in NS
        ]
        rows.append([t.measure, *values, t.target, t.verdict if t.limits else ""])
    out.append(rst_table(headers, rows))
    rows = [
        [t.measure, fmt(t.values[""]), t.target, t.verdict]
        for t in results.production_targets
        if "" in t.values
    ]
    out.append("\n" + rst_table(["measure", "value", "target", "result"], rows))
    headers = ["statement", *(f"N={n}" for n in NS)]
    rows = []
    for row in (
        "prod_limit",
        "prod_emit",
        "prod_deferred",
        "prod_deferred_block",
        "prod_blinker",
        "prod_oscar_send",
        "prod_emit_async",
        "prod_async_limit",
    ):
        reference = "prod_async_limit" if "async" in row else "prod_limit"
        rows.append(
            [
                row.removeprefix("prod_"),
                *(_cell_ns(suite.get(row, n), suite.get(reference, n)) for n in NS),
            ]
        )
    out.append(
        "\nns per emit (median), and the ratio to L(N) (async rows: to the "
        "async limit) in the same round.\n\n" + rst_table(headers, rows) + "\n"
    )
    forward, order, dumps = (
        suite.get(row, 0) for row in ("prod_forward", "prod_order", "prod_dumps")
    )
    if forward and order and dumps:
        out.append(
            f"Forwarded emit of ``OrderPlaced``: {fmt(median(forward.samples), 'ns')} "
            f"ns; building its payload alone {fmt(median(order.samples), 'ns')} ns; "
            f"``json.dumps`` of its envelope {fmt(median(dumps.samples), 'ns')} ns.\n"
        )
    return "\n".join(out)


def _per_n_count(results: Results) -> int:
    return sum(1 for t in results.targets if "N=0" in t.values)


def _pieces(suite: Suite) -> list[list[str]]:
    def diff(a: str, b: str, n: int) -> float:
        """Median over rounds of a - b (ns), paired by round."""
        x, y = suite.get(a, n), suite.get(b, n)
        if y is None:
            y = suite.get(b, None)
        if x is None or y is None:
            return math.nan
        return median([p - q for p, q in zip(x.samples, y.samples, strict=True)])

    steps = [f"model_{name}" for name, _label in anatomy.STEPS]
    rows: dict[str, list[float]] = {}
    for n in NS:
        values = {
            "emit - L(N), both building the payload": diff("emit", "limit", n),
            "emit - loop, payload prebuilt (the dispatcher)": diff(
                "emit_prebuilt", "loop_prebuilt", n
            ),
            "  the call of emit (with sender=)": diff(steps[0], "empty", n),
            "  the dict lookup of the signal": diff(steps[1], steps[0], n),
            "  the plan read and the scope check": diff(steps[2], steps[1], n),
            "  the loop with its try, minus a plain loop": diff(steps[3], steps[2], n)
            - diff("loop_prebuilt", "empty", n),
            "  emit - its model (not explained by it)": diff(
                "emit_prebuilt", steps[3], n
            ),
        }
        for key, value in values.items():
            rows.setdefault(key, []).append(value)
    return [[k, *(f"{v:,.0f}" for v in vs)] for k, vs in rows.items()]


def to_json(results: Results) -> dict[str, Any]:
    """Everything, for ``--json``."""
    return {
        "machine": results.machine,
        "versions": results.versions,
        "settings": results.settings,
        "targets": [
            {
                "measure": t.measure,
                "values": t.values,
                "limits": t.limits,
                "target": t.target,
                "verdict": t.verdict if t.limits else None,
            }
            for t in results.targets
        ],
        "cells": {
            c.key: {
                "row": c.row,
                "n": c.n,
                "stmt": c.stmt,
                "n_iter": c.n_iter,
                "median_ns": median(c.samples),
                "spread_pct": spread(c.samples),
                "samples_ns": c.samples,
            }
            for c in results.suite.sync + results.suite.async_
        },
        "registry": {
            k: v for k, v in results.registry.items() if not isinstance(v, list)
        },
        "subscribe": {
            f"{name}|K={k}": {
                "connect_ns": r.connect_ns,
                "disconnect_ns": r.disconnect_ns,
                "sum_ns": r.sum_ns,
                "x_blinker": r.x_blinker,
            }
            for (name, k), r in results.connect.items()
        },
        "memory_bytes": results.memory,
    }


def update_doc(path: str, report: str) -> None:
    """Replace the text between the result markers of *path* with *report*."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    start, end = text.index(BEGIN_MARKER), text.index(END_MARKER)
    start += len(BEGIN_MARKER)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text[:start] + "\n\n" + report.rstrip() + "\n\n" + text[end:])
