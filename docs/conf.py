"""Sphinx configuration of the commerce_events documentation.

Built by ``nox -s docs`` twice: as HTML with ``-n -W`` (nitpicky, warnings are
errors), and with the doctest builder, which runs every ``>>>`` example and
every ``testcode`` block of these pages.
"""

from __future__ import annotations

import builtins
import doctest
import os
import sys
from importlib.metadata import version as _version
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))

# -- project ---------------------------------------------------------------------

project = "commerce_events"
author = "The commerce_events developers"
copyright = "%Y, The commerce_events developers"  # noqa: A001 - Sphinx's name
release = _version("commerce-events")
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "commerce_events_docs",  # docs/_ext: the generated catalogue, payload fields
]

exclude_patterns = ["_build"]
# django-debug-toolbar reads Django's settings when imported, which the docs
# do not configure: autodoc documents its panel against a stand-in.
autodoc_mock_imports = ["debug_toolbar"]
nitpicky = True
# Pages are reStructuredText; the README and CHANGELOG are included from the
# repository root.
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"

# -- HTML ------------------------------------------------------------------------

html_theme = "furo"
html_title = f"commerce_events {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]

# -- autodoc and napoleon ----------------------------------------------------------

autodoc_typehints = "description"
# Types are added to the parameters a docstring documents, so the generated
# signatures of payload classes (whose fields are listed by the extension)
# stay readable.
autodoc_typehints_description_target = "documented_params"
autodoc_member_order = "bysource"
autodoc_preserve_defaults = False
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

# -- intersphinx -----------------------------------------------------------------
#
# The inventories of Python, attrs and blinker live on the network, which the
# build machines do not reach: a missing inventory is a warning, and so an error
# under -W. They are used only when COMMERCE_EVENTS_DOCS_INTERSPHINX=1 is set
# (a machine with network access); offline, the references to them stay plain
# text and ``nitpick_ignore`` below keeps -n quiet about them.

intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
if os.environ.get("COMMERCE_EVENTS_DOCS_INTERSPHINX") == "1":
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "attrs": ("https://www.attrs.org/en/stable/", None),
        "blinker": ("https://blinker.readthedocs.io/en/stable/", None),
    }

# -- nitpicky: what is allowed to stay unresolved --------------------------------
#
# Everything of ours must resolve. What may not, offline: Python's builtins and
# standard library, and the third-party libraries we build on or integrate
# with (their docs are elsewhere; see intersphinx above).

_THIRD_PARTY = (
    "attr",
    "attrs",
    "blinker",
    "cattrs",
    "celery",
    "cloudevents",
    "debug_toolbar",
    "django",
    "fastapi",
    "flask",
    "flask_debugtoolbar",
    "hypothesis",
    "opentelemetry",
    "oscar",
    "pytest",
    "psycopg",
    "redis",
    "sqlalchemy",
    "starlette",
    "werkzeug",
)
_STDLIB = (
    "argparse",
    "asyncio",
    "collections",
    "contextlib",
    "contextvars",
    "datetime",
    "decimal",
    "enum",
    "functools",
    "inspect",
    "json",
    "logging",
    "os",
    "pathlib",
    "re",
    "threading",
    "types",
    "typing",
    "typing_extensions",
    "uuid",
    "weakref",
    "wsgiref",
)
_ROLES = ("py:class", "py:exc", "py:obj", "py:func", "py:data", "py:meth", "py:mod")
nitpick_ignore = [
    (role, name) for role in _ROLES for name in (*dir(builtins), "NoneType", "Ellipsis")
]
nitpick_ignore_regex = [
    (r"py:.*", rf"({'|'.join(_THIRD_PARTY + _STDLIB)})(\..*)?"),
    # typing constructs as autodoc spells them in signatures, and type variables
    (r"py:.*", r"(Any|Callable|Literal|Annotated|TypeAlias|Self|TypeVar)"),
    (r"py:class", r"(commerce_events(\.\w+)*\.)?([PRTF][234]?|Old|New)"),
    # third-party and standard types as the annotations name them (aliases
    # imported under TYPE_CHECKING, or names the annotations use bare)
    (r"py:class", r"(redis_module|dt|sa)\..*"),
    # SQLAlchemy's classes as the outbox's annotations name them
    (r"py:class", r"(Session|Connection|Engine)"),
    (
        r"py:class",
        r"(WSGIEnvironment|WSGIApplication|StartResponse|Flask|SearchStrategy|Settings)",
    ),
    # What subscribe() returns when used as a decorator: private on purpose.
    (
        r"py:class",
        r"commerce_events\._subscribe\._(Metadata|CatchAll)?(Subscribe)?Decorator",
    ),
    # Public signatures name these, but they are not exported (reported):
    # the commit hook of deferred() and forward(), and the Celery protocol.
    (r"py:class", r"(commerce_events\._scopes\.)?CommitHook"),
    (r"py:class", r"(commerce_events\.forwarding\.celery\.)?CeleryApp"),
    # The CloudEvents SDK's and OpenTelemetry's types, named bare by
    # annotations imported under TYPE_CHECKING (optional dependencies).
    (r"py:class", r"(BaseCloudEvent|CloudEvent|TracerProvider)"),
    # The type of the consumers' reads= (a mapping of classes to versions),
    # described where each consumer takes it.
    (r"py:class", r"(commerce_events\._upcasting\.)?Reads"),
]

# -- doctest ---------------------------------------------------------------------
#
# Every page starts from the bus as a fresh process has it, and leaves it so:
# subscriptions, failure-policy defaults and the async bridge are restored,
# domain classes, identity hooks and domain strategies forgotten. (Event names
# are global: each page registers its own custom events under its own names.)

doctest_global_setup = f"""
__name__ = "__main__"  # the examples run as a script would
DOCS_DIR = {str(HERE)!r}  # for hidden examples that read files of docs/
import commerce_events
from commerce_events import _settings as _ce_dispatch_settings
from hypothesis import HealthCheck as _ce_HealthCheck, settings as _ce_settings

_ce_settings.register_profile(
    "docs", deadline=None, suppress_health_check=[_ce_HealthCheck.too_slow]
)
_ce_settings.load_profile("docs")
_ce_isolation = _ce_dispatch_settings.isolated_state()
_ce_isolation.__enter__()
"""

doctest_global_cleanup = """
_ce_isolation.__exit__(None, None, None)
from commerce_events import _domain as _ce_domain
commerce_events.declare_domain_classes(**dict.fromkeys(_ce_domain._known))
from commerce_events.serialization import reset_identities as _ce_reset_identities
_ce_reset_identities()
from commerce_events.testing.strategies import (
    reset_domain_strategies as _ce_reset_strategies,
)
_ce_reset_strategies()
"""

# Exception messages are compared in full (no IGNORE_EXCEPTION_DETAIL): what a
# bad input looks like is part of what the pages promise.
doctest_default_flags = (
    doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.DONT_ACCEPT_TRUE_FOR_1
)
