"""The consent record stays private: not public, not in revisions, not for editors without permission."""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from tests.factories import make_consent, make_live_story, make_story, make_superuser
from tests.helpers import edit_url, login
from wagtail_sixdegrees.models import StoryConsent
from wagtail_sixdegrees.stories.viewsets import StoryConsentForm

pytestmark = pytest.mark.django_db

SECRET = "CASEFILE-7731-FICTIONAL"


@pytest.fixture
def editor(django_user_model):
    """An editor as Wagtail's default "Editors" group makes them: no consent permissions."""
    user = django_user_model.objects.create_user("editor", password="correct horse")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def test_form_reference_never_reaches_the_public_page_or_revisions(client):
    story = make_story(consent=False)
    make_consent(story, form_reference=SECRET)
    from tests.factories import approve_safety_review

    approve_safety_review(story)

    assert SECRET not in client.get(story.url).content.decode()
    for revision in story.revisions.all():
        assert SECRET not in json.dumps(revision.content)


def test_editor_sees_the_consent_status_but_not_the_record(client, editor):
    story = make_live_story()
    StoryConsent.objects.filter(translation_key=story.translation_key).update(form_reference=SECRET)
    login(client, editor)

    page = client.get(edit_url(story)).content.decode()

    assert "Consent is on record" in page
    assert SECRET not in page
    consent = StoryConsent.objects.get()
    assert client.get(reverse("wagtail_sixdegrees_story_consent:index")).status_code in (302, 403)
    inspect = reverse("wagtail_sixdegrees_story_consent:inspect", args=[consent.pk])
    assert client.get(inspect).status_code in (302, 403)


def test_people_with_the_view_permission_see_the_record(client, django_user_model):
    story = make_live_story()
    StoryConsent.objects.filter(translation_key=story.translation_key).update(form_reference=SECRET)
    officer = django_user_model.objects.create_user("officer", password="x")
    officer.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_storyconsent"),
    )
    login(client, officer)
    consent = StoryConsent.objects.get()

    inspect = client.get(reverse("wagtail_sixdegrees_story_consent:inspect", args=[consent.pk]))

    assert SECRET in inspect.content.decode()


def test_consent_expiry_defaults_to_the_maximum_and_cannot_exceed_it(settings):
    story = make_story(consent=False)
    given = datetime.date(2024, 2, 29)
    form = StoryConsentForm(
        {"story": story.pk, "covers_web": "on", "given_on": given, "form_reference": "CF-1"}
    )
    assert form.is_valid(), form.errors
    consent = form.save()
    assert consent.expires_on == datetime.date(2027, 2, 28)
    assert consent.translation_key == story.translation_key

    other = make_story(consent=False)
    too_long = StoryConsentForm(
        {
            "story": other.pk,
            "covers_web": "on",
            "given_on": given,
            "expires_on": datetime.date(2027, 3, 1),
            "form_reference": "CF-2",
        }
    )
    assert not too_long.is_valid()
    assert "at most 3 years" in str(too_long.errors["expires_on"])


def test_a_shorter_maximum_can_be_configured(settings):
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "CONSENT_MAX_YEARS": 1}
    story = make_story(consent=False)

    form = StoryConsentForm(
        {
            "story": story.pk,
            "covers_web": "on",
            "given_on": datetime.date(2025, 1, 1),
            "expires_on": datetime.date(2026, 6, 1),
            "form_reference": "CF-3",
        }
    )

    assert not form.is_valid()


def test_expiry_before_given_date_is_a_form_error():
    story = make_story(consent=False)

    form = StoryConsentForm(
        {
            "story": story.pk,
            "covers_web": "on",
            "given_on": datetime.date(2025, 5, 1),
            "expires_on": datetime.date(2025, 4, 1),
            "form_reference": "CF-4",
        }
    )

    assert not form.is_valid()
    assert "after the day consent was given" in str(form.errors["expires_on"])


def test_admin_records_consent_for_a_story_and_remembers_who(client):
    story = make_story(consent=False)
    officer = make_superuser("officer")
    login(client, officer)
    add = reverse("wagtail_sixdegrees_story_consent:add")

    form_page = client.get(f"{add}?story={story.pk}")
    response = client.post(
        add,
        {
            "story": story.pk,
            "covers_web": "on",
            "given_on": "2026-01-15",
            "form_reference": "CF-5",
        },
    )

    assert form_page.status_code == 200
    assert response.status_code == 302, response.content.decode()[:3000]
    consent = StoryConsent.objects.get(translation_key=story.translation_key)
    assert consent.recorded_by == officer
    assert consent.expires_on == datetime.date(2029, 1, 15)


def test_dashboard_lists_stories_whose_consent_ends_soon_only_for_permitted_users(client, editor):
    soon = make_live_story(title="Ends soon story")
    later = make_live_story(title="Ends later story")
    StoryConsent.objects.filter(translation_key=soon.translation_key).update(
        expires_on=datetime.date.today() + datetime.timedelta(days=10)
    )
    login(client, make_superuser())

    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()

    assert "Ends soon story" in dashboard
    assert later.title not in dashboard
    client.logout()
    login(client, editor)
    assert "Ends soon story" not in client.get(reverse("wagtailadmin_home")).content.decode()
