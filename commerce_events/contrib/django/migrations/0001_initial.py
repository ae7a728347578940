# Django ships no type information; its objects are Any here.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any
"""The outbox table."""

from typing import TYPE_CHECKING, ClassVar

from django.db import migrations, models

if TYPE_CHECKING:
    # Django ships no types: to type checkers its Migration is an unknown base.
    Base = object
else:
    Base = migrations.Migration


class Migration(Base):
    initial = True
    dependencies: ClassVar[list[tuple[str, str]]] = []
    operations: ClassVar[list[object]] = [
        migrations.CreateModel(
            name="OutboxMessage",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("event_id", models.CharField(max_length=36)),
                ("type", models.CharField(max_length=255)),
                ("envelope", models.TextField()),
                ("created", models.DateTimeField()),
            ],
            options={
                "verbose_name": "outbox message",
                "db_table": "commerce_events_outbox",
                "ordering": ("id",),
            },
        ),
    ]
