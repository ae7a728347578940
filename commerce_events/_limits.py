"""Limits on what comes from outside: sizes, depths, digits; safe log text.

Every entry point that reads data from another process (envelopes, JSON
documents, money amounts) checks it against these bounds *before* doing
anything whose cost grows with the input, so a hostile document costs little
and fails with a clear error.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["printable"]

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """*text* with control characters (newlines included) escaped.

    For logs: text from outside cannot start a forged log line or move the
    terminal's cursor.
    """
    return _CONTROL.sub(lambda found: repr(found.group())[1:-1], text)
