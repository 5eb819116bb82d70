"""A short cache of rendered public pages (survivor stories, need pages) for anonymous visitors.

A story page routes through Wagtail (a query per address segment), builds a dozen queries
(needs, their balances, causes, need updates, images) and renders its blocks. For
``PAGE_CACHE_SECONDS`` the rendered HTML is reused under a key made of the address: scheme,
host, path, language and the local date. Each entry keeps the display version
(``wagtail_sixdegrees/display.py``) it was rendered at, which every committed write a page may
show renews, so a cached page is never older than the last such commit.

An entry is looked up at one of three points, each checking what may change without a write
before it serves anything:

* in front of Wagtail's routing, by :class:`PageCacheMiddleware` (one query: the display
  version, the consent of every story the page shows, and that the page is still live at
  the same place, with no view restriction on it or above it);
* in a story's own ``serve()``, after routing and its fresh consent check (no query more);
* in the need page's view, before it reads the need (one query, as the middleware's).

What is never cached:

* consent: read on every request (above) before a cached render is served, so a withdrawn or
  lapsed story answers 410 at once, and a need page never names a story whose consent ended;
* anything personal: a render that made a CSRF token, set a cookie, read the session, showed
  a form again with a donor's input, or was made for a signed-in user, a request with a query
  string or a method other than GET is served as rendered and not stored;
* a donate form's CSRF token and one-time ``submission`` nonce: while a page is rendered for
  the cache they are written as markers (``display.visitor_nonce``), and every response, the
  first included, gets the visitor's own token and a new nonce in their place;
* pages with view restrictions, and Wagtail pages on sites with ``before_serve_page`` or
  ``on_serve_page`` hooks other than Wagtail's own (the middleware skips those; the lookup
  in ``serve()`` runs after them).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, IntegerField, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

from .. import conf, display
from .consent import StoryConsent

PREFIX = "wagtail_sixdegrees:page:"


def seconds() -> int:
    return int(conf.get_setting("PAGE_CACHE_SECONDS") or 0)


@dataclass(frozen=True)
class Check:
    """What a cached render depends on that can change without a write renewing the display
    version: checked on every hit before routing."""

    #: A Wagtail page: still live at ``url_path``.
    page_pk: int | None = None
    url_path: str = ""
    #: Tree paths of the pages shown (the page, the stories a need page names): no view
    #: restriction may cover any of them.
    tree_paths: tuple[str, ...] = ()
    #: A need's page: the need is still live.
    need_pk: int | None = None
    #: Translation keys of the stories the render shows: each must still have current consent.
    story_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    version: int
    check: Check
    #: The page as rendered, with markers (``prefix`` + ...) where per-visitor values go.
    content: bytes
    prefix: str
    headers: tuple[tuple[str, str], ...]


def _stamp(request: HttpRequest, content: bytes, prefix: str) -> bytes:
    """``content`` with this visitor's CSRF token and new nonces in place of the markers."""
    if not prefix or prefix.encode() not in content:
        return content
    csrf = f"{prefix}csrf".encode()
    if csrf in content:
        content = content.replace(csrf, get_token(request).encode())
    nonces: dict[bytes, bytes] = {}

    def nonce(found: re.Match[bytes]) -> bytes:
        return nonces.setdefault(found.group(0), secrets.token_urlsafe(24).encode())

    return re.sub(re.escape(prefix.encode()) + rb"nonce-\d+", nonce, content)


# --- Keys and checks ----------------------------------------------------------------------


def _may_ask(request: HttpRequest) -> bool:
    return (
        seconds() > 0
        and request.method == "GET"
        and not request.GET
        and not getattr(request, "is_preview", False)
    )


def _anonymous(request: HttpRequest) -> bool:
    # Reads the session (when the visitor has one): asked only when there is something to
    # serve or store, so other pages' responses do not vary by cookie because of us.
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


def _may_use(request: HttpRequest) -> bool:
    return _may_ask(request) and _anonymous(request)


def _key(request: HttpRequest) -> str:
    # The local date: what a page shows may change at midnight (a need's closing day).
    parts = (
        request.scheme,
        request.get_host(),
        request.path,
        translation.get_language() or "",
        timezone.localdate().isoformat(),
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"{PREFIX}{digest}"


def _ancestor_paths(tree_paths: tuple[str, ...]) -> list[str]:
    step = 4  # treebeard's path step, which Wagtail uses
    return sorted({path[:end] for path in tree_paths for end in range(step, len(path) + 1, step)})


def _still_valid(entry: Entry) -> bool:
    """One query: the page (or need) still live where it was, the display version and the
    consent of every story it shows, as the entry needs them."""
    from wagtail.models import Page, PageViewRestriction

    from ..needs.models import Need

    check = entry.check
    base: Any
    annotations: dict[str, Any] = {"version_now": display.current_expression()}
    if check.page_pk is not None:
        base = Page.objects.filter(pk=check.page_pk, live=True, url_path=check.url_path)
    elif check.need_pk is not None:
        base = Need.objects.filter(pk=check.need_pk, live=True)
    else:
        return False
    if check.tree_paths:
        restricted = PageViewRestriction.objects.filter(
            page__path__in=_ancestor_paths(check.tree_paths)
        )
        annotations["restricted"] = Exists(restricted)
    if check.story_keys:
        current = (
            StoryConsent.objects.current()
            .filter(translation_key__in=check.story_keys)
            .order_by()  # its default ordering would join the GROUP BY on PostgreSQL
            .annotate(one=Value(1))
            .values("one")
            .annotate(count=Count("pk"))
            .values("count")
        )
        annotations["stories"] = Coalesce(Subquery(current), 0, output_field=IntegerField())
    row = base.annotate(**annotations).values(*annotations).first()
    return (
        row is not None
        and row["version_now"] == entry.version
        and row.get("stories", 0) == len(check.story_keys)
        and not row.get("restricted", False)
    )


# --- Serving ------------------------------------------------------------------------------


def _respond(request: HttpRequest, entry: Entry) -> HttpResponse:
    response = HttpResponse(_stamp(request, entry.content, entry.prefix))
    for name, value in entry.headers:
        response[name] = value
    return response


def lookup(
    request: HttpRequest, *, version: int | None = None, page_pk: int | None = None
) -> HttpResponse | None:
    """The cached response for this request, or None. With ``version`` the caller has just
    read the display version and checked the page ``page_pk`` (a story's ``serve()``:
    routing, view restrictions and consent); without it everything is checked here, in one
    query."""
    if not _may_ask(request):
        return None
    entry = cache.get(_key(request))
    if not isinstance(entry, Entry) or not _anonymous(request):
        return None
    if version is not None:
        if entry.version != version or entry.check.page_pk != page_pk:
            return None
    elif not _still_valid(entry):
        return None
    return _respond(request, entry)


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


def serve(
    request: HttpRequest,
    render: Callable[[], HttpResponse],
    *,
    check: Check | Callable[[], Check | None],
    version: int | None = None,
) -> HttpResponse:
    """``render()``'s response, stored for the next visitors when it holds nothing personal.
    The caller has checked consent already; ``check`` says what a hit must check again (a
    callable when the render finds it out; None: do not store)."""
    if not _may_use(request):
        return render()
    # Read before rendering: a write committed during the render renews it, and the stored
    # page then counts as older than that write, as it may be.
    version = display.current() if version is None else version
    session = getattr(request, "session", None)
    accessed_before = session.accessed if session is not None else False
    if session is not None:
        session.accessed = False  # checking the user above read it; the render is what counts
    personal = display.start_render()
    markers = display.start_markers()
    try:
        response = render()
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
    finally:
        prefix = display.end_markers(markers)
        marked = display.end_render(personal)
        session_read = session is not None and session.accessed
        if session is not None:
            session.accessed = accessed_before or session_read
    found = None
    if not _personal(request, response, marked, session_read):
        found = check() if callable(check) else check
    if found is not None:
        entry = Entry(
            version=version,
            check=found,
            content=response.content,
            prefix=prefix,
            headers=tuple((name, value) for name, value in response.items()),
        )
        cache.set(_key(request), entry, seconds())
    response.content = _stamp(request, response.content, prefix)
    return response


def page_check(page: Any, story_keys: tuple[str, ...] = ()) -> Check:
    """The check for a Wagtail page: live where it is now, no view restriction."""
    return Check(
        page_pk=page.pk, url_path=page.url_path, tree_paths=(page.path,), story_keys=story_keys
    )


def has_view_restrictions(page: Any) -> bool:
    return bool(page.get_view_restrictions().exists())


# --- In front of Wagtail's routing --------------------------------------------------------


def _only_wagtails_own_hooks() -> bool:
    from wagtail import hooks

    known = {"check_request_method", "check_view_restrictions"}
    own = [
        *hooks.get_hooks("before_serve_page"),
        *hooks.get_hooks("on_serve_page"),
    ]
    return all(
        getattr(fn, "__module__", "") == "wagtail.wagtail_hooks" and fn.__name__ in known
        for fn in own
    )


class PageCacheMiddleware:
    """Serve a cached story page before Wagtail routes the address.

    Add after ``AuthenticationMiddleware`` and ``LocaleMiddleware``. Only requests that
    resolved to Wagtail's ``serve`` view are looked up; everything else passes through."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        from wagtail import views as wagtail_views

        if view_func is not wagtail_views.serve or seconds() <= 0 or not _only_wagtails_own_hooks():
            return None
        return lookup(request)


__all__ = ["Check", "PageCacheMiddleware", "lookup", "page_check", "serve"]
