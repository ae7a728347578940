"""``python -m commerce_events``: see :mod:`commerce_events._cli`."""

import sys

from ._cli import main

sys.exit(main())
