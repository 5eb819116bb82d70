"""Offline gifts: record one, import a file (upload, preview, commit), the template, and void.

Views parse and render; ``giving/offline.py`` decides and records, ``allocation/ledger.py``
voids. Only people with ``record_offline_gift`` open these screens; everyone who may view the
panel sees the gifts themselves among the donations.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.generic import View
from wagtail.admin.ui.tables import Column
from wagtail.models import Site

from ... import money
from ...allocation import ledger
from ...giving import offline
from ...giving.models import OfflineBatch
from .. import names, permissions
from ..columns import StatusColumn, format_amount
from ..forms import OfflineGiftForm, OfflineImportForm, VoidForm, target_choices
from .base import GivingFormView, GivingIndexView, PanelPermissionsMixin
from .donations import DonationFormView, local_time


def _parents() -> list[dict[str, Any]]:
    return [{"url": names.url(names.OFFLINE), "label": _("Offline gifts")}]


class OfflineBatchIndexView(GivingIndexView):
    """The imports made so far, newest first, with the actions of the screen."""

    page_title = _("Offline gifts")
    default_ordering = "-created_at"

    def get_base_queryset(self) -> QuerySet[OfflineBatch]:
        return OfflineBatch.objects.all()

    @cached_property
    def add_item_label(self) -> str:
        return str(_("Record an offline gift"))

    def get_header_buttons(self) -> list[Any]:
        from wagtail.admin.widgets.button import HeaderButton

        return [
            *super().get_header_buttons(),
            HeaderButton(
                _("Import a file"), url=names.url(names.OFFLINE, "upload"), icon_name="upload"
            ),
            HeaderButton(
                _("Download the template"),
                url=names.url(names.OFFLINE, "template"),
                icon_name="download",
            ),
        ]

    def get_inspect_url(self, instance: OfflineBatch) -> str:
        return names.url(names.OFFLINE, "preview", instance.pk)

    @cached_property
    def columns(self) -> list[Any]:
        return [
            self.title_column("file_name", label=_("File")),
            Column("created_at", label=_("Uploaded"), accessor=lambda b: local_time(b.created_at)),
            Column("created_by_label", label=_("By")),
            StatusColumn("status", label=_("Status"), primary=(OfflineBatch.Status.COMMITTED,)),
            Column("rows", label=_("Rows"), accessor=lambda b: len(b.rows)),
            Column("created_count", label=_("Gifts created")),
        ]


class RecordOfflineGiftView(GivingFormView):
    permission_required = permissions.RECORD_OFFLINE
    page_title = _("Record an offline gift")
    form_class = OfflineGiftForm
    submit_label = _("Record the gift")
    error_message = _("The gift was not recorded: correct the errors below.")
    intro = _(
        "Record money that reached you outside the website: a bank transfer, cash, a cheque, "
        "mobile money. It is allocated like an online gift, following the donor's wishes. "
        "A mistake is corrected by voiding the gift, never by editing it."
    )

    def parent_breadcrumbs(self) -> list[dict[str, Any]]:
        return _parents()

    def form_valid(self, form: OfflineGiftForm) -> HttpResponse:
        gift = form.gift
        if gift is None:  # a valid form has always read its gift
            return self.form_invalid(form)
        try:
            donation = offline.record_gift(
                gift, actor=self.request.user, site=Site.find_for_request(self.request)
            )
        except offline.OfflineGiftError as refused:
            field = refused.field if refused.field in form.fields else None
            return self.refuse(form, refused.message, field)
        return self.succeed(
            str(
                _("Recorded %(amount)s received by %(channel)s.")
                % {"amount": donation.amount_display, "channel": donation.get_channel_display()}
            ),
            names.url(names.DONATIONS, "inspect", donation.pk),
        )


class ImportUploadView(GivingFormView):
    permission_required = permissions.RECORD_OFFLINE
    page_title = _("Import offline gifts")
    form_class = OfflineImportForm
    submit_label = _("Read the file")
    error_message = _("The file was not read: correct the errors below.")
    template_name = "wagtail_sixdegrees/panel/offline_upload.html"

    def parent_breadcrumbs(self) -> list[dict[str, Any]]:
        return _parents()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            columns=offline.COLUMNS,
            required=offline.REQUIRED_COLUMNS,
            template_url=names.url(names.OFFLINE, "template"),
            target_groups=target_choices()[1:],
        )
        return context

    @method_decorator(csrf_exempt)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # The CSRF check reads the form, and with it the whole upload: a request declaring a
        # body larger than any file we take is refused first, unread (it changes nothing, like
        # a GET). Every other request gets the usual CSRF check before the view runs.
        if request.method == "POST" and offline.declared_too_large(
            request.META.get("CONTENT_LENGTH")
        ):
            return self.refuse_unread(request, *args, **kwargs)
        checked = csrf_protect(super().dispatch)
        return checked(request, *args, **kwargs)

    def refuse_unread(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """The form with the "too large" error, without reading the request's body."""
        if not self.user_has_permission(self.permission_required):  # as dispatch would
            raise PermissionDenied
        form = self.get_form_class().refusing("file", offline.too_large().message)
        response = self.form_invalid(form)
        response.status_code = 413
        return response

    def form_valid(self, form: OfflineImportForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        if upload.size > offline.max_file_bytes():  # a body that declared no length, say
            return self.refuse(form, offline.too_large().message, "file")
        try:
            batch = offline.preview_import(upload.name, upload.read(), actor=self.request.user)
        except offline.ImportRefused as refused:
            return self.refuse(form, refused.message, "file")
        return self.succeed(
            str(
                _("Read %(count)d rows. Check them, then record the accepted ones.")
                % {"count": len(batch.rows)}
            ),
            names.url(names.OFFLINE, "preview", batch.pk),
        )


class ImportPreviewView(GivingFormView):
    """Every row of an uploaded file, accepted or refused with the reason; POST commits."""

    permission_required = permissions.RECORD_OFFLINE
    form_class = forms.Form  # the commit posts nothing but its CSRF token
    template_name = "wagtail_sixdegrees/panel/offline_preview.html"
    page_title = _("Import preview")

    def setup(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.batch = get_object_or_404(OfflineBatch, pk=kwargs["pk"])

    def get_page_subtitle(self) -> str:
        return self.batch.file_name

    def parent_breadcrumbs(self) -> list[dict[str, Any]]:
        return _parents()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        accepted = self.batch.accepted_rows
        expired = offline.is_expired(self.batch)
        context.update(
            expired=expired,
            preview_hours=int(offline.preview_lifetime().total_seconds() // 3600),
            batch=self.batch,
            rows=self.batch.rows,
            accepted=len(accepted),
            refused=len(self.batch.rows) - len(accepted),
            columns=offline.COLUMNS,
            can_commit=self.batch.status == OfflineBatch.Status.PREVIEW
            and bool(accepted)
            and not expired,
            upload_url=names.url(names.OFFLINE, "upload"),
            donations_url=names.url(names.DONATIONS),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            batch = offline.commit_import(
                self.batch, actor=request.user, site=Site.find_for_request(request)
            )
        except offline.OfflineGiftError as refused:
            from wagtail.admin import messages

            messages.error(request, refused.message)
            return self.get(request, *args, **kwargs)
        return self.succeed(
            str(
                ngettext(
                    "Recorded %(count)d offline gift.",
                    "Recorded %(count)d offline gifts.",
                    batch.created_count,
                )
                % {"count": batch.created_count}
            ),
            names.url(names.OFFLINE, "preview", batch.pk),
        )


class TemplateDownloadView(PanelPermissionsMixin, View):
    """The import template as a CSV file."""

    permission_required = permissions.RECORD_OFFLINE

    def get(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        response = HttpResponse(offline.template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="offline-gifts-template.csv"'
        return response


class VoidOfflineGiftView(DonationFormView):
    permission_required = permissions.RECORD_OFFLINE
    page_title = _("Void offline gift")
    form_class = VoidForm
    submit_label = _("Void the gift")
    error_message = _("Nothing was voided: correct the errors below.")

    @property
    def intro(self) -> str:
        return str(
            _(
                "Void %(amount)s received by %(channel)s if it was recorded by mistake. The gift "
                "stays on record as voided; everything it was allocated is reversed by new "
                "ledger lines carrying your reason, and it leaves every total. If a need has "
                "already paid its money out, the void is refused."
            )
            % {
                "amount": format_amount(self.donation.amount, self.donation.currency),
                "channel": self.donation.get_channel_display(),
            }
        )

    def form_valid(self, form: VoidForm) -> HttpResponse:
        try:
            ledger.void_offline_gift(
                self.donation, actor=self.request.user, reason=form.cleaned_data["reason"]
            )
        except ledger.LedgerError as refused:
            return self.refuse(form, refused.message)
        return self.succeed(
            str(
                _("The gift of %(amount)s is voided.")
                % {"amount": money.format_money(self.donation.amount, self.donation.currency)}
            ),
            names.url(names.DONATIONS, "inspect", self.donation.pk),
        )
