"""Serving a page again with the donate form's errors, exactly as a GET of its address would.

The donate view re-renders the page the donor came from so errors show where they were. That
page must pass every check Wagtail makes when it serves it: the page is live and routes from
this site's root (or a translation of it), view restrictions and ``before_serve_page`` hooks
accept the request, and the page's own ``serve()`` (where a story checks its consent) answers
with the page. Anything else means the donor gets the plain form page instead, with nothing of
the page on it.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from wagtail import hooks
from wagtail.models import Page, Site

from .presentation import BOUND_FORM_ATTRIBUTE, BOUND_FORM_SHOWN_ATTRIBUTE


def _root_for(request: HttpRequest, page: Page) -> Page | None:
    """The root of this request's site (or its translation) that ``page`` lives under."""
    site = Site.find_for_request(request)
    if site is None:
        return None
    root = site.root_page
    for candidate in (root, *root.get_translations()):
        if page.url_path.startswith(candidate.url_path):
            return candidate
    return None


def _serve(page: Page, request: HttpRequest, args: Any, kwargs: Any) -> HttpResponse:
    return page.serve(request, *args, **kwargs)


def _route_and_serve(request: HttpRequest, page: Page) -> HttpResponse | None:
    root = _root_for(request, page)
    if root is None:
        return None
    components = [part for part in page.url_path[len(root.url_path) :].split("/") if part]
    try:
        routed, args, kwargs = root.specific.route(request, components)
    except Http404:
        return None
    if routed.pk != page.pk or args or kwargs:
        return None
    if any(
        not restriction.accept_request(request) for restriction in routed.get_view_restrictions()
    ):
        return None
    for hook in hooks.get_hooks("before_serve_page"):
        if isinstance(hook(routed, request, args, kwargs), HttpResponse):
            return None
    chain = _serve
    for wrapper in reversed(hooks.get_hooks("on_serve_page")):
        chain = wrapper(chain)
    return chain(routed, request, args, kwargs)


def serve_with_form_errors(
    request: HttpRequest, page: Page, form_key: str, form: Any, status: int
) -> HttpResponse | None:
    """``page`` as a GET of its address would serve it, with ``form`` (bound, with errors) in
    its donate block ``form_key``, answered with ``status``; ``None`` if Wagtail would not
    serve that page here or the response does not show the form."""
    setattr(request, BOUND_FORM_ATTRIBUTE, (form_key, form))
    setattr(request, BOUND_FORM_SHOWN_ATTRIBUTE, False)
    # Pages are served to GETs: a page type that acts on POST (a form page) must not take
    # the donate form's fields for its own submission.
    method, request.method = request.method, "GET"
    try:
        response = _route_and_serve(request, page)
        if not isinstance(response, TemplateResponse) or response.status_code != 200:
            return None
        response.render()
    finally:
        request.method = method
    if not getattr(request, BOUND_FORM_SHOWN_ATTRIBUTE, False):
        return None
    response.status_code = status
    return response
