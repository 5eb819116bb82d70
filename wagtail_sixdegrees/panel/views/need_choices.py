"""Donors' choices when a need closed (docs/concepts.md#need-closes): who was asked, who chose
what, where the default applied, and how much moved. Read-only: a choice is made by the donor
(or the default), and its money moves through the ledger, never from here."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column

from ...giving.models import NeedChoice
from .. import names
from ..columns import MoneyColumn, StatusColumn, format_amount
from ..filters import NeedChoiceFilterSet, NeedChoiceState
from .base import ExportColumn, GivingIndexView, amount_value
from .donations import local_time


def need_ledger_url(choice: NeedChoice) -> str:
    return f"{names.url(names.LEDGER)}?need={choice.need_id}"


def where_it_went(choice: NeedChoice) -> str:
    if not choice.is_decided:
        return ""
    if choice.chosen_need is not None:
        return choice.chosen_need.title
    return str(choice.get_option_display())


def donor_label(choice: NeedChoice) -> str:
    donor = choice.donor
    if donor.erased_at:
        return str(_("Erased donor"))
    return donor.email or str(_("Donor without an address"))


class StateColumn(StatusColumn):
    def __init__(self) -> None:
        super().__init__(
            "state",
            label=_("State"),
            accessor=NeedChoiceState.label,
            primary=(NeedChoiceState.ASKED,),
        )

    def get_cell_context_data(self, instance: Any, parent_context: Any) -> dict[str, Any]:
        context = super().get_cell_context_data(instance, parent_context)
        context["primary"] = NeedChoiceState.of(instance) in self.primary
        return context


class NeedChoiceIndexView(GivingIndexView):
    page_title = _("Need choices")
    filterset_class = NeedChoiceFilterSet
    default_ordering = "deadline"
    export_filename = "need-choices"
    export_columns = [
        ExportColumn("reference", _("Choice"), lambda c: str(c.reference)),
        ExportColumn("need_id", _("Need id")),
        ExportColumn("need", _("Closed need"), lambda c: c.need.title),
        ExportColumn("donor", _("Donor"), donor_label, personal=True),
        ExportColumn("state", _("State"), NeedChoiceState.label),
        ExportColumn("currency", _("Currency")),
        ExportColumn("amount", _("Waiting when the need closed"), amount_value("amount")),
        ExportColumn("option", _("Went to"), where_it_went),
        ExportColumn("moved", _("Moved"), amount_value("moved")),
        ExportColumn("notified_at", _("Emailed at")),
        ExportColumn("deadline", _("Choose by")),
        ExportColumn("decided_at", _("Decided at")),
    ]

    def get_base_queryset(self) -> QuerySet:
        queryset = NeedChoice.objects.select_related("need", "chosen_need")
        # Only join the donor when it is shown: people without the permission never load it.
        if self.can_see_personal_data:
            queryset = queryset.select_related("donor")
        return queryset

    @cached_property
    def columns(self) -> list[Any]:
        columns = [
            self.title_column(
                "need",
                label=_("Closed need"),
                accessor=lambda c: c.need.title,
                get_url=need_ledger_url,
                sort_key="need__title",
            ),
            StateColumn(),
            MoneyColumn("amount", label=_("Waiting"), sort_key="amount"),
            Column("went_to", label=_("Went to"), accessor=where_it_went),
            Column(
                "moved",
                label=_("Moved"),
                accessor=lambda c: format_amount(c.moved, c.currency) if c.is_decided else "",
            ),
            Column(
                "notified_at",
                label=_("Emailed"),
                accessor=lambda c: local_time(c.notified_at),
                sort_key="notified_at",
            ),
            Column(
                "deadline",
                label=_("Choose by"),
                accessor=lambda c: local_time(c.deadline),
                sort_key="deadline",
            ),
            Column(
                "decided_at",
                label=_("Decided"),
                accessor=lambda c: local_time(c.decided_at),
                sort_key="decided_at",
            ),
        ]
        if self.can_see_personal_data:
            columns.insert(1, Column("donor", label=_("Donor"), accessor=donor_label))
        return columns
