"""Four eyes: whoever wrote or last edited a story cannot approve its safety review."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from tests.factories import make_reviewer, make_story
from tests.helpers import login
from wagtail_sixdegrees.checks import check_other_settings
from wagtail_sixdegrees.models import SurvivorStoryPage
from wagtail_sixdegrees.stories.workflow import CHECKLIST

pytestmark = pytest.mark.django_db

ALL_TICKED = {name: True for name, _label in CHECKLIST}


def submitted(story, user):
    """``story`` submitted for its safety review by ``user``; the task state to act on."""
    state = story.get_workflow().start(story, user)
    return state.current_task_state.specific


def offered(task_state, story, user) -> list[str]:
    return [name for name, _label, _modal in task_state.task.specific.get_actions(story, user)]


def story_written_by(author):
    story = make_story(owner=author)
    return SurvivorStoryPage.objects.get(pk=story.pk)


def story_last_edited_by(editor):
    story = make_story()
    story.teaser = "Edited by the reviewer themselves."
    story.save_revision(user=editor)
    return SurvivorStoryPage.objects.get(pk=story.pk)


@pytest.mark.parametrize("role", ["author", "last editor"])
def test_writer_of_a_story_is_not_offered_approval_and_is_refused(role):
    reviewer = make_reviewer("writer")
    story = story_written_by(reviewer) if role == "author" else story_last_edited_by(reviewer)
    task_state = submitted(story, reviewer)

    assert "approve" not in offered(task_state, story, reviewer)
    with pytest.raises(PermissionDenied, match="another reviewer must approve"):
        task_state.task.specific.on_action(task_state, reviewer, "approve", **ALL_TICKED)

    assert not SurvivorStoryPage.objects.get(pk=story.pk).live


@pytest.mark.parametrize("role", ["author", "last editor"])
def test_another_reviewer_approves_a_story_someone_else_wrote(role):
    writer = make_reviewer("writer")
    story = story_written_by(writer) if role == "author" else story_last_edited_by(writer)
    other = make_reviewer("second-pair-of-eyes")
    task_state = submitted(story, writer)

    assert "approve" in offered(task_state, story, other)
    task_state.task.specific.on_action(task_state, other, "approve", **ALL_TICKED)

    assert SurvivorStoryPage.objects.get(pk=story.pk).live


def test_author_cannot_approve_through_the_admin_either(client):
    author = make_reviewer("writer")
    story = story_written_by(author)
    task_state = submitted(story, author)
    login(client, author)
    url = reverse("wagtailadmin_pages:workflow_action", args=[story.pk, "approve", task_state.pk])

    client.post(url, {**dict.fromkeys(ALL_TICKED, "on"), "comment": "My own story."})

    assert not SurvivorStoryPage.objects.get(pk=story.pk).live


def test_relaxing_four_eyes_lets_the_author_approve_and_warns(settings):
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "SAFETY_REVIEW_FOUR_EYES": False}
    author = make_reviewer("only-reviewer")
    story = story_written_by(author)
    task_state = submitted(story, author)

    assert "approve" in offered(task_state, story, author)
    task_state.task.specific.on_action(task_state, author, "approve", **ALL_TICKED)

    assert SurvivorStoryPage.objects.get(pk=story.pk).live
    warnings = [message for message in check_other_settings() if message.id.endswith("W012")]
    assert len(warnings) == 1 and warnings[0].level == 30  # a warning, not an error


def test_four_eyes_is_on_by_default_without_a_warning():
    assert not [message for message in check_other_settings() if message.id.endswith("W012")]
