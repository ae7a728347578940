"""Sends that wait for a broker at most a bounded time.

A frozen broker (a paused server, a dead peer without a reset) can block a
client for as long as its socket allows: minutes, or forever without a
timeout. Network forwarders run each send in a helper thread and wait for it
at most their *timeout*; past it the emit gets a ``TimeoutError`` (so a
:class:`~commerce_events.exceptions.ForwardingError`) while the send finishes,
or not, in the background.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, Final

__all__ = ["MAX_BLOCKED", "call_within"]

MAX_BLOCKED: Final = 8
"""Sends that may hang at once; past that, sends fail at once (the broker is
clearly frozen, and threads would pile up)."""


class _Job:
    __slots__ = ("done", "error", "function")

    def __init__(self, function: Callable[[], Any]) -> None:
        self.function = function
        self.done = threading.Event()
        self.error: BaseException | None = None


class _Helpers:
    """Daemon threads running sends: a process never waits for them to exit."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._busy = 0

    def run(self, job: _Job) -> None:
        with self._lock:
            if self._busy >= MAX_BLOCKED:
                msg = f"{self._busy} earlier sends are still waiting for the broker"
                raise TimeoutError(msg)
            self._busy += 1
            if self._threads < self._busy:
                self._threads += 1
                threading.Thread(
                    target=self._work, name="commerce_events-send", daemon=True
                ).start()
        self._jobs.put(job)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job.function()
            except BaseException as exc:  # noqa: BLE001 - handed to the waiter
                job.error = exc
            finally:
                with self._lock:
                    self._busy -= 1
                job.done.set()


_helpers = _Helpers()


def call_within(function: Callable[[], Any], timeout: float | None) -> None:
    """Call *function*; raise TimeoutError if it takes longer than *timeout*.

    Without a *timeout* (None), *function* runs in the calling thread.

    Raises:
        TimeoutError: No answer within *timeout* seconds (the call goes on in
            the background), or too many earlier calls still hang.
        Exception: What *function* raised.
    """
    if timeout is None:
        function()
        return
    job = _Job(function)
    _helpers.run(job)
    if not job.done.wait(timeout):
        msg = f"no answer from the broker within {timeout:g} s"
        raise TimeoutError(msg)
    if job.error is not None:
        raise job.error
