# Django ships no type information; its objects are Any here.
# mypy: disable-error-code="import-untyped"
"""Run the example Django shop: ``python examples/shops/manage.py runserver``.

Create its database once first: ``python examples/shops/manage.py migrate``.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_shop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
