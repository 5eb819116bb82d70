"""The story safety review: a Wagtail workflow task approved only with a completed checklist.

``StorySafetyReviewTask`` behaves like Wagtail's group approval task (members of its groups
review), but its approve action opens a checklist in which every box must be ticked, and it
offers "approve" only while the story could actually be published (consent recorded and
current, pseudonym and region set). ``ensure_story_workflow`` creates the default
"Story safety review" workflow and assigns it to story indexes, idempotently.

Four eyes: whoever wrote the story (its owner) or made its latest revision is never offered
"approve" and is refused if they try (``SAFETY_REVIEW_FOUR_EYES``, on by default).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from wagtail.forms import TaskStateCommentForm
from wagtail.models import (
    AbstractGroupApprovalTask,
    GroupPagePermission,
    Page,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from .. import conf

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DEFAULT_WORKFLOW_NAME = "Story safety review"
DEFAULT_TASK_NAME = "Story safety review"
REVIEWERS_GROUP_NAME = "Story safety reviewers"

#: (field name, what the reviewer confirms). All are required to approve.
CHECKLIST = [
    (
        "no_recognisable_people",
        _(
            "Nobody can be recognised in any image: no faces, tattoos, distinctive clothes, "
            "landmarks or readable signs."
        ),
    ),
    (
        "no_real_names",
        _(
            "No real names: not of the survivor, their family, traffickers, employers, "
            "caseworkers or officials."
        ),
    ),
    (
        "no_identifying_details",
        _(
            "No identifying places, employers or dates: nothing finer than a province, no "
            "named workplace, no exact dates or events that point to one person."
        ),
    ),
    (
        "consent_covers_use",
        _(
            "The recorded consent covers this story, as written, on this website (and on "
            "social media if a social image is set)."
        ),
    ),
]


class SafetyChecklistForm(TaskStateCommentForm):
    """Every box must be ticked to approve."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        comment = self.fields.pop("comment")
        for name, label in CHECKLIST:
            self.fields[name] = forms.BooleanField(
                label=label,
                required=True,
                error_messages={"required": _("Check this before approving.")},
            )
        self.fields["comment"] = comment


def wrote_or_last_edited(page, user) -> bool:
    """Whether ``user`` wrote ``page`` (owns it) or made its latest revision (``page`` may be
    any revisioned object: need updates have no owner)."""
    if user is None or user.pk is None:
        return False
    if getattr(page, "owner_id", None) == user.pk:
        return True
    latest = page.get_latest_revision() if page.pk else None
    return latest is not None and latest.user_id == user.pk


def four_eyes_refuses(page, user) -> bool:
    """Whether the four-eyes rule stops ``user`` approving ``page``'s safety review."""
    return conf.get_setting("SAFETY_REVIEW_FOUR_EYES") is True and wrote_or_last_edited(page, user)


FOUR_EYES_MESSAGE = _(
    "You wrote or last edited this story, so another reviewer must approve its safety review."
)


def approval_problems(page) -> list[StrOrPromise]:
    """What stops a reviewer approving ``page`` now (its latest revision, not the live one)."""
    from .publishing import publication_problems

    latest = page.get_latest_revision_as_object() if page.pk else page
    return publication_problems(latest, require_review=False)


class StorySafetyReviewTask(AbstractGroupApprovalTask):
    """Approval by a story safety reviewer, with a checklist, before publication."""

    class Meta:
        verbose_name = _("story safety review")
        verbose_name_plural = _("story safety reviews")

    @classmethod
    def get_description(cls):
        return _(
            "Members of the chosen groups approve a story only after ticking every item of the "
            "safety checklist, and only while its consent is current."
        )

    def get_actions(self, obj, user):
        actions = super().get_actions(obj, user)
        if not actions:
            return []
        actions = [action for action in actions if action[0] != "approve"]
        page = obj.specific if isinstance(obj, Page) else obj
        if four_eyes_refuses(page, user):
            return actions
        if not approval_problems(page):
            actions.append(("approve", _("Approve after safety check"), True))
        return actions

    def get_form_for_action(self, action):
        if action == "approve":
            return SafetyChecklistForm
        return super().get_form_for_action(action)

    def get_template_for_action(self, action):
        if action == "approve":
            return "wagtail_sixdegrees/stories/admin/safety_checklist_modal.html"
        return super().get_template_for_action(action)

    @transaction.atomic
    def on_action(self, task_state, user, action_name, **kwargs):
        if action_name == "approve":
            ticked = [bool(kwargs.pop(name, False)) for name, _label in CHECKLIST]
            if not all(ticked):
                raise PermissionDenied("Every item of the safety checklist must be checked.")
            page = task_state.workflow_state.content_object.specific
            if four_eyes_refuses(page, user):
                raise PermissionDenied(str(FOUR_EYES_MESSAGE))
            problems = approval_problems(page)
            if problems:
                raise PermissionDenied(" ".join(str(problem) for problem in problems))
        return super().on_action(task_state, user, action_name, **kwargs)


#: Global permissions of the reviewers group: the admin, and everything about consent except
#: deleting records.
REVIEWER_PERMISSIONS = (
    ("wagtailadmin", "access_admin"),
    ("wagtail_sixdegrees", "view_storyconsent"),
    ("wagtail_sixdegrees", "add_storyconsent"),
    ("wagtail_sixdegrees", "change_storyconsent"),
    ("wagtail_sixdegrees", "withdraw_storyconsent"),
    ("wagtail_sixdegrees", "add_findingacknowledgement"),
)


def ensure_story_workflow() -> Workflow:
    """The default workflow with its safety review task and reviewers group (idempotent)."""
    group, _created = Group.objects.get_or_create(name=REVIEWERS_GROUP_NAME)
    for app_label, codename in REVIEWER_PERMISSIONS:
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is not None:
            group.permissions.add(permission)
    task = StorySafetyReviewTask.objects.filter(name=DEFAULT_TASK_NAME).first()
    if task is None:
        task = StorySafetyReviewTask.objects.create(name=DEFAULT_TASK_NAME)
        task.groups.set([group])
    workflow = Workflow.objects.filter(name=DEFAULT_WORKFLOW_NAME).first()
    if workflow is None:
        workflow = Workflow.objects.create(name=DEFAULT_WORKFLOW_NAME, active=True)
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    return workflow


def workflow_has_safety_review(workflow: Workflow | None) -> bool:
    return bool(
        workflow
        and workflow.active
        and StorySafetyReviewTask.objects.filter(
            workflow_tasks__workflow=workflow, active=True
        ).exists()
    )


#: What the reviewers group may do with the stories under an index it reviews. Publishing is
#: needed because approving the last step of a workflow publishes the page as the approver.
REVIEWER_PAGE_PERMISSIONS = ("change_page", "publish_page")


def assign_story_workflow(index_page: Page) -> bool:
    """Give ``index_page`` the default workflow unless its stories already get a safety review.

    Also lets the reviewers group edit and publish the stories under it. Returns whether
    anything changed. Safe to call any number of times.
    """
    if workflow_has_safety_review(index_page.get_workflow()):
        return False
    workflow = ensure_story_workflow()
    if not workflow.active:
        return False
    WorkflowPage.objects.update_or_create(page=index_page, defaults={"workflow": workflow})
    group = Group.objects.get(name=REVIEWERS_GROUP_NAME)
    for permission in Permission.objects.filter(
        content_type__app_label="wagtailcore", codename__in=REVIEWER_PAGE_PERMISSIONS
    ):
        GroupPagePermission.objects.get_or_create(
            group=group, page=index_page, permission=permission
        )
    return True


def assign_workflow_to_new_index(sender, instance, created=False, raw=False, **kwargs) -> None:
    """``post_save`` on story indexes: every new index (and translation) gets a safety review."""
    from .models import AbstractStoryIndexPage

    if created and not raw and isinstance(instance, AbstractStoryIndexPage):
        assign_story_workflow(instance)
