# Django ships no type information; its objects are Any here.
# mypy: disable-error-code="import-untyped"
"""The Oscar app's system checks: stale signal objects, receivers connected twice."""

from __future__ import annotations

import sys
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from ._rebind import OSCAR_SIGNALS, originals, ours

__all__ = ["check_signals", "double_receivers", "stale_holders", "stranded_receivers"]

APP = "commerce_events.contrib.oscar"


def stale_holders(module_prefixes: Iterable[str]) -> list[str]:
    """Where a loaded module or one of its classes still holds an original signal.

    Only modules under *module_prefixes* (the installed apps' packages) are
    looked at: that is where Oscar's views, models and receivers live.
    """
    stale = {id(signal): name for (_, name), signal in originals().items()}
    if not stale:
        return []
    prefixes = tuple(module_prefixes)
    found = []
    for module_name, module in list(sys.modules.items()):
        if module is None or not module_name.startswith(prefixes):
            continue
        if module_name in OSCAR_SIGNALS:
            continue
        for attribute, value in list(vars(module).items()):
            if id(value) in stale:
                found.append(f"{module_name}.{attribute}")
            elif isinstance(value, type) and value.__module__ == module_name:
                found.extend(
                    f"{module_name}.{attribute}.{name}"
                    for name, member in vars(value).items()
                    if id(member) in stale
                )
    return sorted(found)


def stranded_receivers() -> list[str]:
    """Receivers connected to an original Oscar signal, which nothing sends now."""
    found = []
    for (module, name), signal in sorted(originals().items()):
        for receiver in _django_receivers(signal):
            found.append(f"{_name(receiver)} on {module}.{name}")
    return found


def double_receivers() -> list[str]:
    """Receivers connected more than once to one of our Oscar signals."""
    found = []
    for module, names in OSCAR_SIGNALS.items():
        for name in names:
            seen: set[int] = set()
            for receiver in _live(ours(module, name).receivers.values()):
                target = _unwrap(receiver)
                if id(target) in seen:
                    found.append(f"{_name(target)} on {module}.{name}")
                seen.add(id(target))
    return found


def check_signals(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Django system check: Oscar's signals are ours everywhere, each receiver once."""
    from django.apps import apps
    from django.core import checks

    messages: list[Any] = []
    holders = stale_holders(config.name for config in apps.get_app_configs())
    if holders:
        messages.append(
            checks.Error(
                f"{APP} replaced Oscar's signals too late: "
                + ", ".join(holders)
                + " still hold Oscar's own signal objects, which commerce_events "
                "never sees.",
                hint=f"List {APP!r} in INSTALLED_APPS right after Oscar's apps, "
                "before any app that imports Oscar's views or signals.",
                id="commerce_events.oscar.E001",
            )
        )
    stranded = stranded_receivers()
    if stranded:
        messages.append(
            checks.Error(
                "Receivers are connected to Oscar's replaced signal objects and "
                "will never run: " + ", ".join(stranded) + ".",
                hint=f"Connect them after {APP!r} is loaded (in an app's ready()), "
                "to the signal imported from oscar.apps.*.signals or "
                "commerce_events.signals.",
                id="commerce_events.oscar.E002",
            )
        )
    doubles = double_receivers()
    if doubles:
        messages.append(
            checks.Warning(
                "Receivers connected twice (each send calls them twice): "
                + ", ".join(doubles)
                + ".",
                hint="Connect each receiver once; a dispatch_uid names one "
                "connection, so connect with the same one or without.",
                id="commerce_events.oscar.W003",
            )
        )
    return messages


def _django_receivers(signal: Any) -> Iterator[Any]:
    # Django keeps (lookup key, receiver or weak reference[, is_async]).
    for entry in list(getattr(signal, "receivers", ())):
        yield from _live([entry[1]])


def _live(receivers: Iterable[Any]) -> Iterator[Any]:
    for receiver in receivers:
        target = receiver() if isinstance(receiver, weakref.ref) else receiver
        if target is not None:
            yield target


def _unwrap(receiver: Any) -> Any:
    while hasattr(receiver, "__wrapped__"):
        receiver = receiver.__wrapped__
    return receiver


def _name(receiver: Any) -> str:
    module = getattr(receiver, "__module__", None) or "?"
    qualname = getattr(receiver, "__qualname__", None) or repr(receiver)
    return f"{module}.{qualname}"
