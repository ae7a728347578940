"""Bridges that let a synchronous ``emit`` run async subscribers.

A synchronous emit of an event with ``async def`` subscribers needs a way to
run coroutines from synchronous code, and the right way depends on how that
code was entered. Configure one with
:func:`commerce_events.set_async_bridge`::

    commerce_events.set_async_bridge(commerce_events.bridges.auto)

Each bridge is called as ``bridge(async_fn, *args, **kwargs)`` and returns the
coroutine's result. None of them is ever used inside a running event loop: a
synchronous emit there raises and points to ``await emit_async(...)``.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["anyio", "asgiref", "auto", "new_event_loop"]

_AsyncFn = Callable[..., Coroutine[Any, Any, Any]]


def new_event_loop(fn: _AsyncFn, /, *args: Any, **kwargs: Any) -> Any:
    """Run the coroutine in a fresh event loop (plain synchronous code, WSGI)."""
    return asyncio.run(fn(*args, **kwargs))


def asgiref(fn: _AsyncFn, /, *args: Any, **kwargs: Any) -> Any:
    """Run the coroutine with asgiref's ``async_to_sync`` (Django).

    Under Django's ASGI server it runs on the server's own loop. Needs
    ``asgiref`` (installed with Django).
    """
    from asgiref.sync import async_to_sync

    return async_to_sync(fn)(*args, **kwargs)


def anyio(fn: _AsyncFn, /, *args: Any, **kwargs: Any) -> Any:
    """Run the coroutine on the loop of an anyio worker thread (Starlette/FastAPI).

    For synchronous endpoints, which run in anyio's threadpool: the coroutine
    runs on the application's loop, so loop-bound clients keep working. Needs
    ``anyio`` (installed with Starlette).
    """
    from anyio import from_thread

    return from_thread.run(functools.partial(fn, **kwargs), *args)


def _requires(package: str, bridge: str) -> Callable[[], None]:
    def check() -> None:
        if importlib.util.find_spec(package) is None:
            msg = (
                f"commerce_events.bridges.{bridge} needs the {package!r} package, "
                f"which is not installed (pip install {package})"
            )
            raise ImportError(msg, name=package)

    return check


# set_async_bridge() calls these, so a missing package is an error when the
# bridge is chosen, not on the first emit (blamed on a subscriber).
asgiref.requires = _requires("asgiref", "asgiref")  # type: ignore[attr-defined]
anyio.requires = _requires("anyio", "anyio")  # type: ignore[attr-defined]


def auto(fn: _AsyncFn, /, *args: Any, **kwargs: Any) -> Any:
    """Pick the bridge that fits the current thread.

    An anyio worker thread gets :func:`anyio`; otherwise, when asgiref is
    installed, :func:`asgiref`; otherwise :func:`new_event_loop`.
    """
    try:
        from anyio import NoEventLoopError, from_thread
    except ImportError:  # no anyio, or one older than 4.11
        pass
    else:
        try:
            return from_thread.run(functools.partial(fn, **kwargs), *args)
        except NoEventLoopError:
            # Not an anyio worker thread. Only this error is caught: anything
            # the subscriber raises must propagate, never run it twice.
            pass
    if importlib.util.find_spec("asgiref") is None:
        return new_event_loop(fn, *args, **kwargs)
    return asgiref(fn, *args, **kwargs)
