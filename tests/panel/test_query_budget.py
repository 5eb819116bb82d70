"""The panel stays within 20 database queries per page with 100,000 donations.

A few hundred donations are allocated for real (so the ledger, pools, runs and needs have rows),
then 100,000 more are bulk-created, paid but not allocated. Each screen is measured for a giving manager (who sees personal
data, so the donor is joined) and a giving viewer (who does not).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import (
    bulk_paid_donations,
    cause_pref,
    general_pref,
    make_need,
    make_paid_donation,
    need_pref,
    panel_user,
)
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.models import Donation

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
