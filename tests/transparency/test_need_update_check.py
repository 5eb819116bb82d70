"""The re-identification check on need updates in the snippet editor: a finding is shown next to
its field (in the update's language, never naming the term) and nothing is published until it is
fixed or a safety reviewer acknowledges it with a reason."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from wagtail.models import ModelLogEntry

from tests.factories import make_need, make_need_update, make_reviewer, make_story, translate
from tests.helpers import login
from wagtail_sixdegrees.models import NeedUpdate, StoryConsent, StoryNeed
from wagtail_sixdegrees.stories.reidentification_check import (
    FindingAcknowledgement,
    unresolved_findings,
)

pytestmark = pytest.mark.django_db

TERM = "Siti Rahayu"
THAI_TERM = "สมศรี ใจดี"
TERM_MESSAGE = "Matches a term recorded with the consent."


def need_with_story_terms(*terms: str):
    """A need supported by a story whose consent records ``terms``."""
    need = make_need()
    story = make_story()
    StoryNeed.objects.create(page=story, need=need)
    StoryConsent.objects.get(translation_key=story.translation_key).add_never_publish_terms(
        list(terms)
    )
    return need


def make_update_editor(username: str = "update-editor"):
    """An admin user who may add, change and publish need updates, and nothing else."""
    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw")
    group = Group.objects.create(name=f"{username} group")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        *Permission.objects.filter(
            content_type__app_label="wagtail_sixdegrees",
            codename__in=["add_needupdate", "change_needupdate", "publish_needupdate"],
        ),
    )
    user.groups.add(group)
    return user


def edit_url(update) -> str:
    return reverse(NeedUpdate.snippet_viewset.get_url_name("edit"), args=[update.pk])


def findings_url(update) -> str:
    return reverse(NeedUpdate.snippet_viewset.get_url_name("findings"), args=[update.pk])


def form_data(update, **overrides) -> dict:
    """What the snippet editor posts for ``update`` when its publish button is pressed."""
    data = {
        "need": update.need_id,
        "title": update.title,
        "text": update.text,
        "image_alt_text": "",
        "action-publish": "action-publish",
    }
    data.update(overrides)
    return data


def finding_of(update) -> str:
    [finding] = unresolved_findings(update.get_latest_revision_as_object())
    return finding.fingerprint


def draft_update(need, text: str, **fields):
    return make_need_update(need, publish=False, text=text, **fields)


def test_publishing_a_need_update_carrying_a_term_shows_the_finding_next_to_its_field(client):
    need = need_with_story_terms(TERM)
    update = draft_update(need, "A fictional note.")
    login(client, make_update_editor())

    response = client.post(
        edit_url(update), form_data(update, text=f"{TERM} started her course this week.")
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["text"] == [f"Text: {TERM_MESSAGE}"]
    assert TERM not in response.content.decode().replace(f"{TERM} started her course", "")
    update.refresh_from_db()
    assert not update.live
    assert update.text == "A fictional note."  # nothing written, not even a draft


def test_the_refused_form_never_shows_the_term_outside_the_editors_own_text(client):
    need = need_with_story_terms(TERM)
    update = draft_update(need, "A fictional note.")
    login(client, make_update_editor())

    response = client.post(edit_url(update), form_data(update, title=f"News of {TERM}"))

    page = response.content.decode()
    assert response.context["form"].errors["title"] == [f"Title: {TERM_MESSAGE}"]
    # Once in the title input the editor typed, nowhere else (no message, no summary).
    assert page.count(TERM) == 1


def test_a_thai_update_is_told_its_finding_in_thai(client):
    need = need_with_story_terms(THAI_TERM)
    thai_need = translate(need, "th")
    update = draft_update(thai_need, "ข่าวจากโครงการ")
    login(client, make_update_editor())

    response = client.post(edit_url(update), form_data(update, text="สมศรีใจดีเริ่มเรียนสัปดาห์นี้"))

    # "Text: Matches a term recorded with the consent." in Thai, whatever the editor's language.
    assert response.context["form"].errors["text"] == ["ข้อความ: ตรงกับคำที่บันทึกไว้พร้อมความยินยอม"]
    assert not NeedUpdate.objects.get(pk=update.pk).live


def test_saving_a_draft_carrying_a_term_is_allowed(client):
    need = need_with_story_terms(TERM)
    update = draft_update(need, "A fictional note.")
    login(client, make_update_editor())
    data = form_data(update, text=f"{TERM} started her course.")
    del data["action-publish"]

    response = client.post(edit_url(update), data)

    assert response.status_code == 302
    update.refresh_from_db()
    assert not update.live
    assert update.get_latest_revision_as_object().text.startswith(TERM)


def test_a_safety_reviewer_acknowledges_a_finding_and_the_update_then_publishes(client):
    need = need_with_story_terms(TERM)
    update = draft_update(need, f"{TERM} chose to be named in this note.")
    reviewer = make_reviewer()
    login(client, reviewer)

    page = client.get(findings_url(update)).content.decode()
    assert TERM_MESSAGE in page and TERM not in page
    fingerprint = finding_of(update)
    response = client.post(
        findings_url(update), {"finding": fingerprint, "reason": "She asked to be named."}
    )

    assert response.status_code == 302
    acknowledgement = FindingAcknowledgement.objects.get()
    assert (acknowledgement.acknowledged_by, acknowledgement.reason, acknowledgement.field) == (
        reviewer,
        "She asked to be named.",
        "text",
    )
    entry = ModelLogEntry.objects.get(action="wagtail_sixdegrees.finding_acknowledged")
    assert (entry.user, entry.data["reason"]) == (reviewer, "She asked to be named.")

    login(client, make_update_editor())
    response = client.post(edit_url(update), form_data(update))
    assert response.status_code == 302
    assert NeedUpdate.objects.get(pk=update.pk).live


def test_an_editor_who_is_not_a_safety_reviewer_cannot_acknowledge(client):
    need = need_with_story_terms(TERM)
    update = draft_update(need, f"{TERM} chose to be named.")
    login(client, make_update_editor())

    page = client.get(findings_url(update))
    response = client.post(findings_url(update), {"finding": "x" * 64, "reason": "Fine"})

    assert page.status_code == 200
    assert 'name="reason"' not in page.content.decode()
    assert response.status_code == 403 or response["Location"] == reverse("wagtailadmin_home")
    assert not FindingAcknowledgement.objects.exists()


def test_the_reviewer_who_last_edited_the_update_cannot_acknowledge_it(client):
    need = need_with_story_terms(TERM)
    reviewer = make_reviewer()
    update = draft_update(need, f"{TERM} chose to be named.")
    update.save_revision(user=reviewer)
    login(client, reviewer)

    response = client.post(findings_url(update), {"finding": finding_of(update), "reason": "Fine"})

    assert response.status_code == 403 or response["Location"] == reverse("wagtailadmin_home")
    assert not FindingAcknowledgement.objects.exists()


def test_the_update_editor_lists_its_findings_and_links_to_where_they_are_acknowledged(client):
    need = need_with_story_terms(TERM)
    update = draft_update(need, "A fictional note.", title=f"{TERM} began")
    login(client, make_update_editor())

    page = client.get(edit_url(update)).content.decode()

    assert f"Title: {TERM_MESSAGE}" in page
    assert findings_url(update) in page


def test_publishing_a_new_update_carrying_a_term_creates_nothing(client):
    need = need_with_story_terms(TERM)
    login(client, make_update_editor())
    add_url = reverse(NeedUpdate.snippet_viewset.get_url_name("add")) + "?locale=en"

    response = client.post(
        add_url,
        {
            "need": need.pk,
            "title": "A fictional note",
            "text": f"{TERM} started her course.",
            "image_alt_text": "",
            "action-publish": "action-publish",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["text"] == [f"Text: {TERM_MESSAGE}"]
    assert not NeedUpdate.objects.exists()
