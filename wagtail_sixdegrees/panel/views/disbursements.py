"""Disbursements: money sent from needs to partners; recorded, listed, exported, reversed."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column

from ... import money
from ...allocation import ledger
from ...allocation.models import Disbursement
from .. import names, permissions
from ..columns import MoneyColumn
from ..filters import DisbursementFilterSet
from ..forms import DisbursementForm, ReasonForm
from .base import ExportColumn, GivingFormView, GivingIndexView, GivingInspectView, amount_value
from .reallocate import needs_holding_money


def with_reversal_state(queryset: QuerySet) -> QuerySet:
    """Annotate ``is_reversed``: whether a later row reverses this one."""
    reversed_by = Disbursement.objects.filter(reverses=OuterRef("pk"))
    return queryset.annotate(is_reversed=Exists(reversed_by))


def state_label(disbursement: Disbursement) -> str:
    if disbursement.is_reversal:
        return str(_("Reversal"))
    if getattr(disbursement, "is_reversed", False):
        return str(_("Reversed"))
    return str(_("Paid"))


class DisbursementIndexView(GivingIndexView):
    page_title = _("Disbursements")
    filterset_class = DisbursementFilterSet
    default_ordering = "-paid_on"
    export_filename = "disbursements"
    export_columns = [
        ExportColumn("id", _("Disbursement")),
        ExportColumn("paid_on", _("Paid on")),
        ExportColumn("need", _("Need"), lambda d: d.need.title),
        ExportColumn("partner", _("Partner"), lambda d: d.partner.name),
        ExportColumn("currency", _("Currency")),
        ExportColumn("amount", _("Amount"), amount_value("amount")),
        ExportColumn("reference", _("Payment reference")),
        ExportColumn("state", _("State"), state_label),
        ExportColumn("reverses_id", _("Reverses")),
        ExportColumn("reason", _("Reason")),
        ExportColumn("actor_label", _("By")),
        ExportColumn("created_at", _("Recorded at")),
    ]

    def get_base_queryset(self) -> QuerySet:
        return with_reversal_state(Disbursement.objects.select_related("need", "partner"))

    @cached_property
    def add_item_label(self) -> str:
        return str(_("Record disbursement"))

    @cached_property
    def columns(self) -> list[Any]:
        return [
            self.title_column(
                "paid_on",
                label=_("Paid on"),
                sort_key="paid_on",
            ),
            Column("need", label=_("Need"), accessor="need.title"),
            Column("partner", label=_("Partner"), accessor="partner.name"),
            MoneyColumn("amount", label=_("Amount"), sort_key="amount"),
            Column("reference", label=_("Payment reference")),
            Column("state", label=_("State"), accessor=state_label),
            Column("actor_label", label=_("By")),
        ]


class DisbursementCreateView(GivingFormView):
    permission_required = permissions.DISBURSE
    page_title = _("Record disbursement")
    form_class = DisbursementForm
    submit_label = _("Record disbursement")
    error_message = _("The disbursement was not recorded: correct the errors below.")
    intro = _(
        "Record money you have sent to a need's partner. You cannot record more than the need "
        "holds and has not paid out yet."
    )

    def parent_breadcrumbs(self) -> list[dict[str, Any]]:
        return [{"url": names.url(names.DISBURSEMENTS), "label": _("Disbursements")}]

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        if self.request.GET.get("need", "").isdigit():
            initial["need"] = int(self.request.GET["need"])
        return initial

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["needs"] = needs_holding_money().select_related("partner")
        return kwargs

    def form_valid(self, form: DisbursementForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            disbursement = ledger.record_disbursement(
                data["need"],
                data["amount_minor"],
                paid_on=data["paid_on"],
                actor=self.request.user,
                reference=data["reference"],
                note=data["note"],
            )
        except ledger.LedgerError as refused:
            return self.refuse(form, refused.message, "amount")
        return self.succeed(
            str(
                _("Recorded %(amount)s paid to %(partner)s for %(need)s.")
                % {
                    "amount": disbursement.amount_display,
                    "partner": disbursement.partner.name,
                    "need": disbursement.need.title,
                }
            ),
            names.url(names.DISBURSEMENTS, "inspect", disbursement.pk),
        )


class DisbursementInspectView(GivingInspectView):
    template_name = "wagtail_sixdegrees/panel/disbursement_inspect.html"

    def get_object(self, queryset: QuerySet[Disbursement] | None = None) -> Disbursement:
        return get_object_or_404(
            with_reversal_state(Disbursement.objects.select_related("need", "partner", "reverses")),
            pk=self.pk,
        )

    def get_page_subtitle(self) -> str:
        return str(self.object)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        disbursement = self.object
        reversal = Disbursement.objects.filter(reverses=disbursement).first()
        context.update(
            disbursement=disbursement,
            state=state_label(disbursement),
            reversal=reversal,
            amount=money.format_money(disbursement.amount, disbursement.currency),
            reverse_url=names.url(names.DISBURSEMENTS, "reverse", disbursement.pk)
            if not disbursement.is_reversal
            and reversal is None
            and self.user_can(permissions.DISBURSE)
            else "",
        )
        return context


class ReverseDisbursementView(GivingFormView):
    permission_required = permissions.DISBURSE
    page_title = _("Reverse disbursement")
    form_class = ReasonForm
    submit_label = _("Reverse it")
    error_message = _("Nothing was reversed: correct the errors below.")

    def setup(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.disbursement = get_object_or_404(
            Disbursement.objects.select_related("need", "partner"), pk=kwargs["pk"]
        )

    def get_page_subtitle(self) -> str:
        return str(self.disbursement)

    def parent_breadcrumbs(self) -> list[dict[str, Any]]:
        return [
            {"url": names.url(names.DISBURSEMENTS), "label": _("Disbursements")},
            {
                "url": names.url(names.DISBURSEMENTS, "inspect", self.disbursement.pk),
                "label": str(self.disbursement),
            },
        ]

    @property
    def intro(self) -> str:
        return str(
            _(
                "Record that %(amount)s to %(partner)s did not happen or came back. The original "
                "stays on record; a reversal line is added with your reason, and the need holds "
                "the money again."
            )
            % {"amount": self.disbursement.amount_display, "partner": self.disbursement.partner}
        )

    def form_valid(self, form: ReasonForm) -> HttpResponse:
        try:
            ledger.reverse_disbursement(
                self.disbursement, actor=self.request.user, reason=form.cleaned_data["reason"]
            )
        except ledger.LedgerError as refused:
            return self.refuse(form, refused.message)
        return self.succeed(
            str(_("The disbursement is reversed.")),
            names.url(names.DISBURSEMENTS, "inspect", self.disbursement.pk),
        )
