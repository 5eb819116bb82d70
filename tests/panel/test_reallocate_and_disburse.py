"""Moving money by hand: reallocation and disbursements, with the ledger's rules shown as form
errors and nothing written when refused."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    cause_pref,
    general_pref,
    make_cause,
    make_need,
    make_paid_donation,
    make_region,
)
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.allocation.engine import Account
from wagtail_sixdegrees.models import Disbursement, LedgerEntry, Need

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(login_as):
    return login_as("manager")


def held(need: Need) -> int:
    return Need.objects.with_progress().get(pk=need.pk).allocated


def reallocate(client, **fields):
    data = {"source": "general:USD", "amount": "10", "reason": "Most urgent this month."}
    data.update(fields)
    return client.post(reverse("sixdegrees_reallocate:index"), data)


@pytest.fixture
def general_money():
    make_paid_donation(10_000, preferences=[general_pref()])
    make_paid_donation(5_000, preferences=[general_pref()])
    ledger.allocate()


# --- Reallocation -------------------------------------------------------------------------------


def test_money_moves_from_the_general_pool_to_a_need_with_the_reason(
    client, manager, general_money
):
    need = make_need(title="Bus fares home", target_amount=100_000)

    response = reallocate(client, target=need.pk, amount="120.50")

    assert response.status_code == 302
    assert response["Location"] == reverse("sixdegrees_needs_progress:index")
    assert held(need) == 12_050
    moved = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REALLOCATE, need=need)
    assert {entry.reason for entry in moved} == {"Most urgent this month."}
    assert {entry.actor_label for entry in moved} == {manager.get_username()}


def test_the_form_lists_pools_and_needs_with_what_they_hold(client, manager, general_money):
    make_need(title="Bus fares home", target_amount=100_000)
    page = client.get(reverse("sixdegrees_reallocate:index")).content.decode()
    assert "General pool (USD): $150.00" in page
    assert "Bus fares home (USD): needs $1,000.00 more" in page


def test_a_need_can_be_chosen_from_its_progress_row(client, manager, general_money):
    need = make_need(title="Bus fares home", target_amount=100_000)
    page = client.get(reverse("sixdegrees_reallocate:index") + f"?need={need.pk}")
    assert f'<option value="{need.pk}" selected>' in page.content.decode()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("lots", "Enter an amount as a number"),
        ("1.001", "USD amounts can have at most 2 decimal places."),
        ("-3", "Enter a positive amount."),
        ("200", "Only $150.00 is available to move."),
        ("2000", "Bus fares home only needs $1,000.00 more."),
    ],
)
def test_refused_moves_say_why_and_write_nothing(client, manager, general_money, amount, message):
    need = make_need(title="Bus fares home", target_amount=100_000)
    lines = LedgerEntry.objects.count()

    response = reallocate(client, target=need.pk, amount=amount)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "No money was moved" in response.content.decode()
    assert LedgerEntry.objects.count() == lines


def test_restricted_money_stays_within_its_cause_unless_donors_allowed_flexible_use(
    client, manager
):
    shelter, legal = make_cause("Shelter"), make_cause("Legal aid")
    region = make_region()
    make_paid_donation(10_000, preferences=[cause_pref(shelter)], allow_flexible_use=False)
    ledger.allocate()
    lawyers = make_need(title="Lawyers", cause=legal, region=region, target_amount=50_000)
    source = f"restricted:USD:{shelter.pk}:"
    lines = LedgerEntry.objects.count()

    response = reallocate(client, source=source, target=lawyers.pk, amount="10")

    assert "may leave its restriction" in response.content.decode()
    assert LedgerEntry.objects.count() == lines

    beds = make_need(title="Beds", cause=shelter, region=region, target_amount=50_000)
    response = reallocate(client, source=source, target=beds.pk, amount="10")
    assert response.status_code == 302
    assert held(beds) == 1_000


def test_money_never_changes_currency(client, manager, general_money):
    baht_need = make_need(title="Baht need", currency="THB", target_amount=1_000_000)
    response = reallocate(client, target=baht_need.pk, amount="10")
    assert "money is never converted between currencies" in response.content.decode()
    assert held(baht_need) == 0


def test_a_source_that_is_not_offered_is_refused(client, manager, general_money):
    need = make_need(target_amount=100_000)
    response = reallocate(client, source="need:999999", target=need.pk)
    assert "Select a valid choice." in response.content.decode()
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REALLOCATE).count() == 0


def test_money_held_by_one_need_can_go_to_another_of_the_same_cause_and_region(
    client, manager, general_money
):
    first = make_need(title="First", target_amount=100_000)
    second = make_need(
        title="Second", cause=first.cause, region=first.region, target_amount=100_000
    )
    ledger.reallocate(Account.general("USD"), first, 5_000, actor=None, reason="set up")

    response = reallocate(client, source=f"need:{first.pk}", target=second.pk, amount="20")

    assert response.status_code == 302
    assert (held(first), held(second)) == (3_000, 2_000)


# --- Disbursements --------------------------------------------------------------------------------


@pytest.fixture
def need_with_money(general_money):
    need = make_need(title="Shelter beds", target_amount=100_000)
    ledger.reallocate(Account.general("USD"), need, 10_000, actor=None, reason="set up")
    return need


def record(client, need, **fields):
    data = {
        "need": need.pk,
        "amount": "60",
        "paid_on": timezone.localdate().isoformat(),
        "reference": "BANK-42",
        "note": "First month.",
    }
    data.update(fields)
    return client.post(reverse("sixdegrees_disbursements:add"), data)


def test_recording_a_disbursement(client, manager, need_with_money):
    response = record(client, need_with_money)

    disbursement = Disbursement.objects.get()
    assert response["Location"] == reverse(
        "sixdegrees_disbursements:inspect", args=[disbursement.pk]
    )
    assert (disbursement.amount, disbursement.currency) == (6_000, "USD")
    assert disbursement.partner == need_with_money.partner
    assert disbursement.actor_label == manager.get_username()
    assert disbursement.reference == "BANK-42"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": "100.01"}, "Shelter beds holds only $100.00 that has not been paid out yet."),
        ({"amount": "0.001"}, "USD amounts can have at most 2 decimal places."),
        ({"amount": ""}, "This field is required."),
        (
            # Read when the test runs, from the clock: a date computed at collection is a time bomb.
            {"paid_on": lambda today: (today + datetime.timedelta(days=2)).isoformat()},
            "Record a disbursement once the money has been sent.",
        ),
    ],
    ids=["more-than-held", "too-many-decimals", "no-amount", "paid-in-the-future"],
)
def test_refused_disbursements_say_why_and_write_nothing(
    client, manager, need_with_money, fields, message, clock
):
    fields = {
        name: value(clock.today()) if callable(value) else value for name, value in fields.items()
    }
    response = record(client, need_with_money, **fields)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Disbursement.objects.exists()


def test_reversing_a_disbursement_keeps_the_original_and_needs_a_reason(
    client, manager, need_with_money
):
    original = ledger.record_disbursement(
        need_with_money, 6_000, paid_on=timezone.localdate(), actor=None
    )
    url = reverse("sixdegrees_disbursements:reverse", args=[original.pk])

    refused = client.post(url, {"reason": ""})
    assert "This field is required." in refused.content.decode()
    assert Disbursement.objects.count() == 1

    client.post(url, {"reason": "The transfer bounced."})
    reversal = Disbursement.objects.get(reverses=original)
    assert reversal.amount == -6_000
    assert reversal.reason == "The transfer bounced."
    page = client.get(reverse("sixdegrees_disbursements:inspect", args=[original.pk]))
    assert "The transfer bounced." in page.content.decode()
    assert "Reverse this disbursement" not in page.content.decode()

    again = client.post(url, {"reason": "Twice?"})
    assert "already been reversed" in again.content.decode()
    assert Disbursement.objects.count() == 2


def test_the_disbursement_form_offers_needs_holding_money(client, manager, need_with_money):
    make_need(title="Empty need", target_amount=100_000)
    page = client.get(reverse("sixdegrees_disbursements:add")).content.decode()
    assert "Shelter beds (USD): $100.00 not paid out" in page
    assert "Empty need" not in page
