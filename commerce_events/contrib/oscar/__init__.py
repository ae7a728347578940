# Django and Oscar ship no type information; their objects are Any here.
# mypy: disable-error-code="import-untyped"
"""django-oscar: one line in ``INSTALLED_APPS`` puts an Oscar shop on the bus.

Needs the ``oscar`` extra (``pip install 'commerce-events[oscar]'``)::

    INSTALLED_APPS = [
        ...,  # Django's apps, then Oscar's (oscar.config.Shop, oscar.apps.*)
        "commerce_events.contrib.oscar",
        ...,  # your own apps
    ]

Oscar's fifteen signal objects (``oscar.apps.catalogue.signals.product_viewed``
and the rest) *become* the :mod:`commerce_events.signals` objects before Oscar's
views, models and receivers import them: every Oscar send is then validated,
delivered once to typed ``@subscribe`` subscribers and to Oscar-style
receivers, Oscar's own included. See :doc:`/migrating-from-oscar`.
"""

from __future__ import annotations

from .._common import missing_framework

try:
    import oscar  # noqa: F401 - fail here, with the extra to install
except ImportError as _exc:
    raise missing_framework(__name__, "django-oscar", "oscar") from _exc

from ._rebind import OSCAR_SIGNALS, original_signal, rebind

__all__ = ["OSCAR_SIGNALS", "original_signal", "rebind"]
