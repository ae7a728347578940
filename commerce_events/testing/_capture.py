"""Recording what the bus emits: ``capture_events`` and its recorder.

The recorder listens through a dispatcher *tap*, not a subscription: a tap sees
every delivery of every event, including events registered after the capture
started, and it cannot change what the subscribers see or the order in which
they run.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any, Final, Self, TypeVar, cast

import attrs

from .._context import CURRENT_EVENT, EventMetadata
from .._payload import PayloadSpec, spec_of
from .._subscriptions import add_tap, remove_tap, route_for_type
from ..exceptions import PayloadError

__all__ = ["CapturedEvent", "CapturedEvents", "capture_events"]

P = TypeVar("P")


class _AnySender:
    """The default of ``sender=``: match whoever emitted."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<any sender>"


_ANY_SENDER: Final[Any] = _AnySender()

# Failure messages list at most this many events, so a chatty test stays readable.
_SHOWN: Final = 20


@attrs.frozen(kw_only=True)
class CapturedEvent:
    """One emitted event, as recorded by :func:`capture_events`.

    Attributes:
        payload: The payload that was emitted.
        sender: Who emitted it (``emit(..., sender=)`` or ``signal.send(sender)``).
        index: Its position in the recording: 0 for the first event recorded
            since the capture started (or since :meth:`CapturedEvents.clear`).
        metadata: The emit's :class:`~commerce_events.EventMetadata` (its id,
            time and cause).
    """

    payload: Any
    sender: Any
    index: int
    metadata: EventMetadata | None = None

    @property
    def event(self) -> str:
        """The event's name (``"order_placed"``)."""
        spec = spec_of(type(self.payload))
        return spec.name if spec is not None else type(self.payload).__qualname__


class CapturedEvents:
    """The events recorded by :func:`capture_events`, with assertions.

    Records are kept in emission order. The assertion helpers match a payload
    class exactly (not its subclasses) and fields by equality; on failure they
    raise :class:`AssertionError` listing what was emitted instead.

    The recorder may be fed from several threads; reading while another thread
    emits returns a consistent snapshot.
    """

    def __init__(self, payload_types: tuple[type[Any], ...] = ()) -> None:
        # NotAPayloadError early; the taps go on these events only, so that
        # capturing one event costs the others nothing.
        self._routes = tuple(route_for_type(t) for t in payload_types)
        self._types = frozenset(payload_types)
        self._names = tuple(t.__qualname__ for t in payload_types)
        self._records: list[CapturedEvent] = []
        self._lock = threading.Lock()
        self._active = False
        # One bound method, so remove_tap finds the very object add_tap got.
        self._listener = self._tap

    # -- the recording -------------------------------------------------------

    def __enter__(self) -> Self:
        with self._lock:
            if self._active:
                msg = "this capture is already recording"
                raise RuntimeError(msg)
            self._active = True
        if self._routes:
            for route in self._routes:
                add_tap(self._listener, route)
        else:
            add_tap(self._listener)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._routes:
            for route in self._routes:
                remove_tap(self._listener, route)
        else:
            remove_tap(self._listener)
        with self._lock:
            self._active = False

    def _tap(self, signal: Any, payload: Any, sender: Any) -> None:
        if self._types and type(payload) not in self._types:
            return
        metadata = CURRENT_EVENT.get()
        with self._lock:
            index = len(self._records)
            self._records.append(
                CapturedEvent(
                    payload=payload, sender=sender, index=index, metadata=metadata
                )
            )

    @property
    def events(self) -> tuple[CapturedEvent, ...]:
        """Every recorded event, in emission order."""
        with self._lock:
            return tuple(self._records)

    @property
    def payloads(self) -> tuple[Any, ...]:
        """Every recorded payload, in emission order."""
        return tuple(record.payload for record in self.events)

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __iter__(self) -> Iterator[CapturedEvent]:
        return iter(self.events)

    def __repr__(self) -> str:
        what = ", ".join(self._names) if self._names else "every event"
        return f"<CapturedEvents of {what}: {len(self)} recorded>"

    def clear(self) -> None:
        """Forget what was recorded so far; recording goes on."""
        with self._lock:
            self._records.clear()

    def of_type(self, payload_type: type[P], /) -> list[P]:
        """Return the recorded payloads of exactly *payload_type*, in order.

        Raises:
            NotAPayloadError: *payload_type* is not a registered payload class.
            ValueError: This recorder does not capture *payload_type*.
        """
        self._check_captured(payload_type)
        return [r.payload for r in self.events if type(r.payload) is payload_type]

    # -- assertions ----------------------------------------------------------

    def assert_emitted(
        self, payload_type: type[P], /, *, sender: Any = _ANY_SENDER, **fields: Any
    ) -> P:
        """Assert that a matching event was emitted; return the first match.

        Args:
            payload_type: The payload class (matched exactly).
            sender: Only count events emitted by this sender. Default: any.
            fields: Field values the payload must have (compared with ``==``).

        Raises:
            AssertionError: Nothing matched.
            PayloadError: A field name is not a field of *payload_type*.
        """
        matches = self._matching(payload_type, sender, fields)
        if not matches:
            raise AssertionError(
                self._explain(payload_type, sender, fields, "was not emitted")
            )
        return cast("P", matches[0].payload)

    def assert_emitted_once(
        self, payload_type: type[P], /, *, sender: Any = _ANY_SENDER, **fields: Any
    ) -> P:
        """Assert that exactly one matching event was emitted; return it.

        Raises:
            AssertionError: None or several matched.
            PayloadError: A field name is not a field of *payload_type*.
        """
        matches = self._matching(payload_type, sender, fields)
        if len(matches) != 1:
            found = (
                "was not emitted"
                if not matches
                else f"was emitted {len(matches)} times, expected once "
                f"(at {', '.join(f'[{r.index}]' for r in matches)})"
            )
            raise AssertionError(self._explain(payload_type, sender, fields, found))
        return cast("P", matches[0].payload)

    def assert_not_emitted(
        self, payload_type: type[Any], /, *, sender: Any = _ANY_SENDER, **fields: Any
    ) -> None:
        """Assert that no matching event was emitted.

        With no *fields* (and no *sender*), no event of *payload_type* at all.

        Raises:
            AssertionError: Something matched.
            PayloadError: A field name is not a field of *payload_type*.
        """
        matches = self._matching(payload_type, sender, fields)
        if matches:
            shown = "\n".join(f"  [{r.index}] {_line(r)}" for r in matches[:_SHOWN])
            msg = (
                f"{_describe(payload_type, sender, fields)} was emitted "
                f"{len(matches)} time(s), expected never:\n{shown}"
            )
            raise AssertionError(msg)

    # -- helpers -------------------------------------------------------------

    def _check_captured(self, payload_type: type[Any]) -> PayloadSpec:
        spec = route_for_type(payload_type).spec
        if self._types and payload_type not in self._types:
            # Without this, assert_not_emitted would pass whatever happened.
            msg = (
                f"{payload_type.__qualname__} is not captured here (this capture "
                f"records {', '.join(self._names)}); add it to capture_events()"
            )
            raise ValueError(msg)
        return spec

    def _matching(
        self, payload_type: type[Any], sender: Any, fields: Mapping[str, Any]
    ) -> list[CapturedEvent]:
        spec = self._check_captured(payload_type)
        unknown = [name for name in fields if name not in spec.field_names]
        if unknown:
            known = ", ".join(spec.field_names) or "none"
            raise PayloadError(
                spec.name,
                payload_type,
                dict.fromkeys(unknown, f"unknown field (the fields are: {known})"),
            )
        return [
            r
            for r in self.events
            if type(r.payload) is payload_type
            and (sender is _ANY_SENDER or _equal(r.sender, sender))
            and not _mismatches(spec, r.payload, fields)
        ]

    def _explain(
        self,
        payload_type: type[Any],
        sender: Any,
        fields: Mapping[str, Any],
        outcome: str,
    ) -> str:
        records = self.events
        lines = [f"{_describe(payload_type, sender, fields)} {outcome}."]
        if not records:
            lines.append("Nothing was emitted.")
            return "\n".join(lines)
        lines.append(f"Emitted ({len(records)}):")
        spec = route_for_type(payload_type).spec
        for record in records[:_SHOWN]:
            lines.append(f"  [{record.index}] {_line(record)}")
            if type(record.payload) is not payload_type:
                continue
            if sender is not _ANY_SENDER and not _equal(record.sender, sender):
                lines.append(
                    f"        sender: expected {sender!r}, got {record.sender!r}"
                )
            lines.extend(
                f"        {name}: expected {expected}, got {actual}"
                for name, expected, actual in _mismatches(spec, record.payload, fields)
            )
        if len(records) > _SHOWN:
            lines.append(f"  ... and {len(records) - _SHOWN} more")
        return "\n".join(lines)


def _equal(actual: object, expected: object) -> bool:
    try:
        return bool(actual == expected)
    except Exception:  # noqa: BLE001 - a value that cannot be compared does not match
        return False


def _mismatches(
    spec: PayloadSpec, payload: object, fields: Mapping[str, Any]
) -> list[tuple[str, str, str]]:
    sensitive = {f.name for f in spec.fields if f.sensitive or f.hidden}
    found = []
    for name, expected in fields.items():
        actual = getattr(payload, name)
        if not _equal(actual, expected):
            show = _type_only if name in sensitive else repr
            found.append((name, show(expected), show(actual)))
    return found


def _type_only(value: object) -> str:
    # Sensitive values (requests, responses) never reach logs or reports.
    return "None" if value is None else f"<{type(value).__qualname__}>"


def _describe(payload_type: type[Any], sender: Any, fields: Mapping[str, Any]) -> str:
    spec = spec_of(payload_type)
    sensitive = (
        {f.name for f in spec.fields if f.sensitive or f.hidden} if spec else set()
    )
    parts = [
        f"{name}={_type_only(value) if name in sensitive else repr(value)}"
        for name, value in fields.items()
    ]
    if sender is not _ANY_SENDER:
        parts.append(f"sender={sender!r}")
    return f"{payload_type.__qualname__}({', '.join(parts)})"


def _line(record: CapturedEvent) -> str:
    sender = "" if record.sender is None else f" from {record.sender!r}"
    return f"{record.payload!r}{sender}"


def capture_events(*payload_types: type[Any]) -> CapturedEvents:
    """Record the events emitted inside a ``with`` block.

    ::

        with capture_events(OrderPlaced) as captured:
            client.post("/checkout")
        captured.assert_emitted_once(OrderPlaced, order=the_order)

    Every delivered event is recorded (payload, sender, order, metadata) before
    its subscribers run, whether they succeed or fail, and whether it has
    subscribers or not. Muted events are not delivered, so not recorded;
    deferred ones are recorded when they are delivered. The recorder keeps its
    records after the block, for the assertions.

    Args:
        payload_types: The payload classes to record (exact classes). None:
            every event, including events registered after the capture
            started.

    Returns:
        A :class:`CapturedEvents`; use it as a context manager.

    Raises:
        NotAPayloadError: A class is not a registered payload class.
    """
    return CapturedEvents(payload_types)
