"""FastAPI integration: the middleware, and a dependency for endpoints.

Needs the ``fastapi`` extra (``pip install 'commerce-events[fastapi]'``)::

    from fastapi import FastAPI
    from commerce_events.contrib.fastapi import (
        CurrentRequestContext,
        RequestContextMiddleware,
    )

    app = FastAPI()
    app.add_middleware(RequestContextMiddleware)

    @app.get("/whoami")
    async def whoami(context: CurrentRequestContext) -> dict[str, str]:
        ...
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

from ._common import missing_framework

try:
    from fastapi import Depends
except ImportError as _exc:
    raise missing_framework(__name__, "FastAPI", "fastapi") from _exc

from commerce_events import RequestContext, current_request_context

from .starlette import RequestContextMiddleware

__all__ = ["CurrentRequestContext", "RequestContextMiddleware", "get_request_context"]


async def get_request_context() -> RequestContext:
    """FastAPI dependency: the current request context.

    Works for async endpoints and for sync ones (run in a thread pool).

    Raises:
        RuntimeError: :class:`RequestContextMiddleware` is not installed.
    """
    context = current_request_context()
    if context is None:
        msg = (
            "no request context: add commerce_events.contrib.fastapi."
            "RequestContextMiddleware to the app (app.add_middleware(...))"
        )
        raise RuntimeError(msg)
    return context


CurrentRequestContext: TypeAlias = Annotated[
    RequestContext, Depends(get_request_context)
]
"""An endpoint parameter annotated with this receives the request context.
"""
