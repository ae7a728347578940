"""Checking a subscriber against an event's contract with Hypothesis."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .._registry import signal as signal_of
from ..exceptions import CommerceEventsError
from ._isolation import isolated_subscriptions

if TYPE_CHECKING:
    from hypothesis import settings as Settings  # noqa: N812
    from hypothesis.strategies import SearchStrategy

__all__ = ["SubscriberContractError", "check_subscriber"]

P = TypeVar("P")


class SubscriberContractError(CommerceEventsError, AssertionError):
    """A subscriber failed on a valid payload of its event.

    Raised by :func:`check_subscriber` with the smallest failing payload
    Hypothesis found; the subscriber's own exception is its ``__cause__``.

    Attributes:
        payload_type: The event's payload class.
        subscriber: The subscriber that failed.
        payload: The smallest payload it failed on (None if the failure could
            not be pinned on one payload).
        error: What the subscriber raised.
    """

    payload_type: type[Any]
    subscriber: Callable[..., Any]
    payload: object
    error: BaseException

    def __init__(
        self,
        payload_type: type[Any],
        subscriber: Callable[..., Any],
        payload: object,
        error: BaseException,
    ) -> None:
        self.payload_type = payload_type
        self.subscriber = subscriber
        self.payload = payload
        self.error = error
        name = getattr(subscriber, "__qualname__", repr(subscriber))
        super().__init__(
            f"{name} fails on a valid {payload_type.__qualname__}:\n"
            f"  smallest failing payload: {payload!r}\n"
            f"  raised: {type(error).__qualname__}: {error}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            type(self),
            (self.payload_type, self.subscriber, self.payload, self.error),
        )


# Tracebacks (and doctests) show the public path.
SubscriberContractError.__module__ = "commerce_events.testing"


def check_subscriber(
    payload_type: type[P],
    subscriber: Callable[..., Any],
    /,
    *,
    payloads: SearchStrategy[P] | None = None,
    sender: Any = None,
    oscar_style: bool = False,
    settings: Settings | None = None,
) -> None:
    """Drive *subscriber* with valid payloads; report the smallest failing one.

    Checks first that the subscriber can subscribe to the event at all (the
    dispatcher's signature check), then runs it under Hypothesis with payloads
    drawn from :func:`commerce_events.testing.strategies.payloads`. Needs the
    ``hypothesis`` extra. Call it from a plain test (not from inside
    ``@given``)::

        def test_confirmation_honours_the_contract():
            check_subscriber(OrderPlaced, send_confirmation)

    Args:
        payload_type: The event's payload class.
        subscriber: A typed subscriber, ``subscriber(payload)``; or, with
            *oscar_style*, a receiver ``receiver(sender, **fields)``.
        payloads: The payloads to try. Default:
            ``strategies.payloads(payload_type)``; pass your own to plug in
            realistic domain objects.
        sender: The sender to deliver from.
        oscar_style: Call *subscriber* as an Oscar/blinker receiver.
        settings: Hypothesis settings (``settings(max_examples=500)``). Default:
            the active profile.

    Raises:
        SubscriberContractError: The subscriber raised on a valid payload; the
            error holds the smallest such payload.
        SubscriberSignatureError: The subscriber cannot subscribe to the event.
        NotAPayloadError: *payload_type* is not a registered payload class.
    """
    from hypothesis import given
    from hypothesis.errors import HypothesisException

    from .. import subscribe
    from . import strategies

    signal = signal_of(payload_type)
    with isolated_subscriptions():
        # Subscribing runs the same signature check as production code would.
        if oscar_style:
            signal.connect(subscriber)
        else:
            subscribe(payload_type, subscriber)
    drawn = payloads if payloads is not None else strategies.payloads(payload_type)
    field_names = signal.spec.field_names
    failing: list[object] = []

    @given(drawn)
    def honours_contract(payload: P) -> None:
        try:
            if oscar_style:
                subscriber(sender, **{n: getattr(payload, n) for n in field_names})
            else:
                subscriber(payload)
        except Exception:
            # Hypothesis replays the smallest failing example last.
            failing.append(payload)
            raise

    test = settings(honours_contract) if settings is not None else honours_contract
    try:
        test()
    except HypothesisException:
        raise
    except Exception as exc:
        raise SubscriberContractError(
            payload_type, subscriber, failing[-1] if failing else None, exc
        ) from exc
