"""HTTP plumbing of the read-only JSON API: methods, CORS, errors, paging and locale
parameters. Endpoints return plain data; :func:`read_only` turns it into the response."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from wagtail.models import Locale

from .. import conf
from .translations import active_locale, locale_for

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
READ_METHODS = ("GET", "HEAD")


def _allowed_origin(request: HttpRequest) -> str | None:
    origin = request.headers.get("Origin")
    allowed = [str(o).rstrip("/").lower() for o in conf.get_setting("API_CORS_ORIGINS")]
    if not origin or not allowed:
        return None
    if "*" in allowed:
        return "*"
    return origin if origin.lower() in allowed else None


def cors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Cross-origin reads for the origins in ``API_CORS_ORIGINS``, and only for them."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        origin = _allowed_origin(request)
        if request.method == "OPTIONS" and origin:
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = ", ".join((*READ_METHODS, "OPTIONS"))
            response["Access-Control-Max-Age"] = "86400"
        else:
            response = view(request, *args, **kwargs)
        if origin:
            response["Access-Control-Allow-Origin"] = origin
        if conf.get_setting("API_CORS_ORIGINS"):
            patch_vary_headers(response, ["Origin"])
        return response

    return wrapped


class BadRequest(Exception):
    pass


def read_only(view: Callable[..., Any]) -> Callable[..., HttpResponse]:
    """A GET/HEAD JSON endpoint: the view returns data, this returns the response."""

    @cors
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in READ_METHODS:
            response = JsonResponse({"message": "read-only: use GET"}, status=405)
            response["Allow"] = ", ".join(READ_METHODS)
            return response
        try:
            data = view(request, *args, **kwargs)
        except BadRequest as error:
            return JsonResponse({"message": str(error)}, status=400)
        if data is None:
            return JsonResponse({"message": "not found"}, status=404)
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
        patch_cache_control(response, public=True, max_age=60)
        return response

    return wrapped


def requested_locale(request: HttpRequest) -> Locale | None:
    """``?locale=th``, else the active language of the request."""
    code = request.GET.get("locale", "")
    if code:
        locale = locale_for(code)
        if locale is None:
            raise BadRequest(f"unknown locale: {code[:20]}")
        return locale
    return active_locale()


def page_bounds(request: HttpRequest) -> tuple[int, int]:
    try:
        limit = int(request.GET.get("limit", DEFAULT_LIMIT))
        offset = int(request.GET.get("offset", 0))
    except ValueError as error:
        raise BadRequest("limit and offset must be whole numbers") from error
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise BadRequest(f"limit must be 1 to {MAX_LIMIT}, offset 0 or more")
    return limit, offset
