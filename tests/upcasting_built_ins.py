"""Every built-in event, read by a consumer of its version 2 (run by test_upcasting).

A process of its own: registering version 2 of a built-in event makes it the
latest version of that name, which the rest of the test suite must not see.
"""

from __future__ import annotations

from contextlib import nullcontext
from functools import partial
from typing import Any

import attrs
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import commerce_events
from commerce_events import catalogue, event, field, request_context, upcast, upcaster
from commerce_events._payload import PayloadSpec
from commerce_events.cloudevents import from_cloudevent, to_cloudevent
from commerce_events.exceptions import SerializationError
from commerce_events.serialization import register_identity, to_dict
from commerce_events.testing.strategies import DomainStandIn, payloads


def _stand_in(domain: str, key: object) -> DomainStandIn:
    if type(key) is not int:
        raise TypeError(key)
    return DomainStandIn(domain, key)


def next_version(spec: PayloadSpec) -> type[Any]:
    """Register version 2 of a built-in event: its fields and a new optional one."""
    body: dict[str, Any] = {"__annotations__": {}, "__doc__": f"{spec.doc} (v2)"}
    for fs, attribute in zip(spec.fields, attrs.fields(spec.payload_type), strict=True):
        body["__annotations__"][fs.name] = fs.annotation
        body[fs.name] = attrs.field(
            default=attribute.default,
            validator=attribute.validator,
            converter=attribute.converter,
            repr=attribute.repr,
            eq=attribute.eq,
            metadata=attribute.metadata,
        )
    body["__annotations__"]["note"] = str
    body["note"] = field(default="", doc="New in version 2")
    new = event(spec.name, version=2, group=spec.group)(
        type(f"{spec.payload_type.__name__}V2", (), body)
    )
    names = spec.field_names

    @upcaster(spec.payload_type, to=new)
    def add_note(old: Any) -> Any:
        return new(**{n: getattr(old, n) for n in names}, note="upcast")

    return new


def check(spec: PayloadSpec, new: type[Any]) -> None:
    @settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def read_as_next_version(data: st.DataObject) -> None:
        payload = data.draw(payloads(spec.payload_type))
        try:
            envelope = to_cloudevent(payload, source="/shop/web")
        except SerializationError:
            reject()
        context = getattr(payload, "request", None)
        with request_context(context) if context is not None else nullcontext():
            read = from_cloudevent(envelope, new, reads={new: {1}})
            as_v1 = from_cloudevent(envelope, spec.payload_type)
        assert upcast(as_v1, new) == read
        assert {**to_dict(payload), "note": "upcast"} == to_dict(read)

    read_as_next_version()


def main() -> None:
    for name, marker in commerce_events._domain._known.items():
        if not marker.sensitive:
            register_identity(name, dump=lambda o: o.key, load=partial(_stand_in, name))
    built_in = [
        spec
        for spec in catalogue()
        if spec.payload_type.__module__.startswith("commerce_events.")
    ]
    assert len(built_in) > 20
    for spec in built_in:
        check(spec, next_version(spec))
        print(f"{spec.name}: ok")
    print("every built-in event: ok")


if __name__ == "__main__":
    main()
