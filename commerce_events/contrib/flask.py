"""Flask integration: an extension binding the request context per request.

Needs the ``flask`` extra (``pip install 'commerce-events[flask]'``)::

    from commerce_events.contrib.flask import CommerceEvents

    events = CommerceEvents(user_getter=load_current_user)
    events.init_app(app)   # or CommerceEvents(app, user_getter=...)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from . import _settings_config
from ._common import bind, default_async_bridge, missing_framework

try:
    from flask import (
        Flask,
        current_app,
        g,
        request,
        request_started,
        request_tearing_down,
    )
except ImportError as _exc:
    raise missing_framework(__name__, "Flask", "flask") from _exc
from werkzeug.local import LocalProxy

__all__ = ["CommerceEvents", "ensure_sync"]

_EXTENSION = "commerce_events"
# What each app's settings wired, replaced when init_app runs again.
_wired: weakref.WeakKeyDictionary[Flask, _settings_config.Wired] = (
    weakref.WeakKeyDictionary()
)
_G_KEY = "_commerce_events_context"


def _no_user() -> None:
    return None


def ensure_sync(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """The async bridge Flask apps get: the current app's ``ensure_sync``.

    Flask runs ``async def`` views that way (through asgiref, with the
    ``flask[async]`` extra); subscribers run the same way. Needs an app
    context, which every request has.
    """
    return current_app.ensure_sync(fn)(*args, **kwargs)


def _unproxied(value: Any) -> Any:
    """The object behind a Werkzeug proxy (``flask.request``, ``current_user``).

    A proxy stops working once the request is over; payloads may outlive it.
    """
    if isinstance(value, LocalProxy):
        # The documented way to reach the proxied object.
        return value._get_current_object()  # noqa: SLF001
    return value


class CommerceEvents:
    """A Flask extension: binds the request context for every request of an app.

    The context is bound when the request starts (Flask's ``request_started``
    signal, before ``before_request`` functions) and released when it is torn
    down, for sync and async views alike. It holds the real ``flask.Request``,
    not the ``flask.request`` proxy, so payloads stay valid after the request.

    Args:
        app: The app to initialise now; or call :meth:`init_app` later (app
            factories, several apps).
        user_getter: Returns the current user. It runs when the request starts,
            so it must load the user itself (from the session, say), as
            Flask-Login's ``current_user`` does; a ``g.user`` set by a
            ``before_request`` function is not there yet. Proxies are unwrapped
            and anonymous users (a false ``is_authenticated``) become None.
            Default: no user.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        user_getter: Callable[[], Any] | None = None,
    ) -> None:
        self.user_getter: Callable[[], Any] = user_getter or _no_user
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Bind the request context for every request of *app*.

        Stores the extension in ``app.extensions["commerce_events"]``. Calling
        it again for the same app changes nothing. Unless an async bridge is
        set already, sets :func:`ensure_sync`, so that a synchronous emit in a
        view reaches ``async def`` subscribers as Flask runs async views.

        Wires ``app.config["COMMERCE_EVENTS"]`` (failure policies, domain
        classes, forwarding, the async bridge; see the Flask integration
        page), after checking all of it.

        Raises:
            SettingsError: ``COMMERCE_EVENTS`` names unknown events, groups,
                domains or forwarders (with a "did you mean"), or has values
                of the wrong kind; every problem is listed, nothing is wired.
        """
        wired = _wired.pop(app, None)
        if wired is not None:  # init_app again: replace, never add
            wired.cancel()
        _wired[app] = _settings_config.wire(app.config.get(_settings_config.SETTING))
        app.extensions[_EXTENSION] = self
        if "ASYNC_BRIDGE" not in (app.config.get(_settings_config.SETTING) or {}):
            default_async_bridge(ensure_sync)
        # The app is the sender: other apps in the process are unaffected. The
        # extension is held by app.extensions, so weak references are enough.
        request_started.connect(self._bind, app)
        request_tearing_down.connect(self._release, app)

    def _bind(self, sender: Flask, **extra: Any) -> None:
        stack = ExitStack()
        stack.enter_context(
            bind(lambda: _unproxied(request), lambda: _unproxied(self.user_getter()))
        )
        setattr(g, _G_KEY, stack)

    def _release(self, sender: Flask, **extra: Any) -> None:
        stack: ExitStack | None = g.pop(_G_KEY, None)
        if stack is not None:
            stack.close()
