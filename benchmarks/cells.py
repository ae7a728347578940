"""The measured statements: commerce_events, its limits and its peers.

Every per-emit cell sends the same four fields (product, user, request,
response) from the same sender to N trivial receivers, each library with its
own calling convention. commerce_events' cells build (and so validate) the
ProductViewed payload in the statement itself, as an application does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import blinker

import commerce_events
from commerce_events import ProductViewed, emit, emit_async, subscribe, unsubscribe

from . import anatomy
from .fixtures import (
    KEEPALIVE,
    KW4,
    RQ,
    RS,
    SENDER,
    AnyFn,
    P,
    Product,
    Request,
    Response,
    Sender,
    U,
    User,
    async_subscribers,
    kw_receivers,
    positional_receivers,
    product_viewed_clone,
    typed_subscribers,
)
from .harness import Cell

NS = (0, 1, 10, 100)
OTHER_SENDERS = (0, 1, 1000)
FLAT_N = 10

# Row keys, in report order. Labels are what the report prints.
ROWS: dict[str, str] = {
    "limit": "L(N): ``ProductViewed(...)`` + loop calling N functions",
    "emit": "``emit(ProductViewed(...), sender=s)``",
    "oscar_send": "``signal.send(s, **fields)`` (validated, Oscar-style)",
    "blinker": "blinker ``Signal.send(s, **fields)``",
    "django": "Django ``Signal.send(s, **fields)``",
    "psygnal_emit": "psygnal ``emit(p, u, rq, rs)``",
    "psygnal_emit_fast": "psygnal ``emit_fast(p, u, rq, rs)``",
    "pypubsub": "pypubsub ``sendMessage(topic, **fields)``",
    "pyee": "pyee ``emit(name, s, **fields)``",
    "loop_prebuilt": "anatomy: loop calling N functions (prebuilt payload)",
    "emit_prebuilt": "anatomy: ``emit(payload, sender=s)`` (prebuilt payload)",
    **{f"model_{name}": label for name, label in anatomy.STEPS},
    "payload": "``ProductViewed(...)`` alone (validated construction)",
    "empty": "harness: empty loop body (included in every cell)",
    "async_limit": "async limit: ``ProductViewed(...)`` + loop awaiting N",
    "emit_async": "``await emit_async(ProductViewed(...), sender=s)``",
    **{
        f"senders_{k}": f"emit, {FLAT_N} subscribers + {k} on other senders"
        for k in OTHER_SENDERS
    },
}

PEERS = (
    "blinker",
    "django",
    "psygnal_emit",
    "psygnal_emit_fast",
    "pypubsub",
    "pyee",
)
"""Rows of the peers' unvalidated sends that emit must beat at N >= 10."""


@dataclass
class Suite:
    """The per-emit cells, grouped for interleaving."""

    sync: list[Cell] = field(default_factory=list)
    async_: list[Cell] = field(default_factory=list)

    def get(self, row: str, n: int | None) -> Cell | None:
        """The cell of *row* at *n*, if measured."""
        for cell in (*self.sync, *self.async_):
            if cell.row == row and cell.n == n:
                return cell
        return None

    def groups(self) -> list[list[Cell]]:
        """Cells compared with each other are sampled in the same group."""
        groups = [[c for c in self.sync if c.n == n] for n in NS]
        groups += [[c for c in self.async_ if c.n == n] for n in NS]
        groups[0] += [c for c in self.sync if c.n is None]
        return [g for g in groups if g]


def versions() -> dict[str, str]:
    """The installed versions of commerce_events, attrs and every peer."""
    out: dict[str, str] = {}
    for dist in (
        "commerce-events",
        "attrs",
        "blinker",
        "Django",
        "psygnal",
        "Pypubsub",
        "pyee",
    ):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "?"
    return out


def _subscribing(
    payload_type: type[Any], subscribers: list[AnyFn]
) -> tuple[Callable[[], None], Callable[[], None]]:
    """Setup and teardown that subscribe *subscribers* for one sample."""

    def setup() -> None:
        for fn in subscribers:
            subscribe(payload_type, fn)

    def teardown() -> None:
        for fn in subscribers:
            unsubscribe(payload_type, fn)

    return setup, teardown


def _connecting(
    signal: blinker.Signal, receivers: list[AnyFn]
) -> tuple[Callable[[], None], Callable[[], None]]:
    """Setup and teardown that connect Oscar-style *receivers* for one sample."""

    def setup() -> None:
        for fn in receivers:
            signal.connect(fn)

    def teardown() -> None:
        for fn in receivers:
            signal.disconnect(fn)

    return setup, teardown


def _django_signal_class() -> Any:
    import django  # type: ignore[import-untyped]
    from django.conf import settings  # type: ignore[import-untyped]

    if not settings.configured:
        settings.configure(DEBUG=False, USE_TZ=True, INSTALLED_APPS=[])
        django.setup()
    from django.dispatch import Signal  # type: ignore[import-untyped]

    return Signal


def build_sync(suite: Suite) -> None:
    """Add the synchronous per-emit cells, for every N."""
    from psygnal import SignalInstance
    from pubsub import pub
    from pyee import EventEmitter

    django_signal = _django_signal_class()
    ce_signal = commerce_events.signal(ProductViewed)
    base = {
        "P": P,
        "U": U,
        "RQ": RQ,
        "RS": RS,
        "SENDER": SENDER,
        "PV": ProductViewed,
        "EV": ProductViewed(product=P, user=U, request=RQ, response=RS),
    }
    payload_types = [spec.payload_type for spec in commerce_events.catalogue()]

    for n in NS:

        def add(
            row: str,
            stmt: str,
            namespace: dict[str, Any] | None = None,
            *,
            expect: int | None = None,
            setup: tuple[Callable[[], None], Callable[[], None]] | None = None,
            n: int = n,
        ) -> None:
            suite.sync.append(
                Cell(
                    key=f"{row}@{n}",
                    row=row,
                    n=n,
                    stmt=stmt,
                    namespace={**base, **(namespace or {})},
                    expect_calls=n if expect is None else expect,
                    setup=setup[0] if setup else None,
                    teardown=setup[1] if setup else None,
                )
            )

        typed = typed_subscribers(n)
        kw = kw_receivers(n)
        pos = positional_receivers(n)
        KEEPALIVE.extend([typed, kw, pos])

        add(
            "limit",
            f"_e = PV({KW4})\nfor _f in FNS:\n    _f(_e)",
            {"FNS": tuple(typed)},
        )
        add(
            "emit",
            f"emit(PV({KW4}), sender=SENDER)",
            {"emit": emit},
            setup=_subscribing(ProductViewed, typed),
        )
        add(
            "oscar_send",
            f"SIG.send(SENDER, {KW4})",
            {"SIG": ce_signal},
            setup=_connecting(ce_signal, kw_receivers(n)),
        )

        blinker_signal = blinker.Signal()
        for fn in kw:
            blinker_signal.connect(fn)  # blinker's default: weak
        add("blinker", f"SIG.send(SENDER, {KW4})", {"SIG": blinker_signal})

        dj = django_signal()
        for fn in kw:
            dj.connect(fn)  # Django's default: weak
        add("django", f"SIG.send(SENDER, {KW4})", {"SIG": dj})

        ps = SignalInstance((Product, User, Request, Response), name=f"viewed_{n}")
        for fn in pos:
            ps.connect(fn)
        add("psygnal_emit", "SIG.emit(P, U, RQ, RS)", {"SIG": ps})
        if hasattr(ps, "emit_fast"):
            add("psygnal_emit_fast", "SIG.emit_fast(P, U, RQ, RS)", {"SIG": ps})

        def prototype(product: Any, user: Any, request: Any, response: Any) -> None:
            """The topic's message data specification."""

        topic = f"productViewed{n}"
        pub.getDefaultTopicMgr().getOrCreateTopic(topic, prototype)
        for fn in pos:
            pub.subscribe(fn, topic)
        add(
            "pypubsub",
            f"sendMessage(TOPIC, {KW4})",
            {"sendMessage": pub.sendMessage, "TOPIC": topic},
        )

        emitter = EventEmitter()
        for fn in kw:
            emitter.on("product_viewed", fn)
        add("pyee", f"EE.emit('product_viewed', SENDER, {KW4})", {"EE": emitter})

        # Anatomy: the same with a payload built beforehand, so that the small
        # costs of the dispatcher are not drowned in the cost of building it.
        add("loop_prebuilt", "for _f in FNS:\n    _f(EV)", {"FNS": tuple(typed)})
        add(
            "emit_prebuilt",
            "emit(EV, sender=SENDER)",
            {"emit": emit},
            setup=_subscribing(ProductViewed, typed),
        )
        steps = anatomy.model(payload_types, ProductViewed, tuple(typed))
        for name, _label in anatomy.STEPS:
            add(
                f"model_{name}",
                "STEP(EV, sender=SENDER)",
                {"STEP": steps[name]},
                expect=n if name == "lookup_check_loop" else 0,
            )

    for row, stmt in (("payload", f"PV({KW4})"), ("empty", "pass")):
        suite.sync.append(Cell(f"{row}", row, None, stmt, dict(base), expect_calls=0))


def build_other_senders(suite: Suite) -> None:
    """Add emits to FLAT_N subscribers with 0, 1, 1000 others on other senders."""
    base = {"P": P, "U": U, "RQ": RQ, "RS": RS, "SENDER": SENDER, "emit": emit}
    for k in OTHER_SENDERS:
        payload_type = product_viewed_clone(f"bench_other_senders_{k}")
        for fn in typed_subscribers(FLAT_N, payload_type):
            subscribe(payload_type, fn)
        others = [Sender() for _ in range(k)]
        filtered = typed_subscribers(k, payload_type)
        for fn, other in zip(filtered, others, strict=True):
            subscribe(payload_type, fn, sender=other)
        KEEPALIVE.extend([others, filtered])
        suite.sync.append(
            Cell(
                key=f"senders_{k}@{FLAT_N}",
                row=f"senders_{k}",
                n=FLAT_N,
                stmt=f"emit(PV({KW4}), sender=SENDER)",
                namespace={**base, "PV": payload_type},
                expect_calls=FLAT_N,
            )
        )


def build_async(suite: Suite) -> None:
    """Add emit_async and its limit, awaited inside a running loop."""
    base = {"P": P, "U": U, "RQ": RQ, "RS": RS, "SENDER": SENDER, "PV": ProductViewed}
    for n in NS:
        subscribers = async_subscribers(n)
        KEEPALIVE.append(subscribers)
        suite.async_.append(
            Cell(
                key=f"async_limit@{n}",
                row="async_limit",
                n=n,
                stmt=f"_e = PV({KW4})\nfor _f in FNS:\n    await _f(_e)",
                namespace={**base, "FNS": tuple(subscribers)},
                expect_calls=n,
                is_async=True,
            )
        )
        setup, teardown = _subscribing(ProductViewed, subscribers)
        suite.async_.append(
            Cell(
                key=f"emit_async@{n}",
                row="emit_async",
                n=n,
                stmt=f"await emit_async(PV({KW4}), sender=SENDER)",
                namespace={**base, "emit_async": emit_async},
                expect_calls=n,
                is_async=True,
                setup=setup,
                teardown=teardown,
            )
        )
