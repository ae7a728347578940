"""The ``hypothesis`` entry point: ``st.from_type(OrderPlaced)`` with no setup.

Hypothesis calls :func:`setup` while it is itself being imported. It lives
apart from :mod:`commerce_events.testing.strategies`, which imports
Hypothesis, so that neither import order can catch either module half-built.
"""

from __future__ import annotations

import importlib
import sys

_STRATEGIES = "commerce_events.testing.strategies"


def setup() -> None:
    """Register ``from_type`` strategies for every payload class."""
    module = sys.modules.get(_STRATEGIES)
    if module is None:
        # Importing it registers them: Hypothesis runs its entry points last,
        # once the names the module imports from it exist.
        importlib.import_module(_STRATEGIES)
        return
    # Not there yet while the module is the one importing Hypothesis: then its
    # own last lines do the work.
    register = getattr(module, "_register_type_strategies", None)
    if register is not None:
        register()
