"""The read-only JSON API (docs/integrators/api.md).

* ``stories/`` — Wagtail API v2, restricted to live, public stories with current consent and to
  the public fields listed in ``StoriesAPIViewSet``; a withdrawn or expired story is gone from
  listings, details and search at once.
* ``needs/``, ``needs/<id>/``, ``causes/``, ``regions/``, ``totals/`` — small views over the
  ledger's figures.

Each representation is built from an explicit list of keys, so a new model field never leaks by
itself; the tests assert every key set. No CORS headers unless ``API_CORS_ORIGINS`` lists the
requesting origin (or ``"*"``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from rest_framework.fields import Field
from rest_framework.permissions import AllowAny
from wagtail.api import APIField
from wagtail.api.v2.filters import (
    FieldsFilter,
    LocaleFilter,
    OrderingFilter,
    SearchFilter,
    TranslationOfFilter,
)
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.models import Locale

from .. import conf, money
from ..needs.models import Cause, Need, Region
from ..stories.models import SurvivorStoryPage
from .public import (
    live_need,
    needs_with_progress,
    prefer_locale,
    stories_by_need,
    updates_by_need,
)
from .totals import public_totals
from .translations import active_locale, locale_for

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
READ_METHODS = ("GET", "HEAD")


# --- HTTP plumbing ----------------------------------------------------------------------------


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


def _locale(request: HttpRequest) -> Locale | None:
    """``?locale=th``, else the active language of the request."""
    code = request.GET.get("locale", "")
    if code:
        locale = locale_for(code)
        if locale is None:
            raise BadRequest(f"unknown locale: {code[:20]}")
        return locale
    return active_locale()


def _page(request: HttpRequest) -> tuple[int, int]:
    try:
        limit = int(request.GET.get("limit", DEFAULT_LIMIT))
        offset = int(request.GET.get("offset", 0))
    except ValueError as error:
        raise BadRequest("limit and offset must be whole numbers") from error
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise BadRequest(f"limit must be 1 to {MAX_LIMIT}, offset 0 or more")
    return limit, offset


# --- Representations (explicit keys only) -----------------------------------------------------


def money_value(amount: int, currency: str) -> dict[str, Any]:
    return {
        "currency": currency,
        "minor_units": amount,
        "value": money.to_decimal_string(amount, currency),
    }


def cause_ref(cause: Cause) -> dict[str, Any]:
    return {"id": cause.pk, "name": cause.name, "slug": cause.slug}


def region_ref(region: Region) -> dict[str, Any]:
    return {"id": region.pk, "name": region.name, "slug": region.slug}


def cause_data(cause: Cause) -> dict[str, Any]:
    return {
        **cause_ref(cause),
        "description": cause.description,
        "target": f"cause:{cause.pk}",
        "locale": cause.locale.language_code,
    }


def region_data(region: Region) -> dict[str, Any]:
    return {
        **region_ref(region),
        "kind": region.kind,
        "country_code": region.country_code,
        "target": f"region:{region.pk}",
        "locale": region.locale.language_code,
    }


def need_data(request: HttpRequest, need: Need) -> dict[str, Any]:
    currency = need.currency
    return {
        "id": need.pk,
        "title": need.title,
        "summary": need.summary,
        "cause": cause_ref(need.cause),
        "region": region_ref(need.region),
        "partner": {"name": need.partner.name, "website": need.partner.website},
        "goal": money_value(need.target_amount, currency),
        "raised": money_value(need.raised, currency),
        "allocated": money_value(need.allocated, currency),
        "disbursed": money_value(need.disbursed, currency),
        "remaining": money_value(need.gap, currency),
        "percent_funded": need.progress_percent,
        "is_open": need.is_open(),
        "opens_on": need.opens_on.isoformat(),
        "closes_on": need.closes_on.isoformat() if need.closes_on else None,
        "target": f"need:{need.pk}",
        "url": request.build_absolute_uri(reverse("wagtail_sixdegrees:need", args=[need.pk])),
        "embed_url": request.build_absolute_uri(
            f"{reverse('wagtail_sixdegrees:embed_donate')}?target=need:{need.pk}"
        ),
        "locale": need.locale.language_code,
    }


def update_data(request: HttpRequest, update: Any) -> dict[str, Any]:
    image = None
    if update.image is not None:
        rendition = update.image.get_rendition("width-640")
        image = {
            "url": request.build_absolute_uri(rendition.url),
            "width": rendition.width,
            "height": rendition.height,
            "alt": update.image_alt_text,
        }
    return {
        "title": update.title,
        "text": update.text,
        "published_on": update.published_on.isoformat() if update.published_on else None,
        "image": image,
    }


def story_ref(request: HttpRequest, story: Any) -> dict[str, Any]:
    return {
        "id": story.pk,
        "title": story.title,
        "pseudonym": story.specific.pseudonym,
        "url": story.get_full_url(request),
    }


# --- Needs, causes, regions, totals -----------------------------------------------------------

NEED_STATUSES = ("open", "closed", "all")


def needs_in_locale_sql(locale: Locale | None) -> QuerySet:
    """One live record per need, in SQL: its translation in ``locale`` when there is a live
    one, else the oldest live record of its translation group (as ``prefer_locale`` chooses)."""
    live = Need.objects.filter(live=True)
    group = live.filter(translation_key=OuterRef("translation_key")).order_by("pk").values("pk")
    chosen: Any = Subquery(group[:1])
    if locale is not None:
        chosen = Coalesce(Subquery(group.filter(locale=locale)[:1]), chosen)
    return live.annotate(shown_pk=chosen).filter(pk=F("shown_pk"))


def need_listing(
    locale: Locale | None, *, status: str = "open", cause: str = "", region: str = ""
) -> QuerySet:
    """The needs the listing shows, filtered and in the default allocation policy's order
    (priority, earliest close, oldest), all in SQL: the caller counts and slices it."""
    rows = needs_in_locale_sql(locale)
    if status != "all":
        open_now = Need.objects.open().values("pk")
        rows = rows.filter(pk__in=open_now) if status == "open" else rows.exclude(pk__in=open_now)
    if cause:
        rows = rows.filter(cause__slug=cause)
    if region:
        rows = rows.filter(region__slug=region)
    return rows.order_by(
        "priority",
        F("closes_on").asc(nulls_last=True),
        Coalesce("closes_on", "opens_on"),
        "created_at",
        "pk",
    )


@read_only
def needs(request: HttpRequest) -> dict[str, Any]:
    locale = _locale(request)
    limit, offset = _page(request)
    status = request.GET.get("status", "open")
    if status not in NEED_STATUSES:
        raise BadRequest(f"status must be one of: {', '.join(NEED_STATUSES)}")
    rows = need_listing(
        locale,
        status=status,
        cause=request.GET.get("cause", ""),
        region=request.GET.get("region", ""),
    )
    page = needs_with_progress(rows).select_related("locale")[offset : offset + limit]
    return {
        "count": rows.count(),
        "limit": limit,
        "offset": offset,
        "results": [need_data(request, need) for need in page],
    }


@read_only
def need(request: HttpRequest, pk: int) -> dict[str, Any] | None:
    found = live_need(pk, with_progress=True)
    if found is None:
        return None
    locale = _locale(request)
    updates = updates_by_need([found], locale).get(found.translation_key, [])
    stories = stories_by_need([found], locale).get(found.translation_key, [])
    return {
        **need_data(request, found),
        "updates": [update_data(request, update) for update in updates],
        "stories": [story_ref(request, story) for story in stories],
    }


def _in_locale(model: type, locale: Locale | None) -> list[Any]:
    rows = model.objects.select_related("locale")
    return sorted(prefer_locale(rows, locale, "translation_key").values(), key=lambda row: row.name)


@read_only
def causes(request: HttpRequest) -> dict[str, Any]:
    return {"results": [cause_data(cause) for cause in _in_locale(Cause, _locale(request))]}


@read_only
def regions(request: HttpRequest) -> dict[str, Any]:
    return {"results": [region_data(region) for region in _in_locale(Region, _locale(request))]}


def _totals_row(kind: str, ref: dict[str, Any], row: Any, currency: str) -> dict[str, Any]:
    return {
        kind: ref,
        "raised": money_value(row.raised, currency),
        "allocated": money_value(row.in_needs, currency),
        "waiting": money_value(row.waiting, currency),
        "disbursed": money_value(row.disbursed, currency),
    }


@read_only
def totals(request: HttpRequest) -> dict[str, Any]:
    from django.utils import translation

    locale = _locale(request)
    with translation.override(locale.language_code if locale else None):
        figures = public_totals()
    return {
        "currencies": [
            {
                "currency": t.currency,
                "raised": money_value(t.raised, t.currency),
                "allocated": money_value(t.in_needs, t.currency),
                "waiting": money_value(t.waiting, t.currency),
                "unallocated": money_value(t.unallocated, t.currency),
                "disbursed": money_value(t.disbursed, t.currency),
                "by_cause": [
                    _totals_row(
                        "cause", {"id": r.key, "name": r.name, "slug": r.slug}, r, t.currency
                    )
                    for r in t.by_cause
                ],
                "by_region": [
                    _totals_row(
                        "region", {"id": r.key, "name": r.name, "slug": r.slug}, r, t.currency
                    )
                    for r in t.by_region
                ],
            }
            for t in figures
        ]
    }


# --- Stories through Wagtail API v2 -----------------------------------------------------------


class RegionField(Field):
    def to_representation(self, region: Region | None) -> dict[str, Any] | None:
        return region_ref(region) if region is not None else None


class CausesField(Field):
    def to_representation(self, causes: Any) -> list[dict[str, Any]]:
        return [cause_ref(cause) for cause in causes.all()]


class IllustrationField(Field):
    """The story's illustration as a rendition, with the page's alternative text."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, page: SurvivorStoryPage) -> dict[str, Any] | None:
        if page.hero_image is None:
            return None
        rendition = page.hero_image.get_rendition("width-960")
        return {
            "url": self.context["request"].build_absolute_uri(rendition.url),
            "width": rendition.width,
            "height": rendition.height,
            "alt": page.hero_alt_text,
        }


class SupportedNeedsField(Field):
    """The live needs the story supports, as references into the needs endpoint."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, page: SurvivorStoryPage) -> list[dict[str, Any]]:
        request = self.context["request"]
        return [
            {
                "id": link.need.pk,
                "title": link.need.title,
                "target": f"need:{link.need.pk}",
                "detail_url": request.build_absolute_uri(
                    reverse("wagtail_sixdegrees:api_need", args=[link.need.pk])
                ),
            }
            for link in page.story_needs.select_related("need").order_by("sort_order")
            if link.need.live
        ]


class StoriesAPIViewSet(PagesAPIViewSet):
    """Survivor stories that may be shown now, with their public fields only.

    A site with its own story model sets ``model`` on a subclass and registers it instead.
    """

    name = "stories"
    model = SurvivorStoryPage
    # Public whatever the site's REST framework defaults say; read-only by construction.
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []
    filter_backends = [
        FieldsFilter,
        OrderingFilter,
        TranslationOfFilter,
        LocaleFilter,
        SearchFilter,
    ]
    known_query_parameters = frozenset(
        [
            "limit",
            "offset",
            "fields",
            "order",
            "search",
            "search_operator",
            "rich_text_format",
            "format",
            "translation_of",
            "locale",
            "site",
            "_",
        ]
    )
    body_fields = [
        "id",
        "title",
        "pseudonym",
        "teaser",
        "content_warning",
        APIField("region", serializer=RegionField(read_only=True)),
        APIField("causes", serializer=CausesField(read_only=True)),
        APIField("illustration", serializer=IllustrationField()),
        "body",
        APIField("needs", serializer=SupportedNeedsField()),
    ]
    meta_fields = ["type", "detail_url", "html_url", "slug", "first_published_at", "locale"]
    listing_default_fields = [
        "id",
        "type",
        "detail_url",
        "html_url",
        "title",
        "pseudonym",
        "teaser",
        "region",
        "causes",
        "first_published_at",
        "locale",
    ]
    nested_default_fields = ["id", "type", "detail_url", "title"]
    detail_only_fields: list[str] = []

    @classmethod
    def get_body_fields(cls, model: type) -> list[APIField]:
        # Only ours: never fields a site adds to its page models for its own API.
        return cls._convert_api_fields(cls.body_fields)

    @classmethod
    def get_meta_fields(cls, model: type) -> list[APIField]:
        return cls._convert_api_fields(cls.meta_fields)

    @classmethod
    def get_detail_default_fields(cls, model: type) -> list[str]:
        return cls.get_available_fields(model)

    def get_queryset(self) -> Any:
        return (
            self.model.objects.filter(pk__in=self.get_base_queryset().values("pk"))
            .with_current_consent()
            .select_related("region", "hero_image", "locale")
            .order_by("-first_published_at", "-pk")
        )

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        # Consent can be withdrawn at any moment: caches must ask again every time.
        patch_cache_control(response, no_cache=True)
        return response


router = WagtailAPIRouter("wagtail_sixdegrees")
router.register_endpoint("stories", StoriesAPIViewSet)
