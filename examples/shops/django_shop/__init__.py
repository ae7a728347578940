"""The example shop on Django (run it with ``examples/shops/manage.py``).

``commerce_events.contrib.django`` is in INSTALLED_APPS and its middleware in
MIDDLEWARE, after AuthenticationMiddleware; the shop's ``AppConfig.ready``
connects the shared subscribers. Django's own ``django.contrib.auth`` users are
the customers.
"""
