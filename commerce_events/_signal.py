"""The signal of one event: blinker's API and Django's, validated.

:class:`EventSignal` is a :class:`blinker.NamedSignal`, so blinker code
(``connect``, ``send``, ``connected_to``, ``receivers``, ``receiver_connected``)
keeps working, and it speaks Django's ``Signal`` API too (``send_robust``,
``asend``, ``asend_robust``, ``has_listeners``, ``dispatch_uid``), so Oscar's
code and Oscar shops' receivers use it unchanged. Every send builds the
payload first: a bad argument is a
:class:`~commerce_events.exceptions.PayloadError` at the call site, before any
receiver runs, for ``send_robust`` too (a contract error is the caller's bug,
not a receiver's).

The library relies on blinker only through what ``tests/test_blinker_surface.py``
checks: ``NamedSignal.__init__(name, doc)``, the ``receivers`` map, the
``receiver_connected``/``receiver_disconnected`` signals, ``muted()``'s
``is_muted`` flag, ``connected_to``/``connect_via`` (which call ``connect`` and
``disconnect``), ``ANY`` and ``Namespace``. Every method that reads blinker's
private maps is overridden here.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, TypeVar

import blinker

from . import _delivery
from ._introspect import check_oscar_receiver, check_typed_subscriber
from ._settings import AsyncBridge, OnError, check_policy
from ._subscriptions import (
    ANY,
    WEAK,
    Route,
    kind_of,
    receiver_id,
)
from .exceptions import SubscriberSignatureError

if TYPE_CHECKING:
    from ._payload import PayloadSpec

__all__ = ["EventSignal", "check_options", "default_weak", "subscribe_typed"]

F = TypeVar("F", bound=Callable[..., Any])


def check_options(*, priority: object, weak: object, on_error: object) -> None:
    """Refuse subscription options of the wrong type, before anything changes.

    Raises:
        TypeError: *priority* is not an int, or *weak* not a bool or None.
        ValueError: *on_error* is not a policy.
    """
    if type(priority) is not int:
        msg = f"priority must be an int, got {priority!r}"
        raise TypeError(msg)
    if weak is not None and type(weak) is not bool:
        msg = f"weak must be True, False or None (the default), got {weak!r}"
        raise TypeError(msg)
    check_policy(on_error)


def default_weak(receiver: object, weak: bool | None) -> bool:  # noqa: FBT001
    # Functions strongly (one defined inside another must not vanish), bound
    # methods weakly (subscribing obj.method must not keep obj alive).
    return type(receiver) is types.MethodType if weak is None else weak


def _takes_var_keyword(receiver: Callable[..., Any]) -> bool:
    if type(receiver) is types.FunctionType:
        return bool(receiver.__code__.co_flags & inspect.CO_VARKEYWORDS)
    try:
        parameters = inspect.signature(receiver).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind is p.VAR_KEYWORD for p in parameters)


def subscribe_typed(
    signal: EventSignal,
    subscriber: Callable[..., Any],
    *,
    sender: Any = ANY,
    weak: bool | None = None,
    priority: int = 0,
    on_error: OnError | None = None,
    with_metadata: bool = False,
    once: bool = False,
) -> None:
    """Subscribe a typed subscriber, ``subscriber(payload)``, after checking it.

    Raises:
        SubscriberSignatureError: It cannot take the payload, or it is already
            connected as an Oscar-style receiver.
    """
    check_options(priority=priority, weak=weak, on_error=on_error)
    route = signal.route
    check_typed_subscriber(
        route.name, route.payload_type, subscriber, with_metadata=with_metadata
    )
    kind = kind_of(subscriber, typed=True, with_metadata=with_metadata, once=once)
    weak = default_weak(subscriber, weak)
    if not route.add(
        subscriber, sender, kind=kind, weak=weak, priority=priority, on_error=on_error
    ):
        raise SubscriberSignatureError(
            route.name, subscriber, "it is already connected as an Oscar-style receiver"
        )
    signal.announce_connected(subscriber, sender, weak=weak)


class EventSignal(blinker.NamedSignal):
    """The signal of one event: a blinker signal that validates and orders.

    ``send(sender, **fields)`` builds (and so validates) the payload before any
    receiver runs; receivers connected with :meth:`connect` are called
    Oscar-style, ``receiver(sender, **fields)``, with every field (``None``
    values included); typed subscribers (``subscribe``) get the payload. Both
    share one order: higher priority first, then subscription order.

    The dispatcher's view of the event (its subscriptions and plans) is the
    ``route`` attribute, an internal object.
    """

    route: Route
    """The event's subscriptions and plans (internal)."""

    def __init__(self, spec: PayloadSpec, on_error: OnError | None = None) -> None:
        super().__init__(spec.name, spec.doc or None)
        self.route = Route(self, spec, self.receivers, on_error)

    @property
    def payload_type(self) -> type[Any]:
        """The event's payload class."""
        return self.route.payload_type

    @property
    def spec(self) -> PayloadSpec:
        """The event's specification (name, fields, documentation)."""
        return self.route.spec

    @property
    def on_error(self) -> OnError | None:
        """The event's default failure policy (None: the library's)."""
        return self.route.on_error  # type: ignore[return-value]

    @on_error.setter
    def on_error(self, value: OnError | None) -> None:
        check_policy(value)
        self.route.on_error = value

    # -- blinker's (process-wide) muting flag --------------------------------

    @property
    def is_muted(self) -> bool:
        """Whether blinker's process-wide :meth:`muted` is in effect.

        Prefer :func:`commerce_events.muted`, which mutes only the current
        thread or task.
        """
        route: Route | None = self.__dict__.get("route")
        return route is not None and route.muted

    @is_muted.setter
    def is_muted(self, value: bool) -> None:  # pyright: ignore[reportIncompatibleVariableOverride]
        route: Route | None = self.__dict__.get("route")
        if route is not None:  # blinker sets it before our __init__ ran
            route.set_muted(value)

    # -- subscribing ---------------------------------------------------------

    def connect(
        self,
        receiver: F,
        sender: Any = ANY,
        weak: bool | None = None,  # noqa: FBT001 - blinker's and Django's signature
        dispatch_uid: object = None,
        *,
        priority: int = 0,
        on_error: OnError | None = None,
    ) -> F:
        """Connect an Oscar/blinker-style receiver, ``receiver(sender, **fields)``.

        Args:
            receiver: The callable (sync or async). It must accept the sender
                and every field of the event as a keyword (``**kwargs`` will
                do). The sender is passed positionally, as blinker does, unless
                the receiver's first parameter is a field (as in Oscar's
                ``track_voucher_addition(basket, voucher, **kwargs)``): then it
                is passed as ``sender=``, as Django does. A receiver taking
                ``**kwargs`` also gets ``signal=`` (this signal), as Django
                passes it.
            sender: Only receive emits from this sender; a class also matches
                its instances. Default, and ``None`` (Django's meaning): any
                sender.
            weak: Hold the receiver by weak reference. Default: functions
                strongly, bound methods weakly.
            dispatch_uid: Django's unique identifier: a receiver connected
                again under the same identifier is not connected twice.
            priority: Higher runs first; equal priorities run in subscription
                order.
            on_error: Failure policy for this receiver.

        Raises:
            SubscriberSignatureError: The receiver cannot accept the event.
        """
        check_options(priority=priority, weak=weak, on_error=on_error)
        route = self.route
        if sender is None:
            sender = ANY
        by_keyword = check_oscar_receiver(route.name, route.spec.field_names, receiver)
        signal_keyword = "signal" not in route.spec.field_names and _takes_var_keyword(
            receiver
        )
        kind = kind_of(
            receiver,
            typed=False,
            sender_keyword=by_keyword,
            signal_keyword=signal_keyword,
        )
        weak = default_weak(receiver, weak)
        rid = None
        if dispatch_uid is not None:
            rid = ("dispatch_uid", dispatch_uid)
            if rid in route.records:
                return receiver  # Django: already connected under this uid
        if not route.add(
            receiver,
            sender,
            kind=kind,
            weak=weak,
            priority=priority,
            on_error=on_error,
            rid=rid,
        ):
            raise SubscriberSignatureError(
                route.name, receiver, "it is already connected as a typed subscriber"
            )
        self.announce_connected(receiver, sender, weak=weak)
        return receiver

    def announce_connected(self, receiver: Any, sender: Any, *, weak: bool) -> None:
        """Send blinker's ``receiver_connected``, when anyone listens to it."""
        # receiver_connected is created on first access: look, do not make it.
        if "receiver_connected" in self.__dict__ and self.receiver_connected.receivers:
            self.receiver_connected.send(
                self, receiver=receiver, sender=sender, weak=weak
            )

    def disconnect(  # type: ignore[override]
        self,
        receiver: Callable[..., Any] | None = None,
        sender: Any = ANY,
        dispatch_uid: object = None,
    ) -> bool:
        """Disconnect *receiver* (from *sender* only, or from every sender).

        Args:
            receiver: The receiver or subscriber.
            sender: Only from this sender; default, and ``None``: every sender.
            dispatch_uid: Disconnect what was connected under this identifier.

        Returns:
            Whether anything was disconnected (Django's answer).
        """
        if sender is None:
            sender = ANY
        if dispatch_uid is not None:
            rid: Any = ("dispatch_uid", dispatch_uid)
        elif receiver is None:
            msg = "disconnect() needs a receiver or a dispatch_uid"
            raise TypeError(msg)
        else:
            rid = receiver_id(receiver)
        removed = self.route.remove(rid, sender)
        if (
            removed
            and "receiver_disconnected" in self.__dict__
            and self.receiver_disconnected.receivers
        ):
            self.receiver_disconnected.send(self, receiver=receiver, sender=sender)
        return removed

    def _clear_state(self) -> None:
        route: Route | None = self.__dict__.get("route")
        if route is not None:
            route.clear()

    # -- who receives ----------------------------------------------------------

    def has_receivers_for(self, sender: Any) -> bool:
        """Whether an emit from *sender* would reach any receiver.

        Unlike blinker's, a class given as a subscription's sender counts for
        its instances, as it does when delivering.
        """
        return bool(self.route.plan_for(sender).entries)

    def has_listeners(self, sender: Any = None) -> bool:
        """Django's question: would a send from *sender* reach anyone?

        With no sender, whether anything is connected at all.
        """
        if sender is None:
            return bool(self.route.plan_for(ANY).entries) or bool(self.route.records)
        return self.has_receivers_for(sender)

    def receivers_for(self, sender: Any) -> Generator[Callable[..., Any], None, None]:
        """Yield the receivers for *sender* in delivery order."""
        for target, flags, _record in self.route.plan_for(sender).entries:
            receiver = target() if flags & WEAK else target
            if receiver is not None:
                yield receiver

    # -- Oscar/blinker/Django-style sending ------------------------------------

    def send(
        self,
        /,
        *args: Any,
        _async_wrapper: Callable[[Callable[..., Any]], Callable[..., Any]]
        | None = None,
        **kwargs: Any,
    ) -> list[tuple[Callable[..., Any], Any]]:
        """Validate the fields, then deliver; Oscar's calling convention.

        ``signal.send(view, product=p, user=u)`` and Oscar's own
        ``signal.send(sender=view, product=p, user=u)`` both work. The keyword
        arguments are the payload's fields; they are validated before any
        receiver runs.

        Args:
            args: The sender, if not given as ``sender=``.
            _async_wrapper: blinker's hook to run async receivers from sync
                code (``wrapper(receiver)(sender, **fields)``); defaults to the
                configured bridge.
            kwargs: The payload's fields.

        Returns:
            ``(receiver, return value)`` for each receiver, as blinker does. A
            receiver whose failure was logged has its exception as its value.
            An emit that was muted or deferred returns an empty list.

        Raises:
            PayloadError: The fields are invalid; nothing was delivered.
            SubscriberError: Subscribers with the ``"raise"`` policy failed.
        """
        sender = _sender_from(args, kwargs)
        payload = self.route.payload_type(**kwargs)
        results: list[tuple[Callable[..., Any], Any]] = []
        bridge: AsyncBridge | None = None
        if _async_wrapper is not None:
            wrapper = _async_wrapper

            def blinker_bridge(fn: Callable[..., Any], /, *a: Any, **kw: Any) -> Any:
                return wrapper(fn)(*a, **kw)

            bridge = blinker_bridge

        _delivery.deliver(self.route, payload, sender, results, bridge=bridge)
        return results

    def send_robust(
        self, /, *args: Any, **kwargs: Any
    ) -> list[tuple[Callable[..., Any], Any]]:
        """Django's ``send_robust``: like :meth:`send`, receivers' errors returned.

        The payload is still validated first (a bad argument raises
        :class:`~commerce_events.exceptions.PayloadError` here). Then every
        receiver runs; an ``Exception`` it raises is logged on the
        ``commerce_events`` logger and returned as its value, whatever its
        failure policy.
        """
        sender = _sender_from(args, kwargs)
        payload = self.route.payload_type(**kwargs)
        results: list[tuple[Callable[..., Any], Any]] = []
        _delivery.deliver(self.route, payload, sender, results, robust=True)
        return results

    async def send_async(
        self,
        /,
        *args: Any,
        _sync_wrapper: Any = None,
        concurrent: bool = False,
        **kwargs: Any,
    ) -> list[tuple[Callable[..., Any], Any]]:
        """Like :meth:`send`, awaiting async receivers; for use in a running loop.

        Synchronous receivers are called directly (``_sync_wrapper`` is accepted
        for blinker compatibility and ignored). With *concurrent*, async
        receivers run concurrently; results stay in subscription order.
        """
        sender = _sender_from(args, kwargs)
        payload = self.route.payload_type(**kwargs)
        results: list[tuple[Callable[..., Any], Any]] = []
        await _delivery.deliver_async(
            self.route, payload, sender, results, concurrent=concurrent
        )
        return results

    async def asend(
        self, /, *args: Any, **kwargs: Any
    ) -> list[tuple[Callable[..., Any], Any]]:
        """Django's ``asend``: :meth:`send_async`, async receivers concurrently.

        As Django 5's ``asend`` runs async receivers together, so does this.
        """
        return await self.send_async(*args, concurrent=True, **kwargs)

    async def asend_robust(
        self, /, *args: Any, **kwargs: Any
    ) -> list[tuple[Callable[..., Any], Any]]:
        """Django's ``asend_robust``: :meth:`asend`, receivers' errors returned."""
        sender = _sender_from(args, kwargs)
        payload = self.route.payload_type(**kwargs)
        results: list[tuple[Callable[..., Any], Any]] = []
        await _delivery.deliver_async(
            self.route, payload, sender, results, concurrent=True, robust=True
        )
        return results

    def __repr__(self) -> str:
        return f"<EventSignal {self.name!r} -> {self.payload_type.__qualname__}>"


def _sender_from(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # Oscar sends sender=self as a keyword; blinker takes it positionally.
    given = len(args) + ("sender" in kwargs)
    if given > 1:
        msg = f"send() takes one sender, got {given}"
        raise TypeError(msg)
    return kwargs.pop("sender") if "sender" in kwargs else next(iter(args), None)
