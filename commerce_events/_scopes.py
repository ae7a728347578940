"""Context-local scopes: ``muted()`` and ``deferred()``.

Both live in context variables, so they affect only the current thread or
asyncio task: muting one request (or one data import) never silences
concurrent ones, unlike blinker's process-wide ``Signal.muted()``.
"""

from __future__ import annotations

import contextvars
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Self

from . import _dispatch
from ._context import DEFERRED, MUTED, EventMetadata
from .exceptions import DeliveryError, SubscriberError

__all__ = ["deferred", "muted"]

CommitHook = Callable[[Callable[[], None]], Any]
"""Registers a callback to run once the surrounding transaction commits."""


@contextmanager
def muted(*payload_types: type[Any]) -> Iterator[None]:
    """Silence events in the current thread or task for a ``with`` block.

    Muted events are validated when built, but reach no subscriber (and no
    capture). Blocks nest: an inner block adds to what the outer one mutes, and
    leaving it restores the outer state.

    Args:
        payload_types: The events to mute; none at all mutes every event.

    Raises:
        NotAPayloadError: A class is not a registered payload class.

    .. versionadded:: 0.1.0
    """
    for payload_type in payload_types:
        _dispatch.signal_for_type(payload_type)
    current = MUTED.get()
    if not payload_types or current is True:
        new: frozenset[type[Any]] | bool = True
    else:
        new = (current or frozenset()) | frozenset(payload_types)
    token = MUTED.set(new)
    _dispatch._open_scope()  # noqa: SLF001
    try:
        yield
    finally:
        _dispatch._close_scope()  # noqa: SLF001
        MUTED.reset(token)


_Queued = tuple["_dispatch.EventSignal", Any, Any, EventMetadata | None]


class _Unit:
    """The events queued by one ``deferred()`` block."""

    __slots__ = ("queue",)

    def __init__(self) -> None:
        self.queue: list[_Queued] = []

    def add(
        self,
        signal: _dispatch.EventSignal,
        payload: Any,
        sender: Any,
        metadata: EventMetadata | None,
    ) -> None:
        self.queue.append((signal, payload, sender, metadata))


class deferred:  # noqa: N801 - used like a function: `with deferred():`
    """Queue the events emitted in a block; deliver them when it succeeds.

    A framework-agnostic unit of work. Events emitted inside the block (by
    ``emit``, ``emit_async`` or ``signal.send``) are validated at once, then
    queued; when the block exits normally they are delivered in order, and
    when it exits with an exception they are dropped, so subscribers never hear
    of an order that was rolled back. Use it as ``with deferred():`` or, to
    deliver to async subscribers, ``async with deferred():``.

    Nested blocks behave like savepoints: an inner block that fails drops only
    its own events; one that succeeds hands them to the outer block, which
    delivers them (or drops them) with its own.

    With *commit_hook*, a block that exits normally hands its delivery to the
    hook instead, for example ``commit_hook=django.db.transaction.on_commit``:
    the events are then delivered when the transaction commits and dropped if
    it rolls back.

    Every queued event is delivered even if subscribers of an earlier one fail;
    then a :class:`~commerce_events.exceptions.SubscriberError` (one event) or
    a :class:`~commerce_events.exceptions.DeliveryError` (several) is raised.

    Args:
        commit_hook: Called as ``commit_hook(deliver)`` when the block exits
            normally, instead of delivering at once.

    .. versionadded:: 0.1.0
    """

    def __init__(self, *, commit_hook: CommitHook | None = None) -> None:
        self._commit_hook = commit_hook
        self._unit: _Unit | None = None
        self._token: contextvars.Token[Any] | None = None
        self._outer: _Unit | None = None

    def _enter(self) -> None:
        if self._unit is not None:
            msg = "a deferred() block cannot be entered twice; make a new one"
            raise RuntimeError(msg)
        self._outer = DEFERRED.get()
        self._unit = _Unit()
        self._token = DEFERRED.set(self._unit)
        _dispatch._open_scope()  # noqa: SLF001

    def _leave(self, failed: bool) -> list[_Queued] | None:  # noqa: FBT001
        """Close the block; return the events to deliver now, if any."""
        _dispatch._close_scope()  # noqa: SLF001
        assert self._token is not None  # noqa: S101 - entered before
        assert self._unit is not None  # noqa: S101
        DEFERRED.reset(self._token)
        queue = self._unit.queue
        if failed or not queue:
            return None
        if self._commit_hook is not None:
            self._commit_hook(lambda: _deliver_all(queue))
            return None
        if self._outer is not None:
            self._outer.queue.extend(queue)
            return None
        return queue

    def __enter__(self) -> Self:
        self._enter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        queue = self._leave(exc_type is not None)
        if queue:
            _deliver_all(queue)

    async def __aenter__(self) -> Self:
        self._enter()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        queue = self._leave(exc_type is not None)
        if queue:
            await _deliver_all_async(queue)


def _deliver_all(queue: list[_Queued]) -> None:
    errors: list[Exception] = []
    for signal, payload, sender, metadata in queue:
        try:
            signal._deliver(payload, sender, None, metadata, deferrable=False)  # noqa: SLF001
        except SubscriberError as exc:
            errors.append(exc)
    _raise(errors)


async def _deliver_all_async(queue: list[_Queued]) -> None:
    errors: list[Exception] = []
    for signal, payload, sender, metadata in queue:
        try:
            await signal._deliver_async(  # noqa: SLF001
                payload, sender, None, metadata, deferrable=False
            )
        except SubscriberError as exc:
            errors.append(exc)
    _raise(errors)


def _raise(errors: list[Exception]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise DeliveryError(errors)
