"""What may be shown publicly about needs: their progress, their updates and the stories that
support them. Shared by the impact page, the need page, story pages and the API.

Stories appear only while live, public and with current consent, and only by title and
pseudonym: never anything from the consent record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from wagtail.models import Locale

from ..needs.models import Need, NeedQuerySet
from ..stories.consent import current_consent_keys
from ..stories.models import StoryNeed, SurvivorStoryPage
from .models import NeedUpdate
from .translations import active_locale


def prefer_locale(rows: Iterable[Any], locale: Locale | None, group: str) -> dict[Any, Any]:
    """One row per ``group`` value: the one in ``locale`` if any, else the oldest."""
    chosen: dict[Any, Any] = {}
    for row in sorted(rows, key=lambda row: row.pk):
        key = getattr(row, group)
        if key not in chosen or (locale is not None and row.locale_id == locale.pk):
            chosen[key] = row
    return chosen


def needs_with_progress(queryset: NeedQuerySet | None = None) -> NeedQuerySet:
    """Needs with what their pages show: cause, region, partner and ledger progress."""
    queryset = Need.objects.all() if queryset is None else queryset
    return queryset.select_related("cause", "region", "partner").with_progress()


#: The largest id a database column holds; larger numbers in an address are not ours.
MAX_ID = 2**63 - 1


def live_need(pk: Any, *, with_progress: bool = False) -> Need | None:
    """The published need with this id (from an address or a ``need:<id>`` target), or None."""
    if not str(pk).isdigit() or int(pk) > MAX_ID:
        return None
    needs = Need.objects.filter(pk=int(pk), live=True)
    return (needs_with_progress(needs) if with_progress else needs).first()


def needs_in_locale(need_ids: Iterable[int], locale: Locale | None = None) -> dict[int, Need]:
    """Map need ids (usually the source records money sits on) to the translation to show,
    with progress. Two queries."""
    ids = set(need_ids)
    if not ids:
        return {}
    locale = locale or active_locale()
    groups = Need.objects.filter(pk__in=ids).values("translation_key")
    # Progress from one query of the kept balances: cheaper than correlated subqueries here.
    rows = (
        Need.objects.filter(translation_key__in=groups)
        .select_related("cause", "region", "partner")
        .with_progress_attached()
    )
    keys = {row.pk: row.translation_key for row in rows if row.pk in ids}
    chosen = prefer_locale(rows, locale, "translation_key")
    return {pk: chosen[key] for pk, key in keys.items()}


def updates_by_need(needs: Iterable[Need], locale: Locale | None = None) -> dict[Any, list]:
    """Published updates per need translation key, newest first, each in the reader's
    language when translated. One query."""
    needs = list(needs)
    if not needs:
        return {}
    locale = locale or active_locale()
    updates = NeedUpdate.objects.for_needs(needs).select_related("need")
    grouped: dict[Any, list[NeedUpdate]] = defaultdict(list)
    for update in prefer_locale(updates, locale, "translation_key").values():
        grouped[update.need.translation_key].append(update)
    for items in grouped.values():
        items.sort(key=lambda update: (update.first_published_at, update.pk), reverse=True)
    return dict(grouped)


def stories_by_need(needs: Iterable[Need], locale: Locale | None = None) -> dict[Any, list]:
    """Stories supporting each need (by need translation key) that may be shown now: live,
    public, with current consent; one per story, in the reader's language if translated.

    The stories come as :class:`~..stories.models.SurvivorStoryPage` (their pseudonym loaded).
    One query when no such story supports these needs, three otherwise."""
    keys = {need.translation_key for need in needs}
    if not keys:
        return {}
    links = list(
        StoryNeed.objects.filter(need__translation_key__in=keys, page__live=True)
        .filter(page__translation_key__in=current_consent_keys())
        .order_by("sort_order", "pk")
        .values_list("need__translation_key", "page_id")
    )
    if not links:
        return {}
    locale = locale or active_locale()
    # Asked only when a story may be shown: whether it sits under a view restriction.
    pages = {
        page.pk: page
        for page in SurvivorStoryPage.objects.filter(pk__in={pk for _, pk in links}).public()
    }
    grouped: dict[Any, dict[Any, Any]] = defaultdict(dict)
    for need_key, page_id in links:
        page = pages.get(page_id)
        if page is None:
            continue
        stories = grouped[need_key]
        current = stories.get(page.translation_key)
        if current is None or (locale is not None and page.locale_id == locale.pk):
            stories[page.translation_key] = page
    return {key: list(stories.values()) for key, stories in grouped.items()}
