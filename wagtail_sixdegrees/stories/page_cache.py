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
* anything personal: a render that made a CSRF token outside a :func:`personal_fragment`, set
  a cookie, read the session, or was made for a signed-in user, a request with a query string
  or a method other than GET is served as rendered and not stored;
* a donate form: it is a :func:`personal_fragment`, cut out of the stored page and rendered
  for each visitor (their own CSRF token and one-time ``submission`` nonce) on every hit;
* pages with view restrictions, and Wagtail pages on sites with ``before_serve_page`` or
  ``on_serve_page`` hooks other than Wagtail's own (the middleware would skip them; the
  lookup in ``serve()`` runs after them).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, IntegerField, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from .. import conf, display
from .consent import StoryConsent

PREFIX = "wagtail_sixdegrees:page:"


def seconds() -> int:
    return int(conf.get_setting("PAGE_CACHE_SECONDS") or 0)


@dataclass(frozen=True)
class Check:
    """What a cached render depends on that can change without a write renewing the display
    version: checked on every hit."""

    #: A Wagtail page: still live at ``url_path`` with no view restriction on ``tree_path``.
    page_pk: int | None = None
    url_path: str = ""
    tree_path: str = ""
    #: A need's page: the need is still live.
    need_pk: int | None = None
    #: Translation keys of the stories the render shows: each must still have current consent.
    story_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    version: int
    check: Check
    #: The stored page cut at its personal fragments: ``len(chunks) == len(fragments) + 1``.
    chunks: tuple[bytes, ...]
    fragments: tuple[tuple[str, tuple[Any, ...]], ...]
    headers: tuple[tuple[str, str], ...]


# --- Personal fragments -------------------------------------------------------------------

FragmentRenderer = Callable[..., str]
_renderers: dict[str, FragmentRenderer] = {}


@dataclass
class _Watch:
    marker: str = field(default_factory=lambda: secrets.token_hex(8))
    fragments: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    made_token: bool = False
    read_session: bool = False


_watch: ContextVar[_Watch | None] = ContextVar("sixdegrees_page_cache_watch", default=None)


def fragment(name: str) -> Callable[[FragmentRenderer], FragmentRenderer]:
    """Register a renderer of a personal fragment: ``renderer(request, *args) -> html``, with
    ``args`` plain values (they are stored with the page)."""

    def register(renderer: FragmentRenderer) -> FragmentRenderer:
        _renderers[name] = renderer
        return renderer

    return register


def personal_fragment(request: HttpRequest, name: str, *args: Any) -> SafeString:
    """Render the fragment ``name`` for this visitor. While a page is rendered for the cache,
    the fragment is cut out of what is stored and rendered again for each visitor."""
    watch = _watch.get()
    if watch is None:
        return mark_safe(_renderers[name](request, *args))  # noqa: S308 - our own template's output
    # What the fragment does for its visitor (a CSRF token, a nonce, a session read) must not
    # make the rest of the page personal.
    token_before = request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
    session = getattr(request, "session", None)
    accessed_before = session.accessed if session is not None else False
    personal = display.start_render()
    try:
        html = _renderers[name](request, *args)
    finally:
        display.end_render(personal)
        watch.made_token = watch.made_token or bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))
        if token_before is None:
            request.META.pop("CSRF_COOKIE_NEEDS_UPDATE", None)
        else:
            request.META["CSRF_COOKIE_NEEDS_UPDATE"] = token_before
        if session is not None:
            watch.read_session = watch.read_session or session.accessed
            session.accessed = accessed_before
    index = len(watch.fragments)
    watch.fragments.append((name, tuple(args)))
    start, end = _sentinels(watch.marker, index)
    return mark_safe(f"{start}{html}{end}")  # noqa: S308 - our own template's output


def _sentinels(marker: str, index: int) -> tuple[str, str]:
    return f"<!--sd-fragment:{marker}:{index}-->", f"<!--/sd-fragment:{marker}:{index}-->"


def _cut(content: bytes, watch: _Watch) -> tuple[bytes, tuple[bytes, ...]] | None:
    """The content as sent (sentinels removed) and the chunks between fragments, or None when
    a fragment's output was not found exactly once, in order (then nothing is stored)."""
    chunks: list[bytes] = []
    sent: list[bytes] = []
    rest = content
    for index in range(len(watch.fragments)):
        start, end = (s.encode() for s in _sentinels(watch.marker, index))
        before, found, after = rest.partition(start)
        inner, closed, rest = after.partition(end)
        if not found or not closed:
            return None
        chunks.append(before)
        sent.extend((before, inner))
    if watch.marker.encode() in rest:
        return None  # a fragment rendered twice (say, by a template that reuses a variable)
    chunks.append(rest)
    sent.append(rest)
    return b"".join(sent), tuple(chunks)


# --- Keys and checks ----------------------------------------------------------------------


def _may_use(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return (
        seconds() > 0
        and request.method == "GET"
        and not request.GET
        and not (user is not None and user.is_authenticated)
        and not getattr(request, "is_preview", False)
    )


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


def _ancestor_paths(tree_path: str) -> list[str]:
    step = 4  # treebeard's path step, which Wagtail uses
    return [tree_path[:end] for end in range(step, len(tree_path) + 1, step)]


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
        restricted = PageViewRestriction.objects.filter(
            page__path__in=_ancestor_paths(check.tree_path)
        )
        annotations["restricted"] = Exists(restricted)
    elif check.need_pk is not None:
        base = Need.objects.filter(pk=check.need_pk, live=True)
    else:
        return False
    if check.story_keys:
        current = (
            StoryConsent.objects.current()
            .filter(translation_key__in=check.story_keys)
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
    parts: list[bytes] = [entry.chunks[0]]
    for (name, args), chunk in zip(entry.fragments, entry.chunks[1:], strict=True):
        parts.append(_renderers[name](request, *args).encode())
        parts.append(chunk)
    response = HttpResponse(b"".join(parts))
    for name, value in entry.headers:
        response[name] = value
    return response


def lookup(
    request: HttpRequest, *, version: int | None = None, page_pk: int | None = None
) -> HttpResponse | None:
    """The cached response for this request, or None. With ``version`` the caller has just
    read the display version and checked the page ``page_pk`` (a story's ``serve()``:
    routing, view restrictions and consent); without it everything is checked here, in one query."""
    if not _may_use(request):
        return None
    entry = cache.get(_key(request))
    if not isinstance(entry, Entry):
        return None
    if version is not None:
        if entry.version != version or entry.check.page_pk != page_pk:
            return None
    elif not _still_valid(entry):
        return None
    return _respond(request, entry)


def _personal(
    request: HttpRequest, response: HttpResponse, marked: bool, watch: _Watch, session_read: bool
) -> bool:
    return (
        marked
        or session_read
        or bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))  # a token outside a fragment
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
    """``render()``'s response, stored for the next visitors when it holds nothing personal
    outside its personal fragments. The caller has checked consent already; ``check`` says
    what a hit must check again (a callable when the render finds it out; None: do not
    store)."""
    if not _may_use(request):
        return render()
    # Read before rendering: a write committed during the render renews it, and the stored
    # page then counts as older than that write, as it may be.
    version = display.current() if version is None else version
    session = getattr(request, "session", None)
    accessed_before = session.accessed if session is not None else False
    if session is not None:
        session.accessed = False  # checking the user above read it; the render is what counts
    watch = _Watch()
    watching = _watch.set(watch)
    personal = display.start_render()
    try:
        response = render()
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
    finally:
        marked = display.end_render(personal)
        _watch.reset(watching)
        session_read = session is not None and session.accessed
        if session is not None:
            session.accessed = accessed_before or session_read or watch.read_session
    cut = _cut(response.content, watch) if watch.fragments else (response.content, None)
    if cut is None:
        response.content = re.sub(rb"<!--/?sd-fragment:[0-9a-f]+:\d+-->", b"", response.content)
    else:
        sent, chunks = cut
        response.content = sent
        found = None
        if not _personal(request, response, marked, watch, session_read):
            found = check() if callable(check) else check
        if found is not None:
            headers = tuple((name, value) for name, value in response.items())
            entry = Entry(
                version=version,
                check=found,
                chunks=chunks or (sent,),
                fragments=tuple(watch.fragments),
                headers=headers,
            )
            cache.set(_key(request), entry, seconds())
    if watch.made_token:
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # the visitor's own token, sent now
    return response


def page_check(page: Any, story_keys: tuple[str, ...] = ()) -> Check:
    """The check for a Wagtail page: live where it is now, no view restriction."""
    return Check(
        page_pk=page.pk, url_path=page.url_path, tree_path=page.path, story_keys=story_keys
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


__all__ = [
    "Check",
    "PageCacheMiddleware",
    "fragment",
    "lookup",
    "page_check",
    "personal_fragment",
    "serve",
]
