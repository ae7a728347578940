# Django ships no type information; its objects are Any here.
# mypy: disable-error-code="import-untyped"
"""Run the example Django shop: ``python examples/shops/manage.py runserver``.

Its data lives in memory; ``runserver`` creates its database (see
``django_shop/management/commands/runserver.py``).
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_shop.settings")
    from django.core.management import execute_from_command_line
    from shop.watch import show_deliveries

    show_deliveries()
    execute_from_command_line(sys.argv)
