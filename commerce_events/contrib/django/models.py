# Django ships no type information; its objects are Any here.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any
"""The outbox table as a Django model.

See :mod:`commerce_events.contrib.django.outbox`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from ...outbox import DEFAULT_TABLE

if TYPE_CHECKING:
    # Django ships no types: to type checkers its Model is an unknown base,
    # which would make this public class "partially unknown".
    Model = object
else:
    Model = models.Model

__all__ = ["OutboxMessage"]


class OutboxMessage(Model):
    """An envelope waiting for the relay: one row of the outbox.

    The same table as :func:`commerce_events.outbox.sqlalchemy.outbox_table`
    defines, so either relay reads it.
    """

    # Django's fields are Any to type checkers (Django ships no types).
    id: Any = models.BigAutoField(primary_key=True)
    event_id: Any = models.CharField(max_length=36)
    type: Any = models.CharField(max_length=255)
    envelope: Any = models.TextField()
    created: Any = models.DateTimeField()

    class Meta:
        db_table: str = DEFAULT_TABLE
        ordering: tuple[str, ...] = ("id",)
        verbose_name: str = "outbox message"

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
