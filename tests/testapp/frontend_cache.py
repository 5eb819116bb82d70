"""A frontend cache backend that remembers what it was asked to purge (no network)."""

from wagtail.contrib.frontend_cache.backends.base import BaseBackend

PURGED: list[str] = []


class RecordingBackend(BaseBackend):
    def purge(self, url) -> None:
        PURGED.append(url)
