"""What the JSON API shows: each representation built from an explicit list of keys, so a
new model field never leaks by itself (the tests assert every key set). Plain functions from
objects to dicts; no requests parsed, no responses made (see ``http.py``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from .. import money
from ..needs.models import Cause, Need, Region


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


def _totals_row(kind: str, ref: dict[str, Any], row: Any, currency: str) -> dict[str, Any]:
    return {
        kind: ref,
        "raised": money_value(row.raised, currency),
        "allocated": money_value(row.in_needs, currency),
        "waiting": money_value(row.waiting, currency),
        "disbursed": money_value(row.disbursed, currency),
    }


def totals_data(figures: Any) -> dict[str, Any]:
    """Public totals (``totals.public_totals()``) per currency, by cause and by region."""
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
