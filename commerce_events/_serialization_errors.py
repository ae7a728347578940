"""Exceptions of serialization, CloudEvents envelopes and forwarding (moved).

They live in :mod:`commerce_events.exceptions`; this module keeps the old
import path of the serialization modules working.
"""

from __future__ import annotations

from .exceptions import EnvelopeError, ForwardingError, SerializationError

__all__ = ["EnvelopeError", "ForwardingError", "SerializationError"]
