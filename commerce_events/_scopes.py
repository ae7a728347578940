"""Context-local scopes: ``muted()`` and ``deferred()``.

Both live in a context variable, so they affect only the current thread or
asyncio task (and the tasks and threads started inside the block with a copy
of its context), never concurrent requests, unlike blinker's process-wide
``Signal.muted()``. A block costs nothing to contexts outside it, and once it
closes, contexts that inherited it behave as if it had never been opened.
"""

from __future__ import annotations

import contextvars
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Self

from . import _delivery
from ._context import SCOPE, MuteScope, UnitScope, open_unit
from ._subscriptions import route_for_type

__all__ = ["CommitHook", "deferred", "muted"]

CommitHook = Callable[[Callable[[], None]], Any]
"""Registers a callback to run once the surrounding transaction commits."""


@contextmanager
def muted(*payload_types: type[Any]) -> Iterator[None]:
    """Silence events in the current thread or task for a ``with`` block.

    Muted events are validated when built, but reach no subscriber (and no
    capture); observers see them marked as muted. A mute applies when the
    event is emitted: an event emitted before the block and delivered inside
    it (by a ``deferred()`` block or a commit hook) is delivered. Blocks nest:
    an inner block adds to what the outer one mutes, and leaving it restores
    the outer state.

    Args:
        payload_types: The events to mute; none at all mutes every event.

    Raises:
        NotAPayloadError: A class is not a registered payload class.
    """
    for payload_type in payload_types:
        route_for_type(payload_type)
    scope = MuteScope(SCOPE.get(), frozenset(payload_types) if payload_types else None)
    token = SCOPE.set(scope)
    try:
        yield
    finally:
        scope.closed = True
        SCOPE.reset(token)


class deferred:  # noqa: N801 - used like a function: `with deferred():`
    """Queue the events emitted in a block; deliver them when it succeeds.

    A framework-agnostic unit of work. Events emitted inside the block (by
    ``emit``, ``emit_async`` or ``signal.send``) are validated at once, then
    queued; when the block exits normally they are delivered in order, and
    when it exits with an exception they are dropped, so subscribers never hear
    of an order that was rolled back. Use it as ``with deferred():`` or, to
    deliver to async subscribers, ``async with deferred():``.

    What can be known when an event is emitted is raised then, inside the
    block, before its work commits: an event whose async subscribers the block
    could not reach (no bridge for a ``with`` block) raises
    :class:`~commerce_events.exceptions.AsyncDeliveryError` at the emit.

    Nested blocks behave like savepoints: an inner block that fails drops only
    its own events; one that succeeds hands them to the outer block, which
    delivers them (or drops them) with its own. Tasks and threads started
    inside the block with its context queue into it while it is open, and
    deliver at once after it closed.

    With *commit_hook*, a block that exits normally hands its delivery to the
    hook instead, for example ``commit_hook=django.db.transaction.on_commit``:
    the events are then delivered when the transaction commits and dropped if
    it rolls back.

    Every queued event is delivered even if subscribers of an earlier one fail
    or raise a BaseException; then a
    :class:`~commerce_events.exceptions.SubscriberError` (one event) or a
    :class:`~commerce_events.exceptions.DeliveryError` (several) is raised, or
    the first BaseException (the failures are then logged). A cancelled
    ``async with`` delivery logs every event it did not deliver, with its id.

    Args:
        commit_hook: Called as ``commit_hook(deliver)`` when the block exits
            normally, instead of delivering at once.
    """

    def __init__(self, *, commit_hook: CommitHook | None = None) -> None:
        self._commit_hook = commit_hook
        self._unit: UnitScope | None = None
        self._token: contextvars.Token[Any] | None = None

    def _enter(self, *, is_async: bool) -> None:
        if self._unit is not None:
            msg = "a deferred() block cannot be entered twice; make a new one"
            raise RuntimeError(msg)
        parent = SCOPE.get()
        outer = open_unit(parent)
        # Delivered by whoever delivers: a commit hook synchronously; an inner
        # block's events by the open block around it.
        if self._commit_hook is not None:
            is_async = False
        elif outer is not None:
            is_async = outer.is_async
        self._unit = UnitScope(parent, is_async=is_async)
        self._token = SCOPE.set(self._unit)

    def _leave(self, failed: bool) -> list[_delivery.Queued] | None:  # noqa: FBT001
        """Close the block; return the events to deliver now, if any."""
        unit, token = self._unit, self._token
        assert unit is not None  # noqa: S101 - entered before
        assert token is not None  # noqa: S101
        queue = unit.close()
        SCOPE.reset(token)
        if failed or not queue:
            return None
        if self._commit_hook is not None:
            self._commit_hook(lambda: _delivery.deliver_queue(queue))
            return None
        outer = open_unit(unit.parent)
        if outer is None:
            return queue
        for position, item in enumerate(queue):
            if not outer.add(item):
                # The outer block closed meanwhile: deliver what it refused.
                return queue[position:]
        return None

    def __enter__(self) -> Self:
        self._enter(is_async=False)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        queue = self._leave(exc_type is not None)
        if queue:
            _delivery.deliver_queue(queue)

    async def __aenter__(self) -> Self:
        self._enter(is_async=True)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        queue = self._leave(exc_type is not None)
        if queue:
            await _delivery.deliver_queue_async(queue)
