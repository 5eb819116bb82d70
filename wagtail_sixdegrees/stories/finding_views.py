"""Admin view of the re-identification findings of a story (or a need update), where a safety
reviewer acknowledges one with a reason (recorded and audited) so that it can be published."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Page

from .reidentification_check import (
    acknowledge,
    acknowledgements,
    finding_message,
    findings_for,
)
from .workflow import FOUR_EYES_MESSAGE, four_eyes_refuses

#: Who may acknowledge findings: the story safety reviewers group has it by default.
ACKNOWLEDGE_PERMISSION = "wagtail_sixdegrees.add_findingacknowledgement"


def can_acknowledge(page, user) -> bool:
    """A safety reviewer who did not write or last edit the story (``SAFETY_REVIEW_FOUR_EYES``)."""
    return user.has_perm(ACKNOWLEDGE_PERMISSION) and not four_eyes_refuses(page, user)


class FindingsView(WagtailAdminTemplateMixin, TemplateView):
    """GET lists the findings of an object's latest draft; POST acknowledges one.

    Subclasses say which object (:meth:`get_object`), who may see it (:meth:`can_edit`) and
    where its editor is (:meth:`get_edit_url`)."""

    template_name = "wagtail_sixdegrees/stories/admin/findings.html"
    page_title = _("Details that could identify the survivor")
    header_icon = "warning"
    back_label = _("Back to the story")

    def get_object(self, **kwargs: Any):
        raise NotImplementedError

    def can_edit(self, obj, user) -> bool:
        raise NotImplementedError

    def get_edit_url(self) -> str:
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        obj = self.get_object(**kwargs)
        if not (self.can_edit(obj, request.user) or request.user.has_perm(ACKNOWLEDGE_PERMISSION)):
            raise PermissionDenied
        self.object = obj
        self.latest = obj.get_latest_revision_as_object()
        self.language = obj.locale.language_code
        self.findings = findings_for(self.latest)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        done = {ack.fingerprint: ack for ack in acknowledgements(self.object)}
        context.update(
            {
                "page": self.object,
                "is_page": isinstance(self.object, Page),
                "edit_url": self.get_edit_url(),
                "back_label": self.back_label,
                "unresolved": [
                    (finding, finding_message(finding, self.language))
                    for finding in self.findings
                    if finding.fingerprint not in done
                ],
                "acknowledged": [
                    (done[finding.fingerprint], finding_message(finding, self.language))
                    for finding in self.findings
                    if finding.fingerprint in done
                ],
                "can_acknowledge": can_acknowledge(self.object, self.request.user),
                "four_eyes": four_eyes_refuses(self.object, self.request.user),
                "four_eyes_message": FOUR_EYES_MESSAGE,
            }
        )
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(ACKNOWLEDGE_PERMISSION):
            raise PermissionDenied
        if four_eyes_refuses(self.object, request.user):
            raise PermissionDenied(str(FOUR_EYES_MESSAGE))
        fingerprint = request.POST.get("finding", "")
        reason = request.POST.get("reason", "").strip()
        finding = next((f for f in self.findings if f.fingerprint == fingerprint), None)
        if finding is None:
            messages.error(request, _("That finding is no longer in the story. Nothing changed."))
            return redirect(request.path)
        if not reason:
            messages.error(
                request, _("Give the reason this detail is safe to publish. Nothing changed.")
            )
            response = self.get(request, *args, **kwargs)
            response.status_code = 400
            return response
        acknowledge(self.object, finding, request.user, reason)
        messages.success(request, _("Finding acknowledged. Your reason is recorded."))
        return redirect(request.path)


class StoryFindingsView(FindingsView):
    """The findings of a story page (any translation)."""

    def get_object(self, **kwargs: Any):
        from .models import AbstractSurvivorStoryPage

        page = get_object_or_404(Page, pk=kwargs["page_pk"]).specific
        if not isinstance(page, AbstractSurvivorStoryPage):
            raise Http404
        return page

    def can_edit(self, obj, user) -> bool:
        return obj.permissions_for_user(user).can_edit()

    def get_edit_url(self) -> str:
        return reverse("wagtailadmin_pages:edit", args=[self.object.pk])
