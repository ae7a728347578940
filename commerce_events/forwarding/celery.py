"""Forward events to Celery workers (extra ``celery``).

In the web process, send every ``order_placed`` as a task::

    from commerce_events import OrderPlaced, forward
    from commerce_events.forwarding.celery import CeleryForwarder

    forward(OrderPlaced, to=CeleryForwarder(app), source="/shop/web")

In the worker, register the task that emits what it receives on the worker's
bus, where ordinary subscribers handle it::

    from commerce_events.forwarding import SeenIds
    from commerce_events.forwarding.celery import make_celery_task

    consume = make_celery_task(app, seen=SeenIds())

    @subscribe(OrderPlaced)
    def send_confirmation(event: OrderPlaced) -> None: ...

The envelope is the task's one argument, a dict of JSON data, so Celery's
default JSON serializer carries it. The task is acknowledged after it ran
(``acks_late=True``), and given back to the broker if its worker dies mid-task
(``reject_on_worker_lost=True``), so another worker runs it. A task whose
subscribers failed is retried with exponential backoff (five times by
default); an envelope that cannot be read (:data:`POISON`) fails at once,
since retrying cannot help.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

from .._upcasting import Reads, reading
from ..exceptions import EnvelopeError, PayloadError, UpcastError
from . import DEFAULT_TIMEOUT, SeenStore, _deliver, _load
from ._deadline import call_within

__all__ = ["DEFAULT_TASK_NAME", "POISON", "CeleryForwarder", "make_celery_task"]

DEFAULT_TASK_NAME: Final = "commerce_events.consume"
"""The name of the task that consumes envelopes, on both sides.
"""


POISON: Final = (EnvelopeError, PayloadError, UpcastError)
"""Failures of a task that retrying cannot fix: its envelope is unreadable.
"""


class CeleryApp(Protocol):
    """The part of :class:`celery.Celery` used here (Celery ships no types)."""

    def send_task(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Send a task by name."""
        ...

    def task(self, *args: Any, **kwargs: Any) -> Any:
        """Register a task (a decorator factory)."""
        ...


class CeleryForwarder:
    """Sends each envelope as the argument of a Celery task, by name.

    The task need not be registered in the sending process: only the workers
    run it (see :func:`make_celery_task`). The task's id is the event's, so
    Celery's own tools (results, revokes, logs) name events by their id.

    Args:
        app: The Celery application.
        task_name: The task's name.
        timeout: The longest a send may block an emit, in seconds, whatever
            the broker does (a frozen broker): past it the send fails with a
            ``TimeoutError`` (the forwarding subscriber's
            :class:`~commerce_events.exceptions.ForwardingError`), though the
            task may still be published. None waits as long as Celery does.
        options: Passed to :meth:`celery.Celery.send_task` (``queue=``,
            ``retry=``, ``retry_policy=``, ...). Celery retries publishing
            three times by default; a send that still fails raises, and
            :func:`~commerce_events.forwarding.forward` reports it.

    .. versionchanged:: 0.2.0
       *timeout*.
    """

    def __init__(
        self,
        app: CeleryApp,
        task_name: str = DEFAULT_TASK_NAME,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        **options: Any,
    ) -> None:
        if timeout is not None and not timeout > 0:
            msg = f"timeout must be positive or None, got {timeout!r}"
            raise ValueError(msg)
        self.app = app
        self.task_name = task_name
        self.timeout = timeout
        self.options = options

    @property
    def destination(self) -> str:
        """Where envelopes go, for errors and logs."""
        return f"celery task {self.task_name!r}"

    def send(self, envelope: Mapping[str, Any], /) -> None:
        """Send the task with *envelope* as its argument, and its id as the task's."""
        options = {"task_id": str(envelope["id"]), **self.options}
        args = (dict(envelope),)
        call_within(
            lambda: self.app.send_task(self.task_name, args=args, **options),
            self.timeout,
        )

    def __repr__(self) -> str:
        return f"<CeleryForwarder {self.task_name!r}>"


def make_celery_task(
    app: CeleryApp,
    name: str = DEFAULT_TASK_NAME,
    *,
    seen: SeenStore | None = None,
    sender: Any = None,
    type_prefix: str | None = None,
    reads: Reads | None = None,
    **task_options: Any,
) -> Any:
    """Register the task that emits received envelopes on the worker's bus.

    The task does what :func:`~commerce_events.forwarding.consume_envelope`
    does and
    returns the event's id (None for a dropped duplicate). Its failures (an
    invalid envelope, failing subscribers) are the task's failures.

    Args:
        app: The worker's Celery application.
        name: The task's name, the one the forwarder sends.
        seen: Drop duplicates by event id (see
            :class:`~commerce_events.forwarding.SeenIds`).
        sender: The sender the worker's subscribers see.
        type_prefix: The prefix the envelopes' ``type`` must have; default:
            :func:`~commerce_events.cloudevents.get_type_prefix`.
        reads: Older versions read as the class they are upcast to
            (``{OrderPlaced: {1, 2}}``); checked now, not per task.
        task_options: Passed to ``app.task``. The defaults: ``acks_late`` and
            ``reject_on_worker_lost`` (a worker that dies mid-task leaves it
            to another), retries of every failure but the poison ones
            (``autoretry_for=(Exception,)``, ``dont_autoretry_for=``
            :data:`POISON`, ``max_retries=5``) with exponential backoff
            (``retry_backoff=True``, at most ``retry_backoff_max=600`` s,
            with jitter), and ``shared=False``.

    Returns:
        The Celery task.

    .. versionchanged:: 0.2.0
       ``reject_on_worker_lost`` and retries with backoff by default; poison
       messages are never retried.
    """
    versions = reading(reads)  # a wrong declaration fails here, not in every task
    task_options.setdefault("acks_late", True)
    # acks_late alone acknowledges the task of a worker killed mid-task.
    task_options.setdefault("reject_on_worker_lost", True)
    task_options.setdefault("autoretry_for", (Exception,))
    task_options.setdefault("dont_autoretry_for", POISON)
    task_options.setdefault("max_retries", 5)
    task_options.setdefault("retry_backoff", True)
    task_options.setdefault("retry_backoff_max", 600)
    task_options.setdefault("retry_jitter", True)
    # This app's task only: Celery shares decorated tasks with every app.
    task_options.setdefault("shared", False)

    def consume(envelope: Mapping[str, Any]) -> str | None:
        # consume_envelope(), with the task as the consumer span's destination.
        payload = _deliver(
            _load(envelope, type_prefix, "ignore", versions),
            seen=seen,
            sender=sender,
            destination=name,
        )
        return None if payload is None else str(envelope["id"])

    consume.__qualname__ = consume.__name__ = name.rpartition(".")[2] or "consume"
    register: Callable[[Callable[..., Any]], Any] = app.task(name=name, **task_options)
    return register(consume)
