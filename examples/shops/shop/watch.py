"""Watch a running shop's events: one log line per emit, on standard error.

The shops' entry points (``flask_shop.py``, ``manage.py``, ``fastapi_shop.py``
run as scripts) call :func:`show_deliveries`; the tests, which import the
shops, do not, and so pay nothing for it.
"""

from __future__ import annotations

import logging

from commerce_events.debug_log import DEFAULT_LOGGER, log_deliveries


def show_deliveries() -> None:
    """Log every emit (event, sender, subscribers, time) to standard error."""
    logger = logging.getLogger(DEFAULT_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s event %(message)s"))
        logger.addHandler(handler)
        # Shown here only, even where the server logs the root logger too.
        logger.propagate = False
    logger.setLevel(logging.DEBUG)
    log_deliveries(logger)
