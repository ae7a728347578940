"""Loyalty points: the shop's own event, at its second version.

Version 1 of ``loyalty_points_earned`` carried the points; version 2 also says
what earned them. The shop emits version 2 only, but envelopes of version 1
queued before the deploy still reach the workers: the version 1 class stays
registered beside version 2, an upcaster turns one into the other, and the
workers say they read both (:data:`READS`). ``python -m commerce_events schema
--check`` accepts the change because it is a new version; changing version 1's
class instead would fail it.
"""

from __future__ import annotations

from typing import Any

from commerce_events import event, field, upcaster
from commerce_events.forwarding import consume_envelope


@event("loyalty_points_earned", group="customer")
class LoyaltyPointsEarnedV1:
    """A customer earned loyalty points (version 1)."""

    customer: str = field(doc="The customer's e-mail address")
    points: int = field(doc="How many points")


@event("loyalty_points_earned", version=2, group="customer")
class LoyaltyPointsEarned:
    """A customer earned loyalty points, and what for."""

    customer: str = field(doc="The customer's e-mail address")
    points: int = field(doc="How many points")
    reason: str = field(doc="What earned them (an order's number)")


@upcaster(LoyaltyPointsEarnedV1, to=LoyaltyPointsEarned)
def _reason_unknown(old: LoyaltyPointsEarnedV1) -> LoyaltyPointsEarned:
    # Version 1 never said why: say so, rather than invent a reason.
    return LoyaltyPointsEarned(
        customer=old.customer, points=old.points, reason="unknown (version 1)"
    )


READS = {LoyaltyPointsEarned: {1, 2}}
"""What the shop's workers read: both versions, as version 2."""


def consume(envelope: dict[str, Any]) -> Any:
    """A worker's side: emit a received envelope, of either version, as version 2."""
    return consume_envelope(envelope, reads=READS)
