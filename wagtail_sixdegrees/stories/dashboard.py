"""Admin UI around consent: the dashboard panel and the story page buttons."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.components import Component
from wagtail.admin.widgets.button import Button

from .. import conf
from .consent import StoryConsent, consent_for
from .models import AbstractSurvivorStoryPage, story_pages

VIEW_PERMISSION = "wagtail_sixdegrees.view_storyconsent"
ADD_PERMISSION = "wagtail_sixdegrees.add_storyconsent"
WITHDRAW_PERMISSION = "wagtail_sixdegrees.withdraw_storyconsent"
URL_NAMESPACE = "wagtail_sixdegrees_story_consent"


class ExpiringConsentPanel(Component):
    """Stories whose consent ends soon, for people allowed to see consent records."""

    name = "sixdegrees_expiring_consent"
    template_name = "wagtail_sixdegrees/stories/admin/expiring_consent_panel.html"
    order = 120

    def __init__(self, request) -> None:
        self.request = request

    def render_html(self, parent_context=None):
        if not self.request.user.has_perm(VIEW_PERMISSION):
            return ""
        return super().render_html(parent_context)

    def get_context_data(self, parent_context=None):
        today = timezone.localdate()
        days = conf.get_setting("CONSENT_EXPIRY_WARNING_DAYS")
        consents = list(StoryConsent.objects.expiring_within(days, today).order_by("expires_on"))
        pages = {
            page.translation_key: page
            for page in story_pages()
            .filter(translation_key__in=[consent.translation_key for consent in consents])
            .order_by("-pk")
        }
        rows = [
            {
                "consent": consent,
                "story": pages.get(consent.translation_key),
                "days_left": consent.days_left(today),
            }
            for consent in consents
        ]
        return {"rows": rows, "days": days}


def consent_buttons(page, user, next_url=None):
    """ "Record consent" / "Withdraw consent" on a story's header and listing menus."""
    if not isinstance(page.specific_deferred, AbstractSurvivorStoryPage):
        return
    can_add = user.has_perm(ADD_PERMISSION)
    can_withdraw = user.has_perm(WITHDRAW_PERMISSION)
    if not (can_add or can_withdraw):
        return
    consent = consent_for(page)
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    if consent is None and can_add:
        yield Button(
            _("Record consent"),
            reverse(f"{URL_NAMESPACE}:add") + "?" + urlencode({"story": page.pk}),
            icon_name="lock",
            priority=55,
        )
    elif consent is not None and consent.withdrawn_on is None and can_withdraw:
        yield Button(
            _("Withdraw consent"),
            reverse(f"{URL_NAMESPACE}:withdraw", args=[consent.pk]) + query,
            icon_name="warning",
            priority=56,
        )
