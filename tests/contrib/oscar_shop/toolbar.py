"""When django-debug-toolbar shows: to the live server the browser test starts."""

from typing import Any


def show_toolbar(request: Any) -> bool:
    return bool(request.get_host() != "testserver")
