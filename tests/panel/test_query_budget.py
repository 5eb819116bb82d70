"""The panel stays within 20 database queries per page with 100,000 donations.

A few hundred donations are allocated for real (so the ledger, pools, runs and needs have rows),
then 100,000 more are bulk-created, paid but not allocated. Each screen is measured for a giving manager (who sees personal
data, so the donor is joined) and a giving viewer (who does not).
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    bulk_paid_donations,
    cause_pref,
    general_pref,
    make_cause,
    make_need,
    make_paid_donation,
    make_region,
    need_pref,
    panel_user,
    region_pref,
)
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.allocation.engine import Account
from wagtail_sixdegrees.models import Donation
from wagtail_sixdegrees.panel import dashboard

pytestmark = pytest.mark.django_db

BUDGET = 20
DONATIONS = 100_000

SCREENS = [
    ("dashboard", "sixdegrees_dashboard:index", ""),
    ("donations", "sixdegrees_donations:index", ""),
    ("donations filtered", "sixdegrees_donations:index", "?status=paid&currency=USD"),
    ("donations searched", "sixdegrees_donations:index", "?q=ch_test_nothing"),
    ("needs progress", "sixdegrees_needs_progress:index", ""),
    ("allocation runs", "sixdegrees_runs:index", ""),
    ("disbursements", "sixdegrees_disbursements:index", ""),
    ("ledger", "sixdegrees_ledger:index", ""),
    ("ledger of one need", "sixdegrees_ledger:index", "?kind=allocate&account_kind=need"),
]


@pytest.fixture
def busy_site():
    needs = [make_need(target_amount=5_000_000, currency="USD") for _ in range(30)]
    for index in range(300):
        need = needs[index % len(needs)]
        preferences = [need_pref(need, 6_000), cause_pref(need.cause, 2_000), general_pref(2_000)]
        make_paid_donation(5_000, "USD", fee=175, preferences=preferences)
    ledger.allocate(Donation.objects.filter(preferences__isnull=False).values_list("pk", flat=True))
    ledger.commit_run(ledger.preview_run())
    ledger.record_disbursement(needs[0], 1_000, paid_on=needs[0].opens_on, actor=None)
    # Paid but not allocated (automatic allocation off, say): they weigh on every aggregate.
    bulk_paid_donations(DONATIONS)
    assert Donation.objects.count() == DONATIONS + 300


@pytest.mark.slow
def test_every_screen_renders_within_the_query_budget_with_100k_donations(
    busy_site, client, django_assert_max_num_queries
):
    for role in ("manager", "viewer"):
        client.force_login(panel_user(role))
        for label, name, query in SCREENS:
            with django_assert_max_num_queries(BUDGET, info=f"{role}: {label}"):
                response = client.get(reverse(name) + query)
            assert response.status_code == 200, (role, label)


# --- The dashboard does not grow with needs and pools -----------------------------------------


def _giving_world(needs: int, places: int) -> None:
    """``needs`` needs (some near their goal, some closed short of it) and about ``places``
    restricted pools per currency (a cause or a region no open need matches)."""
    today = timezone.localdate()
    make_paid_donation(10_000_000, "USD", preferences=[general_pref()])
    make_paid_donation(10_000_000, "THB", preferences=[general_pref()])
    for index in range(places):
        preference = cause_pref(make_cause()) if index % 2 else region_pref(make_region())
        make_paid_donation(1_000 + index, "USD", preferences=[preference])
        make_paid_donation(50_000 + index, "THB", preferences=[preference])
    ledger.allocate()
    for index in range(needs):
        need = make_need(target_amount=100_000, currency="USD")
        ledger.reallocate(
            Account.general("USD"), need, 1_000 * (index % 90 + 1), actor=None, reason="budget"
        )
        if index % 3 == 0:  # closed short of its goal
            need.closes_on = today - datetime.timedelta(days=index % 20 + 1)
            need.opens_on = need.closes_on - datetime.timedelta(days=30)
            need.save(update_fields=["opens_on", "closes_on"])


def _dashboard_queries(client, query: str = "") -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("sixdegrees_dashboard:index") + query)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", ["manager", "viewer"])
def test_the_dashboard_reads_as_many_queries_for_many_needs_and_pools_as_for_few(client, role):
    client.force_login(panel_user(role))
    _giving_world(needs=2, places=2)
    few = _dashboard_queries(client)
    assert few <= BUDGET

    _giving_world(needs=60, places=30)  # 20 needs closed short, 6 pages of restricted pools
    assert dashboard.restricted_pools().paginator.num_pages > 5
    assert len(dashboard.overdue_needs()) == dashboard.LIST_LENGTH
    for query in ("", "?pools=2", "?pools=6", "?pools=999", "?pools=nonsense"):
        assert _dashboard_queries(client, query) == few, query
