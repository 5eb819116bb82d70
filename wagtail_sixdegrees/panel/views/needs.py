"""Needs progress: raised, held, paid out and missing, for every need, from the ledger."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets.button import Button

from ...allocation import balances
from ...giving.models import NeedChoice
from ...needs.models import Need
from .. import names, permissions
from ..columns import MoneyColumn, ProgressColumn
from ..filters import NeedProgressFilterSet
from .base import ExportColumn, GivingIndexView, amount_value


def cause_and_region(need: Need) -> str:
    return f"{need.cause.name} · {need.region.name}"


class NeedProgressIndexView(GivingIndexView):
    page_title = _("Needs progress")
    filterset_class = NeedProgressFilterSet
    default_ordering = "priority"
    search_fields = ["title"]
    export_filename = "needs-progress"
    export_columns = [
        ExportColumn("id", _("Need id")),
        ExportColumn("title", _("Need")),
        ExportColumn("cause", _("Cause"), lambda n: n.cause.name),
        ExportColumn("region", _("Region"), lambda n: n.region.name),
        ExportColumn("partner", _("Partner"), lambda n: n.partner.name),
        ExportColumn("currency", _("Currency")),
        ExportColumn("target", _("Target"), amount_value("target_amount")),
        ExportColumn("raised", _("Raised"), amount_value("raised")),
        ExportColumn("allocated", _("Held now"), amount_value("allocated")),
        ExportColumn("disbursed", _("Paid out"), amount_value("disbursed")),
        ExportColumn("gap", _("Still needed"), amount_value("gap")),
        ExportColumn("progress_percent", _("Progress (%)")),
        ExportColumn("opens_on", _("Opens on")),
        ExportColumn("closes_on", _("Closes on")),
        ExportColumn("live", _("Published")),
    ]

    def get_base_queryset(self) -> QuerySet:
        # One row per need: translations share their money with the source record.
        return (
            balances.canonical_needs()
            .with_progress()
            .select_related("cause", "region", "partner")
            .annotate(has_choices=Exists(NeedChoice.objects.filter(need=OuterRef("pk"))))
        )

    def search_queryset(self, queryset: QuerySet) -> QuerySet:
        if not self.is_searching:
            return queryset
        return queryset.filter(title__icontains=self.search_query)

    def get_ledger_url(self, need: Need) -> str:
        return f"{names.url(names.LEDGER)}?need={need.pk}"

    @cached_property
    def can_edit_needs(self) -> bool:
        policy = Need.snippet_viewset.permission_policy
        return policy.user_has_permission(self.request.user, "change")

    def get_list_more_buttons(self, need: Need) -> list[Any]:
        buttons = []
        if self.user_can(permissions.ALLOCATE) and need.gap > 0:
            buttons.append(
                Button(
                    _("Move money here"),
                    url=f"{names.url(names.REALLOCATE)}?need={need.pk}",
                    icon_name="resubmit",
                    priority=10,
                )
            )
        if self.user_can(permissions.DISBURSE) and need.allocated > need.disbursed:
            buttons.append(
                Button(
                    _("Record disbursement"),
                    url=f"{names.url(names.DISBURSEMENTS, 'add')}?need={need.pk}",
                    icon_name="doc-full",
                    priority=20,
                )
            )
        buttons.append(
            Button(_("Ledger"), url=self.get_ledger_url(need), icon_name="list-ul", priority=30)
        )
        if getattr(need, "has_choices", False):
            buttons.append(
                Button(
                    _("Donors' choices"),
                    url=f"{names.url(names.NEED_CHOICES)}?need={need.pk}",
                    icon_name="tick",
                    priority=35,
                )
            )
        if self.can_edit_needs:
            buttons.append(
                Button(
                    _("Edit need"),
                    url=reverse(Need.snippet_viewset.get_url_name("edit"), args=[need.pk]),
                    icon_name="edit",
                    priority=40,
                )
            )
        return buttons

    @cached_property
    def columns(self) -> list[Any]:
        return [
            self.title_column(
                "title",
                label=_("Need"),
                get_url=self.get_ledger_url,
                sort_key="title",
                classname="sd-title",
            ),
            Column("place", label=_("Cause and region"), accessor=cause_and_region),
            MoneyColumn("target_amount", label=_("Target"), sort_key="target_amount"),
            MoneyColumn("raised", label=_("Raised"), sort_key="raised"),
            MoneyColumn("allocated", label=_("Held now"), sort_key="allocated"),
            MoneyColumn("disbursed", label=_("Paid out"), sort_key="disbursed"),
            MoneyColumn("gap", label=_("Still needed"), sort_key="gap"),
            ProgressColumn(),
        ]
