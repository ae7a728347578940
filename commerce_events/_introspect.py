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


_CO_GENERATORS = inspect.CO_GENERATOR | inspect.CO_ASYNC_GENERATOR


def is_async_callable(fn: object) -> bool:
    """Whether calling *fn* returns an awaitable, as far as can be told.

    ``async def`` functions, and what wraps one: ``functools.partial``, a
    decorator that used ``functools.wraps`` (its ``__wrapped__``), a bound
    method, a callable object with ``async def __call__``, and anything marked
    with ``inspect.markcoroutinefunction``.
    """
    if type(fn) is types.FunctionType and not hasattr(fn, "_is_coroutine_marker"):
        if fn.__code__.co_flags & inspect.CO_COROUTINE:
            return True
        if not hasattr(fn, "__wrapped__"):
            return False
    seen: set[int] = set()
    while id(fn) not in seen:
        seen.add(id(fn))
        if inspect.iscoroutinefunction(fn):  # marked ones too, on 3.12+
            return True
        if isinstance(fn, functools.partial):
            fn = fn.func
        elif isinstance(fn, types.MethodType):
            fn = fn.__func__
        elif (wrapped := getattr(fn, "__wrapped__", None)) is not None:
            fn = wrapped
        elif not inspect.isroutine(fn) and callable(fn) and not isinstance(fn, type):
            fn = type(fn).__call__  # a callable object's method
        else:
            return False
    return False


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


# Fast paths: for plain functions, the code object answers in well under a
# microsecond what inspect.signature() and get_type_hints() answer in tens.
# They only ever accept; anything unusual takes the full path, which also
# writes the error message.


def _positional_fit(fn: types.FunctionType, count: int) -> bool:
    """Whether *fn* takes *count* positional arguments and requires nothing else."""
    code = fn.__code__
    flags = code.co_flags
    if flags & _CO_GENERATORS:
        return False
    nargs = code.co_argcount
    required = nargs - len(fn.__defaults__ or ())
    if required > count or (nargs < count and not flags & inspect.CO_VARARGS):
        return False
    kwonly = code.co_varnames[nargs : nargs + code.co_kwonlyargcount]
    return all(name in (fn.__kwdefaults__ or {}) for name in kwonly)


def _typed_function_fits(
    fn: types.FunctionType, payload_type: type[Any], count: int
) -> bool:
    if not _positional_fit(fn, count):
        return False
    code = fn.__code__
    if not code.co_argcount:
        return True  # def f(*args)
    annotation = fn.__annotations__.get(code.co_varnames[0])
    if isinstance(annotation, str) and annotation.isidentifier():
        annotation = fn.__globals__.get(annotation, annotation)
    return annotation is None or annotation is payload_type


def _oscar_function_fits(fn: types.FunctionType, field_names: Sequence[str]) -> bool:
    code = fn.__code__
    if not code.co_flags & inspect.CO_VARKEYWORDS or not _positional_fit(fn, 1):
        return False
    nargs = code.co_argcount
    if nargs and not code.co_posonlyargcount and code.co_varnames[0] in field_names:
        return False  # the sender would also be passed as that field's keyword
    # Positional parameters after the sender must be fields, or have defaults.
    first_default = nargs - len(fn.__defaults__ or ())
    return all(
        name in field_names
        for index, name in enumerate(code.co_varnames[1:nargs], start=1)
        if index < first_default
    )


def _reject_generators(event: str, fn: Callable[..., Any]) -> None:
    if inspect.isasyncgenfunction(fn) or inspect.isgeneratorfunction(fn):
        # Calling it would only create a generator: its body would never run.
        kind = "an async generator" if inspect.isasyncgenfunction(fn) else "a generator"
        raise SubscriberSignatureError(
            event, fn, f"it is {kind} function, whose body would never run"
        )


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
    count = 2 if with_metadata else 1
    if type(subscriber) is types.FunctionType and _typed_function_fits(
        subscriber, payload_type, count
    ):
        return
    _reject_generators(event, subscriber)
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
) -> bool:
    """Check a receiver's calling convention; refuse one that fits none.

    blinker calls ``receiver(sender, **fields)``; Django calls
    ``receiver(sender=sender, **fields)``, so Oscar's own receivers may take a
    field first (``track_voucher_addition(basket, voucher, **kwargs)``).

    Returns:
        Whether to pass the sender by keyword (Django's way).

    Raises:
        SubscriberSignatureError: The receiver fits neither convention.
    """
    if type(receiver) is types.FunctionType and _oscar_function_fits(
        receiver, field_names
    ):
        return False
    _reject_generators(event, receiver)
    signature = _signature(receiver)
    if signature is None:
        return False
    fields = dict.fromkeys(field_names)
    try:
        signature.bind(None, **fields)
    except TypeError as positional:
        try:
            signature.bind(sender=None, **fields)
        except TypeError:
            call = ", ".join(f"{n}=..." for n in field_names)
            raise SubscriberSignatureError(
                event,
                receiver,
                f"a receiver is called as receiver(sender, {call}) (or with "
                f"sender=... as a keyword, as Django does); its signature is "
                f"{signature} ({positional}); accept the sender first, and every "
                f"field (**kwargs will do)",
            ) from None
        return True
    return False


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
