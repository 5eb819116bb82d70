"""Public totals: ledger aggregates per currency, by cause and region, cached until a commit."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.factories import (
    cause_pref,
    general_pref,
    make_cause,
    make_need,
    make_paid_donation,
    make_region,
    need_pref,
    region_pref,
    site_root,
    translate,
)
from wagtail_sixdegrees.allocation import balances, ledger
from wagtail_sixdegrees.allocation.balances import PlaceTotals
from wagtail_sixdegrees.models import DonatePage, TransparencyPage
from wagtail_sixdegrees.transparency.totals import cache_key, public_totals

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def giving():
    """USD and THB gifts: two causes, two regions, a pool, the general fund, a payout."""
    shelter, legal = make_cause("Fictional shelter"), make_cause("Fictional legal aid")
    north, south = make_region("Fictional north"), make_region("Fictional south")
    beds = make_need(cause=shelter, region=north, target_amount=50_000, currency="USD")
    lawyer = make_need(cause=legal, region=south, target_amount=1_000_000, currency="THB")
    make_paid_donation(
        10_000, "USD", fee=400, preferences=[need_pref(beds, 6_000), general_pref(4_000)]
    )
    make_paid_donation(5_000, "USD", preferences=[cause_pref(legal)])  # no USD legal need: waits
    make_paid_donation(200_000, "THB", preferences=[need_pref(lawyer)])
    make_paid_donation(3_000, "USD", preferences=[region_pref(north)])
    ledger.allocate()
    ledger.record_disbursement(beds, 2_000, paid_on=timezone.localdate(), actor=None)
    return {"shelter": shelter, "legal": legal, "north": north, "south": south, "beds": beds}


def by_currency():
    return {totals.currency: totals for totals in public_totals()}


def test_totals_are_per_currency_and_never_added_together(giving):
    totals = by_currency()
    assert set(totals) == {"USD", "THB"}
    usd, thb = totals["USD"], totals["THB"]
    # USD: 96.00 net of the first gift (57.60 to beds, 38.40 general), 50.00 waiting for legal
    # aid in USD, 30.00 from the north region share to beds.
    assert (usd.in_needs, usd.restricted, usd.general, usd.disbursed) == (
        8_760,
        5_000,
        3_840,
        2_000,
    )
    assert usd.raised == 8_760 + 5_000 + 3_840
    assert (thb.raised, thb.in_needs, thb.disbursed) == (200_000, 200_000, 0)


def test_totals_by_cause_and_region_come_from_needs_and_pools(giving):
    usd = by_currency()["USD"]
    causes = {row.name: (row.in_needs, row.waiting, row.disbursed) for row in usd.by_cause}
    regions = {row.name: (row.in_needs, row.waiting, row.disbursed) for row in usd.by_region}
    assert causes == {"Fictional shelter": (8_760, 0, 2_000), "Fictional legal aid": (0, 5_000, 0)}
    assert regions == {"Fictional north": (8_760, 0, 2_000)}


def test_paid_gifts_not_yet_allocated_count_as_raised(settings):
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "AUTO_ALLOCATE": False}
    make_paid_donation(2_500, "USD", fee=100)
    (usd,) = public_totals()
    assert (usd.raised, usd.unallocated, usd.in_needs) == (2_400, 2_400, 0)


def test_figures_take_two_queries_and_count_translated_places_at_their_source(
    giving, settings, django_assert_num_queries
):
    """Computing the figures reads the kept balances, each with its need's (or pool's) cause
    and region mapped to the source record in the same query, and the kept money waiting for
    allocation: two queries, whatever the number of needs, pools, causes or translations."""
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "AUTO_ALLOCATE": False}
    for name in ("shelter", "legal", "north", "south"):
        translate(giving[name], "fr", name=f"{giving[name].name} (fr)")
    french_beds = translate(giving["beds"], "fr", title="Lits")
    french_legal = translate(giving["legal"], "de", name="Rechtshilfe")
    # A USD legal need, made on the German record: it takes the 50.00 that waited for legal
    # aid in USD, and a new gift.
    room = make_need(cause=french_legal, region=giving["south"], target_amount=10**6)
    make_paid_donation(4_000, "USD", preferences=[need_pref(room)])
    ledger.allocate()
    make_paid_donation(1_000, "USD", fee=50)  # paid, not allocated yet
    assert french_beds.pk != giving["beds"].pk
    with django_assert_num_queries(2):
        figures = {row.currency: row for row in balances.currency_figures()}
    usd = figures["USD"]
    assert usd.unallocated == 950
    shelter, legal, north, south = (giving[n].pk for n in ("shelter", "legal", "north", "south"))
    assert usd.by_cause == {
        shelter: PlaceTotals(in_needs=8_760, disbursed=2_000),
        legal: PlaceTotals(in_needs=9_000),  # the German record's need counts at the source
    }
    assert usd.by_region == {
        north: PlaceTotals(in_needs=8_760, disbursed=2_000),
        south: PlaceTotals(in_needs=9_000),
    }


def test_refunds_lower_what_was_raised(giving):
    from wagtail_sixdegrees.models import Donation

    donation = Donation.objects.get(currency="THB")
    Donation.objects.filter(pk=donation.pk).update(
        amount_refunded=50_000, status="partially_refunded"
    )
    donation.refresh_from_db()
    ledger.sync_reversals(donation)
    assert by_currency()["THB"].raised == 150_000


def test_cached_figures_change_as_soon_as_a_ledger_row_or_payout_is_committed(
    giving, django_assert_num_queries
):
    before = by_currency()["USD"]
    with django_assert_num_queries(4):  # the cache key, the reader's locale, cause and region names
        by_currency()

    ledger.record_disbursement(giving["beds"], 1_000, paid_on=timezone.localdate(), actor=None)
    assert by_currency()["USD"].disbursed == before.disbursed + 1_000

    make_paid_donation(1_000, "USD", preferences=[need_pref(giving["beds"])])
    ledger.allocate()
    assert by_currency()["USD"].in_needs == before.in_needs + 1_000


def test_cache_key_changes_with_a_new_payment_even_before_allocation(settings):
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "AUTO_ALLOCATE": False}
    first = cache_key()
    make_paid_donation(1_000, "USD")
    assert cache_key() != first


def test_transparency_page_shows_the_totals(client, giving):
    page = TransparencyPage(title="Where gifts go (fictional)", slug="where-gifts-go")
    site_root().add_child(instance=page)
    html = client.get(page.url).content.decode()
    assert 'data-sd-total="raised">$176.00' in html
    assert 'data-sd-total="disbursed">$20.00' in html
    assert "THB2,000.00" in html
    assert "Fictional legal aid" in html and "Fictional north" in html


def test_totals_block_on_a_donate_page_can_show_one_currency(client, giving):
    page = DonatePage(
        title="Give (fictional)",
        slug="give-totals",
        body=[
            (
                "totals",
                {"heading": "Our fictional totals", "currency": "THB", "show_by_cause": True},
            )
        ],
    )
    site_root().add_child(instance=page)
    html = client.get(page.url).content.decode()
    assert "Our fictional totals" in html
    assert "THB2,000.00" in html and "$176.00" not in html
