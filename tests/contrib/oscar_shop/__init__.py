"""An unmodified django-oscar shop with one line added: ``commerce_events.contrib.oscar``.

Sandbox-style settings (Oscar's ``defaults``, its apps, SQLite); run by
``tests/contrib/test_oscar.py`` in a process of its own, since Django is
configured once per process.
"""
