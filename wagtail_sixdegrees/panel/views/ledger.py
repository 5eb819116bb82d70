"""The ledger, read-only: every movement of every gift, filterable and exportable."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column

from ...allocation.models import LedgerEntry
from .. import names
from ..columns import MoneyColumn
from ..filters import LedgerFilterSet
from .base import ExportColumn, GivingIndexView, amount_value
from .donations import local_time


def donation_url(entry: LedgerEntry) -> str:
    return names.url(names.DONATIONS, "inspect", entry.donation_id)


class LedgerIndexView(GivingIndexView):
    page_title = _("Ledger")
    filterset_class = LedgerFilterSet
    default_ordering = "-created_at"
    search_fields = ["reason"]  # searching is ours: a donation reference, a need, a reason
    export_filename = "ledger"
    export_columns = [
        ExportColumn("id", _("Line")),
        ExportColumn("created_at", _("Written at")),
        ExportColumn("donation", _("Donation"), lambda e: str(e.donation.reference)),
        ExportColumn("account_kind", _("Account kind")),
        ExportColumn("account", _("Account"), lambda e: e.account_label),
        ExportColumn("need_id", _("Need id")),
        ExportColumn("currency", _("Currency")),
        ExportColumn("amount", _("Amount"), amount_value("amount")),
        ExportColumn("kind", _("Kind")),
        ExportColumn("rule", _("Rule")),
        ExportColumn("run_id", _("Allocation run")),
        ExportColumn("transfer", _("Transfer"), lambda e: str(e.transfer)),
        ExportColumn("actor_label", _("By")),
        ExportColumn("reason", _("Reason")),
    ]

    def get_base_queryset(self) -> QuerySet:
        return LedgerEntry.objects.select_related("donation", "need", "cause", "region")

    def search_queryset(self, queryset: QuerySet) -> QuerySet:
        if not self.is_searching:
            return queryset
        try:
            return queryset.filter(donation__reference=uuid.UUID(self.search_query.strip()))
        except ValueError:
            return queryset.filter(
                Q(need__title__icontains=self.search_query) | Q(reason__icontains=self.search_query)
            )

    @cached_property
    def columns(self) -> list[Any]:
        return [
            self.title_column(
                "created_at",
                label=_("Written"),
                accessor=lambda e: local_time(e.created_at),
                get_url=donation_url,
                sort_key="created_at",
            ),
            Column(
                "donation", label=_("Donation"), accessor=lambda e: str(e.donation.reference)[:8]
            ),
            Column("account", label=_("Account"), accessor="account_label"),
            MoneyColumn("amount", label=_("Amount"), sort_key="amount"),
            Column("kind", label=_("Kind"), accessor="get_kind_display"),
            Column("run", label=_("Run"), accessor=lambda e: e.run_id or ""),
            Column("actor_label", label=_("By")),
            Column("reason", label=_("Reason")),
        ]
