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

from typing import Any, TypeVar

from django.db.models import F, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
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

from ..needs.models import Cause, Need, NeedQuerySet, Region
from ..stories.models import SurvivorStoryPage
from .http import BadRequest, cors, page_bounds, read_only, requested_locale
from .public import live_need, needs_with_progress, stories_by_need, updates_by_need
from .representations import (
    cause_data,
    cause_ref,
    need_data,
    region_data,
    region_ref,
    story_ref,
    totals_data,
    update_data,
)
from .totals import public_totals

__all__ = ["StoriesAPIViewSet", "causes", "cors", "need", "needs", "regions", "router", "totals"]

NEED_STATUSES = ("open", "closed", "all")

_M = TypeVar("_M", bound=Model)
_QS = TypeVar("_QS", bound=QuerySet[Any])


def in_locale_sql(rows: _QS, locale: Locale | None) -> _QS:
    """One of ``rows`` per translation group, in SQL: its translation in ``locale`` if there
    is one among ``rows``, else the group's oldest (as ``public.prefer_locale`` chooses)."""
    group = rows.filter(translation_key=OuterRef("translation_key")).order_by("pk").values("pk")
    chosen: Any = Subquery(group[:1])
    if locale is not None:
        chosen = Coalesce(Subquery(group.filter(locale=locale)[:1]), chosen)
    return rows.annotate(shown_pk=chosen).filter(pk=F("shown_pk"))


def need_listing(
    locale: Locale | None, *, status: str = "open", cause: str = "", region: str = ""
) -> NeedQuerySet:
    """The live needs the listing shows, one per translation group, filtered in SQL."""
    rows = in_locale_sql(Need.objects.filter(live=True), locale)
    if status != "all":
        open_now = Need.objects.open().values("pk")
        rows = rows.filter(pk__in=open_now) if status == "open" else rows.exclude(pk__in=open_now)
    if cause:
        rows = rows.filter(cause__slug=cause)
    if region:
        rows = rows.filter(region__slug=region)
    return rows


def fill_order_page(rows: NeedQuerySet, offset: int, limit: int) -> tuple[int, list[Need]]:
    """The count and one page of ``rows`` in fill order (the site's ``ALLOCATION_POLICY``):
    ordered and cut by the database when the policy is made of columns, else ordered in
    Python on current gaps (ids only) with the page's needs loaded by id."""
    ordered = rows.fill_ordered()
    if ordered is not None:
        page = needs_with_progress(ordered).select_related("locale")[offset : offset + limit]
        return ordered.count(), list(page)
    ids = [need.pk for need in rows.only("pk", *FILL_COLUMNS).in_fill_order()]
    wanted = ids[offset : offset + limit]
    loaded = needs_with_progress(Need.objects.filter(pk__in=wanted)).select_related("locale")
    by_id = {need.pk: need for need in loaded}
    return len(ids), [by_id[pk] for pk in wanted]


# What a fill policy may read of a need (see needs.fill_order.NeedState).
FILL_COLUMNS = (
    "translation_key",
    "target_amount",
    "cause",
    "region",
    "currency",
    "priority",
    "closes_on",
    "created_at",
)


@read_only
def needs(request: HttpRequest) -> dict[str, Any]:
    locale = requested_locale(request)
    limit, offset = page_bounds(request)
    status = request.GET.get("status", "open")
    if status not in NEED_STATUSES:
        raise BadRequest(f"status must be one of: {', '.join(NEED_STATUSES)}")
    rows = need_listing(
        locale,
        status=status,
        cause=request.GET.get("cause", ""),
        region=request.GET.get("region", ""),
    )
    count, page = fill_order_page(rows, offset, limit)
    return {
        "count": count,
        "limit": limit,
        "offset": offset,
        "results": [need_data(request, need) for need in page],
    }


@read_only
def need(request: HttpRequest, pk: int) -> dict[str, Any] | None:
    found = live_need(pk, with_progress=True)
    if found is None:
        return None
    locale = requested_locale(request)
    updates = updates_by_need([found], locale).get(found.translation_key, [])
    stories = stories_by_need([found], locale).get(found.translation_key, [])
    return {
        **need_data(request, found),
        "updates": [update_data(request, update) for update in updates],
        "stories": [story_ref(request, story) for story in stories],
    }


def _in_locale(model: type[_M], locale: Locale | None) -> QuerySet[_M]:
    return (
        in_locale_sql(model._default_manager.all(), locale)
        .select_related("locale")
        .order_by("name", "pk")
    )


@read_only
def causes(request: HttpRequest) -> dict[str, Any]:
    return {
        "results": [cause_data(cause) for cause in _in_locale(Cause, requested_locale(request))]
    }


@read_only
def regions(request: HttpRequest) -> dict[str, Any]:
    return {
        "results": [region_data(region) for region in _in_locale(Region, requested_locale(request))]
    }


@read_only
def totals(request: HttpRequest) -> dict[str, Any]:
    locale = requested_locale(request)
    with translation.override(locale.language_code if locale else None):
        return totals_data(public_totals())


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
