"""Exceptions raised by commerce_events.

Every exception derives from :class:`CommerceEventsError`, and each one also
derives from the builtin that fits it, so ``except TypeError`` keeps working for
code that does not know about this library.

Factored out of the implementation modules to avoid import loops.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Self

from attrs.exceptions import FrozenInstanceError

from ._limits import MAX_EVENT_NAME_LENGTH, shown

__all__ = [
    "AsyncDeliveryError",
    "CommerceEventsError",
    "DeliveryError",
    "DeliveryInProgressError",
    "DomainClassError",
    "DuplicateEventError",
    "EnvelopeError",
    "EventDefinitionError",
    "EventRecursionError",
    "ForwardingError",
    "FrozenPayloadError",
    "NotAPayloadError",
    "PayloadError",
    "SerializationError",
    "SettingsError",
    "SubscriberError",
    "SubscriberSignatureError",
    "UnexpectedAwaitableError",
    "UnknownDomainError",
    "UnknownEventError",
    "UpcastError",
]


class CommerceEventsError(Exception):
    """Base class of every exception raised by commerce_events."""


class PayloadError(CommerceEventsError, TypeError, ValueError):
    """The arguments of an event are invalid: nothing was delivered.

    Raised when a payload is built (``ProductViewed(...)``) or sent
    (``signal.send(sender, **kwargs)``) with missing, unknown, ``None`` where not
    allowed, or wrongly typed arguments, or with values that fail a field's
    validators. One exception lists *every* offending field.

    It is both a :class:`TypeError` (what Python raises for a bad call) and a
    :class:`ValueError` (what attrs validators raise), so existing handlers for
    either keep catching it.

    Attributes:
        event: The name of the event (``"product_viewed"``).
        payload_type: The payload class.
        fields: Offending field name -> what is wrong with it, in field order,
            unknown arguments last.
    """

    event: str
    payload_type: type[Any]
    fields: Mapping[str, str]

    def __init__(
        self, event: str, payload_type: type[Any], fields: Mapping[str, str]
    ) -> None:
        self.event = event
        self.payload_type = payload_type
        self.fields = dict(fields)
        lines = _listed(self.fields)
        noun = "argument" if len(self.fields) == 1 else "arguments"
        msg = (
            f"{payload_type.__name__} ({event!r}) got {len(self.fields)} invalid "
            f"{noun}:\n{lines}"
        )
        super().__init__(msg)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.event, self.payload_type, self.fields))


class NotAPayloadError(CommerceEventsError, TypeError):
    """``emit`` was given an object that is not a registered payload.

    Attributes:
        value: The object that was passed.
    """

    value: object

    def __init__(self, value: object, reason: str | None = None) -> None:
        self.value = value
        if reason is not None:
            msg = reason
        elif isinstance(value, type):
            msg = (
                f"{value.__module__}.{value.__qualname__} is not a registered "
                f"payload class (define events with @commerce_events.event)"
            )
        else:
            msg = (
                f"expected a registered event payload (such as ProductViewed(...)), "
                f"got {type(value).__qualname__}: {value!r}"
            )
        super().__init__(msg)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.value, self.args[0]))


class FrozenPayloadError(CommerceEventsError, FrozenInstanceError):
    """A payload's field was assigned or deleted: payloads are immutable.

    Every subscriber sees the same payload, so none may change it; build a new
    one with :func:`attrs.evolve` instead. It is an attrs
    :class:`~attrs.exceptions.FrozenInstanceError` (an :class:`AttributeError`).

    Attributes:
        event: The name of the event.
        payload_type: The payload class.
        field: The name that was assigned or deleted.
    """

    event: str
    payload_type: type[Any]
    field: str

    def __init__(self, event: str, payload_type: type[Any], field: str) -> None:
        self.event = event
        self.payload_type = payload_type
        self.field = field
        msg = (
            f"{payload_type.__name__} ({event!r}) is frozen: cannot change "
            f"{field!r}; build a new payload with attrs.evolve(payload, "
            f"{field}=...)"
        )
        # FrozenInstanceError's __init__ takes no message: ours replaces it.
        AttributeError.__init__(self, msg)
        self.msg = msg

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.event, self.payload_type, self.field))


class UnknownEventError(CommerceEventsError, LookupError):
    """No event is registered under this name.

    Unlike :meth:`blinker.Namespace.signal`, looking up a name never creates an
    empty signal, so a typo fails loudly.

    Attributes:
        event: The name that was looked up.
        known: The names that are registered.
    """

    event: str
    known: tuple[str, ...]

    def __init__(self, event: str, known: Sequence[str] = ()) -> None:
        self.event = event
        self.known = tuple(sorted(known))
        msg = f"no event is registered as {shown(event)}"
        # A hostile name (megabytes long) must not cost seconds of similarity
        # scores: no name longer than the longest allowed is a typo of one.
        close = (
            [name for name in self.known if _similar(event, name)]
            if isinstance(event, str) and len(event) <= MAX_EVENT_NAME_LENGTH
            else []
        )
        if close:
            msg += f"; did you mean {', '.join(map(repr, close))}?"
        super().__init__(msg)

    def __str__(self) -> str:
        # LookupError would otherwise repr() the message like a KeyError key.
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.event, self.known))


class DuplicateEventError(CommerceEventsError, ValueError):
    """An event name (or alias) is already registered.

    Attributes:
        event: The name that is taken.
        existing: The payload class already registered under it.
    """

    event: str
    existing: type[Any]

    def __init__(self, event: str, existing: type[Any]) -> None:
        self.event = event
        self.existing = existing
        msg = (
            f"the event name {event!r} is already registered by "
            f"{existing.__module__}.{existing.__qualname__}"
        )
        super().__init__(msg)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.event, self.existing))


class EventDefinitionError(CommerceEventsError, TypeError):
    """A payload class cannot be made into an event as written.

    For example a field is named ``sender`` (reserved for the emitter), starts
    with an underscore, or has an annotation that cannot be resolved.

    Attributes:
        event: The name the class was to be registered under.
        fields: Offending field name -> what is wrong with it.
    """

    event: str
    fields: Mapping[str, str]

    def __init__(self, event: str, fields: Mapping[str, str]) -> None:
        self.event = event
        self.fields = dict(fields)
        lines = _listed(self.fields)
        super().__init__(f"cannot define event {event!r}:\n{lines}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.event, self.fields))


class UnknownDomainError(CommerceEventsError, LookupError):
    """No domain (``product``, ``user``, ...) is known under this name.

    Attributes:
        domain: The name that was given.
        known: The known domain names.
    """

    domain: str
    known: tuple[str, ...]

    def __init__(self, domain: str, known: Sequence[str] = ()) -> None:
        self.domain = domain
        self.known = tuple(sorted(known))
        super().__init__(
            f"no domain is known as {domain!r}; known: {', '.join(self.known)}"
        )

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.domain, self.known))


class SettingsError(CommerceEventsError, ValueError):
    """The ``COMMERCE_EVENTS`` settings of a framework integration are wrong.

    Raised by the Flask extension at startup (Django reports the same
    problems through its system checks), listing every problem at once.

    Attributes:
        setting: The setting's name (``"COMMERCE_EVENTS"``).
        problems: One line per problem, each naming the key at fault.
    """

    setting: str
    problems: tuple[str, ...]

    def __init__(self, setting: str, problems: Sequence[str]) -> None:
        self.setting = setting
        self.problems = tuple(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"the {setting} settings have problems:\n{lines}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.setting, self.problems))


class DomainClassError(CommerceEventsError, TypeError):
    """A domain was declared with something that is not a class.

    Attributes:
        domain: The domain's name.
        value: What was given instead of a class or a tuple of classes.
    """

    domain: str
    value: object

    def __init__(self, domain: str, value: object) -> None:
        self.domain = domain
        self.value = value
        super().__init__(
            f"domain {domain!r} must be declared with a class or a tuple of "
            f"classes, got {value!r}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.domain, self.value))


class SubscriberSignatureError(CommerceEventsError, TypeError):
    """A subscriber cannot accept what the event delivers.

    Raised by ``subscribe`` and ``signal.connect``, never while emitting: a typed
    subscriber must take the payload as its one required positional argument
    (and, if annotated, be annotated with that payload class); an Oscar-style
    receiver must accept ``(sender, **fields)``.

    Attributes:
        event: The name of the event.
        subscriber: The rejected callable.
        reason: Why it was rejected.
    """

    event: str
    subscriber: Callable[..., Any]
    reason: str

    def __init__(self, event: str, subscriber: Callable[..., Any], reason: str) -> None:
        self.event = event
        self.subscriber = subscriber
        self.reason = reason
        name = getattr(subscriber, "__qualname__", repr(subscriber))
        super().__init__(f"{name} cannot subscribe to {event!r}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.event, self.subscriber, self.reason))


class SubscriberError(ExceptionGroup[Exception], CommerceEventsError):
    """One or more subscribers raised while an event was delivered.

    Raised after *every* subscriber has run, so one failing subscriber never
    keeps the others from the event. Its members are the original exceptions,
    each with a note naming the subscriber and the event; ``failures`` pairs
    them with the subscribers that raised them.

    Only subscribers whose failure policy is ``"raise"`` (the default) end up
    here; those with ``"log"`` are logged on the ``commerce_events`` logger.

    Attributes:
        event: The name of the event.
        payload: The payload that was being delivered.
        failures: ``(subscriber, exception)`` pairs, in delivery order.
    """

    event: str
    payload: object
    failures: tuple[tuple[Callable[..., Any], Exception], ...]

    def __new__(
        cls,
        event: str,
        payload: object,
        failures: Sequence[tuple[Callable[..., Any], Exception]],
    ) -> Self:
        count = len(failures)
        noun = "subscriber" if count == 1 else "subscribers"
        msg = f"{count} {noun} of {event!r} failed"
        self = super().__new__(cls, msg, [exc for _, exc in failures])
        self.event = event
        self.payload = payload
        self.failures = tuple(failures)
        return self

    def __init__(
        self,
        event: str,
        payload: object,
        failures: Sequence[tuple[Callable[..., Any], Exception]],
    ) -> None:
        count = len(failures)
        noun = "subscriber" if count == 1 else "subscribers"
        super().__init__(
            f"{count} {noun} of {event!r} failed", [exc for _, exc in failures]
        )

    def derive(self, excs: Sequence[Exception]) -> SubscriberError:  # type: ignore[override]
        """Keep the structured attributes when the group is split (``except*``).

        *excs* keeps the order of :attr:`failures`; a member that is itself an
        exception group may be a new, split copy of the original.
        """
        kept: list[tuple[Callable[..., Any], Exception]] = []
        failures = iter(self.failures)
        for exc in excs:
            for subscriber, original in failures:
                if exc is original or _split_from(exc, original):
                    kept.append((subscriber, exc))
                    break
        return SubscriberError(self.event, self.payload, kept)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.event, self.payload, self.failures))


class SerializationError(CommerceEventsError, TypeError):
    """A payload (or a payload class) cannot be turned into JSON.

    Raised by ``to_dict``, ``to_cloudevent`` and the JSON Schema export, for
    example when a domain object has no identity (no ``.pk`` or ``.id`` and no
    hook registered with
    :func:`~commerce_events.serialization.register_identity`), a datetime is
    naive, a number is not finite, or a value is not JSON data. It is a
    :class:`TypeError`, as :func:`json.dumps` raises for what it cannot encode.

    Attributes:
        event: The name of the event (``"order_placed"``).
        payload_type: The payload class.
        fields: Offending path (``"order"``, ``"lines[0].price"``) -> what is
            wrong there.
    """

    event: str
    payload_type: type[Any]
    fields: Mapping[str, str]

    def __init__(
        self, event: str, payload_type: type[Any], fields: Mapping[str, str]
    ) -> None:
        self.event = event
        self.payload_type = payload_type
        self.fields = dict(fields)
        lines = _listed(self.fields)
        super().__init__(
            f"{payload_type.__name__} ({event!r}) cannot be serialized:\n{lines}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.event, self.payload_type, self.fields))


class EnvelopeError(CommerceEventsError, ValueError):
    """A message is not a CloudEvents envelope this process can read.

    Raised when reading an envelope whose attributes are missing or invalid
    (``specversion``, ``id``, ``source``, ``type``, ``time``,
    ``datacontenttype``, ``data``), whose ``type`` does not have the expected
    prefix, or names a version of the event this process does not know. Invalid
    *data* is a :class:`~commerce_events.exceptions.PayloadError` instead.

    Attributes:
        fields: Offending attribute -> what is wrong with it.
    """

    fields: Mapping[str, str]

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = dict(fields)
        lines = _listed(self.fields)
        super().__init__(f"invalid CloudEvents envelope:\n{lines}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.fields,))


class ForwardingError(CommerceEventsError, RuntimeError):
    """An event could not be handed to its forwarder (the broker is down...).

    Raised by the subscriber that :func:`~commerce_events.forwarding.forward`
    installs, so it follows that subscription's failure policy: collected into a
    :class:`~commerce_events.exceptions.SubscriberError` (``"raise"``, the
    default) or logged (``"log"``). Either way the message names the event, its
    id and the destination; the original exception is the ``__cause__``.

    Attributes:
        event: The name of the event.
        event_id: The id of the emit (the envelope's ``id``).
        destination: Where the event was going (``"redis stream 'orders'"``).
        reason: What went wrong.
    """

    event: str
    event_id: uuid.UUID
    destination: str
    reason: str

    def __init__(
        self, event: str, event_id: uuid.UUID, destination: str, reason: str
    ) -> None:
        self.event = event
        self.event_id = event_id
        self.destination = destination
        self.reason = reason
        super().__init__(
            f"could not forward {event!r} (id {event_id}) to {destination}: {reason}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            type(self),
            (self.event, self.event_id, self.destination, self.reason),
        )


class DeliveryInProgressError(CommerceEventsError, RuntimeError):
    """Another consumer is delivering this event right now: try again later.

    Raised by :func:`~commerce_events.forwarding.consume_envelope` when its
    shared store of seen ids (such as
    :class:`~commerce_events.forwarding.redis.RedisSeenIds`) says another
    consumer took the event and has neither finished nor given up. The Redis
    consumer leaves the entry pending; a Celery task retries.

    Attributes:
        event: The name of the event.
        event_id: The id of the emit.
    """

    event: str
    event_id: uuid.UUID

    def __init__(self, event: str, event_id: uuid.UUID) -> None:
        self.event = event
        self.event_id = event_id
        super().__init__(
            f"{event!r} (id {event_id}) is being delivered by another consumer"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.event, self.event_id))


def _listed(problems: Mapping[str, str]) -> str:
    """One ``  - name: what is wrong`` line per offending field or path."""
    return "\n".join(f"  - {name}: {why}" for name, why in problems.items())


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in _leaves(sub)]
    return [exc]


def _split_from(part: BaseException, whole: BaseException) -> bool:
    """Whether *part* is a group split off *whole* (sharing its leaves)."""
    if not (
        isinstance(part, BaseExceptionGroup) and isinstance(whole, BaseExceptionGroup)
    ):
        return False
    originals = {id(leaf) for leaf in _leaves(whole)}
    return all(id(leaf) in originals for leaf in _leaves(part))


_SIMILAR = 0.75  # close enough to suggest as a typo fix


class DeliveryError(ExceptionGroup[Exception], CommerceEventsError):
    """Deferred events were delivered, and subscribers of some of them failed.

    Raised when a ``deferred()`` unit of work delivers its queued events: every
    queued event is delivered, then the :class:`SubscriberError` of each event
    whose subscribers failed is raised here, in delivery order.
    """

    def __new__(cls, errors: Sequence[Exception]) -> Self:
        count = len(errors)
        noun = "event" if count == 1 else "events"
        return super().__new__(
            cls, f"subscribers of {count} deferred {noun} failed", list(errors)
        )

    def __init__(self, errors: Sequence[Exception]) -> None:
        count = len(errors)
        noun = "event" if count == 1 else "events"
        super().__init__(f"subscribers of {count} deferred {noun} failed", list(errors))

    def derive(self, excs: Sequence[Exception]) -> DeliveryError:  # type: ignore[override]
        """Keep the type when the group is split (``except*``)."""
        return DeliveryError(excs)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (list(self.exceptions),))


class AsyncDeliveryError(CommerceEventsError, RuntimeError):
    """A synchronous emit cannot reach the event's async subscribers.

    Raised *before any subscriber runs*, so no event is half delivered: either
    the emit happens inside a running event loop (use ``await emit_async(...)``
    there), or no bridge to run coroutines from synchronous code is configured
    (see ``set_async_bridge``).

    Attributes:
        event: The name of the event.
        reason: What to do about it.
    """

    event: str
    reason: str

    def __init__(self, event: str, reason: str) -> None:
        self.event = event
        self.reason = reason
        super().__init__(f"cannot emit {event!r} synchronously: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.event, self.reason))


class EventRecursionError(CommerceEventsError, RecursionError):
    """Subscribers emitting events that lead back to themselves, without end.

    Raised instead of a bare :class:`RecursionError` deep in the stack, naming
    the chain of events that nested (outermost first). It bypasses failure
    policies: unbounded recursion is a bug to fix, not a failure to log.

    Attributes:
        chain: The names of the nested events, outermost first.
    """

    chain: tuple[str, ...]
    args: tuple[Any, ...]

    def __init__(self, chain: Sequence[str]) -> None:
        self.chain = tuple(chain)
        super().__init__(self._message())

    def _message(self) -> str:
        shown = " -> ".join(self.chain[:_CHAIN_SHOWN])
        if len(self.chain) > _CHAIN_SHOWN:
            shown += f" -> ... ({len(self.chain) - _CHAIN_SHOWN} more)"
        return (
            f"events nested {len(self.chain)} deep, exceeding the recursion limit: "
            f"{shown}"
        )

    def _nest_in(self, event: str) -> None:
        """Record that this happened inside a subscriber of *event*."""
        self.chain = (event, *self.chain)
        self.args = (self._message(),)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.chain,))


class UnexpectedAwaitableError(CommerceEventsError, TypeError):
    """A subscriber returned an awaitable, but was not recognised as async.

    A coroutine created and never awaited would silently not run (Python only
    warns "never awaited"), so it is closed and reported as the subscriber's
    failure instead. Declare the subscriber ``async def`` (a plain decorator
    around one is fine when it uses :func:`functools.wraps`), or mark it with
    :func:`inspect.markcoroutinefunction`.

    Attributes:
        event: The name of the event.
        subscriber: The subscriber's name.
    """

    event: str
    subscriber: str

    def __init__(self, event: str, subscriber: str) -> None:
        self.event = event
        self.subscriber = subscriber
        super().__init__(
            f"subscriber {subscriber} of {event!r} returned an awaitable, but is "
            f"not an async subscriber: it was not awaited (declare it `async def`, "
            f"wrap it with functools.wraps, or mark it with "
            f"inspect.markcoroutinefunction)"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.event, self.subscriber))


class UpcastError(CommerceEventsError, ValueError):
    """An upcaster, or a declaration of the versions a consumer reads, is wrong.

    Raised by :func:`~commerce_events.upcaster` (its classes are not two
    versions of one event, or the older one already has an upcaster), by the
    consumers given ``reads=`` (a version no upcaster path leads from), and
    while reading an envelope when an upcaster returns something else than the
    payload class it was registered for.

    Attributes:
        event: The name of the event.
        problem: What is wrong, for humans.
    """

    event: str
    problem: str

    def __init__(self, event: str, problem: str) -> None:
        self.event = event
        self.problem = problem
        super().__init__(f"versions of {event!r}: {problem}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.event, self.problem))


_CHAIN_SHOWN = 8


def _similar(a: str, b: str) -> bool:
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a, b).ratio() >= _SIMILAR
