"""Framework integrations: they bind the request context for each request.

Each module is optional and imports its framework only when it is imported
itself; the core of commerce_events imports none of them.

- :mod:`commerce_events.contrib.wsgi` and :mod:`commerce_events.contrib.asgi`:
  pure WSGI (PEP 3333) and ASGI middlewares, no framework needed.
- :mod:`commerce_events.contrib.flask`: a Flask extension (extra ``flask``).
- :mod:`commerce_events.contrib.django`: a Django app and middleware (extra
  ``django``).
- :mod:`commerce_events.contrib.oscar`: a Django app that puts an unmodified
  django-oscar shop on the bus (extra ``oscar``).
- :mod:`commerce_events.contrib.django.debug_toolbar` and
  :mod:`commerce_events.contrib.flask_debugtoolbar`: panels showing each
  request's events.
- :mod:`commerce_events.contrib.starlette` and
  :mod:`commerce_events.contrib.fastapi`: the ASGI middleware with Starlette's
  request, and a FastAPI dependency (extras ``starlette`` and ``fastapi``).
"""
