"""Template helpers for transparency: money in a currency, and need updates on story pages."""

from __future__ import annotations

from typing import Any

from django import template

from .. import money

register = template.Library()


@register.filter
def in_currency(amount: int | None, currency: str) -> str:
    """``{{ totals.raised|in_currency:totals.currency }}``: minor units formatted for people."""
    return money.format_money(amount or 0, currency)


def _newest_first(updates: Any, heading_level: int) -> dict[str, Any]:
    from ..transparency.public import prefer_locale
    from ..transparency.translations import active_locale

    updates = list(updates)
    translated = len({update.translation_key for update in updates}) < len(updates)
    # The reader's locale only matters when some update exists in several languages.
    locale = active_locale() if translated else None
    chosen = prefer_locale(updates, locale, "translation_key").values()
    return {
        "updates": sorted(chosen, key=lambda u: (u.first_published_at, u.pk), reverse=True),
        "level": heading_level,
        "update_level": heading_level + 1,
    }


@register.inclusion_tag("wagtail_sixdegrees/transparency/need_updates.html")
def need_updates(needs: Any, heading_level: int = 2) -> dict[str, Any]:
    """Published updates on these needs, newest first: ``{% need_updates needs %}``."""
    from ..transparency.models import NeedUpdate

    needs = [need for need in needs or [] if need is not None]
    return _newest_first(NeedUpdate.objects.for_needs(needs) if needs else [], heading_level)


@register.inclusion_tag("wagtail_sixdegrees/transparency/need_updates.html")
def story_need_updates(page: Any, heading_level: int = 2) -> dict[str, Any]:
    """Updates on every live need a story supports, open or closed, in one query:
    ``{% story_need_updates page %}``."""
    from ..needs.models import Need
    from ..transparency.models import NeedUpdate

    loader = getattr(page, "story_loader", None)
    if loader is not None:
        # The story page loaded its needs already: no query when none is live.
        linked = loader.live_linked_need_keys()
    else:
        linked = Need.objects.filter(story_links__page=page, live=True).values("translation_key")
    updates = (
        NeedUpdate.objects.filter(
            live=True, need__live=True, need__translation_key__in=linked
        ).select_related("image")
        if linked
        else []
    )
    return _newest_first(updates, heading_level)
