"""Signal receivers for stories, connected once from the app config's ``ready()``."""

from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from wagtail.images.models import AbstractImage
from wagtail.models import Revision

from .consent import StoryConsent
from .images import scrub_uploaded_image
from .models import AbstractStoryIndexPage, AbstractSurvivorStoryPage, story_pages
from .publishing import refuse_scheduling_without_consent
from .workflow import assign_workflow_to_new_index


def act_on_consent_change(sender, instance: StoryConsent, update_fields=None, **kwargs) -> None:
    """An edited consent that no longer allows the story takes it down; shorter expiry cancels
    any publication scheduled after it."""
    if kwargs.get("raw") or (update_fields and "withdrawn_on" in update_fields):
        return
    from .takedown import take_down

    pages = story_pages().filter(translation_key=instance.translation_key)
    if not instance.is_current() and pages.filter(live=True).exists():
        take_down(instance)
        return
    for page in pages:
        page.revisions.filter(approved_go_live_at__gte=instance.ends_at).update(
            approved_go_live_at=None
        )


def forget_consent_with_last_story(sender, instance, **kwargs) -> None:
    """Deleting the last page of a story deletes its consent record: we keep nothing longer
    than the story needs it. Checked after commit, when a whole subtree is gone."""
    key = instance.translation_key

    def forget() -> None:
        if not story_pages().filter(translation_key=key).exists():
            StoryConsent.objects.filter(translation_key=key).delete()

    transaction.on_commit(forget)


def connect_receivers() -> None:
    pre_save.connect(
        refuse_scheduling_without_consent, sender=Revision, dispatch_uid="sixdegrees_schedule"
    )
    post_save.connect(
        act_on_consent_change, sender=StoryConsent, dispatch_uid="sixdegrees_consent_change"
    )
    for model in apps.get_models():
        if issubclass(model, AbstractImage):
            pre_save.connect(
                scrub_uploaded_image,
                sender=model,
                dispatch_uid=f"sixdegrees_scrub_{model._meta.label}",
            )
        elif issubclass(model, AbstractStoryIndexPage):
            post_save.connect(
                assign_workflow_to_new_index,
                sender=model,
                dispatch_uid=f"sixdegrees_workflow_{model._meta.label}",
            )
        elif issubclass(model, AbstractSurvivorStoryPage):
            post_delete.connect(
                forget_consent_with_last_story,
                sender=model,
                dispatch_uid=f"sixdegrees_forget_{model._meta.label}",
            )
