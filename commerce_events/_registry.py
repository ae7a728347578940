"""The library's namespace of events, and the ``event`` decorator.

One :class:`EventNamespace` (a :class:`blinker.Namespace`, never blinker's
process-wide default) maps each event name, and each alias, to its
:class:`~commerce_events.EventSignal`. Built-in and custom events are
registered the same way: with :func:`event`.
"""

from __future__ import annotations

import threading
import typing
from collections.abc import Callable, Iterable
from typing import Any, Final, TypeVar, dataclass_transform

import attr
import attrs
import blinker

from ._payload import PayloadSpec, build_payload_class, field
from ._settings import OnError, check_policy
from ._signal import EventSignal
from ._subscriptions import ROUTES, route_for_type
from .exceptions import DuplicateEventError, EventDefinitionError, UnknownEventError

__all__ = ["GROUPS", "EventNamespace", "catalog", "event", "namespace", "signal"]

T = TypeVar("T")

_lock = threading.Lock()
_registration_callbacks: list[Callable[[type[Any]], None]] = []


def _on_registration(callback: Callable[[type[Any]], None]) -> None:
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

    .. versionadded:: 0.1.0
    """

    def __missing__(self, name: str) -> EventSignal:
        raise UnknownEventError(name, list(self))

    def signal(self, name: str, doc: str | None = None) -> EventSignal:
        """Return the signal registered as *name*.

        Raises:
            UnknownEventError: Nothing is registered as *name*.
        """
        return self[name]

    def __getitem__(self, name: str) -> EventSignal:
        return super().__getitem__(name)  # type: ignore[return-value]


namespace: Final[EventNamespace] = EventNamespace()
"""Every registered event's name (and alias) -> its signal.

.. versionadded:: 0.1.0
"""


def signal(name_or_type: str | type[Any]) -> EventSignal:
    """Return an event's signal, by name, alias or payload class.

    Raises:
        UnknownEventError: No event has that name.
        NotAPayloadError: The class is not a registered payload class.

    .. versionadded:: 0.1.0
    """
    if isinstance(name_or_type, str):
        return namespace[name_or_type]
    return route_for_type(name_or_type).signal


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

    Raises:
        DuplicateEventError: The name or an alias is taken.
        EventDefinitionError: The class cannot be an event as written.

    .. versionadded:: 0.1.0
    """
    check_policy(on_error)
    names = (name, *aliases)
    for candidate in names:
        if not isinstance(candidate, str) or not candidate.isidentifier():
            raise EventDefinitionError(
                str(name), {"<name>": f"{candidate!r} is not a valid event name"}
            )

    def register(cls: type[T]) -> type[T]:
        with _lock:
            for candidate in names:
                if candidate in namespace:
                    existing = typing.cast(
                        "EventSignal", dict.get(namespace, candidate)
                    )
                    raise DuplicateEventError(candidate, existing.payload_type)
            built, spec = build_payload_class(cls, name, tuple(aliases), group)
            event_signal = EventSignal(spec, on_error)
            for candidate in names:
                namespace[candidate] = event_signal
            ROUTES[built] = event_signal.route
            callbacks = list(_registration_callbacks)
        for callback in callbacks:
            callback(built)
        return built

    return register


GROUPS: Final = ("browsing", "customer", "basket", "checkout", "order", "review")
"""The catalogue's groups, in the order of a customer's journey.

.. versionadded:: 0.1.0
"""


def catalog(group: str | None = None) -> tuple[PayloadSpec, ...]:
    """Describe every registered event, grouped.

    Each :class:`~commerce_events.PayloadSpec` has the event's name, aliases,
    group, payload class, documentation and fields (with type, required or
    optional, and documentation), all derived from the payload class itself.
    Events come by group, in the order of :data:`GROUPS` (other groups after
    them, by name), and in registration order within a group.

    Args:
        group: Only the events of this group.

    .. versionadded:: 0.1.0
    """
    with _lock:
        specs = [route.spec for route in ROUTES.values()]
    rank = {name: index for index, name in enumerate(GROUPS)}
    specs.sort(key=lambda spec: (rank.get(spec.group, len(rank)), spec.group))
    return tuple(s for s in specs if group is None or s.group == group)
