"""Allocation runs: their history, making a preview, reading its plan, committing it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import View
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column

from ... import money
from ...allocation import ledger
from ...allocation.models import AccountKind, AllocationRun
from .. import names, permissions
from ..columns import StatusColumn
from ..filters import RunFilterSet
from .base import (
    ExportColumn,
    GivingIndexView,
    GivingInspectView,
    GivingTemplateView,
    PanelPermissionsMixin,
)
from .donations import local_time


def new_money(run: AllocationRun) -> str:
    """The new money a run places, per currency, e.g. "$120.00 · ฿3,500.00"."""
    totals = (run.summary or {}).get("new_money") or {}
    return " · ".join(
        money.format_money(amount, currency)
        for currency, amount in sorted(totals.items())
        if amount
    )


def run_label(run: AllocationRun) -> str:
    return str(
        _("Run %(number)s, %(when)s") % {"number": run.pk, "when": local_time(run.created_at)}
    )


#: How a plan is grouped for people, in this order.
PLAN_GROUPS = [
    (AccountKind.NEED, _("Needs")),
    (AccountKind.RESTRICTED, _("Restricted pools")),
    (AccountKind.GENERAL, _("General pool")),
    (AccountKind.SHORTFALL, _("Shortfall")),
]


def plan_groups(run: AllocationRun) -> list[dict[str, Any]]:
    """The run's plan per need and per pool, each amount signed (money in or out) and shown in
    its currency; groups without lines are left out."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for account in (run.summary or {}).get("accounts", []):
        label = account.get("label") or str(
            dict(AccountKind.choices).get(account["kind"], account["kind"])
        )
        rows[account["kind"]].append(
            {
                "label": label,
                "currency": account["currency"],
                "amount": account["amount"],
                "display": money.format_money(account["amount"], account["currency"]),
                "incoming": account["amount"] > 0,
                "need_id": account.get("need_id"),
            }
        )
    groups = []
    for kind, heading in PLAN_GROUPS:
        if rows.get(kind):
            ordered = sorted(rows[kind], key=lambda row: (row["currency"], row["label"]))
            groups.append({"kind": kind, "heading": heading, "rows": ordered})
    return groups


class RunIndexView(GivingIndexView):
    page_title = _("Allocation runs")
    filterset_class = RunFilterSet
    default_ordering = "-created_at"
    export_filename = "allocation-runs"
    export_columns = [
        ExportColumn("id", _("Run")),
        ExportColumn("status", _("Status")),
        ExportColumn("trigger", _("Started from")),
        ExportColumn("created_at", _("Previewed at")),
        ExportColumn("created_by_label", _("Previewed by")),
        ExportColumn("committed_at", _("Committed at")),
        ExportColumn("committed_by_label", _("Committed by")),
        ExportColumn("donation_count", _("Donations")),
        ExportColumn("posting_count", _("Ledger lines")),
        ExportColumn("new_money", _("New money"), new_money),
    ]

    @cached_property
    def add_item_label(self) -> str:
        return str(_("Preview allocation"))

    @cached_property
    def columns(self) -> list[Any]:
        return [
            self.title_column(
                "created_at",
                label=_("Run"),
                accessor=run_label,
                sort_key="created_at",
            ),
            StatusColumn(
                "status",
                label=_("Status"),
                primary=(AllocationRun.Status.COMMITTED,),
                sort_key="status",
            ),
            Column("created_by_label", label=_("Previewed by")),
            Column(
                "committed_at", label=_("Committed"), accessor=lambda r: local_time(r.committed_at)
            ),
            Column("committed_by_label", label=_("Committed by")),
            Column("donation_count", label=_("Donations")),
            Column("new_money", label=_("New money"), accessor=new_money),
        ]


class RunPreviewView(GivingTemplateView):
    """GET explains; POST makes a preview (which writes no ledger line) and shows it."""

    permission_required = permissions.ALLOCATE
    template_name = "wagtail_sixdegrees/panel/run_preview.html"
    page_title = _("Preview allocation")

    def post(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseRedirect:
        run = ledger.preview_run(actor=request.user)
        return HttpResponseRedirect(names.url(names.RUNS, "inspect", run.pk))

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        crumbs = super().get_breadcrumbs_items()
        return [
            *crumbs[:-1],
            {"url": names.url(names.RUNS), "label": _("Allocation runs")},
            crumbs[-1],
        ]


class RunInspectView(GivingInspectView):
    template_name = "wagtail_sixdegrees/panel/run_inspect.html"

    def get_object(self, queryset: QuerySet[AllocationRun] | None = None) -> AllocationRun:
        return get_object_or_404(AllocationRun, pk=self.pk)

    def get_page_subtitle(self) -> str:
        return run_label(self.object)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        run = self.object
        context.update(
            run=run,
            groups=plan_groups(run),
            new_money=new_money(run),
            can_commit=(
                run.status == AllocationRun.Status.PREVIEW
                and run.posting_count > 0
                and self.user_can(permissions.ALLOCATE)
            ),
            commit_url=names.url(names.RUNS, "commit", run.pk),
            preview_url=names.url(names.RUNS, "add"),
            ledger_url=f"{names.url(names.LEDGER)}?run={run.pk}",
            progress_url=names.url(names.NEEDS_PROGRESS),
        )
        return context


class RunCommitView(PanelPermissionsMixin, View):
    """POST only: write a previewed run, or say why not (nothing is written then)."""

    permission_required = permissions.ALLOCATE
    http_method_names = ["post"]

    def post(self, request: Any, pk: int) -> HttpResponseRedirect:
        run = get_object_or_404(AllocationRun, pk=pk)
        try:
            committed = ledger.commit_run(run, actor=request.user)
        except ledger.LedgerError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                _("Run %(number)s is committed: %(lines)d ledger lines written.")
                % {"number": committed.pk, "lines": committed.posting_count},
            )
        return HttpResponseRedirect(names.url(names.RUNS, "inspect", run.pk))
