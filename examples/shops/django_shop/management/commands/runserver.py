"""``manage.py runserver``, which first creates the shop's in-memory database.

The shop keeps everything in memory (see ``django_shop.settings``), so a
restart starts a fresh shop, users included, as the Flask and FastAPI shops do.
"""

# Django ships no type information; its objects are Any here.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.commands.runserver import Command as RunserverCommand


class Command(RunserverCommand):
    help = "Create the shop's in-memory database, then serve the shop."

    def inner_run(self, *args: Any, **options: Any) -> None:
        # In the serving process (runserver's reloader starts a child), before
        # the first request: that connection keeps the shared database alive.
        call_command("migrate", verbosity=0, interactive=False)
        super().inner_run(*args, **options)
