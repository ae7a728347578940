"""A debug log of every emit: which event, from whom, to which subscribers, how long.

For watching a running shop, or a test, without writing a subscriber::

    import logging
    from commerce_events.debug_log import log_deliveries

    logging.basicConfig()
    logging.getLogger("commerce_events.deliveries").setLevel(logging.DEBUG)
    log_deliveries()

Each emit is then one line on the ``commerce_events.deliveries`` logger::

    order_placed from PaymentView: 2 subscribers in 0.17 ms:
    shop.subscribers.count_purchase 0.02 ms, shop.subscribers.send_confirmation 0.15 ms

(one line in the log; cut in two here).

Senders are named safely: a class or function by its qualified name, a string
or a number by its (shortened) repr, anything else by its type only, so that
no request, cookie or customer record ends up in a log.

It is built on :func:`commerce_events.add_observer`: emits pay nothing for it
until :func:`log_deliveries` is called, and, once called, little more than a
level check while the logger does not log at that level.
"""

from __future__ import annotations

import logging
import reprlib
import threading
import types
from typing import Any, Final

from . import Delivery, add_observer, remove_observer

__all__ = ["DEFAULT_LOGGER", "DeliveryLog", "format_delivery", "log_deliveries"]

DEFAULT_LOGGER: Final = "commerce_events.deliveries"
"""The logger :func:`log_deliveries` logs on unless told another."""

_short = reprlib.Repr()
_short.maxstring = 40
_short.maxother = 40

_lock = threading.Lock()
_active: dict[str, DeliveryLog] = {}


def _sender_name(sender: Any) -> str:
    if sender is None or isinstance(sender, str | int | float | bool):
        return _short.repr(sender)
    if isinstance(sender, type | types.FunctionType | types.MethodType):
        return str(getattr(sender, "__qualname__", type(sender).__qualname__))
    return f"<{type(sender).__qualname__}>"


def _milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def format_delivery(delivery: Delivery) -> str:
    """One line saying what happened to an emit (see the module's docs)."""
    head = f"{delivery.event} from {_sender_name(delivery.sender)}"
    if delivery.status != "delivered":
        return f"{head}: {delivery.status} (id {delivery.metadata.id})"
    calls = delivery.calls
    total = sum(call.seconds for call in calls)
    noun = "subscriber" if len(calls) == 1 else "subscribers"
    parts = []
    for call in calls:
        part = f"{call.name} {_milliseconds(call.seconds)}"
        if call.error is not None:
            part += f" (raised {type(call.error).__qualname__})"
        parts.append(part)
    line = f"{head}: {len(calls)} {noun} in {_milliseconds(total)}"
    return f"{line}: {', '.join(parts)}" if parts else line


class DeliveryLog:
    """The observer :func:`log_deliveries` registered; :meth:`stop` ends it.

    Attributes:
        logger: Where each emit is logged.
        level: At which level.
    """

    logger: logging.Logger
    level: int

    def __init__(self, logger: logging.Logger, level: int) -> None:
        self.logger = logger
        self.level = level

    def __call__(self, delivery: Delivery) -> None:
        """Log *delivery*, if the logger logs at this level."""
        if self.logger.isEnabledFor(self.level):
            self.logger.log(
                self.level,
                "%s",
                format_delivery(delivery),
                extra={
                    "event_name": delivery.event,
                    "event_id": str(delivery.metadata.id),
                },
            )

    def stop(self) -> bool:
        """Stop logging; False if it was stopped already."""
        with _lock:
            if _active.get(self.logger.name) is self:
                del _active[self.logger.name]
        return remove_observer(self)


def log_deliveries(
    logger: logging.Logger | str = DEFAULT_LOGGER, *, level: int = logging.DEBUG
) -> DeliveryLog:
    """Log every emit of every event, one line each, on *logger* at *level*.

    Calling it again for the same logger changes the level and returns the
    same :class:`DeliveryLog`: it never logs an emit twice.

    Args:
        logger: A logger, or its name.
        level: The level of the lines (what the logger must be enabled for).

    Returns:
        The registered observer; its :meth:`~DeliveryLog.stop` ends the log.
    """
    if isinstance(logger, str):
        logger = logging.getLogger(logger)
    with _lock:
        log = _active.get(logger.name)
        if log is None:
            log = _active[logger.name] = DeliveryLog(logger, level)
        log.level = level
    add_observer(log)
    return log
