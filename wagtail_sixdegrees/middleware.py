"""Middleware a site may add: ``wagtail_sixdegrees.middleware.PageCacheMiddleware``.

It serves a cached story page before Wagtail routes its address (see
``wagtail_sixdegrees/stories/page_cache.py``); without it, stories are still cached, and
looked up after routing."""

from __future__ import annotations

from .stories.page_cache import PageCacheMiddleware

__all__ = ["PageCacheMiddleware"]
