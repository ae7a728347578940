"""The CloudEvents Distributed Tracing extension: its attributes and format.

Shared by :mod:`commerce_events.tracing` (which must import without
OpenTelemetry) and the OpenTelemetry side (:mod:`._otel`).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["MAX_TRACESTATE", "TRACEPARENT", "TRACEPARENT_FORMAT", "TRACESTATE"]

# The extension's attribute names (re-exported, documented, by tracing.py).
TRACEPARENT: Final = "traceparent"
TRACESTATE: Final = "tracestate"

# W3C Trace Context, version 00 as every other version must start: version
# ff, an all-zero trace id or an all-zero parent id are invalid.
TRACEPARENT_FORMAT: Final = re.compile(
    r"(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}"
)

MAX_TRACESTATE: Final = 512  # W3C: 32 list members, at most 512 characters
