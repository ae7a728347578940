"""Oscar's URLs, as its sandbox mounts them, and django-debug-toolbar's."""

from django.apps import apps
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("__debug__/", include("debug_toolbar.urls")),
    path("", include(apps.get_app_config("oscar").urls[0])),
]
