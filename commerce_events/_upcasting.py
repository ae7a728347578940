"""Upcasters: plain functions from one version of an event to the next.

A consumer running new code reads envelopes of an older version by building
the old payload (validated against the old class), then calling the upcasters
from that class up to the class it is written for. Which older versions it
reads is the consumer's declaration (``reads=``), checked once, up front.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TypeVar

import attrs

from ._payload import PayloadSpec
from ._registry import spec_for, versions
from .exceptions import UpcastError

__all__ = ["Reading", "Reads", "reading", "upcast", "upcaster"]

Old = TypeVar("Old")
New = TypeVar("New")

Reads = Mapping[type[Any], Iterable[int]]
"""What a consumer reads: the payload class it is written for -> the envelope
versions it accepts as that class (its own version is always read)."""

_lock = threading.Lock()
# Older payload class -> (the newer class, the function making it).
_UPCASTERS: Final[dict[type[Any], tuple[type[Any], Callable[[Any], Any]]]] = {}

_USE: Final = "@upcaster(Old, to=New) takes payload classes registered with @event"


def upcaster(
    source: type[Old], /, *, to: type[New]
) -> Callable[[Callable[[Old], New]], Callable[[Old], New]]:
    """Register a function turning a payload of an older version into a newer.

    ::

        @upcaster(OrderPlacedV1, to=OrderPlaced)
        def add_currency(old: OrderPlacedV1) -> OrderPlaced:
            return OrderPlaced(order=old.order, total=old.total, currency="EUR")

    The function is returned unchanged. Upcasters chain: with ``v1 -> v2`` and
    ``v2 -> v3`` registered, a consumer of version 3 reads version 1 through
    both. Each class has at most one upcaster (one way up).

    Args:
        source: The older version's payload class.
        to: A newer version of the same event.

    Raises:
        NotAPayloadError: A class is not a registered payload class.
        UpcastError: The classes are not an older and a newer version of one
            event, or *source* already has an upcaster.
    """
    old = spec_for(source, use=_USE)
    new = spec_for(to, use=_USE)
    if old.name != new.name:
        raise UpcastError(
            old.name,
            f"{_shown(to)} is an event of {new.name!r}: an upcaster turns "
            f"a version of an event into a newer version of the same event",
        )
    if new.version <= old.version:
        raise UpcastError(
            old.name,
            f"{_shown(to)} (version {new.version}) is not newer than "
            f"{_shown(source)} (version {old.version}): upcasters go up",
        )

    def register(function: Callable[[Old], New]) -> Callable[[Old], New]:
        with _lock:
            taken = _UPCASTERS.get(source)
            if taken is not None:
                raise UpcastError(
                    old.name,
                    f"{_shown(source)} (version {old.version}) already has "
                    f"an upcaster, to {_shown(taken[0])}: one way up per "
                    f"version",
                )
            _UPCASTERS[source] = (to, function)
        return function

    return register


def _shown(named: Any) -> str:
    """A class or function by name: ``Placed``, not ``test.<locals>.Placed``."""
    return str(getattr(named, "__qualname__", named)).rsplit(">.", 1)[-1]


def _path(source: PayloadSpec, target: PayloadSpec) -> bool:
    """Whether the upcasters lead from *source*'s class to *target*'s."""
    current = source.payload_type
    while current is not target.payload_type:
        step = _UPCASTERS.get(current)
        if step is None:
            return False
        current = step[0]
    return True


def upcast(payload: Any, to: type[New], /) -> New:
    """Run the upcasters from *payload*'s version up to the class *to*.

    Args:
        payload: A payload of an older version (or of *to*: returned as is).
        to: The payload class wanted.

    Raises:
        NotAPayloadError: *payload* is not a registered payload.
        UpcastError: No upcaster path leads from its class to *to*, or an
            upcaster returned something else than its class.
        PayloadError: An upcaster built an invalid payload.
    """
    source = spec_for(type(payload), use="upcast() takes a registered payload")
    target = spec_for(to, use="upcast() upcasts to a registered payload class")
    if not _path(source, target):
        raise UpcastError(source.name, _no_path(source, target))
    current: Any = payload
    while type(current) is not to:
        made, function = _UPCASTERS[type(current)]
        result = function(current)
        if type(result) is not made:
            raise UpcastError(
                source.name,
                f"the upcaster {_shown(function)!r} "
                f"returned {_shown(type(result))}, not {_shown(made)}",
            )
        current = result
    return current


def _no_path(source: PayloadSpec, target: PayloadSpec) -> str:
    return (
        f"no upcaster leads from version {source.version} "
        f"({_shown(source.payload_type)}) to version {target.version} "
        f"({_shown(target.payload_type)}); register one with "
        f"@upcaster({_shown(source.payload_type)}, "
        f"to={_shown(target.payload_type)})"
    )


@attrs.frozen
class Reading:
    """A consumer's checked ``reads=``: per event name, what it reads as what.

    Attributes:
        targets: Event name -> (the spec it is read as, the versions read).
    """

    targets: Mapping[str, tuple[PayloadSpec, frozenset[int]]]

    def resolve(
        self, name: str, version: int
    ) -> tuple[PayloadSpec | None, PayloadSpec | None, str]:
        """Find how an envelope of *name* at *version* is read.

        Returns:
            (the envelope's spec, the spec to upcast to or None, why not): the
            first is None when this process does not read that version, and
            the third then says which versions it reads.
        """
        registered = versions(name)
        found = self.targets.get(name)
        if found is not None:
            target, read = found
            if version in read:
                upcast_to = None if version == target.version else target
                return registered[version], upcast_to, ""
            known = sorted(read)
        else:
            if version in registered:
                return registered[version], None, ""
            known = sorted(registered)
        listed = ", ".join(map(str, known))
        why = (
            f"version {version} of {name!r} is not read here (this process reads "
            f"version{'s' if len(known) > 1 else ''} {listed}"
        )
        if found is None and known and version < max(known):
            newest = _shown(registered[max(known)].payload_type)
            why += (
                f"; to read version {version}, register its payload class, an "
                f"upcaster, and pass reads={{{newest}: {{{version}, {max(known)}}}}}"
            )
        return None, None, why + ")"


_NOTHING_DECLARED: Final = Reading({})


def reading(reads: Reads | None) -> Reading:
    """Check a consumer's ``reads=`` declaration, once.

    Raises:
        NotAPayloadError: A key is not a registered payload class.
        UpcastError: A version is not registered, or no upcaster path leads
            from it to the class it is read as; or one event has two classes.
    """
    if not reads:
        return _NOTHING_DECLARED
    targets: dict[str, tuple[PayloadSpec, frozenset[int]]] = {}
    for payload_type, wanted in reads.items():
        target = spec_for(
            payload_type, use="reads= maps payload classes registered with @event"
        )
        if target.name in targets:
            raise UpcastError(
                target.name,
                f"reads= names two classes of it "
                f"({_shown(targets[target.name][0].payload_type)} and "
                f"{_shown(payload_type)}): envelopes of one event are read "
                f"as one class",
            )
        registered = versions(target.name)
        read = frozenset({target.version, *wanted})
        for version in sorted(read):
            source = registered.get(version)
            if source is None:
                raise UpcastError(
                    target.name,
                    f"reads= asks for version {version!r}, which is not registered "
                    f"(registered: {', '.join(map(str, registered))}): define its "
                    f"payload class with @event({target.name!r}, "
                    f"version={version!r}) and an upcaster",
                )
            if not _path(source, target):
                raise UpcastError(target.name, _no_path(source, target))
        targets[target.name] = (target, read)
    return Reading(targets)
