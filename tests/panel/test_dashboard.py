"""The Giving dashboard: per-currency totals, where money went, pools, needs, attention, the
monthly chart; and its compact panel on Wagtail's home page."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    cause_pref,
    general_pref,
    make_cause,
    make_need,
    make_paid_donation,
    make_region,
    need_pref,
)
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.panel import dashboard

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 7, 15, 12, 0, tzinfo=datetime.UTC)


def ago(**delta) -> datetime.datetime:
    return NOW - datetime.timedelta(**delta)


@pytest.fixture
def gifts():
    make_paid_donation(1_000, "USD", paid_at=ago(hours=1))
    make_paid_donation(2_000, "USD", paid_at=ago(days=5), amount_refunded=500)
    make_paid_donation(4_000, "USD", paid_at=ago(days=45))  # 31 May
    make_paid_donation(8_000, "USD", paid_at=datetime.datetime(2025, 12, 20, tzinfo=datetime.UTC))
    make_paid_donation(9_000, "USD", paid_at=datetime.datetime(2025, 6, 20, tzinfo=datetime.UTC))
    make_paid_donation(100_000, "THB", paid_at=ago(hours=2))
    make_paid_donation(3_000, "USD", status="pending", paid_at=None)


def test_totals_are_per_currency_for_today_30_days_and_this_year(gifts):
    thb, usd = dashboard.giving_totals(now=NOW)
    assert (thb.currency, usd.currency) == ("THB", "USD")
    # Refunds are taken off; the pending gift and last June's are not counted.
    assert (usd.today, usd.last_30_days, usd.this_year, usd.count_30_days) == (
        1_000,
        2_500,
        6_500,
        2,
    )
    assert (thb.today, thb.last_30_days, thb.this_year) == (100_000, 100_000, 100_000)
    assert usd.last_30_days_display == "$25.00"


def test_the_twelve_months_run_from_last_august_to_this_july(gifts):
    totals = {entry.currency: entry for entry in dashboard.giving_totals(now=NOW)}
    months = dict(totals["USD"].months)
    assert next(iter(months)) == datetime.date(2025, 8, 1)
    assert list(months)[-1] == datetime.date(2026, 7, 1)
    assert months[datetime.date(2025, 12, 1)] == 8_000
    assert months[datetime.date(2026, 5, 1)] == 4_000
    assert months[datetime.date(2026, 7, 1)] == 2_500
    assert months[datetime.date(2026, 1, 1)] == 0


def test_month_starts_cross_the_new_year():
    assert dashboard.month_starts(datetime.date(2026, 2, 10), 3) == [
        datetime.date(2025, 12, 1),
        datetime.date(2026, 1, 1),
        datetime.date(2026, 2, 1),
    ]


def test_chart_bars_are_scaled_to_the_highest_month_in_whole_pixels():
    totals = dashboard.GivenTotals(
        "USD",
        months=[
            (datetime.date(2026, 5, 1), 0),
            (datetime.date(2026, 6, 1), 1),
            (datetime.date(2026, 7, 1), 10_000),
        ],
    )
    chart = dashboard.monthly_chart(totals, width=300, height=150)
    empty, tiny, highest = chart.bars
    plot = chart.plot_bottom - chart.plot_top
    assert (empty.height, tiny.height, highest.height) == (0, 1, plot)
    assert highest.y == chart.plot_top
    assert [bar.x for bar in chart.bars] == [2, 102, 202]
    assert all(isinstance(value, int) for bar in chart.bars for value in (bar.x, bar.y, bar.height))
    assert chart.description == "Highest month: July 2026, $100.00. Total: $100.01."


def test_a_chart_of_nothing_says_so():
    totals = dashboard.GivenTotals("USD", months=[(datetime.date(2026, 7, 1), 0)])
    assert dashboard.monthly_chart(totals).description == "Nothing was given in these months."


def test_pools_and_this_years_money_by_cause_and_region():
    shelter, legal = make_cause("Shelter"), make_cause("Legal aid")
    north = make_region("North")
    beds = make_need(title="Beds", cause=shelter, region=north, target_amount=3_000)
    make_paid_donation(5_000, preferences=[need_pref(beds)], allow_flexible_use=False)
    make_paid_donation(2_000, preferences=[cause_pref(legal)])
    make_paid_donation(700, preferences=[general_pref()])
    make_paid_donation(90_000, "THB", preferences=[general_pref()])
    ledger.allocate()

    places = dashboard.places()

    by_cause = {(row.label, row.currency): row.amount for row in places.by_cause}
    assert by_cause[("Shelter", "USD")] == 5_000  # 3,000 in the need, 2,000 in its pool
    assert by_cause[("Legal aid", "USD")] == 2_000
    by_region = {(row.label, row.currency): row.amount for row in places.by_region}
    assert by_region[("North", "USD")] == 5_000
    assert by_region[("Any region", "USD")] == 2_000
    general = {row.currency: row.amount for row in places.general}
    assert general == {"USD": 700, "THB": 90_000}
    restricted = {
        (row.label, row.currency): row.amount for row in dashboard.restricted_pools().object_list
    }
    assert restricted == {("Shelter · North", "USD"): 2_000, ("Legal aid", "USD"): 2_000}
    assert places.shortfall == []


def test_refunded_after_disbursement_shows_a_shortfall():
    need = make_need(target_amount=10_000)
    donation = make_paid_donation(5_000, preferences=[need_pref(need)])
    ledger.allocate()
    ledger.record_disbursement(need, 5_000, paid_on=timezone.localdate(), actor=None)
    donation.amount_refunded = 5_000
    donation.status = "refunded"
    donation.save()
    ledger.sync_reversals(donation)
    [row] = dashboard.places().shortfall
    assert (row.currency, row.amount) == ("USD", 5_000)


def test_needs_closest_to_their_goal_and_those_that_closed_short():
    today = timezone.localdate()
    near = make_need(title="Nearly there", target_amount=10_000)
    half = make_need(title="Half way", target_amount=10_000)
    make_need(title="Nothing yet", target_amount=10_000)
    funded = make_need(title="Funded", target_amount=1_000)
    late = make_need(
        title="Closed short",
        target_amount=10_000,
        opens_on=today - datetime.timedelta(days=30),
        closes_on=today - datetime.timedelta(days=2),
    )
    for need, amount in ((near, 9_000), (half, 5_000), (funded, 1_000)):
        make_paid_donation(amount, preferences=[need_pref(need)])
    ledger.allocate()

    closest = [need.title for need in dashboard.needs_closest_to_goal()]
    assert closest[:2] == ["Nearly there", "Half way"]
    assert "Funded" not in closest
    assert [need.title for need in dashboard.overdue_needs()] == [late.title]


def test_attention_counts_pending_disputed_and_failed():
    make_paid_donation(status="disputed", dispute_status="needs_response")
    make_paid_donation(status="failed", paid_at=None)
    make_paid_donation(status="pending", paid_at=None)
    make_paid_donation(status="pending", paid_at=None)
    assert dashboard.attention_counts() == {"pending": 2, "disputed": 1, "failed": 1}


def test_the_dashboard_page_has_an_accessible_svg_chart_with_a_table(client, login_as):
    make_paid_donation(2_500, "USD")
    make_paid_donation(50_000, "THB")
    login_as("viewer")
    content = client.get(reverse("sixdegrees_dashboard:index")).content.decode()
    for currency in ("USD", "THB"):
        assert f'aria-labelledby="sd-chart-{currency}-title sd-chart-{currency}-desc"' in content
        assert f'<title id="sd-chart-{currency}-title">Given in {currency} per month' in content
        assert f'<desc id="sd-chart-{currency}-desc">Highest month:' in content
        assert f"The months in {currency} as a table" in content
    assert "<script" not in content.split('id="sd-monthly"')[1].split("</section>")[0]
    # Each currency is its own row; nothing adds them together.
    assert "$25.00" in content and "THB500.00" in content


def test_managers_get_action_buttons_viewers_do_not(client, login_as):
    login_as("viewer")
    assert (
        "Preview allocation"
        not in client.get(reverse("sixdegrees_dashboard:index")).content.decode()
    )
    login_as("manager")
    assert (
        "Preview allocation" in client.get(reverse("sixdegrees_dashboard:index")).content.decode()
    )


def _restricted_pools(count: int) -> None:
    """``count`` restricted pools in USD, "Pool 00" to "Pool NN" (a cause no need matches)."""
    for index in range(count):
        make_paid_donation(100 + index, preferences=[cause_pref(make_cause(f"Pool {index:02d}"))])
    ledger.allocate()


def _pools_part(content: str) -> str:
    """The restricted pools' table and page links (causes are listed by cause too)."""
    return content.split('id="sd-restricted"')[1].split("</section>")[0]


def test_restricted_pools_are_shown_a_page_at_a_time_with_plain_links(client, login_as):
    _restricted_pools(dashboard.POOLS_PER_PAGE * 2 + 3)  # three pages
    login_as("viewer")
    url = reverse("sixdegrees_dashboard:index")

    first = _pools_part(client.get(url).content.decode())
    assert "Pool 00" in first and f"Pool {dashboard.POOLS_PER_PAGE - 1:02d}" in first
    assert f"Pool {dashboard.POOLS_PER_PAGE:02d}" not in first
    assert "Restricted pools, page 1 of 3" in first  # the table's caption
    assert 'aria-label="Pages of restricted pools"' in first
    assert 'href="?pools=2#sd-restricted" rel="next"' in first
    assert 'href="?pools=1#sd-restricted" aria-current="page"' in first
    assert "23 pools" in first

    second = _pools_part(client.get(url + "?pools=2").content.decode())
    assert f"Pool {dashboard.POOLS_PER_PAGE:02d}" in second and "Pool 00" not in second
    assert "$1.10" in second  # "Pool 10": the amounts of the rows shown
    assert 'href="?pools=1#sd-restricted" rel="prev"' in second

    # Nonsense shows the first page, past the end the last; neither is an error.
    assert "Restricted pools, page 1 of 3" in client.get(url + "?pools=x").content.decode()
    last = _pools_part(client.get(url + "?pools=99").content.decode())
    assert "Restricted pools, page 3 of 3" in last and "Pool 22" in last


def test_a_single_page_of_pools_has_no_page_links(client, login_as):
    _restricted_pools(2)
    login_as("viewer")
    content = client.get(reverse("sixdegrees_dashboard:index")).content.decode()
    assert "Pool 01" in content
    assert "Pages of restricted pools" not in content


# --- Wagtail's home dashboard ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "shown"), [("editor", False), ("viewer", True), ("manager", True)]
)
def test_the_home_panel_is_for_people_who_may_view_donations(client, login_as, role, shown):
    make_paid_donation(2_500, "USD")
    login_as(role)
    content = client.get(reverse("wagtailadmin_home")).content.decode()
    assert ('id="sixdegrees-giving-section"' in content) is shown
    assert ("Open the giving dashboard" in content) is shown


def test_the_home_panel_costs_three_queries(rf, login_as):
    make_paid_donation(2_500, "USD")
    request = rf.get("/admin/")
    request.user = login_as("viewer")
    panel = dashboard.GivingHomePanel(request)
    with CaptureQueriesContext(connection) as queries:
        html = panel.render_html({"request": request})
    assert len(queries) == 3
    assert "$25.00" in html
