# Django ships no type information; its objects are Any here.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any
"""The outbox table as a Django model.

See :mod:`commerce_events.contrib.django.outbox`.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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

    .. versionadded:: 0.2.0
    """

    id = models.BigAutoField(primary_key=True)
    event_id = models.CharField(max_length=36)
    type = models.CharField(max_length=255)
    envelope = models.TextField()
    created = models.DateTimeField()

    class Meta:
        db_table = DEFAULT_TABLE
        ordering = ("id",)
        verbose_name = "outbox message"

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
