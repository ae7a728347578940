"""Run the benchmark suite and print the report (``python -m benchmarks``).

The run reports; it never gates: it exits 0 whatever the ratios, and 1 only
when the pre-check finds that some statement does not reach exactly its N
receivers (a broken benchmark, or a broken dispatcher).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import os
import platform
import random
import sys
import time
from typing import Any

from . import cells, harness, production, report, structural
from .fixtures import (
    RECEIVER_CODES,
    custom_event_count,
    declare_domain,
    pad_custom_events,
)
from .harness import Cell, calibrate, count_calls, median, sample_rounds

REGISTRY_BEFORE = 10
REGISTRY_AFTER = 1000


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _pin() -> str:
    """Pin to one CPU (Linux): it roughly halves run-to-run spread."""
    if not hasattr(os, "sched_setaffinity"):
        return "no"
    try:
        cpu = max(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
    except OSError:
        return "no"
    return f"cpu {cpu}"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="commerce_events against its limits and its peers.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run for CI (well under a minute); its ratios are rough",
    )
    parser.add_argument("--rounds", type=int, help="samples per cell (default 31)")
    parser.add_argument(
        "--target-ms", type=float, help="duration of one sample (default 10 ms)"
    )
    parser.add_argument("--seed", type=int, default=20_06)
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin the process to one CPU"
    )
    parser.add_argument(
        "--clock",
        choices=sorted(harness.CLOCKS),
        default="cpu",
        help="cpu (default): the thread's CPU time, robust on a shared machine; "
        "wall: perf_counter",
    )
    parser.add_argument("--json", metavar="PATH", help="also dump every result")
    parser.add_argument(
        "--update-doc",
        metavar="PATH",
        help="also write the report between the result markers of PATH "
        "(BENCHMARKS.rst)",
    )
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 3 if args.quick else 31
    if args.target_ms is None:
        args.target_ms = 1.0 if args.quick else 10.0
    args.rounds = max(1 if args.quick else 5, args.rounds)
    return args


def main(argv: list[str] | None = None) -> int:
    """Run everything, print the report; 0 unless the pre-check fails."""
    args = _parse(argv)
    t_start = time.perf_counter()

    def log(message: str) -> None:
        elapsed = time.perf_counter() - t_start
        print(f"[{elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)

    load_before = os.getloadavg()[0]
    pinned = "no" if args.no_pin else _pin()
    target_ns = int(args.target_ms * 1e6)
    rng = random.Random(args.seed)  # noqa: S311 - shuffling, not secrets
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    harness.LOOP = loop
    harness.CLOCK = harness.CLOCKS[args.clock]
    declare_domain()

    log("building fixtures")
    connect_ks = (10, 1000)
    memory_reps = 1 if args.quick else 3
    memory_receivers = 1000
    suite = cells.Suite()
    cells.build_sync(suite)
    cells.build_other_senders(suite)
    cells.build_async(suite)
    connect_probes = structural.make_probes(1, "bench_subscribe_probe")
    memory_probes = structural.make_probes(memory_reps, "bench_memory_probe")
    before = pad_custom_events(REGISTRY_BEFORE)
    all_cells: list[Cell] = suite.sync + suite.async_
    for cell in all_cells:
        cell.compile()

    bad = []
    for cell in all_cells:
        got = count_calls(cell, RECEIVER_CODES)
        if got != cell.expect_calls:
            bad.append(f"{cell.key}: expected {cell.expect_calls} calls, got {got}")
    if bad:
        print("PRE-CHECK FAILED:\n  " + "\n  ".join(bad), file=sys.stderr)
        return 1
    log(f"pre-check: every one of {len(all_cells)} statements reaches its N")

    gc.collect()
    gc.freeze()  # fixtures -> permanent generation; the GC stays enabled
    for cell in all_cells:
        calibrate(cell, target_ns)
    log(f"calibrated; {args.rounds} rounds of {len(all_cells)} cells")
    sample_rounds(suite.groups(), args.rounds, rng, log)

    log("subscribe + unsubscribe")
    libs = structural.libraries(connect_probes)
    connect = structural.bench_subscribe(libs, connect_ks, args.rounds, target_ns, rng)
    log("memory (tracemalloc)")
    memory = structural.bench_memory(
        structural.libraries(memory_probes), memory_receivers, memory_reps
    )

    log(f"registering custom events up to {REGISTRY_AFTER}")
    after = pad_custom_events(REGISTRY_AFTER)
    gc.collect()
    gc.freeze()
    emit_a = suite.get("emit", cells.FLAT_N)
    limit_a = suite.get("limit", cells.FLAT_N)
    assert emit_a is not None  # noqa: S101
    assert limit_a is not None  # noqa: S101
    emit_b = dataclasses.replace(emit_a, key=emit_a.key + "+registry", samples=[])
    limit_b = dataclasses.replace(limit_a, key=limit_a.key + "+registry", samples=[])
    sample_rounds([[emit_b, limit_b]], args.rounds, rng, log, "registry ")
    ratio_a = harness.ratio(emit_a, limit_a)
    ratio_b = harness.ratio(emit_b, limit_b)
    registry: dict[str, Any] = {
        "before": before,
        "after": after,
        "before_ratio": ratio_a,
        "after_ratio": ratio_b,
        "flatness": ratio_b / ratio_a,
        "emit_ns_before": median(emit_a.samples),
        "emit_ns_after": median(emit_b.samples),
    }
    assert custom_event_count() == after  # noqa: S101

    log("production-shaped process: forwarding, metadata, another thread's scope")
    gc.unfreeze()
    production_suite, _broker = production.build(suite)
    production_cells = production_suite.sync + production_suite.async_
    for cell in production_cells:
        cell.compile()
        got = count_calls(cell, RECEIVER_CODES)
        if got != cell.expect_calls:
            bad.append(f"{cell.key}: expected {cell.expect_calls} calls, got {got}")
    if bad:
        print("PRE-CHECK FAILED:\n  " + "\n  ".join(bad), file=sys.stderr)
        return 1
    gc.collect()
    gc.freeze()
    for cell in production_cells:
        calibrate(cell, target_ns)
    sample_rounds(production_suite.groups(), args.rounds, rng, log, "production ")

    elapsed = time.perf_counter() - t_start
    results = report.Results(
        machine={
            "cpu": _cpu_model(),
            "cpus": os.cpu_count(),
            "pinned": pinned,
            "platform": platform.platform(),
            "python": f"{platform.python_version()} "
            f"({platform.python_implementation()})",
            "load_before": load_before,
            "load_after": os.getloadavg()[0],
        },
        versions=cells.versions(),
        settings={
            "mode": "quick (smoke)" if args.quick else "full",
            "rounds": args.rounds,
            "target_ms": args.target_ms,
            "seed": args.seed,
            "clock": args.clock,
            "elapsed_s": elapsed,
            "memory_receivers": memory_receivers,
            "memory_reps": memory_reps,
        },
        suite=suite,
        registry=registry,
        connect=connect,
        connect_ks=connect_ks,
        memory=memory,
        production=production_suite,
    )
    results.targets = report.evaluate(results) + report.evaluate_structural(results)
    results.production_targets = report.evaluate_production(results)
    text = report.render(results)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(report.to_json(results), fh, indent=1)
    if args.update_doc:
        report.update_doc(args.update_doc, text)
    log(f"done in {elapsed:.0f} s")
    return 0
