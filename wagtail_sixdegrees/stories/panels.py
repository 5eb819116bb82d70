"""Editor panels: the consent status shown at the top of every story."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import Panel

from .consent import consent_for
from .publishing import publication_problems


class ConsentStatusPanel(Panel):
    """Whether the story may be published, and why not, without revealing the consent record.

    Editors see the status and expiry date; the record itself (who gave it, the form
    reference) stays with people who hold the consent permissions.
    """

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("heading", "")
        super().__init__(**kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtail_sixdegrees/stories/admin/consent_status_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            page = self.instance
            user = self.request.user
            consent = consent_for(page) if page.pk else None
            context.update(
                {
                    "consent": consent,
                    "status": consent.status() if consent else None,
                    "problems": publication_problems(page) if page.pk else [],
                    "can_view": user.has_perm("wagtail_sixdegrees.view_storyconsent"),
                    "can_add": page.pk
                    and consent is None
                    and user.has_perm("wagtail_sixdegrees.add_storyconsent"),
                    "can_withdraw": consent is not None
                    and consent.withdrawn_on is None
                    and user.has_perm("wagtail_sixdegrees.withdraw_storyconsent"),
                    "can_issue_card": consent is not None
                    and consent.withdrawn_on is None
                    and user.has_perm("wagtail_sixdegrees.change_storyconsent"),
                }
            )
            if consent is not None:
                context["withdraw_url"] = reverse(
                    "wagtail_sixdegrees_story_consent:withdraw", args=[consent.pk]
                )
                context["card_url"] = reverse(
                    "wagtail_sixdegrees_story_consent:card", args=[consent.pk]
                )
                context["inspect_url"] = reverse(
                    "wagtail_sixdegrees_story_consent:inspect", args=[consent.pk]
                )
            elif page.pk:
                context["add_url"] = (
                    reverse("wagtail_sixdegrees_story_consent:add") + f"?story={page.pk}"
                )
            return context


class IdentifyingDetailsPanel(Panel):
    """The re-identification check's findings on the draft being edited, in the story's
    language, each saying where it is and what it is, never which recorded term matched."""

    #: What unresolved findings stop; subclasses for other checked models say what they stop.
    unresolved_message = _(
        "These details could identify the survivor. Fix each one, or ask a safety reviewer to "
        "acknowledge it with a reason; the story cannot be published before."
    )

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("heading", "")
        super().__init__(**kwargs)

    def findings_url(self, instance) -> str:
        """Where a safety reviewer sees and acknowledges the findings of ``instance``."""
        return reverse("wagtail_sixdegrees_story_consent:findings", args=[instance.pk])

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtail_sixdegrees/stories/admin/findings_panel.html"

        def get_context_data(self, parent_context=None):
            from .reidentification_check import (
                acknowledgements,
                finding_message,
                findings_for,
            )

            context = super().get_context_data(parent_context)
            page = self.instance
            if not page.pk:
                return context
            findings = findings_for(page)
            done = set(acknowledgements(page).values_list("fingerprint", flat=True))
            language = page.locale.language_code
            context.update(
                {
                    "unresolved_message": self.panel.unresolved_message,
                    "unresolved": [
                        finding_message(finding, language)
                        for finding in findings
                        if finding.fingerprint not in done
                    ],
                    "acknowledged_count": sum(f.fingerprint in done for f in findings),
                    "findings_url": self.panel.findings_url(page),
                }
            )
            return context


def warn_of_findings_on_submit(request, page) -> None:
    """``after_create_page``/``after_edit_page``: submitting a story for review runs the check
    and says how many findings its reviewer will have to see fixed or acknowledge."""
    from django.utils.translation import ngettext
    from wagtail.admin import messages

    from .models import AbstractSurvivorStoryPage
    from .reidentification_check import unresolved_findings

    if not request.POST.get("action-submit") or not isinstance(page, AbstractSurvivorStoryPage):
        return
    count = len(unresolved_findings(page.get_latest_revision_as_object()))
    if count:
        messages.warning(
            request,
            ngettext(
                "Submitted with %(count)s detail that could identify the survivor: it must be "
                "fixed, or acknowledged by a safety reviewer, before the story is published.",
                "Submitted with %(count)s details that could identify the survivor: each must "
                "be fixed, or acknowledged by a safety reviewer, before the story is published.",
                count,
            )
            % {"count": count},
        )
