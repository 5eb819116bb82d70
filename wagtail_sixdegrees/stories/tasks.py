"""Background work for stories, through django_tasks (the API Wagtail itself uses)."""

from __future__ import annotations

import datetime

from django.apps import apps
from django.conf import settings
from django.utils import timezone
from django_tasks import task


def frontend_cache_configured() -> bool:
    return apps.is_installed("wagtail.contrib.frontend_cache") or bool(
        getattr(settings, "WAGTAILFRONTENDCACHE", None)
    )


@task()
def purge_story_pages(page_ids: list[int]) -> int:
    """Purge taken-down stories and the indexes listing them from the frontend cache.

    Returns how many pages were purged (0 when no frontend cache is configured).
    """
    if not frontend_cache_configured():
        return 0
    from wagtail.contrib.frontend_cache.utils import purge_pages_from_cache
    from wagtail.models import Page

    stories = list(Page.objects.filter(pk__in=page_ids).specific())
    parent_paths = {story.path[: -Page.steplen] for story in stories}
    indexes = list(Page.objects.filter(path__in=parent_paths).specific())
    purge_pages_from_cache([*stories, *indexes])
    return len(stories) + len(indexes)


@task()
def enforce_story_consent(now: str | None = None) -> int:
    """Take down stories whose consent lapsed. ``now`` is an ISO 8601 moment (default: now)."""
    from .takedown import enforce_consent

    moment = datetime.datetime.fromisoformat(now) if now else timezone.now()
    return len(enforce_consent(moment))


@task()
def notify_withdrawal_by_card(consent_id: int) -> int:
    """Tell the caseworker and the safety reviewers that a card withdrew consent.

    Returns how many people were written to."""
    from .cards import build_withdrawal_notice
    from .consent import StoryConsent

    consent = StoryConsent.objects.filter(pk=consent_id).first()
    message = build_withdrawal_notice(consent) if consent else None
    if message is None:
        return 0
    message.send()
    return len(message.to)
