"""Context-local state: the request, the event being delivered, scopes.

Everything here is a ``ContextVar``, so it follows asyncio tasks and threads
started with a copied context (Starlette's threadpool, asgiref), and never
leaks between concurrent requests:

- the current request and user, bound by a middleware; payloads with
  ``request`` or ``user`` fields fill them from it when the emitter omits them;
- the metadata of the event whose subscribers are running (the *cause* of any
  event they emit);
- the muting and deferral scopes opened with ``muted()`` and ``deferred()``.

This module is the bottom layer: it imports nothing else from the package.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Final

import attrs

__all__ = [
    "CURRENT_EVENT",
    "FROM_REQUEST",
    "SCOPE",
    "EventMetadata",
    "MuteScope",
    "RequestContext",
    "Scope",
    "UnitScope",
    "current_request_context",
    "new_event_id",
    "open_unit",
    "request_context",
]


_UUID7_BITS: Final = 0x7 << 76 | 0b10 << 62  # version 7, RFC 9562 variant

# Our own generator: the module-level one belongs to the application (and to
# Hypothesis, which flags strategies that use it). Reseeded in forked children,
# so that two workers of a pre-forking server never share ids.
_ids = random.Random()  # noqa: S311 - unique ids, not secrets
os.register_at_fork(after_in_child=_ids.seed)


def new_event_id(
    _time_ns: Callable[[], int] = time.time_ns,
    _random_bits: Callable[[int], int] = _ids.getrandbits,
    _new: Callable[[type[uuid.UUID]], uuid.UUID] = object.__new__,
    _set: Callable[[object, str, object], None] = object.__setattr__,
) -> uuid.UUID:
    """A new event id: an RFC 9562 UUIDv7, so that ids sort by time.

    48 bits of Unix milliseconds, 12 bits of sub-millisecond time (RFC 9562's
    "increased clock precision" method) and 62 random bits. The random bits come
    from a private :class:`random.Random` (reseeded in forked children), not
    :func:`os.urandom`:
    ids must be unique, not unguessable, and ``uuid4``'s system call was most of
    the cost of an observed emit. The keyword defaults bind the helpers once.
    """
    now = _time_ns()
    milliseconds = now // 1_000_000
    sub_millisecond = ((now - milliseconds * 1_000_000) << 12) // 1_000_000
    event_id = _new(uuid.UUID)
    # UUID(int=...) re-validates what was just built; set its slots directly.
    _set(
        event_id,
        "int",
        milliseconds << 80 | sub_millisecond << 64 | _UUID7_BITS | _random_bits(62),
    )
    _set(event_id, "is_safe", uuid.SafeUUID.unknown)
    return event_id


@attrs.frozen
class EventMetadata:
    """What happened when, and why: the metadata of one emit.

    Kept beside the payload, never in it, so a payload's fields stay exactly the
    documented arguments.

    Attributes:
        id: Unique per emit (a UUIDv7: ids sort by time); recognises
            duplicates downstream.
        time: When the event was emitted (timezone-aware, UTC).
        event: The event's name (``"order_placed"``).
        cause: The id of the event whose subscriber emitted this one, or None
            for an event emitted outside any subscriber.
    """

    id: uuid.UUID
    time: datetime
    event: str
    cause: uuid.UUID | None = None

    @classmethod
    def new(cls, event: str) -> EventMetadata:
        """Make the metadata of an emit happening now, in the current context."""
        parent = CURRENT_EVENT.get()
        return cls(
            new_event_id(),
            datetime.now(UTC),
            event,
            None if parent is None else parent.id,
        )


class _FromRequest:
    """See :data:`FROM_REQUEST`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "FROM_REQUEST"

    def __reduce__(self) -> str:
        return "FROM_REQUEST"


FROM_REQUEST: Any = _FromRequest()
"""The default of a *required* ``request`` or ``user`` field.

``request: Request = field(default=FROM_REQUEST)`` keeps the field required,
but lets an emitter inside a request omit it: it then comes from the request
context (and is missing, so an error, outside one). Type checkers see a default,
so ``StartCheckout()`` in a view type-checks.
"""

CURRENT_EVENT: ContextVar[EventMetadata | None] = ContextVar(
    "commerce_events.current_event", default=None
)
"""The event whose subscribers are running, when that event has metadata."""


class Scope:
    """One ``muted()`` or ``deferred()`` block, as seen by the contexts in it.

    The innermost open scope of a context is :data:`SCOPE`; each scope links to
    the one it was opened in. A context that inherited a scope (a task or a
    thread started inside the block) keeps seeing the object after the block
    closed: the scope then says it is closed, and is skipped, so a closed scope
    behaves exactly as if it had never been opened, whatever other threads do.
    """

    __slots__ = ("closed", "parent")

    def __init__(self, parent: Scope | None) -> None:
        self.parent = parent
        self.closed = False

    def mutes(self, payload_type: type[Any]) -> bool:
        """Whether this scope mutes events of *payload_type*."""
        return False


class MuteScope(Scope):
    """A ``muted()`` block: every event (``payload_types`` None) or some."""

    __slots__ = ("payload_types",)

    def __init__(
        self, parent: Scope | None, payload_types: frozenset[type[Any]] | None
    ) -> None:
        super().__init__(parent)
        self.payload_types = payload_types

    def mutes(self, payload_type: type[Any]) -> bool:
        """Whether this block mutes events of *payload_type*."""
        return self.payload_types is None or payload_type in self.payload_types


class UnitScope(Scope):
    """A ``deferred()`` block: the events queued in it, until it closes.

    Adding and closing take one lock, so that an event queued by an inherited
    context while the block closes is either in the queue the block delivers
    or, when the block has closed, refused (and then delivered at once by the
    emitter): never queued into a list nobody reads.
    """

    __slots__ = ("is_async", "lock", "queue")

    def __init__(self, parent: Scope | None, *, is_async: bool) -> None:
        super().__init__(parent)
        self.is_async = is_async
        self.lock = threading.Lock()
        self.queue: list[Any] = []

    def add(self, item: Any) -> bool:
        """Queue *item*; False when the block has closed meanwhile."""
        with self.lock:
            if self.closed:
                return False
            self.queue.append(item)
            return True

    def close(self) -> list[Any]:
        """Close the block and take what it queued."""
        with self.lock:
            self.closed = True
            queue, self.queue = self.queue, []
            return queue


def open_unit(scope: Scope | None) -> UnitScope | None:
    """The innermost open ``deferred()`` block in *scope*'s chain, or None."""
    while scope is not None:
        if type(scope) is UnitScope and not scope.closed:
            return scope
        scope = scope.parent
    return None


SCOPE: ContextVar[Scope | None] = ContextVar("commerce_events.scope", default=None)
"""The innermost scope opened in (or inherited by) this context, or None.

Read once per emit: None is the common case, and the whole cost of scopes for a
context that opened none.
"""


@attrs.frozen(repr=False)
class RequestContext:
    """The request being handled, and who is making it.

    Attributes:
        request: The framework's request object.
        user: The authenticated user, or None for an anonymous visitor.
    """

    request: Any
    user: Any = None

    def __repr__(self) -> str:
        # Requests carry cookies and headers: show their type only.
        return (
            f"RequestContext(request=<{type(self.request).__qualname__}>, "
            f"user={self.user!r})"
        )


REQUEST_CONTEXT: ContextVar[RequestContext | None] = ContextVar(
    "commerce_events.request_context", default=None
)


def current_request_context() -> RequestContext | None:
    """Return the current request context, or None outside a request."""
    return REQUEST_CONTEXT.get()


@contextmanager
def request_context(request: Any, user: Any = None) -> Iterator[RequestContext]:
    """Bind *request* and *user* as the current request for a ``with`` block.

    Inside the block, payloads built without ``request`` or ``user`` take them
    from here; explicitly passed values (``None`` included) always win. The
    middlewares in :mod:`commerce_events.contrib` use this; call it yourself in
    a framework without one, or in a worker handling a request-like job.

    Args:
        request: The framework's request object.
        user: The authenticated user; None for anonymous.
    """
    context = RequestContext(request, user)
    token = REQUEST_CONTEXT.set(context)
    try:
        yield context
    finally:
        REQUEST_CONTEXT.reset(token)
