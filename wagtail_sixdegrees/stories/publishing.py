"""The publishing guard: a story goes live only with current consent, a safety review and no
unresolved finding of the re-identification check (``reidentification_check.py``).

Every way Wagtail makes a page live ends in the page's ``save()`` with ``live=True`` (the admin's
publish button, workflow approval, ``revision.publish()``, ``publish_scheduled``, the API and bulk
actions), and every way it schedules one saves ``Revision.approved_go_live_at``. The story model
checks the first (``AbstractSurvivorStoryPage.save``) and a ``pre_save`` receiver on ``Revision``
checks the second, both through :func:`publication_problems`; the admin form runs the same
function first, so editors see the reasons in the editor and nothing is written.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from wagtail.models import Page, TaskState

from .. import conf
from .consent import consent_for
from .images import SVG_REFUSED, is_svg
from .reidentification_check import unresolved_findings

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class PublicationRefused(ValidationError):
    """A story cannot be published (or scheduled) now; ``messages`` says why."""


def _date(day: datetime.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def has_passed_safety_review(page) -> bool:
    """Whether any translation of this story was approved at a story safety review step."""
    from .workflow import StorySafetyReviewTask

    page_ids = (
        Page.objects.filter(translation_key=page.translation_key)
        .annotate(id_text=Cast("pk", CharField()))
        .values("id_text")
    )
    return TaskState.objects.filter(
        status=TaskState.STATUS_APPROVED,
        task__in=StorySafetyReviewTask.objects.values("pk"),
        workflow_state__base_content_type=ContentType.objects.get_for_model(Page),
        workflow_state__object_id__in=page_ids,
    ).exists()


def story_images(page) -> list:
    """Every image a story shows: illustration, social image and the body's image blocks."""
    images = [page.hero_image, page.social_image]
    for block in page.body:
        if block.block_type == "image":
            images.append(block.value.get("image"))
    return [image for image in images if image is not None]


def was_published_before(page) -> bool:
    return Page.objects.filter(
        translation_key=page.translation_key, first_published_at__isnull=False
    ).exists()


def publication_problems(
    page, at: datetime.datetime | None = None, *, require_review: bool = True
) -> list[StrOrPromise]:
    """Why ``page`` cannot be live at ``at`` (default: now); an empty list means it can.

    ``require_review=False`` leaves out the safety review (used while reviewing).
    """
    now = timezone.now()
    at = at if at and at > now else now
    scheduled = at > now
    problems: list[StrOrPromise] = []
    if not (page.pseudonym or "").strip():
        problems.append(_("Give the story a pseudonym: never the survivor's real name."))
    if page.region_id is None:
        problems.append(_("Choose the region the story is about."))

    if any(is_svg(image) for image in story_images(page)):
        problems.append(SVG_REFUSED)

    consent = consent_for(page)
    if consent is None:
        problems.append(
            _(
                "No consent is on record for this story. Someone allowed to record consent "
                "must add it before the story can be published."
            )
        )
    elif consent.withdrawn_on:
        problems.append(
            _("Consent was withdrawn on %(day)s: this story can no longer be published.")
            % {"day": _date(timezone.localdate(consent.withdrawn_on))}
        )
    elif not consent.covers_web:
        problems.append(_("The recorded consent does not cover publishing on the website."))
    elif consent.given_on > timezone.localdate(at):
        problems.append(_("Consent is only valid from %(day)s.") % {"day": _date(consent.given_on)})
    elif at >= consent.ends_at:
        if scheduled:
            problems.append(
                _(
                    "The go-live date is after the consent expires on %(day)s. Choose an "
                    "earlier date or record a renewed consent."
                )
                % {"day": _date(consent.expires_on)}
            )
        else:
            problems.append(
                _("Consent expired on %(day)s. Record a renewed consent first.")
                % {"day": _date(consent.expires_on)}
            )

    unresolved = unresolved_findings(page)
    if unresolved:
        problems.append(
            ngettext_lazy(
                "%(count)s detail could identify the survivor. Fix it, or ask a safety "
                "reviewer to acknowledge it with a reason.",
                "%(count)s details could identify the survivor. Fix each one, or ask a safety "
                "reviewer to acknowledge it with a reason.",
                "count",
            )
            % {"count": len(unresolved)}
        )

    if (
        require_review
        and conf.get_setting("SAFETY_REVIEW_REQUIRED")
        and not was_published_before(page)
        and not has_passed_safety_review(page)
    ):
        problems.append(
            _(
                "This story has not passed a safety review yet. Submit it for review: it is "
                "published when a reviewer approves it."
            )
        )
    return problems


def refuse_unless_publishable(page, at: datetime.datetime | None = None) -> None:
    problems = publication_problems(page, at)
    if problems:
        raise PublicationRefused(problems)


def refuse_scheduling_without_consent(sender, instance, update_fields=None, **kwargs) -> None:
    """``pre_save`` on Revision: scheduling a story revision is checked at its go-live time."""
    if kwargs.get("raw") or instance.approved_go_live_at is None:
        return
    if update_fields is not None and "approved_go_live_at" not in update_fields:
        return
    from .models import AbstractSurvivorStoryPage
    from .reidentification_check import checked_model

    model = instance.content_type.model_class()
    if checked_model(model):
        refuse_identifying_need_update(instance.as_object())
        return
    if model is None or not issubclass(model, AbstractSurvivorStoryPage):
        return
    refuse_unless_publishable(instance.as_object(), at=instance.approved_go_live_at)


def refuse_identifying_need_update(update) -> None:
    """A need update goes live (or is scheduled) only without recorded terms of the stories
    that support its need, and without places finer than a province."""
    from .reidentification_check import finding_message

    unresolved = unresolved_findings(update)
    if unresolved:
        language = update.locale.language_code if update.locale_id else None
        raise PublicationRefused([finding_message(finding, language) for finding in unresolved])


def refuse_publishing_identifying_need_update(sender, instance, **kwargs) -> None:
    """``pre_save`` on NeedUpdate: the one choke point for an update going live (its
    ``revision.publish()``, the snippet editor's publish button, scheduled publishing)."""
    if kwargs.get("raw") or not instance.live:
        return
    if instance.pk is not None:
        current = type(instance).objects.filter(pk=instance.pk).values("live", "live_revision_id")
        row = current.first() or {}
        if row.get("live") and row.get("live_revision_id") == instance.live_revision_id:
            return
    refuse_identifying_need_update(instance)
