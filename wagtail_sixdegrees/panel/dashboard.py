"""The Giving panel on Wagtail's home dashboard. The figures it shows come from
:mod:`.figures` (the queries) and the full dashboard's chart from :mod:`.charts`; both are
re-exported here, where the dashboard view and tests have always found them."""

from __future__ import annotations

from typing import Any

from wagtail.admin.ui.components import Component

from . import names, permissions
from .charts import Bar, Chart, monthly_chart
from .figures import (
    ATTENTION_STATUSES,
    LIST_LENGTH,
    MONTHS,
    POOLS_PER_PAGE,
    AccountFigures,
    Attention,
    GivenTotals,
    LedgerTotals,
    PlaceRow,
    Places,
    attention,
    attention_counts,
    giving_totals,
    giving_totals_from_donations,
    last_committed_run,
    ledger_totals,
    mismatched_payments_count,
    month_starts,
    needs_closest_to_goal,
    needs_with_balances,
    overdue_needs,
    places,
    places_from_accounts,
    pool_totals,
    restricted_pools,
    restricted_pools_from_accounts,
)

__all__ = [
    "ATTENTION_STATUSES",
    "LIST_LENGTH",
    "MONTHS",
    "POOLS_PER_PAGE",
    "AccountFigures",
    "Attention",
    "Bar",
    "Chart",
    "GivenTotals",
    "GivingHomePanel",
    "LedgerTotals",
    "PlaceRow",
    "Places",
    "add_home_panel",
    "attention",
    "attention_counts",
    "giving_totals",
    "giving_totals_from_donations",
    "last_committed_run",
    "ledger_totals",
    "mismatched_payments_count",
    "month_starts",
    "monthly_chart",
    "needs_closest_to_goal",
    "needs_with_balances",
    "overdue_needs",
    "places",
    "places_from_accounts",
    "pool_totals",
    "restricted_pools",
    "restricted_pools_from_accounts",
]


class GivingHomePanel(Component):
    """A summary of giving on Wagtail's home dashboard, for people allowed to see donations."""

    name = "sixdegrees_giving"
    order = 150
    template_name = "wagtail_sixdegrees/panel/home_panel.html"

    class Media:
        css = {"all": ["wagtail_sixdegrees/css/panel.css"]}

    def __init__(self, request: Any) -> None:
        self.request = request

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        return {
            "totals": giving_totals(months=1),
            "pools": pool_totals(),
            "attention": attention(attention_counts()),
            "dashboard_url": names.url(names.DASHBOARD),
        }


def add_home_panel(request: Any, panels: list[Any]) -> None:
    """The ``construct_homepage_panels`` hook: only for people who may view donations."""
    if permissions.user_can(request.user, permissions.VIEW):
        panels.append(GivingHomePanel(request))
