"""Taking a story down: consent withdrawn, or consent expired.

Both end the same way, in one transaction: every translation is unpublished, scheduled
publications and reviews in progress are cancelled, the pages leave the search index (and,
through ``get_indexed_objects``, never come back), and after commit the frontend cache is purged
and the signal sent. From then on the story's address answers 410 Gone.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from wagtail.actions.unpublish_page import UnpublishPageAction
from wagtail.models import Revision, WorkflowState
from wagtail.search import index

from ..signals import story_consent_expired, story_consent_withdrawn
from .consent import StoryConsent
from .models import story_pages
from .tasks import purge_story_pages

logger = logging.getLogger(__name__)


@dataclass
class TakedownReport:
    """What a takedown did, for messages, commands and logs."""

    consent: StoryConsent
    unpublished: list[int] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)


def take_down(consent: StoryConsent, user=None) -> TakedownReport:
    """Unpublish every translation of the story ``consent`` covers. Call inside a transaction."""
    report = TakedownReport(consent=consent)
    pages = list(story_pages().filter(translation_key=consent.translation_key).specific())
    for page in pages:
        report.pages.append(page.pk)
        page._sixdegrees_consent = consent
        for state in WorkflowState.objects.active().for_instance(page):
            state.cancel(user=user)
        page.revisions.exclude(approved_go_live_at=None).update(approved_go_live_at=None)
        if page.live:
            # The person recording a withdrawal may not edit pages: consent outranks that.
            UnpublishPageAction(page, user=user).execute(skip_permission_checks=True)
            report.unpublished.append(page.pk)
        index.remove_object(page)
    page_ids = list(report.pages)
    transaction.on_commit(lambda: purge_story_pages.enqueue(page_ids))
    return report


def withdraw_consent(
    consent: StoryConsent, user=None, now: datetime.datetime | None = None
) -> TakedownReport:
    """Record the withdrawal and take the story down at once. Withdrawing twice is harmless."""
    with transaction.atomic():
        consent = StoryConsent.objects.select_for_update().get(pk=consent.pk)
        first_time = consent.withdrawn_on is None
        if first_time:
            consent.withdrawn_on = now or timezone.now()
            consent.withdrawn_by = user
            consent.save(update_fields=["withdrawn_on", "withdrawn_by"])
        report = take_down(consent, user=user)
        if first_time:
            pages = list(story_pages().filter(pk__in=report.pages).specific())
            story = min(pages, key=lambda page: page.pk) if pages else None
            transaction.on_commit(
                lambda: story_consent_withdrawn.send(
                    sender=type(story) if story else StoryConsent,
                    story=story,
                    translations=pages,
                    consent=consent,
                    user=user,
                )
            )
    logger.info("Consent %s withdrawn; pages %s taken down", consent.pk, report.unpublished)
    return report


def enforce_consent(now: datetime.datetime | None = None) -> list[TakedownReport]:
    """Take down every story whose consent has lapsed by ``now`` but is still live or scheduled.

    ``now`` is passed in (commands, tasks and tests choose the clock); nothing here sleeps.
    """
    now = now or timezone.now()
    day = timezone.localdate(now)
    lapsed = StoryConsent.objects.lapsed(day)
    live_or_scheduled = story_pages().filter(translation_key__in=lapsed.values("translation_key"))
    scheduled_ids = {
        int(object_id)
        for object_id in Revision.page_revisions.filter(
            approved_go_live_at__isnull=False
        ).values_list("object_id", flat=True)
    }
    keys = set(
        live_or_scheduled.filter(Q(live=True) | Q(pk__in=scheduled_ids)).values_list(
            "translation_key", flat=True
        )
    )
    reports = []
    for consent in StoryConsent.objects.filter(translation_key__in=keys).order_by("pk"):
        with transaction.atomic():
            report = take_down(consent)
            if report.unpublished:
                pages = list(story_pages().filter(pk__in=report.pages).specific())
                story = min(pages, key=lambda page: page.pk)
                transaction.on_commit(
                    partial(
                        story_consent_expired.send,
                        sender=type(story),
                        story=story,
                        translations=pages,
                        consent=consent,
                    )
                )
        reports.append(report)
    return reports
