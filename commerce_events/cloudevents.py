"""Payloads as CloudEvents 1.0 envelopes (JSON, structured mode), and back.

Needs the ``serialization`` extra (cattrs). An envelope is a plain dict, ready
for :func:`json.dumps`, a Celery task argument or a Redis stream entry::

    {
        "specversion": "1.0",
        "id": "5f0c6a1e-...",                    # the emit's id: dedupe on it
        "source": "/shop/web",                   # who emitted it (you choose)
        "type": "io.commerce-events.order_placed.v1",
        "subject": "100042",                     # the order's identity
        "time": "2026-05-01T10:00:00.123456Z",   # when it was emitted
        "datacontenttype": "application/json",
        "dataschema": "urn:commerce-events:schema:order_placed/v1.json",
        "data": {"order": "100042", "user": 7},  # to_dict(payload)
    }

``type`` is ``<prefix>.<event name>.v<version>``. The prefix is a reverse-DNS
name, as CloudEvents recommends: ``io.commerce-events`` (this library's
namespace) unless you choose your own, for the whole process, with
:func:`set_type_prefix` (``set_type_prefix("com.myshop")``), or per call with
``type_prefix=``. ``source`` is a URI reference (RFC 3986) and ``time`` an RFC
3339 timestamp, checked when envelopes are written and when they are read.
``subject`` is the identity of the event's first required domain object (the
order of ``order_placed``), when it is a string or an integer. ``dataschema``
is the ``$id`` of the event version's JSON Schema (see
:func:`~commerce_events.schema.set_schema_base_uri`). An event emitted
by a subscriber carries the id of the event that caused it in the
``causationid`` extension attribute.

A consumer reads the versions of an event registered in its process; with
``reads={OrderPlaced: {1, 2}}`` it reads envelopes of version 1 as
``OrderPlaced`` (version 2) through the upcasters (see :doc:`/evolving-events`).

The official ``cloudevents`` SDK (2.x, extra ``cloudevents``) reads these
envelopes, and carries them in its protocol bindings: :func:`to_http_binary`
and :func:`from_http` speak HTTP binary mode (attributes as ``ce-`` headers,
data as the body); :func:`to_sdk_event` and :func:`from_sdk_event` hand an
envelope to the SDK's Kafka and AMQP bindings and back.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar, overload
from urllib.parse import unquote

import attrs

from ._context import CURRENT_EVENT, EventMetadata
from ._delivery import Payload
from ._limits import (
    EVENT_NAME,
    MAX_ATTRIBUTE_LENGTH,
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    MAX_EVENT_NAME_LENGTH,
    loads,
    shown,
    too_deep,
)
from ._payload import PayloadSpec
from ._registry import payload_spec, spec_for
from ._schema_ids import schema_id
from ._upcasting import Reading, Reads, reading, upcast
from .exceptions import EnvelopeError, UnknownEventError
from .serialization import Unknown, from_dict, to_dict

if TYPE_CHECKING:
    from cloudevents.core.base import BaseCloudEvent
    from cloudevents.core.v1.event import CloudEvent

__all__ = [
    "CONTENT_TYPE",
    "DEFAULT_TYPE_PREFIX",
    "SPECVERSION",
    "envelope_from_http",
    "envelope_metadata",
    "event_type",
    "from_cloudevent",
    "from_http",
    "from_sdk_event",
    "get_type_prefix",
    "set_type_prefix",
    "to_cloudevent",
    "to_http_binary",
    "to_sdk_event",
]

P = TypeVar("P")

SPECVERSION: Final = "1.0"
"""The CloudEvents version of the envelopes.
"""

CONTENT_TYPE: Final = "application/json"
"""The ``datacontenttype`` of the envelopes' data.
"""

DEFAULT_TYPE_PREFIX: Final = "io.commerce-events"
"""The default prefix of an envelope's ``type``: this library's namespace, in
reverse-DNS form (CloudEvents recommends one). Choose your own with
:func:`set_type_prefix`. Before 0.2 it was ``commerce_events``.
"""

CAUSATION_ATTRIBUTE: Final = "causationid"
"""The extension attribute holding the id of the event that caused this one."""

_NAME = EVENT_NAME
_PREFIX = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
_JSON_TYPE = re.compile(r"^application/([a-z0-9.+-]+\+)?json\s*(;.*)?$", re.IGNORECASE)
# RFC 3339 (section 5.6): a full date, "T", a full time with its offset.
_RFC3339: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
# RFC 3986: a URI-reference is made of these characters and %XX escapes; a
# scheme is a letter, then letters, digits, "+", "-" or "."; a relative
# reference's first segment has no ":"; "#" starts the fragment, once.
_URI_CHARACTERS: Final = re.compile(
    r"([A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*"
)
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


@functools.lru_cache(maxsize=256)  # a service has a few sources: checked once
def _uri_reference_problem(value: str) -> str | None:
    """What keeps *value* from being an RFC 3986 URI-reference, or None."""
    if not _URI_CHARACTERS.fullmatch(value):
        return (
            f"{shown(value)} is not a URI reference (RFC 3986): spaces, "
            "control and non-ASCII characters must be %-encoded"
        )
    if value.count("#") > 1:
        return f"{shown(value)} is not a URI reference (RFC 3986): two '#'"
    if not _SCHEME.match(value) and ":" in re.split(r"[/?#]", value, maxsplit=1)[0]:
        return (
            f"{shown(value)} is not a URI reference (RFC 3986): a ':' before "
            "any '/' needs a scheme of letters, digits, '+', '-' or '.'"
        )
    return None


def _check_source(source: object) -> None:
    """Raise EnvelopeError unless *source* is a non-empty URI reference."""
    problem: str | None
    if not isinstance(source, str) or not source:
        problem = f"expected a non-empty string (a URI reference), got {shown(source)}"
    elif len(source) > MAX_ATTRIBUTE_LENGTH:
        problem = f"longer than {MAX_ATTRIBUTE_LENGTH} characters"
    else:
        problem = _uri_reference_problem(source)
    if problem is not None:
        raise EnvelopeError({"source": problem})


def _check_prefix(type_prefix: str | None) -> str:
    """*type_prefix*, checked; None: the process's (:func:`set_type_prefix`)."""
    if type_prefix is None:
        return _type_prefix
    if not isinstance(type_prefix, str) or not _PREFIX.match(type_prefix):
        msg = (
            f"type_prefix must be dot-separated words such as 'com.myshop', got "
            f"{type_prefix!r}"
        )
        raise ValueError(msg)
    return type_prefix


_type_prefix: str = DEFAULT_TYPE_PREFIX


def set_type_prefix(type_prefix: str, /) -> None:
    """Choose the ``type`` prefix of this process's envelopes.

    Used by every writer and reader given no ``type_prefix=``:
    :func:`to_cloudevent`, :func:`from_cloudevent`,
    :func:`~commerce_events.forwarding.forward` and the consumers. Set it once,
    at start-up, to the same value in producers and consumers: your reverse
    domain name, ``set_type_prefix("com.myshop")``. To keep the envelopes of
    0.1, ``set_type_prefix("commerce_events")``.

    Raises:
        ValueError: *type_prefix* is not dot-separated words.
    """
    global _type_prefix  # noqa: PLW0603 - one prefix for the whole process
    candidate: object = type_prefix  # checked, whatever the annotation says
    _type_prefix = _check_prefix(type_prefix if candidate is not None else "")


def get_type_prefix() -> str:
    """The ``type`` prefix used when none is given (see :func:`set_type_prefix`)."""
    return _type_prefix


def event_type(event: str | type[Any], /, *, type_prefix: str | None = None) -> str:
    """The envelope ``type`` of an event: ``<prefix>.<name>.v<version>``.

    ::

        >>> event_type(OrderPlaced)
        'io.commerce-events.order_placed.v1'

    Args:
        event: The payload class, or the event's name or alias.
        type_prefix: The prefix (your reverse domain name, say); default:
            :func:`get_type_prefix`.

    Raises:
        UnknownEventError: No event has that name.
        NotAPayloadError: The class is not a registered payload class.
    """
    type_prefix = _check_prefix(type_prefix)
    spec = spec_for(event)
    return f"{type_prefix}.{spec.name}.v{spec.version}"


def _rfc3339(time: dt.datetime) -> str:
    text = time.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _subject(spec: PayloadSpec, data: Mapping[str, Any]) -> str | None:
    for fs in spec.fields:
        if fs.domain is not None and fs.required and not fs.sensitive:
            identity = data.get(fs.name)
            if isinstance(identity, str) or (
                isinstance(identity, int) and not isinstance(identity, bool)
            ):
                return str(identity)
            return None
    return None


def to_cloudevent(
    payload: Payload,
    /,
    *,
    source: str,
    type_prefix: str | None = None,
    subject: str | None = None,
    metadata: EventMetadata | None = None,
) -> dict[str, Any]:
    """Wrap a payload in a CloudEvents 1.0 envelope (structured mode, JSON).

    The envelope reuses the id and time of the emit being delivered (so a
    forwarder subscriber and every consumer see the same id); called outside
    any delivery of this event, it makes a new id and takes the current time.

    Args:
        payload: A registered payload.
        source: Identifies the context that emits the event, as a URI
            reference (``"/shop/web"``, ``"https://shop.example/checkout"``).
        type_prefix: The prefix of ``type``; default: :func:`get_type_prefix`.
        subject: The ``subject`` attribute; default: the identity of the
            event's first required domain object, if a string or an integer.
        metadata: The emit's metadata; default: the current event's when it is
            this one.

    Returns:
        The envelope, a dict of JSON data.

    Raises:
        NotAPayloadError: *payload* is not a registered payload.
        SerializationError: The payload cannot be serialized.
        EnvelopeError: *source* is not a URI reference, or the metadata's
            time has no timezone (no RFC 3339 ``time``).
        ValueError: *type_prefix* is malformed.
    """
    spec = payload_spec(
        payload,
        use="to_cloudevent() takes a payload of an event registered with @event",
    )
    _check_source(source)
    type_prefix = _check_prefix(type_prefix)
    data = to_dict(payload)
    if metadata is None:
        current = CURRENT_EVENT.get()
        metadata = (
            current
            if current is not None and current.event == spec.name
            else EventMetadata.new(spec.name)
        )
    envelope: dict[str, Any] = {
        "specversion": SPECVERSION,
        "id": str(metadata.id),
        "source": source,
        "type": f"{type_prefix}.{spec.name}.v{spec.version}",
    }
    chosen = subject if subject is not None else _subject(spec, data)
    if chosen is not None:
        envelope["subject"] = chosen
    if metadata.time.utcoffset() is None:
        raise EnvelopeError(
            {"time": f"{metadata.time!r} has no timezone: not an RFC 3339 timestamp"}
        )
    envelope["time"] = _rfc3339(metadata.time)
    envelope["datacontenttype"] = CONTENT_TYPE
    envelope["dataschema"] = schema_id(spec)
    envelope["data"] = data
    if metadata.cause is not None:
        envelope[CAUSATION_ATTRIBUTE] = str(metadata.cause)
    return envelope


@attrs.frozen
class _Read:
    """A checked envelope: its event, data and metadata."""

    spec: PayloadSpec
    data: Mapping[str, Any]
    metadata: EventMetadata
    upcast_to: PayloadSpec | None = None

    def payload(self, unknown: Unknown) -> Any:
        """The envelope's payload, upcast to the version the consumer reads."""
        payload = from_dict(self.spec.payload_type, self.data, unknown=unknown)
        if self.upcast_to is None:
            return payload
        return upcast(payload, self.upcast_to.payload_type)


def _parse(envelope: object) -> Mapping[str, Any]:
    if isinstance(envelope, (bytes, bytearray, str)):
        try:
            envelope = loads(envelope)
        except ValueError as exc:
            raise EnvelopeError({"<envelope>": str(exc)}) from None
    if not isinstance(envelope, Mapping):
        raise EnvelopeError(
            {"<envelope>": f"expected a JSON object, got {type(envelope).__qualname__}"}
        )
    return envelope


def _string(envelope: Mapping[str, Any], name: str, problems: dict[str, str]) -> str:
    value = envelope.get(name)
    if not isinstance(value, str) or not value:
        problems[name] = (
            "missing (required)"
            if name not in envelope
            else f"expected a non-empty string, got {shown(value)}"
        )
        return ""
    if len(value) > MAX_ATTRIBUTE_LENGTH:
        problems[name] = f"longer than {MAX_ATTRIBUTE_LENGTH} characters"
        return ""
    return value


def _read(
    envelope: object,
    type_prefix: str | None,
    expected: type[Any] | None = None,
    reads: Reading | None = None,
) -> _Read:
    """Check an envelope's attributes and find its event (not its data)."""
    type_prefix = _check_prefix(type_prefix)
    attributes = _parse(envelope)
    problems: dict[str, str] = {}
    version = attributes.get("specversion")
    if version != SPECVERSION:
        problems["specversion"] = (
            "missing (required)"
            if "specversion" not in attributes
            else f"expected {SPECVERSION!r}, got {shown(version)}"
        )
    event_id = _string(attributes, "id", problems)
    source = _string(attributes, "source", problems)
    if source and (problem := _uri_reference_problem(source)) is not None:
        problems["source"] = problem
    kind = _string(attributes, "type", problems)
    spec: PayloadSpec | None = None
    upcast_to: PayloadSpec | None = None
    if kind:
        spec, upcast_to = _event_of(kind, type_prefix, problems, reads)
    read_as = upcast_to or spec
    if (
        read_as is not None
        and expected is not None
        and read_as.payload_type is not expected
    ):
        problems["type"] = (
            f"expected an envelope of {expected.__qualname__}, got {kind!r}"
        )
    _check_others(attributes, problems)
    content_type = attributes.get("datacontenttype", CONTENT_TYPE)
    if not isinstance(content_type, str) or not _JSON_TYPE.match(
        content_type[:MAX_ATTRIBUTE_LENGTH]
    ):
        problems["datacontenttype"] = (
            f"expected JSON data ({CONTENT_TYPE!r}), got {shown(content_type)}"
        )
    data = attributes.get("data")
    if "data_base64" in attributes:
        problems["data_base64"] = "binary data cannot be an event payload"
    elif not isinstance(data, Mapping):
        problems["data"] = (
            "missing (required)"
            if "data" not in attributes
            else f"expected a JSON object, got {type(data).__qualname__}"
        )
    elif too_deep(data, MAX_DEPTH - 1):
        problems["data"] = f"nested deeper than {MAX_DEPTH} levels"
    time = _time(attributes, problems)
    cause = _cause(attributes, problems)
    if problems:
        raise EnvelopeError(problems)
    assert spec is not None  # noqa: S101 - else "type" is among the problems
    assert isinstance(data, Mapping)  # noqa: S101 - else "data" is
    try:
        identity = uuid.UUID(event_id)
    except ValueError:
        # CloudEvents ids are any string, unique per source: derive a stable
        # UUID, so that duplicates still share an id.
        identity = uuid.uuid5(uuid.NAMESPACE_URL, f"cloudevents:{source}#{event_id}")
    metadata = EventMetadata(identity, time, spec.name, cause)
    return _Read(spec, data, metadata, upcast_to)


def _event_of(
    kind: str, type_prefix: str, problems: dict[str, str], reads: Reading | None
) -> tuple[PayloadSpec | None, PayloadSpec | None]:
    """The envelope's event version, and the version it is upcast to (or None)."""
    # Bounded before anything else: the name's length (so the "did you mean"
    # search stays cheap) and the version's digits (int() of 5000 digits
    # raises).
    match = re.fullmatch(
        rf"{re.escape(type_prefix)}\.(?P<name>{_NAME})\.v(?P<version>[1-9][0-9]{{0,8}})",
        kind,
    )
    if match is not None and len(match["name"]) > MAX_EVENT_NAME_LENGTH:
        problems["type"] = (
            f"{shown(kind)}: event names are at most {MAX_EVENT_NAME_LENGTH} characters"
        )
        return None, None
    if match is None:
        problems["type"] = (
            f"expected {type_prefix}.<event name>.v<version>, got {shown(kind)}"
        )
        return None, None
    try:
        name = spec_for(match["name"]).name
    except UnknownEventError as exc:
        problems["type"] = f"{kind!r}: {exc}"
        return None, None
    found, upcast_to, why = (reads or reading(None)).resolve(
        name, int(match["version"])
    )
    if found is None:
        problems["type"] = f"{kind!r}: {why}"
    return found, upcast_to


def _time(attributes: Mapping[str, Any], problems: dict[str, str]) -> dt.datetime:
    raw = attributes.get("time")
    if raw is None:
        return dt.datetime.now(dt.UTC)
    try:
        time = (
            dt.datetime.fromisoformat(raw.upper())
            if isinstance(raw, str) and _RFC3339.fullmatch(raw)
            else None
        )
    except ValueError:  # a month 13, a day 32
        time = None
    if time is None or time.utcoffset() is None:
        problems["time"] = f"expected an RFC 3339 timestamp, got {shown(raw)}"
        return dt.datetime.now(dt.UTC)
    return time


def _cause(attributes: Mapping[str, Any], problems: dict[str, str]) -> uuid.UUID | None:
    raw = attributes.get(CAUSATION_ATTRIBUTE)
    if raw is None:
        return None
    try:
        if isinstance(raw, str) and len(raw) <= MAX_ATTRIBUTE_LENGTH:
            return uuid.UUID(raw)
    except ValueError:
        pass
    problems[CAUSATION_ATTRIBUTE] = f"expected a UUID, got {shown(raw)}"
    return None


# CloudEvents attribute names: lower-case ASCII letters and digits.
_ATTRIBUTE_NAME: Final = re.compile(r"[a-z0-9]{1,20}")
_CHECKED: Final = frozenset(
    {"specversion", "id", "source", "type", "data", "data_base64", "time"}
    | {"datacontenttype", CAUSATION_ATTRIBUTE}
)


def _check_others(attributes: Mapping[str, Any], problems: dict[str, str]) -> None:
    """Every other attribute: a valid name, and a short string or a scalar."""
    for name, value in attributes.items():
        if name in _CHECKED:
            continue
        if not isinstance(name, str) or not _ATTRIBUTE_NAME.fullmatch(name):
            problems[shown(name)] = (
                "not a CloudEvents attribute name (lower-case letters and digits)"
            )
        elif name in {"subject", "dataschema"} and not isinstance(value, str):
            problems[name] = f"expected a string, got {shown(value)}"
        elif isinstance(value, str) and len(value) > MAX_ATTRIBUTE_LENGTH:
            problems[name] = f"longer than {MAX_ATTRIBUTE_LENGTH} characters"
        elif not isinstance(value, (str, bool, int)) or (
            isinstance(value, int) and value.bit_length() > 63  # noqa: PLR2004
        ):
            problems[name] = (
                f"expected a string, a boolean or an integer, got {shown(value)}"
            )
        if len(problems) > 20:  # noqa: PLR2004 - enough to say what is wrong
            return


@overload
def from_cloudevent(
    envelope: Mapping[str, Any] | str | bytes,
    expected: type[P],
    /,
    *,
    type_prefix: str | None = ...,
    unknown: Unknown = ...,
    reads: Reads | None = ...,
) -> P: ...
@overload
def from_cloudevent(
    envelope: Mapping[str, Any] | str | bytes,
    /,
    *,
    type_prefix: str | None = ...,
    unknown: Unknown = ...,
    reads: Reads | None = ...,
) -> Any: ...
def from_cloudevent(
    envelope: Mapping[str, Any] | str | bytes,
    expected: type[Any] | None = None,
    /,
    *,
    type_prefix: str | None = None,
    unknown: Unknown = "ignore",
    reads: Reads | None = None,
) -> Any:
    """Read an envelope back into a typed payload.

    The event is found by the envelope's ``type`` among the registered events
    (never imported by name), then the payload is rebuilt from ``data`` by
    :func:`~commerce_events.serialization.from_dict`. Data fields this process
    does not know are ignored by default, since a newer producer may have added
    optional ones.

    Args:
        envelope: The envelope, as a dict or as JSON text.
        expected: The payload class the envelope must hold (checked, and typed
            for the type checker).
        type_prefix: The prefix ``type`` must have; default:
            :func:`get_type_prefix`.
        unknown: What to do with unknown data fields (see
            :data:`~commerce_events.serialization.Unknown`).
        reads: The versions read as which class: ``{OrderPlaced: {1, 2}}``
            reads envelopes of versions 1 and 2 as ``OrderPlaced``, version 1
            through its upcasters. Without it, each registered version is
            read as its own class.

    Raises:
        EnvelopeError: The envelope is malformed, or its ``type`` has another
            prefix, names no registered event (or another than *expected*), or
            a version this process does not read (the error lists those it
            reads).
        PayloadError: The data is invalid.
        UpcastError: *reads* asks for a version no upcaster path leads from, or
            an upcaster returned another class.
    """
    read = _read(envelope, type_prefix, expected, reading(reads))
    return read.payload(unknown)


def envelope_metadata(
    envelope: Mapping[str, Any] | str | bytes,
    /,
    *,
    type_prefix: str | None = None,
) -> EventMetadata:
    """Return the metadata an envelope carries: id, time, event and cause.

    An ``id`` that is not a UUID (from another producer) becomes a UUID derived
    from it and the ``source``, so that duplicates still share one; a missing
    ``time`` is now.

    Raises:
        EnvelopeError: The envelope is malformed (as for
            :func:`from_cloudevent`).
    """
    return _read(envelope, type_prefix).metadata


# -- bindings: the official SDK (extra ``cloudevents``) ---------------------------

_NOT_ATTRIBUTES: Final = frozenset({"data", "data_base64"})


def _sdk_missing() -> ImportError:
    return ImportError(
        "the CloudEvents bindings need the official cloudevents SDK (2.x): "
        "install the cloudevents extra, pip install 'commerce-events[cloudevents]'"
    )


def _checked_time(raw: object) -> dt.datetime:
    """An envelope's ``time``, which must be an RFC 3339 timestamp."""
    problems: dict[str, str] = {}
    time = _time({"time": raw}, problems)
    if problems:
        raise EnvelopeError(problems)
    return time


def _check_required(attributes: Mapping[str, Any]) -> None:
    """The attributes the SDK would make up when missing (an id!) are there."""
    problems: dict[str, str] = {}
    for name in ("id", "type"):
        _string(attributes, name, problems)
    if attributes.get("specversion") != SPECVERSION:
        problems["specversion"] = (
            f"expected {SPECVERSION!r}, got {shown(attributes.get('specversion'))}"
        )
    if problems:
        raise EnvelopeError(problems)


def to_sdk_event(envelope: Mapping[str, Any], /) -> CloudEvent:
    """The envelope as the official SDK's event, for its protocol bindings.

    Hand it to the SDK's Kafka or AMQP bindings (``to_binary``,
    ``to_structured``), or any other of its functions. ``source`` and
    ``time`` are checked first.

    Raises:
        EnvelopeError: ``source`` is not a URI reference, ``time`` not an RFC
            3339 timestamp, or the SDK refuses an attribute.
        ImportError: The SDK is not installed (extra ``cloudevents``).
    """
    try:
        from cloudevents.core.exceptions import BaseCloudEventException
        from cloudevents.core.v1.event import CloudEvent
    except ImportError:
        raise _sdk_missing() from None
    _check_source(envelope.get("source"))
    _check_required(envelope)
    attributes = {k: v for k, v in envelope.items() if k not in _NOT_ATTRIBUTES}
    attributes["time"] = _checked_time(envelope.get("time"))
    try:
        return CloudEvent(attributes, envelope.get("data"))
    except BaseCloudEventException as exc:
        errors = getattr(exc, "errors", None)
        if isinstance(errors, dict) and errors:
            raise EnvelopeError(
                {str(k): "; ".join(map(str, v)) for k, v in errors.items()}
            ) from None
        raise EnvelopeError({"<envelope>": str(exc)}) from None


def from_sdk_event(event: BaseCloudEvent, /) -> dict[str, Any]:
    """An event of the official SDK (from any of its bindings) as an envelope.

    The envelope is what :func:`from_cloudevent` and
    :func:`~commerce_events.forwarding.consume_envelope` read (and check).
    """
    envelope = {
        name: _rfc3339(value) if isinstance(value, dt.datetime) else value
        for name, value in event.get_attributes().items()
        if value is not None
    }
    data = event.get_data()
    if data is not None:
        envelope["data"] = data
    return envelope


def to_http_binary(envelope: Mapping[str, Any], /) -> tuple[dict[str, str], bytes]:
    """An envelope as an HTTP message in binary mode: headers and body.

    Every attribute becomes a ``ce-`` header (``ce-id``, ``ce-type``, ...;
    ``datacontenttype`` is the ``content-type``), and the data, as JSON, the
    body: written by the official SDK's HTTP binding.

    Raises:
        EnvelopeError: As for :func:`to_sdk_event`.
        ImportError: The SDK is not installed (extra ``cloudevents``).
    """
    event = to_sdk_event(envelope)
    from cloudevents.core.bindings.http import to_binary
    from cloudevents.core.formats.json import JSONFormat

    message = to_binary(event, JSONFormat())
    return dict(message.headers), message.body


def envelope_from_http(headers: Mapping[str, str], body: bytes, /) -> dict[str, Any]:
    """The envelope of an HTTP message, binary or structured mode.

    A message with ``ce-`` headers is in binary mode, read by the official
    SDK's HTTP binding (once the attributes it would make up when missing,
    such as ``id``, are known to be there); any other is in structured mode,
    its body the envelope as JSON (``application/cloudevents+json``). The
    envelope's other attributes and its data are not checked yet:
    :func:`from_cloudevent` and
    :func:`~commerce_events.forwarding.consume_envelope` do that.

    Args:
        headers: The request's headers (any case).
        body: The request's body.

    Raises:
        EnvelopeError: The message is not a CloudEvent (too large, not JSON,
            missing attributes, a ``ce-time`` that is not RFC 3339).
        ImportError: The SDK is not installed (extra ``cloudevents``).
    """
    try:
        from cloudevents.core.bindings.http import HTTPMessage, from_binary
        from cloudevents.core.exceptions import BaseCloudEventException
        from cloudevents.core.formats.json import JSONFormat
    except ImportError:
        raise _sdk_missing() from None
    if len(body) > MAX_DOCUMENT_BYTES:
        raise EnvelopeError({"<body>": f"larger than {MAX_DOCUMENT_BYTES} bytes"})
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    if not any(name.startswith("ce-") for name in lowered):
        # Structured mode: the body is the envelope itself, read as
        # from_cloudevent() reads JSON text (bounded), with no SDK defaults.
        return dict(_parse(bytes(body)))
    # Binary mode. The SDK makes up a missing id (and time): check first.
    _check_required(
        {k[3:]: unquote(v) for k, v in lowered.items() if k.startswith("ce-")}
    )
    if "ce-time" in lowered:  # checked as sent: the SDK parses it leniently
        _checked_time(unquote(lowered["ce-time"]))
    try:
        event = from_binary(HTTPMessage(lowered, bytes(body)), JSONFormat())
    except (BaseCloudEventException, ValueError, RecursionError) as exc:
        raise EnvelopeError({"<message>": f"{type(exc).__name__}: {exc}"}) from None
    return from_sdk_event(event)


@overload
def from_http(
    headers: Mapping[str, str],
    body: bytes,
    expected: type[P],
    /,
    *,
    type_prefix: str | None = ...,
    unknown: Unknown = ...,
) -> P: ...
@overload
def from_http(
    headers: Mapping[str, str],
    body: bytes,
    /,
    *,
    type_prefix: str | None = ...,
    unknown: Unknown = ...,
) -> Any: ...
def from_http(
    headers: Mapping[str, str],
    body: bytes,
    expected: type[Any] | None = None,
    /,
    *,
    type_prefix: str | None = None,
    unknown: Unknown = "ignore",
) -> Any:
    """Read an HTTP message (binary or structured mode) into a typed payload.

    :func:`envelope_from_http`, then :func:`from_cloudevent` (see both).

    Raises:
        EnvelopeError: The message is no CloudEvent, or its envelope is
            invalid.
        PayloadError: The data is invalid.
        ImportError: The SDK is not installed (extra ``cloudevents``).
    """
    envelope = envelope_from_http(headers, body)
    if expected is None:
        return from_cloudevent(envelope, type_prefix=type_prefix, unknown=unknown)
    return from_cloudevent(envelope, expected, type_prefix=type_prefix, unknown=unknown)
