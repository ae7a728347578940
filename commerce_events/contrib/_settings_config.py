"""Wiring from settings: the ``COMMERCE_EVENTS`` mapping of Django and Flask.

One reader for both frameworks. :func:`read` checks the whole mapping and
resolves its dotted paths without changing anything, returning every problem
at once (Django's system check and Flask's startup error show the same
messages); :func:`apply` then wires the result: failure policies, domain
classes, forwarders and the async bridge.

The mapping (every key optional)::

    COMMERCE_EVENTS = {
        # A policy for everything, or per event or group ("default": the rest).
        "ON_ERROR": {"default": "raise", "analytics": "log", "order_placed": "raise"},
        # Domain name -> class, dotted path, or a list of them.
        "DOMAIN_CLASSES": {"product": "shop.models.Product"},
        # Events (names or groups) -> a forwarder: a dotted path to a forwarder
        # object, or to a factory (a class or function called without
        # arguments) that returns one.
        "FORWARD": [
            {"events": ["order"], "to": "shop.events.order_stream", "source": "/shop"},
        ],
        # A bridge of commerce_events.bridges by name, a dotted path, or None.
        "ASYNC_BRIDGE": "asgiref",
    }
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, cast

import attrs

from .. import bridges
from .._domain import _known as _known_domains
from .._domain import declare_domain_classes
from .._settings import POLICIES, OnError, set_async_bridge, set_default_on_error
from .._subscriptions import ROUTES
from ..exceptions import CommerceEventsError, SettingsError, _similar
from ..forwarding import Forwarding, _check_forwardable, forward

__all__ = ["KEYS", "SETTING", "Problem", "Wired", "Wiring", "apply", "read", "wire"]

SETTING: Final = "COMMERCE_EVENTS"
KEYS: Final = ("ON_ERROR", "DOMAIN_CLASSES", "FORWARD", "ASYNC_BRIDGE")
FORWARD_KEYS: Final = (
    "events",
    "to",
    "source",
    "type_prefix",
    "commit_hook",
    "on_error",
    "priority",
)
LIBRARY_DEFAULT: Final = "default"


@attrs.frozen
class Problem:
    """One mistake in the settings.

    Attributes:
        where: The setting at fault (``COMMERCE_EVENTS['FORWARD'][0]['to']``).
        message: What is wrong, with a "did you mean" where one fits.
        kind: ``"unknown"`` (an event, group, domain or key that does not
            exist), ``"import"`` (a dotted path that does not import) or
            ``"invalid"`` (a value of the wrong kind).
    """

    where: str
    message: str
    kind: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@attrs.frozen
class ForwardRule:
    """One ``FORWARD`` entry, resolved: events, forwarder (or factory), options."""

    payload_types: tuple[type[Any], ...]
    to: Any
    options: Mapping[str, Any]


@attrs.frozen
class Wiring:
    """The settings, checked and resolved; :func:`apply` wires them."""

    policies: tuple[tuple[OnError, type[Any] | None], ...] = ()
    domain_classes: Mapping[str, tuple[type[Any], ...] | None] = attrs.field(
        factory=dict
    )
    forwards: tuple[ForwardRule, ...] = ()
    has_bridge: bool = False
    bridge: Callable[..., Any] | None = None


@attrs.define
class Wired:
    """What :func:`apply` wired; :meth:`cancel` stops the forwarding."""

    forwardings: list[Forwarding] = attrs.field(factory=list)

    def cancel(self) -> None:
        """Stop every forwarding this wiring started."""
        for forwarding in self.forwardings:
            forwarding.cancel()
        self.forwardings.clear()


def _prefix(options: Mapping[str, Any]) -> dict[str, Any]:
    return {"type_prefix": options["type_prefix"]} if "type_prefix" in options else {}


def _did_you_mean(word: object, candidates: Iterable[str]) -> str:
    if not isinstance(word, str):
        return ""
    close = sorted(c for c in set(candidates) if _similar(word, c))
    return f"; did you mean {', '.join(map(repr, close))}?" if close else ""


class _Reader:
    """Collects the problems of one mapping while resolving it."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.events: dict[str, type[Any]] = {}
        self.groups: dict[str, list[type[Any]]] = {}
        for route in ROUTES.values():
            spec = route.spec
            for name in (spec.name, *spec.aliases):
                self.events[name] = spec.payload_type
            self.groups.setdefault(spec.group, []).append(spec.payload_type)

    def problem(self, where: str, message: str, kind: str = "invalid") -> None:
        self.problems.append(Problem(where, message, kind))

    def events_named(self, where: str, name: object) -> list[type[Any]]:
        """The events an event name or a group name stands for."""
        if isinstance(name, str):
            if name in self.events:
                return [self.events[name]]
            if name in self.groups:
                return self.groups[name]
        hint = _did_you_mean(name, [*self.events, *self.groups])
        self.problem(where, f"no event or group is named {name!r}{hint}", "unknown")
        return []

    def dotted(self, where: str, value: object) -> object | None:
        """The object *value* names (``"package.module.attribute"``)."""
        if not isinstance(value, str):
            return value
        module_name, _, attribute = value.rpartition(".")
        if not module_name:
            self.problem(
                where,
                f"{value!r} is not a dotted path (package.module.attribute)",
                "import",
            )
            return None
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # noqa: BLE001 - a module failing at import is a problem to report, whatever it raises
            self.problem(
                where,
                f"cannot import {value!r}: {type(exc).__name__}: {exc}"
                if not isinstance(exc, ImportError)
                else f"cannot import {value!r}: {exc}",
                "import",
            )
            return None
        try:
            found: object = getattr(module, attribute)
        except AttributeError:
            names = [n for n in dir(module) if not n.startswith("_")]
            hint = _did_you_mean(attribute, names)
            self.problem(
                where,
                f"cannot import {value!r}: module {module_name!r} has no "
                f"{attribute!r}{hint}",
                "import",
            )
            return None
        return found

    def policy(self, where: str, value: object) -> OnError | None:
        for policy in POLICIES:
            if value == policy:
                return policy
        self.problem(where, f"a failure policy is one of {POLICIES}, got {value!r}")
        return None

    def on_error(self, value: object) -> tuple[tuple[OnError, type[Any] | None], ...]:
        where = f"{SETTING}['ON_ERROR']"
        if not isinstance(value, Mapping):
            policy = self.policy(where, value)
            return () if policy is None else ((policy, None),)
        library: list[tuple[OnError, type[Any] | None]] = []
        groups: list[tuple[OnError, type[Any] | None]] = []
        events: list[tuple[OnError, type[Any] | None]] = []
        for key, raw in cast("Mapping[object, object]", value).items():
            at = f"{where}[{key!r}]"
            policy = self.policy(at, raw)
            if key == LIBRARY_DEFAULT:
                if policy is not None:
                    library.append((policy, None))
                continue
            members = self.events_named(at, key)
            if policy is None:
                continue
            # An event's own entry wins over its group's, whatever the order.
            target = events if isinstance(key, str) and key in self.events else groups
            target.extend((policy, member) for member in members)
        return (*library, *groups, *events)

    def domain_classes(self, value: object) -> dict[str, tuple[type[Any], ...] | None]:
        where = f"{SETTING}['DOMAIN_CLASSES']"
        if not isinstance(value, Mapping):
            self.problem(where, f"expected a mapping of domain -> class, got {value!r}")
            return {}
        resolved: dict[str, tuple[type[Any], ...] | None] = {}
        for name, raw in cast("Mapping[object, object]", value).items():
            at = f"{where}[{name!r}]"
            if not isinstance(name, str) or name not in _known_domains:
                hint = _did_you_mean(name, _known_domains)
                self.problem(at, f"no domain is named {name!r}{hint}", "unknown")
                continue
            if raw is None:
                resolved[name] = None
                continue
            items = list(raw) if isinstance(raw, list | tuple) else [raw]
            classes: list[type[Any]] = []
            for item in items:
                found = self.dotted(at, item)
                if isinstance(found, type):
                    classes.append(found)
                elif found is not None:
                    self.problem(at, f"expected a class, got {found!r}")
            if classes and len(classes) == len(items):
                resolved[name] = tuple(classes)
        return resolved

    def forwards(self, value: object) -> tuple[ForwardRule, ...]:
        where = f"{SETTING}['FORWARD']"
        if not isinstance(value, list | tuple):
            self.problem(where, f"expected a list of mappings, got {value!r}")
            return ()
        rules: list[ForwardRule] = []
        for index, entry in enumerate(cast("Sequence[object]", value)):
            at = f"{where}[{index}]"
            if not isinstance(entry, Mapping):
                self.problem(at, f"expected a mapping, got {entry!r}")
                continue
            rule = self.forward(at, cast("Mapping[object, object]", entry))
            if rule is not None:
                rules.append(rule)
        return tuple(rules)

    def forward(self, at: str, entry: Mapping[object, object]) -> ForwardRule | None:
        count = len(self.problems)
        for key in entry:
            if key not in FORWARD_KEYS:
                hint = _did_you_mean(key, FORWARD_KEYS)
                self.problem(at, f"unknown key {key!r}{hint}", "unknown")
        names = entry.get("events")
        if isinstance(names, str):
            names = [names]
        payload_types: list[type[Any]] = []
        if not isinstance(names, list | tuple) or not names:
            self.problem(
                f"{at}['events']", "expected a non-empty list of events or groups"
            )
        else:
            for name in cast("Sequence[object]", names):
                for member in self.events_named(f"{at}['events']", name):
                    if member not in payload_types:
                        payload_types.append(member)
        if "to" not in entry:
            self.problem(at, "no forwarder: add 'to' (a dotted path)")
        to = self.dotted(f"{at}['to']", entry.get("to"))
        if to is not None and not (callable(to) or callable(getattr(to, "send", None))):
            self.problem(
                f"{at}['to']",
                f"{to!r} is neither a forwarder (an object with a send() method) "
                f"nor a factory returning one",
            )
        options = {k: entry[k] for k in FORWARD_KEYS[2:] if k in entry}
        if "commit_hook" in options:
            options["commit_hook"] = self.dotted(
                f"{at}['commit_hook']", options["commit_hook"]
            )
        if "on_error" in options:
            self.policy(f"{at}['on_error']", options["on_error"])
        for payload_type in payload_types:
            try:
                _check_forwardable(payload_type, **_prefix(options))
            except (CommerceEventsError, ValueError) as exc:
                self.problem(f"{at}['events']", f"cannot forward: {exc}")
        if len(self.problems) > count:
            return None
        return ForwardRule(tuple(payload_types), to, options)

    def bridge(self, value: object) -> Callable[..., Any] | None:
        where = f"{SETTING}['ASYNC_BRIDGE']"
        if value is None:
            return None
        if isinstance(value, str) and "." not in value:
            if value in bridges.__all__:
                return cast("Callable[..., Any]", getattr(bridges, value))
            hint = _did_you_mean(value, bridges.__all__)
            self.problem(
                where,
                f"no bridge is named {value!r} (one of {bridges.__all__}, or a "
                f"dotted path){hint}",
                "unknown",
            )
            return None
        found = self.dotted(where, value)
        if found is not None and not callable(found):
            self.problem(where, f"expected a callable, got {found!r}")
            return None
        return cast("Callable[..., Any] | None", found)


def read(config: object) -> tuple[Wiring, list[Problem]]:
    """Check and resolve a ``COMMERCE_EVENTS`` mapping; change nothing.

    Events and groups are looked up among those registered now, so call it
    once every app has defined its events.

    Returns:
        The resolved wiring and every problem found (empty: all is well).
    """
    reader = _Reader()
    if config is None:
        return Wiring(), []
    if not isinstance(config, Mapping):
        reader.problem(SETTING, f"expected a mapping, got {config!r}")
        return Wiring(), reader.problems
    config = cast("Mapping[object, object]", config)
    for key in config:
        if key not in KEYS:
            hint = _did_you_mean(key, KEYS)
            reader.problem(SETTING, f"unknown key {key!r}{hint}", "unknown")
    wiring = Wiring(
        policies=reader.on_error(config["ON_ERROR"]) if "ON_ERROR" in config else (),
        domain_classes=(
            reader.domain_classes(config["DOMAIN_CLASSES"])
            if "DOMAIN_CLASSES" in config
            else {}
        ),
        forwards=reader.forwards(config["FORWARD"]) if "FORWARD" in config else (),
        has_bridge="ASYNC_BRIDGE" in config,
        bridge=reader.bridge(config.get("ASYNC_BRIDGE")),
    )
    return wiring, reader.problems


def _forwarder(to: Any) -> Any:
    """A forwarder object as is; a factory (a class, a function) called."""
    if isinstance(to, type) or not callable(getattr(to, "send", None)):
        return to()
    return to


def apply(wiring: Wiring) -> Wired:
    """Wire checked settings: policies, domain classes, forwarding, bridge.

    Returns:
        The forwardings started, to cancel before wiring again.
    """
    for policy, payload_type in wiring.policies:
        set_default_on_error(policy, payload_type)
    if wiring.domain_classes:
        declare_domain_classes(**wiring.domain_classes)
    if wiring.has_bridge:
        set_async_bridge(wiring.bridge)
    wired = Wired()
    try:
        for rule in wiring.forwards:
            wired.forwardings.append(
                forward(*rule.payload_types, to=_forwarder(rule.to), **rule.options)
            )
    except BaseException:
        wired.cancel()  # all forwarding or none
        raise
    return wired


def wire(config: object) -> Wired:
    """Read *config* and apply it, or raise with every problem.

    Raises:
        SettingsError: The settings have problems; nothing was wired.
    """
    wiring, problems = read(config)
    if problems:
        raise SettingsError(SETTING, [str(p) for p in problems])
    return apply(wiring)
