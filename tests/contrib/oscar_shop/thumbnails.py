"""No thumbnails: Oscar's default thumbnailer needs sorl-thumbnail, not needed here."""

from typing import Any

from oscar.core.thumbnails import AbstractThumbnailer


class NoThumbnails(AbstractThumbnailer):
    def generate_thumbnail(self, source: Any, **opts: Any) -> None:
        return None

    def delete_thumbnails(self, source: Any) -> None:
        return None
