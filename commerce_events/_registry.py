"""The library's namespace of events, and the ``event`` decorator.

One :class:`EventNamespace` (a :class:`blinker.Namespace`, never blinker's
process-wide default) maps each event name, and each alias, to its
:class:`~commerce_events.EventSignal`. Built-in and custom events are
registered the same way: with :func:`event`.
"""

from __future__ import annotations

import re
import threading
import typing
from collections.abc import Callable, Iterable
from typing import Any, Final, TypeVar, cast, dataclass_transform

import attr
import attrs
import blinker

from ._limits import name_problem
from ._payload import PayloadSpec, build_payload_class, field
from ._settings import OnError, check_policy
from ._signal import EventSignal
from ._subscriptions import ROUTES, route_for_type
from .exceptions import (
    DuplicateEventError,
    EventDefinitionError,
    NotAPayloadError,
    UnknownEventError,
)

__all__ = [
    "GROUPS",
    "EventNamespace",
    "catalogue",
    "event",
    "namespace",
    "on_registration",
    "payload_spec",
    "signal",
    "spec_for",
    "versions",
]

T = TypeVar("T")

_lock = threading.Lock()
_registration_callbacks: list[Callable[[type[Any]], None]] = []
# name -> version -> signal: every registered version of each event. The
# namespace maps a name (and its aliases) to the latest version's signal.
_VERSIONS: dict[str, dict[int, EventSignal]] = {}
_MAX_VERSION: Final = 999_999_999  # what an envelope's type can carry


def on_registration(callback: Callable[[type[Any]], None]) -> None:
    """Call ``callback(payload_type)`` after each event is registered.

    For the testing toolkit: it registers a Hypothesis strategy for every new
    payload class, so ``st.from_type(MyEvent)`` works right below its class.
    """
    with _lock:
        _registration_callbacks.append(callback)


class EventNamespace(blinker.Namespace):
    """The names of the registered events, mapped to their signals.

    A :class:`blinker.Namespace` whose lookups never create signals: an unknown
    name raises :class:`~commerce_events.exceptions.UnknownEventError`, so a typo
    cannot silently subscribe to an event nobody emits. Aliases map to the same
    signal object as the name they stand for.
    """

    def __missing__(self, name: str) -> EventSignal:
        raise UnknownEventError(name, list(self))

    def signal(self, name: str, doc: str | None = None) -> EventSignal:
        """Return the signal registered as *name*.

        Unlike :meth:`blinker.Namespace.signal`, this never creates a signal.
        *doc* documents a signal whose payload class has no docstring, as
        blinker documents the signals it creates; the payload class's own
        docstring, when it has one, stays the signal's documentation.

        Raises:
            UnknownEventError: Nothing is registered as *name*.
        """
        found = self[name]
        # The instance's own doc: the class's docstring is not the event's.
        if doc and not vars(found).get("__doc__"):
            found.__doc__ = doc
        return found

    def __getitem__(self, name: str) -> EventSignal:
        return super().__getitem__(name)  # type: ignore[return-value]


namespace: Final[EventNamespace] = EventNamespace()
"""Every registered event's name (and alias) -> its signal.
"""


def signal(name_or_type: str | type[Any]) -> EventSignal:
    """Return an event's signal, by name, alias or payload class.

    A name or alias stands for the event's latest version; a payload class for
    its own.

    Raises:
        UnknownEventError: No event has that name.
        NotAPayloadError: The class is not a registered payload class.
    """
    if isinstance(name_or_type, str):
        return namespace[name_or_type]
    return route_for_type(name_or_type).signal


def spec_for(event: str | type[Any], /, *, use: str | None = None) -> PayloadSpec:
    """The spec of a registered event, by name, alias or payload class.

    The one lookup every module above the registry uses. A name or alias
    stands for the event's latest version (see :func:`versions` for all).

    Args:
        event: The event's name or alias, or its payload class.
        use: A note for a :class:`~commerce_events.exceptions.NotAPayloadError`,
            saying what the caller takes.

    Raises:
        UnknownEventError: No event has that name.
        NotAPayloadError: The class is not a registered payload class.
    """
    try:
        return signal(event).spec
    except NotAPayloadError as exc:
        if use is not None:
            exc.add_note(use)
        raise


def versions(name: str, /) -> dict[int, PayloadSpec]:
    """Every registered version of an event: version -> spec, oldest first.

    Args:
        name: The event's name or alias.

    Raises:
        UnknownEventError: No event has that name.
    """
    with _lock:
        found = _VERSIONS.get(namespace[name].name, {})
        return {v: found[v].spec for v in sorted(found)}


def payload_spec(payload: object, /, *, use: str | None = None) -> PayloadSpec:
    """The spec of a payload's event (:func:`spec_for` of its class).

    Raises:
        NotAPayloadError: *payload* is not a registered payload; the error
            shows the object itself.
    """
    try:
        return spec_for(type(payload))
    except NotAPayloadError:
        exc = NotAPayloadError(payload)
        if use is not None:
            exc.add_note(use)
        raise exc from None


@dataclass_transform(
    frozen_default=True,
    kw_only_default=True,
    field_specifiers=(field, attrs.field, attr.ib),
)
def event(
    name: str,
    *,
    aliases: Iterable[str] = (),
    on_error: OnError | None = None,
    group: str = "custom",
    version: int = 1,
) -> Callable[[type[T]], type[T]]:
    """Make a class an event payload and register its signal as *name*.

    The class becomes a frozen, slotted, keyword-only attrs class whose
    ``__init__`` validates every field against its annotation (and any attrs
    validators) and raises one
    :class:`~commerce_events.exceptions.PayloadError` naming every offending
    field. The built-in catalogue is defined with this same decorator.

    Args:
        name: The event's name in :data:`namespace` (``"points_awarded"``).
        aliases: Other names for the same event.
        on_error: The event's default failure policy.
        group: Where the event belongs in the catalogue: one of
            :data:`GROUPS` or a name of your own.
        version: The version of the event's contract (1, 2, ...), in its
            envelopes' ``type`` and its schema. Versions of one name are
            registered side by side, each with its payload class and its own
            subscribers; the name (and aliases) alone stands for the latest
            version. See :doc:`/evolving-events`.

    Raises:
        DuplicateEventError: The name (at this version) or an alias is taken.
        EventDefinitionError: The class cannot be an event as written.
    """
    if isinstance(cast("object", name), type):
        # @event above a class, without its name: the class came as the name.
        raise EventDefinitionError(
            cast("type[Any]", name).__qualname__,
            {
                "<name>": f"@event needs the event's name: write "
                f'@event("{_snake(cast("type[Any]", name).__name__)}") above the '
                f"class"
            },
        )
    check_policy(on_error)
    if (
        not isinstance(cast("object", version), int)
        or isinstance(cast("object", version), bool)
        or not 1 <= version <= _MAX_VERSION
    ):
        raise EventDefinitionError(
            str(name),
            {
                "<version>": f"expected an integer from 1 to {_MAX_VERSION}, got "
                f"{version!r}"
            },
        )
    names = (name, *aliases)
    for candidate in names:
        problem = name_problem(candidate)
        if problem is not None:
            raise EventDefinitionError(str(name), {"<name>": problem})

    def register(cls: type[T]) -> type[T]:
        with _lock:
            registered = _VERSIONS.get(name, {})
            if version in registered:
                exc = DuplicateEventError(name, registered[version].payload_type)
                exc.add_note(
                    f"a new contract of {name!r} is a new version, "
                    f"@event({name!r}, version={max(registered) + 1}); another "
                    f"event needs another name"
                )
                raise exc
            for candidate in names:
                if candidate in namespace:
                    existing = typing.cast(
                        "EventSignal", dict.get(namespace, candidate)
                    )
                    # Another version of this event may share its names.
                    if existing.name != name:
                        raise DuplicateEventError(candidate, existing.payload_type)
            built, spec = build_payload_class(cls, name, tuple(aliases), group, version)
            event_signal = EventSignal(spec, on_error)
            latest = max(registered, default=0)
            _VERSIONS.setdefault(name, {})[version] = event_signal
            for candidate in names:
                if version > latest or candidate not in namespace:
                    namespace[candidate] = _VERSIONS[name][max(version, latest)]
            ROUTES[built] = event_signal.route
            callbacks = list(_registration_callbacks)
        for callback in callbacks:
            callback(built)
        return built

    return register


def _snake(name: str) -> str:
    """``OrderPlaced`` -> ``order_placed``: a suggested event name."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


GROUPS: Final = ("browsing", "customer", "basket", "checkout", "order", "review")
"""The catalogue's groups, in the order of a customer's journey.
"""


def catalogue(group: str | None = None) -> tuple[PayloadSpec, ...]:
    """Describe every registered event, grouped.

    Each :class:`~commerce_events.PayloadSpec` has the event's name, aliases,
    group, payload class, documentation and fields (with type, required or
    optional, and documentation), all derived from the payload class itself.
    Events come by group, in the order of :data:`GROUPS` (other groups after
    them, by name), and in registration order within a group.

    Args:
        group: Only the events of this group.
    """
    with _lock:
        specs = [route.spec for route in ROUTES.values()]
    rank = {name: index for index, name in enumerate(GROUPS)}
    specs.sort(key=lambda spec: (rank.get(spec.group, len(rank)), spec.group))
    return tuple(s for s in specs if group is None or s.group == group)
