"""A short cache of rendered story pages for anonymous visitors.

A story page builds a dozen queries (needs, their balances, causes, need updates, images) and
renders its blocks on every request. For ``PAGE_CACHE_SECONDS`` the rendered HTML is reused
under a key made of the page, its live revision, the language, the host and the display
version (``wagtail_sixdegrees/display.py``), which every committed write the page may show
renews; so a cached page is never older than the last such commit.

What is never cached:

* consent: :meth:`~.models.SurvivorStoryPage.serve` checks it on every request *before* asking
  this cache, so a withdrawn or lapsed story answers 410 at once, cached or not;
* anything personal: a render that made a CSRF token or a donate form (whose one-time
  ``submission`` nonce must differ per visitor), set a cookie, read the session, or was made
  for a signed-in user or a request with a query string or method other than GET is served
  as rendered and not stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from .. import conf, display
from .consent import consent_for

PREFIX = "wagtail_sixdegrees:page:"


def seconds() -> int:
    return int(conf.get_setting("PAGE_CACHE_SECONDS") or 0)


def _may_use(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return (
        seconds() > 0
        and request.method == "GET"
        and not request.GET
        and not (user is not None and user.is_authenticated)
        and not getattr(request, "is_preview", False)
    )


def _version(page: Any) -> int:
    # Read with the consent serve() just checked (one query for both), else on its own.
    version = getattr(consent_for(page), "display_version", None)
    return display.current() if version is None else int(version)


def _key(page: Any, request: HttpRequest) -> str:
    parts = (
        page.pk,
        page.live_revision_id,
        translation.get_language() or "",
        request.get_host(),
        request.scheme,
        _version(page),
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"{PREFIX}{digest}"


def _personal(
    request: HttpRequest, response: HttpResponse, marked: bool, session_read: bool
) -> bool:
    return (
        marked
        or session_read
        or bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))  # a CSRF token was rendered
        or bool(response.cookies)
        or response.status_code != 200
        or response.has_header("Cache-Control")  # the view decided for itself
    )


def serve(page: Any, request: HttpRequest, render: Callable[[], HttpResponse]) -> HttpResponse:
    """The cached response for ``page`` if there is one, else ``render()``'s, stored when it
    holds nothing personal. The caller has checked consent already."""
    if not _may_use(request):
        return render()
    key = _key(page, request)
    hit = cache.get(key)
    if hit is not None:
        content, headers = hit
        response = HttpResponse(content)
        for name, value in headers:
            response[name] = value
        return response
    # Checking the user above read the session; whether the render reads it is what counts.
    session = getattr(request, "session", None)
    accessed_before = session.accessed if session is not None else False
    if session is not None:
        session.accessed = False
    watch = display.start_render()
    try:
        response = render()
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
    finally:
        marked = display.end_render(watch)
        session_read = session is not None and session.accessed
        if session is not None:
            session.accessed = accessed_before or session_read
    if not _personal(request, response, marked, session_read):
        headers = [(name, value) for name, value in response.items()]
        cache.set(key, (response.content, headers), seconds())
    return response
