"""Withdrawal and expiry take a story down everywhere at once, and its address answers 410."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page

from tests.factories import (
    make_consent,
    make_live_story,
    make_story,
    make_story_index,
    make_superuser,
    translate,
)
from tests.helpers import edit_url, login
from tests.testapp import frontend_cache
from wagtail_sixdegrees.models import StoryConsent, SurvivorStoryPage
from wagtail_sixdegrees.signals import story_consent_expired, story_consent_withdrawn
from wagtail_sixdegrees.stories.takedown import enforce_consent, withdraw_consent
from wagtail_sixdegrees.stories.tasks import enforce_story_consent

pytestmark = pytest.mark.django_db


def consent_of(story) -> StoryConsent:
    return StoryConsent.objects.get(translation_key=story.translation_key)


@pytest.fixture
def frontend_cache_backend(settings):
    settings.WAGTAILFRONTENDCACHE = {
        "recording": {"BACKEND": "tests.testapp.frontend_cache.RecordingBackend"}
    }
    frontend_cache.PURGED.clear()
    return frontend_cache.PURGED


def test_withdrawal_unpublishes_the_story_and_every_translation(django_capture_on_commit_callbacks):
    story = make_live_story()
    translation = translate(story, "th")
    assert translation.live

    with django_capture_on_commit_callbacks(execute=True):
        report = withdraw_consent(consent_of(story), user=None)

    assert sorted(report.unpublished) == sorted([story.pk, translation.pk])
    assert not Page.objects.filter(pk__in=[story.pk, translation.pk], live=True).exists()
    assert consent_of(story).withdrawn_on is not None


def test_withdrawn_story_answers_410_gone_in_every_language(client):
    story = make_live_story()
    translation = translate(story, "th")
    withdraw_consent(consent_of(story))

    for page in (story, translation):
        response = client.get(page.url)
        assert response.status_code == 410
        assert "This story is no longer available" in response.content.decode()
        assert story.pseudonym not in response.content.decode()


def test_a_never_published_draft_answers_404_not_410(client):
    story = make_story()

    assert client.get(story.get_url()).status_code == 404


def test_story_with_expired_consent_answers_410_even_before_enforcement_runs(client):
    story = make_live_story()
    StoryConsent.objects.filter(pk=consent_of(story).pk).update(
        given_on=datetime.date.today() - datetime.timedelta(days=800),
        expires_on=datetime.date.today(),
    )

    assert client.get(story.url).status_code == 410


def test_withdrawal_signal_is_sent_once_after_commit(django_capture_on_commit_callbacks):
    story = make_live_story()
    translation = translate(story, "th")
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    story_consent_withdrawn.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            withdraw_consent(consent_of(story))
        assert received == [], "the signal must wait for the commit"
        for callback in callbacks:
            callback()
        withdraw_consent(consent_of(story))  # a second withdrawal changes nothing
    finally:
        story_consent_withdrawn.disconnect(receiver)

    assert len(received) == 1
    assert received[0]["story"].pk == story.pk
    assert {page.pk for page in received[0]["translations"]} == {story.pk, translation.pk}


def test_withdrawn_story_leaves_search_and_does_not_come_back_on_draft_edits():
    story = make_live_story(pseudonym="Fictionalname")
    assert SurvivorStoryPage.objects.live().search("Fictionalname").count() == 1

    withdraw_consent(consent_of(story))
    story.refresh_from_db()
    story.teaser = "Edited after withdrawal"
    story.save_revision()
    story.save()

    assert SurvivorStoryPage.objects.search("Fictionalname").count() == 0


def test_withdrawn_and_noindex_stories_are_not_in_the_sitemap(client):
    make_live_story(slug="kept-story")
    hidden = make_live_story(slug="hidden-story")
    hidden.noindex = True
    hidden.save_revision().publish()
    gone = make_live_story(slug="gone-story")
    withdraw_consent(consent_of(gone))

    request = client.get("/").wsgi_request
    urls = [
        url["location"]
        for page in SurvivorStoryPage.objects.live()
        for url in page.get_sitemap_urls(request)
    ]

    assert any("kept-story" in url for url in urls)
    assert not any("hidden-story" in url or "gone-story" in url for url in urls)


def test_withdrawal_purges_the_story_and_its_index_from_the_frontend_cache(
    frontend_cache_backend, django_capture_on_commit_callbacks
):
    story = make_live_story(slug="cached-story")

    with django_capture_on_commit_callbacks(execute=True):
        withdraw_consent(consent_of(story))

    assert any(url.endswith("/cached-story/") for url in frontend_cache_backend)
    index_url = story.get_parent().full_url
    assert index_url in frontend_cache_backend


def test_withdrawal_cancels_scheduled_publication_and_reviews_in_progress():
    story = make_live_story()
    story.go_live_at = timezone.now() + datetime.timedelta(days=1)
    story.save_revision().publish()
    second = make_story(story.get_parent().specific)
    second_state = second.get_workflow().start(second, make_superuser("submitter"))

    withdraw_consent(consent_of(story))
    withdraw_consent(consent_of(second))

    assert not story.revisions.filter(approved_go_live_at__isnull=False).exists()
    second_state.refresh_from_db()
    assert second_state.status == second_state.STATUS_CANCELLED


def test_admin_withdraw_view_needs_the_withdraw_permission(client, django_user_model):
    story = make_live_story()
    editor = django_user_model.objects.create_user("editor", password="correct horse")
    login(client, editor)
    url = reverse("wagtail_sixdegrees_story_consent:withdraw", args=[consent_of(story).pk])

    assert client.post(url).status_code in (302, 403)

    assert SurvivorStoryPage.objects.get(pk=story.pk).live


def test_admin_withdraw_view_takes_the_story_down_and_records_who(client):
    story = make_live_story()
    officer = make_superuser("officer")
    login(client, officer)
    url = reverse("wagtail_sixdegrees_story_consent:withdraw", args=[consent_of(story).pk])

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert story.title in confirm.content.decode()
    response = client.post(url)

    assert response.status_code == 302
    consent = consent_of(story)
    assert consent.withdrawn_by == officer
    assert not SurvivorStoryPage.objects.get(pk=story.pk).live


def test_withdraw_button_is_on_the_story_edit_screen_for_permitted_users(client):
    story = make_live_story()
    login(client, make_superuser())

    page = client.get(edit_url(story)).content.decode()

    assert reverse("wagtail_sixdegrees_story_consent:withdraw", args=[consent_of(story).pk]) in page


def test_enforcement_takes_down_stories_whose_consent_expired_by_the_given_moment(
    django_capture_on_commit_callbacks,
):
    expiring = make_live_story()
    lasting = make_live_story()
    consent = consent_of(expiring)
    consent.expires_on = datetime.date.today() + datetime.timedelta(days=5)
    consent.save()
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    story_consent_expired.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            before = enforce_consent(now=timezone.now() + datetime.timedelta(days=4))
            after = enforce_consent(now=timezone.now() + datetime.timedelta(days=6))
    finally:
        story_consent_expired.disconnect(receiver)

    assert before == []
    assert [report.consent.pk for report in after] == [consent.pk]
    assert not SurvivorStoryPage.objects.get(pk=expiring.pk).live
    assert SurvivorStoryPage.objects.get(pk=lasting.pk).live
    assert [kwargs["story"].pk for kwargs in received] == [expiring.pk]


def test_enforcement_command_reports_and_is_idempotent(capsys):
    story = make_live_story()
    StoryConsent.objects.filter(pk=consent_of(story).pk).update(
        given_on=datetime.date.today() - datetime.timedelta(days=30),
        expires_on=datetime.date.today() + datetime.timedelta(days=2),
    )
    moment = (timezone.now() + datetime.timedelta(days=3)).isoformat()

    call_command("sixdegrees_enforce_consent", "--now", moment)
    first = capsys.readouterr().out
    call_command("sixdegrees_enforce_consent", "--now", moment)
    second = capsys.readouterr().out

    assert story.title in first
    assert "1 story" in first
    assert "Nothing to take down" in second
    assert not SurvivorStoryPage.objects.get(pk=story.pk).live


def test_enforcement_task_takes_the_clock_as_an_argument():
    story = make_live_story()
    StoryConsent.objects.filter(pk=consent_of(story).pk).update(
        expires_on=datetime.date.today() + datetime.timedelta(days=1)
    )

    result = enforce_story_consent.enqueue(
        (timezone.now() + datetime.timedelta(days=2)).isoformat()
    )

    assert result.return_value == 1
    assert not SurvivorStoryPage.objects.get(pk=story.pk).live


def test_editing_consent_to_exclude_the_website_takes_the_story_down():
    story = make_live_story()
    consent = consent_of(story)
    consent.covers_web = False
    consent.save()

    assert not SurvivorStoryPage.objects.get(pk=story.pk).live


def test_deleting_the_last_page_of_a_story_deletes_its_consent(
    django_capture_on_commit_callbacks,
):
    story = make_story()
    key = story.translation_key

    with django_capture_on_commit_callbacks(execute=True):
        story.get_parent().delete()

    assert not StoryConsent.objects.filter(translation_key=key).exists()


def test_one_consent_covers_a_story_and_its_translations():
    story = make_live_story()
    translation = translate(story, "th")

    assert translation.consent == consent_of(story)
    assert StoryConsent.objects.count() == 1


def test_index_in_each_language_lists_only_stories_with_current_consent(client):
    index = make_story_index(slug="our-stories")
    shown = make_live_story(index, title="Shown story")
    hidden = make_live_story(index, title="Hidden story")
    StoryConsent.objects.filter(pk=consent_of(hidden).pk).update(expires_on=datetime.date.today())

    page = client.get(index.url).content.decode()

    assert shown.title in page
    assert hidden.title not in page


def test_expired_consent_can_be_renewed_by_a_new_record(settings):
    story = make_story(consent=False)
    make_consent(story, given_on=datetime.date.today() - datetime.timedelta(days=2))

    assert story.consent_is_current()
