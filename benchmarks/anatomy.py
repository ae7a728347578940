"""A step-by-step model of ``emit``'s fast path, to price each of its pieces.

Each step is ``emit``'s fast path (commerce_events/_dispatch.py) cut after one
more piece: the call itself, the dict lookup of the signal, the read of the
plan and the ``_slow`` check, then the loop over the plan. The steps are
compiled with their own globals, so that they read the table, the plan and the
flag exactly as ``emit`` does (global lookups), and each N gets its own copy.
The differences between consecutive steps are what each piece costs; the last
step should cost what ``emit`` costs (when it does not, ``emit`` changed and
this model should follow).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MODEL_SOURCE = """
def call_only(payload, /, *, sender=None):
    return None


def lookup(payload, /, *, sender=None):
    try:
        signal = _signal_by_type[type(payload)]
    except KeyError:
        raise TypeError(payload) from None


def lookup_check(payload, /, *, sender=None):
    try:
        signal = _signal_by_type[type(payload)]
    except KeyError:
        raise TypeError(payload) from None
    fast = signal._fast
    if fast is None or _slow:
        raise RuntimeError(signal)


def lookup_check_loop(payload, /, *, sender=None):
    try:
        signal = _signal_by_type[type(payload)]
    except KeyError:
        raise TypeError(payload) from None
    fast = signal._fast
    if fast is None or _slow:
        raise RuntimeError(signal)
    failures = None
    for subscriber in fast:
        try:
            subscriber(payload)
        except Exception as exc:
            if isinstance(exc, RecursionError):
                raise
            if failures is None:
                failures = []
            failures.append((subscriber, exc))
    if failures is not None:
        raise ExceptionGroup("failures", [e for _, e in failures])
"""

STEPS = (
    ("call_only", "model: the call of ``emit`` alone (a no-op)"),
    ("lookup", "model: + dict lookup of the signal"),
    ("lookup_check", "model: + plan read and ``_slow`` check"),
    ("lookup_check_loop", "model: + loop over the plan (= fast path)"),
)
"""(function name, row label) of each step, in order."""


class _ModelSignal:
    __slots__ = ("_fast",)

    def __init__(self, fast: tuple[Callable[[Any], Any], ...]) -> None:
        self._fast = fast


def model(
    payload_types: list[type[Any]], payload_type: type[Any], fast: tuple[Any, ...]
) -> dict[str, Callable[..., None]]:
    """Compile the steps for one plan; *payload_types* fill the signal table."""
    table: dict[type[Any], Any] = {t: _ModelSignal(()) for t in payload_types}
    table[payload_type] = _ModelSignal(fast)
    namespace: dict[str, Any] = {"_signal_by_type": table, "_slow": False}
    exec(compile(MODEL_SOURCE, "<emit model>", "exec"), namespace)  # noqa: S102
    return {name: namespace[name] for name, _label in STEPS}
