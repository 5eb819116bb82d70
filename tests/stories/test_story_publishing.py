"""A story is published only with current web consent and a passed safety review, on every path."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Revision

from tests.factories import (
    approve_safety_review,
    make_consent,
    make_live_story,
    make_story,
    make_superuser,
)
from tests.helpers import edit_url, login, story_form_data
from wagtail_sixdegrees.models import StoryConsent, SurvivorStoryPage
from wagtail_sixdegrees.stories.publishing import PublicationRefused

pytestmark = pytest.mark.django_db


def make_due(revision: Revision) -> None:
    """Move a scheduled revision's go-live moment a minute into the past, as time would."""
    past = timezone.now() - datetime.timedelta(minutes=1)
    revision.content["go_live_at"] = past.isoformat()
    Revision.objects.filter(pk=revision.pk).update(
        content=revision.content, approved_go_live_at=past
    )


def test_code_publishing_without_consent_is_refused_and_nothing_goes_live():
    story = make_story(consent=False)

    with pytest.raises(PublicationRefused, match="No consent is on record"):
        story.save_revision().publish()

    story.refresh_from_db()
    assert not story.live
    assert story.first_published_at is None


def test_code_publishing_with_consent_but_no_safety_review_is_refused():
    story = make_story()

    with pytest.raises(PublicationRefused, match="safety review"):
        story.get_latest_revision().publish()

    assert not SurvivorStoryPage.objects.get(pk=story.pk).live


def test_approved_safety_review_with_current_consent_publishes_the_story():
    story = approve_safety_review(make_story())

    assert story.live
    assert story.first_published_at is not None


def test_safety_review_setting_off_lets_code_publish_with_consent(settings):
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "SAFETY_REVIEW_REQUIRED": False}
    story = make_story()

    story.save_revision().publish()

    assert SurvivorStoryPage.objects.get(pk=story.pk).live


@pytest.mark.parametrize(
    ("consent_fields", "reason"),
    [
        ({"covers_web": False}, "does not cover publishing on the website"),
        ({"withdrawn_on": timezone.now()}, "Consent was withdrawn"),
        (
            {
                "given_on": datetime.date.today() - datetime.timedelta(days=400),
                "expires_on": datetime.date.today(),
            },
            "Consent expired",
        ),
    ],
)
def test_consent_that_is_not_current_blocks_publishing(settings, consent_fields, reason):
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "SAFETY_REVIEW_REQUIRED": False}
    story = make_story(consent=False)
    make_consent(story, **consent_fields)

    with pytest.raises(PublicationRefused, match=reason):
        story.save_revision().publish()


def test_story_without_pseudonym_or_region_cannot_be_published(settings):
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "SAFETY_REVIEW_REQUIRED": False}
    story = make_story()
    story.pseudonym = ""
    story.region = None
    draft = story.save_revision(clean=False)  # drafts may be incomplete

    with pytest.raises(PublicationRefused) as refused:
        draft.publish()

    messages = " ".join(refused.value.messages)
    assert "pseudonym" in messages
    assert "region" in messages


def test_adding_a_live_story_directly_to_the_tree_is_refused():
    story = make_story()
    sibling = SurvivorStoryPage(
        title="Sneaky", slug="sneaky", pseudonym="Sneaky", teaser="x", region=story.region
    )

    with pytest.raises(PublicationRefused):
        story.get_parent().add_child(instance=sibling)


def test_admin_publish_without_consent_shows_the_reason_and_publishes_nothing(client):
    story = make_story(consent=False)
    login(client, make_superuser())
    revisions_before = story.revisions.count()

    response = client.post(edit_url(story), story_form_data(story, **{"action-publish": "1"}))

    assert response.status_code == 200
    assert "No consent is on record for this story" in response.content.decode()
    story.refresh_from_db()
    assert not story.live
    assert story.revisions.count() == revisions_before


def test_admin_publish_without_safety_review_is_refused_even_for_a_superuser(client):
    story = make_story()
    login(client, make_superuser())

    response = client.post(edit_url(story), story_form_data(story, **{"action-publish": "1"}))

    assert response.status_code == 200
    assert "has not passed a safety review" in response.content.decode()
    assert not SurvivorStoryPage.objects.get(pk=story.pk).live


def test_admin_can_save_a_draft_without_consent_pseudonym_or_region(client):
    story = make_story(consent=False)
    login(client, make_superuser())

    response = client.post(edit_url(story), story_form_data(story, pseudonym="", region=""))

    assert response.status_code == 302
    latest = SurvivorStoryPage.objects.get(pk=story.pk).get_latest_revision_as_object()
    assert latest.pseudonym == ""


def test_admin_publishes_a_reviewed_story_with_current_consent(client):
    story = make_live_story()
    login(client, make_superuser())

    response = client.post(
        edit_url(story),
        story_form_data(story, teaser="An edited fictional teaser.", **{"action-publish": "1"}),
    )

    assert response.status_code == 302
    assert SurvivorStoryPage.objects.get(pk=story.pk).teaser == "An edited fictional teaser."


def test_admin_refuses_a_go_live_date_after_consent_expiry(client):
    story = make_live_story()
    consent = StoryConsent.objects.get(translation_key=story.translation_key)
    go_live = timezone.make_aware(
        datetime.datetime.combine(consent.expires_on + datetime.timedelta(days=1), datetime.time(9))
    )
    login(client, make_superuser())

    response = client.post(
        edit_url(story),
        story_form_data(
            story, go_live_at=go_live.strftime("%Y-%m-%d %H:%M"), **{"action-publish": "1"}
        ),
    )

    assert response.status_code == 200
    assert "The go-live date is after the consent expires" in response.content.decode()
    assert not Revision.objects.filter(approved_go_live_at__isnull=False).exists()


def test_code_scheduling_after_consent_expiry_is_refused_before_anything_is_written():
    story = make_live_story()
    consent = StoryConsent.objects.get(translation_key=story.translation_key)
    story.go_live_at = consent.ends_at + datetime.timedelta(hours=1)
    revision = story.save_revision()

    with pytest.raises(PublicationRefused, match="go-live date"):
        revision.publish()

    revision.refresh_from_db()
    assert revision.approved_go_live_at is None


def test_scheduled_publication_within_consent_goes_live_with_publish_scheduled():
    story = make_live_story()
    story.teaser = "A scheduled fictional teaser."
    story.go_live_at = timezone.now() + datetime.timedelta(hours=1)
    revision = story.save_revision()
    revision.publish()
    assert revision.approved_go_live_at is not None
    make_due(revision)

    call_command("publish_scheduled")

    assert SurvivorStoryPage.objects.get(pk=story.pk).teaser == "A scheduled fictional teaser."


def test_publish_scheduled_never_publishes_a_story_whose_consent_lapsed_after_scheduling():
    story = make_story()
    approve_safety_review(story)
    story.refresh_from_db()
    story.unpublish()
    story.go_live_at = timezone.now() + datetime.timedelta(hours=1)
    story.save_revision().publish()
    # Consent withdrawn behind the package's back (no takedown ran): the guard still holds.
    StoryConsent.objects.filter(translation_key=story.translation_key).update(
        withdrawn_on=timezone.now()
    )
    make_due(Revision.objects.get(approved_go_live_at__isnull=False))

    with pytest.raises(PublicationRefused):
        call_command("publish_scheduled")

    assert not SurvivorStoryPage.objects.get(pk=story.pk).live
    # The schedule is cleared, so the next run does not trip over it again.
    call_command("publish_scheduled")
