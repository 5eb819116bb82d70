"""Admin views for donors' data rights: find a donor, download their data, erase them.

Two permissions: ``export_donor_data`` (find and download) and ``erase_donor`` (erase, after a
confirmation that repeats the address). Email addresses travel only in POST bodies, never in
URLs, logs or messages: after erasure nothing on our side may still hold them.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..stories.finding_views import FindingsView
from .data_rights import (
    DonorNotFound,
    ErasureRefused,
    erase_donor,
    export_donor,
    find_donor,
    running_gifts,
)
from .models import DonorErasure, NeedUpdate

EXPORT_PERMISSION = "wagtail_sixdegrees.export_donor_data"
ERASE_PERMISSION = "wagtail_sixdegrees.erase_donor"


def can_export(user: Any) -> bool:
    return user.has_perm(EXPORT_PERMISSION)


def can_erase(user: Any) -> bool:
    return user.has_perm(ERASE_PERMISSION)


class DonorEmailForm(forms.Form):
    email = forms.EmailField(label=_("Donor's email address"))
    confirm_email = forms.EmailField(label=_("Type the address again to confirm"), required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what clean() returns; typed as a dict
        if self.data.get("action") == "erase" and (
            (cleaned.get("confirm_email") or "").strip().lower()
            != (cleaned.get("email") or "").strip().lower()
        ):
            self.add_error("confirm_email", _("The two addresses differ. Nothing was erased."))
        return cleaned


class DonorDataView(WagtailAdminTemplateMixin, TemplateView):
    """One screen: find (POST ``find``), download (``export``), confirm (``confirm_erase``),
    erase (``erase``). Every step is a POST, so addresses stay out of URLs."""

    template_name = "wagtail_sixdegrees/transparency/admin/donor_data.html"
    page_title = _("Donor data")
    header_icon = "user"
    index_url_name = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not (can_export(request.user) or can_erase(request.user)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", DonorEmailForm())
        context.update(
            {
                "can_export": can_export(self.request.user),
                "can_erase": can_erase(self.request.user),
                "erasures": DonorErasure.objects.all()[:20],
            }
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = request.POST.get("action", "find")
        form = DonorEmailForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            donor = find_donor(form.cleaned_data["email"])
        except DonorNotFound:
            form.add_error("email", _("No donor has this address. Erased donors have none."))
            return self.render_to_response(self.get_context_data(form=form))

        if action == "export":
            if not can_export(request.user):
                raise PermissionDenied
            data = json.dumps(export_donor(donor), cls=DjangoJSONEncoder, indent=2)
            response = HttpResponse(data, content_type="application/json; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="donor-{donor.pk}.json"'
            add_never_cache_headers(response)
            return response
        if action in ("confirm_erase", "erase") and not can_erase(request.user):
            raise PermissionDenied
        if action == "erase":
            try:
                erasure = erase_donor(donor, user=request.user, via=DonorErasure.Via.ADMIN)
            except ErasureRefused as refused:
                messages.error(request, refused.message)
                return redirect(request.path)
            messages.success(
                request,
                _("Donor %(id)s was erased. Their gifts and the ledger are unchanged.")
                % {"id": erasure.donor_id},
            )
            return redirect(request.path)
        context = self.get_context_data(form=form)
        context.update(
            {
                "donor": donor,
                "confirming": action == "confirm_erase",
                "donation_count": donor.donations.count(),
                "gift_count": donor.recurring_gifts.count(),
                "running_gift_count": running_gifts(donor).count(),
            }
        )
        return self.render_to_response(context)


class NeedUpdateFindingsView(FindingsView):
    """The findings of a need update: recorded terms of the stories that support its need, and
    places finer than a province. A safety reviewer acknowledges one here, as for a story."""

    page_title = _("Details that could identify a survivor")
    back_label = _("Back to the need update")

    def get_object(self, **kwargs: Any) -> NeedUpdate:
        return get_object_or_404(NeedUpdate, pk=kwargs["pk"])

    def can_edit(self, obj: NeedUpdate, user: Any) -> bool:
        return bool(user.has_perm("wagtail_sixdegrees.change_needupdate"))

    def get_edit_url(self) -> str:
        return reverse(NeedUpdate.snippet_viewset.get_url_name("edit"), args=[self.object.pk])
