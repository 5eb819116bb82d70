"""What may be shown publicly about needs: their progress, their updates and the stories that
support them. Shared by the impact page, the need page, story pages and the API.

Stories appear only while live, public and with current consent, and only by title and
pseudonym: never anything from the consent record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import translation
from wagtail.models import Locale

from .. import conf, display
from ..allocation.models import Disbursement
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
    links = StoryNeed.objects.filter(
        page__live=True, page__translation_key__in=current_consent_keys()
    )
    return _linked_stories(needs, locale, links)[0]


def _linked_stories(
    needs: Iterable[Need], locale: Locale | None, links: QuerySet[StoryNeed]
) -> tuple[dict[Any, list], dict[Any, set[Any]]]:
    """Of ``links``, for the stories supporting each need (by need translation key): the live
    public ones, one per story in the reader's language if translated; and the translation
    keys of all the public ones, live or not. One query when there are no such links, three
    otherwise."""
    keys = {need.translation_key for need in needs}
    if not keys:
        return {}, {}
    rows = list(
        links.filter(need__translation_key__in=keys)
        .order_by("sort_order", "pk")
        .values_list("need__translation_key", "page_id", "page__live")
    )
    if not rows:
        return {}, {}
    locale = locale or active_locale()
    # Asked only when a story may be shown (or be said to be gone): whether it sits under a
    # view restriction, which donors never saw.
    pages = {
        page.pk: page
        for page in SurvivorStoryPage.objects.filter(pk__in={row[1] for row in rows}).public()
    }
    grouped: dict[Any, dict[Any, Any]] = defaultdict(dict)
    public: dict[Any, set[Any]] = defaultdict(set)
    for need_key, page_id, live in rows:
        page = pages.get(page_id)
        if page is None:
            continue
        public[need_key].add(page.translation_key)
        if not live:
            continue
        stories = grouped[need_key]
        current = stories.get(page.translation_key)
        if current is None or (locale is not None and page.locale_id == locale.pk):
            stories[page.translation_key] = page
    return {key: list(stories.values()) for key, stories in grouped.items()}, dict(public)


# --- What every donor's impact page shows about a need, shared between them -----------------

FACTS_PREFIX = "wagtail_sixdegrees:need-facts:"


@dataclass(frozen=True)
class StoryLink:
    """A story as a list of links shows it: by title and pseudonym, never its consent."""

    translation_key: Any
    title: str
    url: str
    pseudonym: str


@dataclass
class NeedFacts:
    """What the impact page shows about one need, the same for every donor: the need in the
    reader's language with its progress, its payouts and its published updates, and the live
    public stories that support it *before* their consent is checked (:func:`current_keys`).

    ``published_story_keys`` holds the translation key of every public story supporting the
    need that was ever published, live now or taken down: one of them without current consent
    is a story no longer shown (:func:`consent_lapsed`), which the page says without naming it.
    """

    need: Need
    disbursements: list[Disbursement] = field(default_factory=list)
    updates: list[NeedUpdate] = field(default_factory=list)
    stories: list[StoryLink] = field(default_factory=list)
    published_story_keys: frozenset[Any] = frozenset()


def current_keys(keys: Iterable[Any]) -> set[Any]:
    """Those of these story translation keys whose consent is current now (it lapses with the
    date, without a write): asked on every request, in one query when there are keys."""
    keys = set(keys)
    if not keys:
        return set()
    return set(
        current_consent_keys()
        .filter(translation_key__in=keys)
        .values_list("translation_key", flat=True)
    )


def consent_lapsed(facts: NeedFacts, current: set[Any]) -> bool:
    """Whether a story once published for this need is no longer shown for want of current
    consent (withdrawn, expired, no longer for the website), given the keys with current
    consent. A story taken down by an editor while its consent holds does not count."""
    return bool(facts.published_story_keys - current)


def _facts_seconds() -> int:
    return int(conf.get_setting("PAGE_CACHE_SECONDS") or 0)


def need_facts(need_ids: Iterable[int]) -> dict[int, NeedFacts]:
    """:class:`NeedFacts` by need id (the ids money sits on or a donor chose).

    Many donors' pages show the same needs, so for ``PAGE_CACHE_SECONDS`` the facts are reused
    under a key made of the need, the language and the display version (``display.py``), which
    every committed write they show renews (money, payouts, needs, updates, publishing): never
    older than the last such commit. Nothing about a donor is kept here, and a story's consent
    is checked on every request (:func:`current_keys`). One query (the display version) when
    every need is cached; six more for those that are not."""
    ids = set(need_ids)
    if not ids:
        return {}
    seconds = _facts_seconds()
    if not seconds:
        return _read_facts(ids)
    version = display.current()
    language = translation.get_language() or ""
    keys = {pk: f"{FACTS_PREFIX}{version}:{language}:{pk}" for pk in ids}
    found = cache.get_many(keys.values())
    facts = {pk: found[key] for pk, key in keys.items() if key in found}
    missing = ids - facts.keys()
    if missing:
        fresh = _read_facts(missing)
        cache.set_many({keys[pk]: shown for pk, shown in fresh.items()}, seconds)
        facts.update(fresh)
    return facts


def _read_facts(need_ids: set[int]) -> dict[int, NeedFacts]:
    locale = active_locale()
    needs = needs_in_locale(need_ids, locale)
    updates = updates_by_need(needs.values(), locale)
    paid_out: dict[int, list[Disbursement]] = defaultdict(list)
    for disbursement in Disbursement.objects.filter(need_id__in=need_ids).select_related("partner"):
        paid_out[disbursement.need_id].append(disbursement)
    # Every story ever published for these needs, to say (not whose) when one is gone.
    links = StoryNeed.objects.filter(Q(page__live=True) | Q(page__first_published_at__isnull=False))
    stories, published = _linked_stories(needs.values(), locale, links)
    return {
        pk: NeedFacts(
            need,
            paid_out.get(pk, []),
            updates.get(need.translation_key, []),
            [
                StoryLink(page.translation_key, page.title, page.url or "", page.pseudonym)
                for page in stories.get(need.translation_key, [])
            ],
            frozenset(published.get(need.translation_key, ())),
        )
        for pk, need in needs.items()
    }
