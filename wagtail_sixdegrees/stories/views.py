"""Admin view for withdrawing consent: confirm, then take the story down at once."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .consent import StoryConsent

WITHDRAW_PERMISSION = "wagtail_sixdegrees.withdraw_storyconsent"


class WithdrawConsentView(WagtailAdminTemplateMixin, TemplateView):
    """GET shows what will be taken down; POST records the withdrawal and takes it down."""

    template_name = "wagtail_sixdegrees/stories/admin/withdraw_consent.html"
    page_title = _("Withdraw consent")
    header_icon = "lock"
    index_url_name: str = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(WITHDRAW_PERMISSION):
            raise PermissionDenied
        self.consent = get_object_or_404(StoryConsent, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_success_url(self) -> str:
        return get_valid_next_url_from_request(self.request) or self.index_url_name

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "consent": self.consent,
                "stories": self.consent.stories().select_related("locale").order_by("pk"),
                "next_url": get_valid_next_url_from_request(self.request),
            }
        )
        return context

    def post(self, request, *args, **kwargs):
        from .takedown import withdraw_consent

        if self.consent.withdrawn_on:
            messages.warning(request, _("Consent for this story had already been withdrawn."))
            return redirect(self.get_success_url())
        report = withdraw_consent(self.consent, user=request.user)
        messages.success(
            request,
            _(
                "Consent withdrawn. %(count)s page(s) taken down; the story's address now tells "
                "visitors it is gone."
            )
            % {"count": len(report.unpublished)},
        )
        return redirect(self.get_success_url())
