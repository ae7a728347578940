"""Subscribe-time checks: can this callable take what the event delivers?

Run once, when subscribing, so that a subscriber that could never work is
refused at startup instead of failing at checkout.
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any

from .exceptions import SubscriberSignatureError

__all__ = [
    "check_oscar_receiver",
    "check_typed_subscriber",
    "is_async_callable",
    "name_of",
]


def is_async_callable(fn: object) -> bool:
    """Whether calling *fn* returns an awaitable (``async def``, or marked so)."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(type(fn), "__call__", None)  # noqa: B004 - a callable object's method
    return not inspect.isroutine(fn) and inspect.iscoroutinefunction(call)


def name_of(fn: object) -> str:
    """A readable dotted name for logs and errors."""
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None) or repr(fn)
    return f"{module}.{qualname}" if module else qualname


def _signature(fn: object) -> inspect.Signature | None:
    if not callable(fn):
        msg = f"subscribers must be callable, got {fn!r}"
        raise TypeError(msg)
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have no signature
        return None


def check_typed_subscriber(
    event: str,
    payload_type: type[Any],
    subscriber: Callable[..., Any],
    *,
    with_metadata: bool,
) -> None:
    """Refuse a typed subscriber that cannot take the payload (and metadata).

    Raises:
        SubscriberSignatureError: Wrong arity, or annotated with another class.
    """
    signature = _signature(subscriber)
    if signature is None:
        return
    arguments = (object(), object()) if with_metadata else (object(),)
    try:
        signature.bind(*arguments)
    except TypeError:
        takes = (
            "the payload and its metadata as its two"
            if with_metadata
            else ("the payload as its one")
        )
        raise SubscriberSignatureError(
            event,
            subscriber,
            f"a subscriber is called with {takes} positional argument(s); its "
            f"signature is {signature}",
        ) from None
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]
    annotation = _first_annotation(subscriber, positional)
    if annotation is not None and not _accepts_type(annotation, payload_type):
        raise SubscriberSignatureError(
            event,
            subscriber,
            f"it is annotated to take {_type_name(annotation)}, but {event!r} "
            f"delivers {payload_type.__qualname__}",
        )


def check_oscar_receiver(
    event: str, field_names: Sequence[str], receiver: Callable[..., Any]
) -> None:
    """Refuse a receiver that cannot be called as ``receiver(sender, **fields)``.

    Raises:
        SubscriberSignatureError: Some field (or the sender) would not fit.
    """
    signature = _signature(receiver)
    if signature is None:
        return
    try:
        signature.bind(None, **dict.fromkeys(field_names))
    except TypeError as exc:
        call = ", ".join(f"{n}=..." for n in field_names)
        raise SubscriberSignatureError(
            event,
            receiver,
            f"a receiver is called as receiver(sender, {call}); its signature "
            f"is {signature} ({exc}); add **kwargs to accept every field",
        ) from None


def _first_annotation(
    fn: Callable[..., Any], positional: Sequence[inspect.Parameter]
) -> Any:
    if not positional or positional[0].kind is inspect.Parameter.VAR_POSITIONAL:
        return None
    target: Any = fn
    while isinstance(target, functools.partial):
        target = target.func
    if not (inspect.isfunction(target) or inspect.ismethod(target)):
        target = type(target).__call__  # a callable object
    try:
        hints = typing.get_type_hints(target)
    except Exception:  # noqa: BLE001 - unresolvable annotations are not checked
        return None
    return hints.get(positional[0].name)


def _accepts_type(annotation: Any, payload_type: type[Any]) -> bool:
    if annotation is Any or annotation is object:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _accepts_type(typing.get_args(annotation)[0], payload_type)
    if origin is typing.Union or origin is types.UnionType:
        return any(_accepts_type(a, payload_type) for a in typing.get_args(annotation))
    if isinstance(annotation, type):
        return issubclass(payload_type, annotation)
    return True  # protocols, TypeVars...: left to the static type checker


def _type_name(annotation: Any) -> str:
    return annotation.__qualname__ if isinstance(annotation, type) else repr(annotation)
