"""Sphinx extension: documentation generated from the payload classes.

- ``.. commerce-events-catalogue::`` writes the catalogue of the built-in events
  (an overview table, then every event, grouped, with its docstring
  and every field's documentation), from :func:`commerce_events.catalogue` at
  build time, so the page cannot drift from the code.
- Every payload class documented with autodoc gets its fields listed, from the
  same :class:`~commerce_events.PayloadSpec`.
"""

from __future__ import annotations

import sys
from typing import Any

import attrs
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.errors import PycodeError
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.docutils import SphinxDirective

import commerce_events
from commerce_events import FieldSpec, PayloadSpec
from commerce_events._cli import catalogue_as_rst
from commerce_events._payload import spec_of
from commerce_events.analytics import analytics_names

BUILT_IN_MODULE = "commerce_events._catalogue"

GROUP_TITLES = {
    "browsing": "Browsing",
    "customer": "Customers",
    "basket": "Basket",
    "checkout": "Checkout",
    "order": "Orders",
    "review": "Reviews",
}


def built_in_specs() -> list[PayloadSpec]:
    """The built-in events, in catalogue order (custom events left out)."""
    return [
        spec
        for spec in commerce_events.catalogue()
        if spec.payload_type.__module__ == BUILT_IN_MODULE
    ]


def accepts(fs: FieldSpec) -> str:
    """What a field accepts, in words, as the CLI shows it."""
    expect = fs.expect
    if fs.none_ok and "None" not in expect:
        expect += " | None"
    return expect


def presence(spec: PayloadSpec, fs: FieldSpec) -> str:
    """Required or optional; a required request or user may come from the context."""
    default = attrs.fields_dict(spec.payload_type)[fs.name].default
    if fs.required and default is commerce_events.FROM_REQUEST:
        return "required; from the request context when omitted"
    return "required" if fs.required else "optional"


def field_rows(spec: PayloadSpec) -> list[str]:
    """A list-table of the fields of one event."""
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 20 25 20 35",
        "",
        "   * - Field",
        "     - Accepts",
        "     - Presence",
        "     - Documentation",
    ]
    for fs in spec.fields:
        lines += [
            f"   * - ``{fs.name}``",
            f"     - {_escape(accepts(fs))}",
            f"     - {presence(spec, fs)}",
            f"     - {_escape(fs.doc) or '-'}",
        ]
    return lines


def _escape(text: str) -> str:
    """Plain text as reST: nothing in it is markup."""
    for char in ("\\", "*", "`", "|", "_"):
        text = text.replace(char, "\\" + char)
    return text


def event_lines(spec: PayloadSpec) -> list[str]:
    cls = spec.payload_type
    title = f"``{spec.name}``"
    names = analytics_names(cls)
    lines = [
        f".. _event-{spec.name}:",
        "",
        title,
        "~" * len(title),
        "",
        f"Payload class: :class:`~commerce_events.{cls.__name__}`. "
        f"Signal: :data:`commerce_events.signals.{spec.name}`.",
    ]
    if spec.aliases:
        aliases = ", ".join(f"``{alias}``" for alias in spec.aliases)
        lines.append(f"Also registered as {aliases}.")
    if names.segment or names.ga4:
        parts = []
        if names.segment:
            parts.append(f'Segment "{names.segment}"')
        if names.ga4:
            parts.append(f"GA4 ``{names.ga4}``")
        lines.append(f"Analytics names: {', '.join(parts)}.")
    lines.append("")
    lines += spec.doc.splitlines()
    lines.append("")
    lines += field_rows(spec)
    lines.append("")
    return lines


def catalogue_lines() -> list[str]:
    specs = built_in_specs()
    lines = [
        "At a glance",
        "-----------",
        "",
        '"Required" fields must be given and not ``None``; optional ones default '
        "to ``None``. Unmarked fields hold your domain objects.",
        "",
    ]
    lines += catalogue_as_rst(specs).splitlines()
    lines.append("")
    for group in dict.fromkeys(spec.group for spec in specs):
        title = GROUP_TITLES.get(group, group.capitalize())
        lines += [title, "-" * len(title), ""]
        for spec in specs:
            if spec.group == group:
                lines += event_lines(spec)
    return lines


class CatalogueDirective(SphinxDirective):
    """``.. commerce-events-catalogue::``: the built-in events, generated."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        source = f"<commerce-events-catalogue in {self.env.docname}>"
        lines = catalogue_lines()
        # As ``.. include::`` does: the lines become part of the page, so their
        # section titles take their place among the page's own.
        self.state_machine.insert_input(StringList(lines, source), source)
        return []


def document_payload_fields(
    app: Sphinx,
    what: str,
    name: str,
    obj: Any,
    options: Any,
    lines: list[str],
) -> None:
    """List a payload class's fields under its docstring."""
    if what != "class":
        return
    spec = spec_of(obj)
    if spec is None:
        return
    lines += [
        "",
        f"Event ``{spec.name}``"
        + (
            f" (alias {', '.join(f'``{a}``' for a in spec.aliases)})"
            if spec.aliases
            else ""
        )
        + f", group ``{spec.group}``.",
        "",
        ".. rubric:: Fields",
        "",
    ]
    for fs in spec.fields:
        doc = _escape(fs.doc) if fs.doc else ""
        lines.append(
            f"- ``{fs.name}`` ({_escape(accepts(fs))}; {presence(spec, fs)})"
            + (f": {doc}" if doc else "")
        )
    lines.append("")


# Napoleon reads the first line of a data docstring as "type: description", so
# "An ISO 4217 currency code: three upper-case letters" would lose its first
# half to a type. Our data docstrings are prose: keep them as written.
_PROSE_KINDS = ("data", "attribute")
_originals: dict[tuple[str, str], list[str]] = {}


def _attribute_doc(modname: str, attr: str) -> list[str] | None:
    """The docstring written under ``attr = ...`` in a module, if any."""
    try:
        docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
    except PycodeError:
        return None
    found = docs.get(("", attr))
    return list(found) if found else None


def data_docstring(name: str, obj: Any) -> list[str]:
    """The docstring of module-level data, never the docstring of its type.

    autodoc falls back to ``type(obj).__doc__`` for data without a docstring of
    its own, which shows blinker's ``Symbol`` for :data:`commerce_events.ANY`
    and ``tuple``'s for :data:`commerce_events.GROUPS`. Re-exported data gets
    the docstring written where it is defined (in a private module), a signal
    of :mod:`commerce_events.signals` a line naming its event.
    """
    modname, _, attr = name.rpartition(".")
    own = _attribute_doc(modname, attr)
    if own is not None:
        return own
    for candidate, module in sorted(sys.modules.items()):
        if not candidate.startswith("commerce_events.") or module is None:
            continue
        if getattr(module, attr, _MISSING) is obj and candidate != modname:
            found = _attribute_doc(candidate, attr)
            if found is not None:
                return found
    if isinstance(obj, commerce_events.EventSignal):
        cls = obj.payload_type.__name__
        return [
            f"The signal of :class:`~commerce_events.{cls}`"
            f" (:ref:`event-{obj.name}` in the catalogue).",
            "",
        ]
    return []


_MISSING = object()


def _keep_original(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    if what == "data":
        lines[:] = data_docstring(name, obj)
    if what in _PROSE_KINDS:
        _originals[what, name] = list(lines)


def _restore_original(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    original = _originals.pop((what, name), None)
    if original is not None:
        lines[:] = original


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("commerce-events-catalogue", CatalogueDirective)
    app.connect("autodoc-process-docstring", document_payload_fields)
    # Napoleon listens with the default priority, 500.
    app.connect("autodoc-process-docstring", _keep_original, priority=100)
    app.connect("autodoc-process-docstring", _restore_original, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
