"""A step-by-step model of ``emit``'s fast path, to price each of its pieces.

Each step is ``emit``'s fast path (commerce_events/_delivery.py) cut after one
more piece: the call itself, the dict lookup of the route, the read of the
plan and of this context's scopes, then the loop over the plan. The steps are
compiled with their own globals, so that they read the table, the plan and the
scope variable exactly as ``emit`` does (global lookups), and each N gets its
own copy.
The differences between consecutive steps are what each piece costs; the last
step should cost what ``emit`` costs (when it does not, ``emit`` changed and
this model should follow).
"""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import Callable
from typing import Any

MODEL_SOURCE = """
def call_only(payload, /, *, sender=None):
    return None


def lookup(payload, /, *, sender=None):
    try:
        route = ROUTES[type(payload)]
    except KeyError:
        raise TypeError(payload) from None


def lookup_check(payload, /, *, sender=None):
    try:
        route = ROUTES[type(payload)]
    except KeyError:
        raise TypeError(payload) from None
    fast = route.fast
    if fast is None or SCOPE.get() is not None:
        raise RuntimeError(route)


def lookup_check_loop(payload, /, *, sender=None):
    try:
        route = ROUTES[type(payload)]
    except KeyError:
        raise TypeError(payload) from None
    fast = route.fast
    if fast is None or SCOPE.get() is not None:
        raise RuntimeError(route)
    failures = None
    for subscriber in fast:
        if route.fast is not fast:
            raise RuntimeError(route)
        try:
            if (value := subscriber(payload)) is not None and isawaitable(value):
                raise TypeError(value)
        except Exception as exc:
            if failures is None:
                failures = []
            failures.append((subscriber, exc))
        except BaseException:
            raise
    if failures is not None:
        raise ExceptionGroup("failures", [e for _, e in failures])
"""

STEPS = (
    ("call_only", "model: the call of ``emit`` alone (a no-op)"),
    ("lookup", "model: + dict lookup of the route"),
    ("lookup_check", "model: + plan read and this context's scope check"),
    ("lookup_check_loop", "model: + loop over the plan (= fast path)"),
)
"""(function name, row label) of each step, in order."""


class _ModelRoute:
    __slots__ = ("fast",)

    def __init__(self, fast: tuple[Callable[[Any], Any], ...]) -> None:
        self.fast = fast


def model(
    payload_types: list[type[Any]], payload_type: type[Any], fast: tuple[Any, ...]
) -> dict[str, Callable[..., None]]:
    """Compile the steps for one plan; *payload_types* fill the signal table."""
    table: dict[type[Any], Any] = {t: _ModelRoute(()) for t in payload_types}
    table[payload_type] = _ModelRoute(fast)
    namespace: dict[str, Any] = {
        "ROUTES": table,
        "SCOPE": contextvars.ContextVar("model_scope", default=None),
        "isawaitable": inspect.isawaitable,
    }
    exec(compile(MODEL_SOURCE, "<emit model>", "exec"), namespace)  # noqa: S102
    return {name: namespace[name] for name, _label in STEPS}
