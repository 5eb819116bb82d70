"""The story safety review: a checklist to approve, and a default workflow on every story index."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from wagtail.models import WorkflowPage

from tests.factories import make_consent, make_reviewer, make_story, make_story_index
from tests.helpers import login
from wagtail_sixdegrees.models import StorySafetyReviewTask, SurvivorStoryPage
from wagtail_sixdegrees.stories.workflow import (
    CHECKLIST,
    DEFAULT_WORKFLOW_NAME,
    SafetyChecklistForm,
)

pytestmark = pytest.mark.django_db

ALL_TICKED = {name: "on" for name, _label in CHECKLIST}


def submit(story, user):
    state = story.get_workflow().start(story, user)
    return state.current_task_state.specific


def test_every_new_story_index_gets_the_safety_review_workflow():
    index = make_story_index()

    workflow = index.get_workflow()

    assert workflow.name == DEFAULT_WORKFLOW_NAME
    assert isinstance(workflow.tasks.first().specific, StorySafetyReviewTask)


def test_workflow_command_is_idempotent_and_repairs_a_removed_assignment(capsys):
    index = make_story_index()
    WorkflowPage.objects.filter(page=index).delete()

    call_command("sixdegrees_story_workflow")
    first = capsys.readouterr().out
    call_command("sixdegrees_story_workflow")
    second = capsys.readouterr().out

    assert "1 story index(es) updated" in first
    assert "0 story index(es) updated" in second
    assert index.get_workflow().name == DEFAULT_WORKFLOW_NAME


@pytest.mark.parametrize("missing", [name for name, _label in CHECKLIST])
def test_checklist_form_needs_every_box_ticked(missing):
    data = {**ALL_TICKED}
    del data[missing]

    form = SafetyChecklistForm(data)

    assert not form.is_valid()
    assert missing in form.errors


def test_approval_without_the_checklist_is_refused_and_nothing_is_published():
    story = make_story()
    reviewer = make_reviewer()
    task_state = submit(story, reviewer)

    with pytest.raises(PermissionDenied):
        task_state.task.specific.on_action(task_state, reviewer, "approve", comment="")

    assert not SurvivorStoryPage.objects.get(pk=story.pk).live


def test_approve_is_not_offered_while_consent_is_missing():
    story = make_story(consent=False)
    reviewer = make_reviewer()
    task_state = submit(story, reviewer)

    actions = task_state.task.specific.get_actions(story, reviewer)

    assert [name for name, _label, _modal in actions] == ["reject"]
    make_consent(story)
    story._sixdegrees_consent = False  # forget the cached "no consent"
    actions = task_state.task.specific.get_actions(story, reviewer)
    assert "approve" in [name for name, _label, _modal in actions]


def test_people_outside_the_reviewers_group_cannot_approve(django_user_model):
    story = make_story()
    outsider = django_user_model.objects.create_user("outsider", password="x")
    task_state = submit(story, outsider)

    assert task_state.task.specific.get_actions(story, outsider) == []


def test_reviewer_approves_with_the_checklist_through_the_admin_and_the_story_goes_live(client):
    story = make_story()
    reviewer = make_reviewer()
    task_state = submit(story, reviewer)
    login(client, reviewer)
    url = reverse("wagtailadmin_pages:workflow_action", args=[story.pk, "approve", task_state.pk])

    form = client.get(url)
    assert form.status_code == 200
    assert "Safety checklist" in form.json()["html"]
    refused = client.post(url, {"comment": "looks fine"})
    assert not SurvivorStoryPage.objects.get(pk=story.pk).live
    assert refused.status_code == 302
    approved = client.post(url, {**ALL_TICKED, "comment": "Checked with the caseworker."})

    assert approved.status_code == 302
    assert SurvivorStoryPage.objects.get(pk=story.pk).live
