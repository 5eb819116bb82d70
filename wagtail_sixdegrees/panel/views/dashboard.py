"""The Giving dashboard and the audit page."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from ...allocation.audit import run_audit
from .. import dashboard, names
from .base import GivingTemplateView

#: The query parameter naming the page of restricted pools the dashboard shows.
POOLS_PAGE = "pools"


class DashboardView(GivingTemplateView):
    template_name = "wagtail_sixdegrees/panel/dashboard.html"
    page_title = _("Giving dashboard")
    header_icon = "pick"

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*self.breadcrumbs_items, {"url": "", "label": _("Giving")}]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        totals = dashboard.giving_totals()
        # Restricted pools are many (hundreds): a page of them, ``?pools=2`` for the next.
        pools = dashboard.restricted_pools(self.request.GET.get(POOLS_PAGE))
        context.update(
            totals=totals,
            charts=[dashboard.monthly_chart(entry) for entry in totals],
            places=dashboard.places(),
            restricted=pools,
            restricted_pages=pools.paginator.get_elided_page_range(
                pools.number, on_each_side=1, on_ends=1
            ),
            pools_page=POOLS_PAGE,
            closest=dashboard.needs_closest_to_goal(),
            overdue=dashboard.overdue_needs(),
            attention=dashboard.attention(
                dashboard.attention_counts(), dashboard.mismatched_payments_count()
            ),
            last_run=dashboard.last_committed_run(),
            urls={
                "donations": names.url(names.DONATIONS),
                "needs": names.url(names.NEEDS_PROGRESS),
                "runs": names.url(names.RUNS),
                "preview": names.url(names.RUNS, "add"),
                "reallocate": names.url(names.REALLOCATE),
                "disbursements": names.url(names.DISBURSEMENTS),
                "ledger": names.url(names.LEDGER),
                "audit": names.url(names.AUDIT),
            },
        )
        return context


#: What each audit check means for finance, and what to do when it fails.
EXPLANATIONS = {
    "zero-amount": _(
        "Ledger lines must move money. A zero line means something wrote to the ledger outside "
        "the package; ask your developers to find what wrote it."
    ),
    "currency": _(
        "A ledger line is in a different currency from the payment it belongs to. Money is "
        "never converted, so this points to data written outside the package."
    ),
    "account-currency": _(
        "A ledger line or disbursement is in a different currency from its need, so the need's "
        "balance reads wrong. A need's currency cannot change once it holds money; ask your "
        "developers what wrote the row, and correct it with a reversal."
    ),
    "negative-balance": _(
        "A gift has more taken out of an account than it ever put in. Look at the gift's "
        "ledger lines; a manual correction outside the panel is the usual cause."
    ),
    "donation-sum": _(
        "A gift's allocations do not add up to what Stripe paid out for it. If Stripe's fee "
        "changed after allocation, or allocation was interrupted, ask your developers to check "
        "the gift."
    ),
    "reallocation-sum": _(
        "Every reallocation takes from one account what it gives to another. One that does not "
        "net to zero was written outside the panel."
    ),
    "reversal-sum": _(
        "More was taken back from a gift than its refunds and lost disputes require."
    ),
    "reversal-pending": _(
        "A gift was refunded (or a dispute lost) but its allocations have not been reversed "
        "yet. This usually fixes itself within minutes; if it stays, check that background "
        "tasks are running."
    ),
    "restriction": _(
        "Money its donor gave for a particular cause or region is in the general pool without "
        "their consent to flexible use. Move it back to a need of its cause and region."
    ),
    "over-disbursed": _(
        "A need has paid out more than it received. Check the disbursements recorded for it "
        "and reverse any that did not happen."
    ),
    "kept-balance": _(
        "The balance the screens show for an account differs from its ledger lines, so rows "
        "were written or changed outside the package. The ledger is right: ask your developers "
        "to find the cause, then run ledger.rebuild_balances() to rebuild the balances from it."
    ),
}


class AuditView(GivingTemplateView):
    template_name = "wagtail_sixdegrees/panel/audit.html"
    page_title = _("Audit")
    header_icon = "tasks"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        report = run_audit()
        context.update(
            report=report,
            violations=[
                {"finding": finding, "explanation": EXPLANATIONS.get(finding.check, "")}
                for finding in report.violations
            ],
        )
        return context
