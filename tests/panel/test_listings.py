"""The panel's listings: filters, search and CSV/XLSX exports that finance can add up."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    cause_pref,
    general_pref,
    make_cause,
    make_donation,
    make_need,
    make_paid_donation,
    need_pref,
)
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.allocation.engine import Account
from wagtail_sixdegrees.models import Donation, RecurringGift

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(login_as):
    return login_as("viewer")


def listed(client, name, **params) -> str:
    return client.get(reverse(name), params).content.decode()


def short(donation: Donation) -> str:
    return str(donation.reference)[:8]


def download_csv(client, name, **params) -> list[dict[str, str]]:
    response = client.get(reverse(name), {**params, "export": "csv"})
    assert response["Content-Type"] == "text/csv"
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def download_xlsx(client, name, **params) -> list[dict]:
    response = client.get(reverse(name), {**params, "export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return [dict(zip(header, row, strict=True)) for row in rows]


# --- Donations ------------------------------------------------------------------------------------


def test_donations_filter_by_status_currency_frequency_and_date(client, viewer):
    now = timezone.now()
    usd = make_paid_donation(2_500, "USD", paid_at=now - datetime.timedelta(days=2))
    thb = make_paid_donation(50_000, "THB", paid_at=now - datetime.timedelta(days=40))
    gift = RecurringGift.objects.create(donor=usd.donor, amount=1_000, currency="USD")
    monthly = make_paid_donation(1_000, "USD", frequency="monthly", recurring_gift=gift)
    failed = make_paid_donation(3_000, "USD", status="failed", paid_at=None)
    index = "sixdegrees_donations:index"

    def shown(**params):
        content = listed(client, index, **params)
        return {d for d in (usd, thb, monthly, failed) if short(d) in content}

    assert shown(status="failed") == {failed}
    assert shown(currency="THB") == {thb}
    assert shown(frequency="monthly") == {monthly}
    since = (now - datetime.timedelta(days=10)).date().isoformat()
    assert shown(paid_at_from=since) == {usd, monthly}


def test_donations_filter_by_cause_directly_or_through_a_need(client, viewer):
    shelter = make_cause("Shelter")
    beds = make_need(cause=shelter)
    by_cause = make_paid_donation(preferences=[cause_pref(shelter)])
    by_need = make_paid_donation(preferences=[need_pref(beds)])
    other = make_paid_donation(preferences=[general_pref()])
    content = listed(client, "sixdegrees_donations:index", cause=shelter.pk)
    assert short(by_cause) in content and short(by_need) in content
    assert short(other) not in content


@pytest.mark.parametrize(
    "field",
    [
        "stripe_payment_intent_id",
        "stripe_charge_id",
        "stripe_checkout_session_id",
        "stripe_invoice_id",
        "stripe_customer_id",
    ],
)
def test_donations_are_found_by_their_stripe_ids(client, viewer, field):
    prefix = {"stripe_payment_intent_id": "pi", "stripe_charge_id": "ch"}.get(field)
    value = f"{prefix or field.split('_')[1][:3]}_test_123"
    value = {"stripe_checkout_session_id": "cs_test_1", "stripe_invoice_id": "in_test_1"}.get(
        field, value
    )
    wanted = make_paid_donation(**{field: value})
    other = make_paid_donation()
    content = listed(client, "sixdegrees_donations:index", q=value)
    assert short(wanted) in content and short(other) not in content


def test_donations_are_found_by_full_or_short_reference(client, viewer):
    wanted, other = make_paid_donation(), make_paid_donation()
    for query in (str(wanted.reference), short(wanted), str(wanted.reference).upper()):
        content = listed(client, "sixdegrees_donations:index", q=query)
        assert short(wanted) in content and short(other) not in content


def test_donations_export_as_csv_and_xlsx_with_amounts_finance_can_add(client, viewer):
    donation = make_paid_donation(2_550, "USD", fee=104)
    make_paid_donation(500_000, "VND", fee=17_000)

    rows = {row["Reference"]: row for row in download_csv(client, "sixdegrees_donations:index")}
    row = rows[str(donation.reference)]
    assert (row["Currency"], row["Amount"], row["Stripe fee"], row["Net"]) == (
        "USD",
        "25.50",
        "1.04",
        "24.46",
    )

    sheet = download_xlsx(client, "sixdegrees_donations:index", currency="VND")
    assert [(r["Currency"], r["Amount"], r["Net"]) for r in sheet] == [("VND", 500000, 483000)]
    usd = download_xlsx(client, "sixdegrees_donations:index", currency="USD")
    assert Decimal(str(usd[0]["Amount"])) == Decimal("25.50")


def test_an_export_follows_the_filters(client, viewer):
    make_paid_donation(2_500, "USD")
    make_paid_donation(50_000, "THB")
    rows = download_csv(client, "sixdegrees_donations:index", currency="THB")
    assert [row["Currency"] for row in rows] == ["THB"]


# --- Needs, ledger, disbursements, runs --------------------------------------------------------


@pytest.fixture
def activity():
    need = make_need(title="Shelter beds", target_amount=100_000)
    make_paid_donation(10_000, fee=300, preferences=[need_pref(need, 5_000), general_pref(5_000)])
    ledger.allocate()
    ledger.reallocate(Account.general("USD"), need, 1_000, actor=None, reason="Urgent")
    ledger.record_disbursement(
        need, 2_000, paid_on=timezone.localdate(), actor=None, reference="BANK-1"
    )
    return need


def test_needs_progress_shows_and_exports_raised_held_paid_out_and_missing(
    client, viewer, activity
):
    content = listed(client, "sixdegrees_needs_progress:index")
    for figure in ("$1,000.00", "$58.50", "$20.00", "$941.50", 'value="5"'):
        assert figure in content
    [row] = download_csv(client, "sixdegrees_needs_progress:index")
    assert (row["Need"], row["Target"], row["Raised"], row["Held now"]) == (
        "Shelter beds",
        "1000.00",
        "58.50",
        "58.50",
    )
    assert (row["Paid out"], row["Still needed"], row["Progress (%)"]) == ("20.00", "941.50", "5")


def test_needs_progress_filters_by_state_and_funding(client, viewer, activity):
    closed = make_need(
        title="Closed one",
        closes_on=timezone.localdate() - datetime.timedelta(days=1),
        opens_on=timezone.localdate() - datetime.timedelta(days=10),
    )
    content = listed(client, "sixdegrees_needs_progress:index", state="closed")
    assert closed.title in content and "Shelter beds" not in content
    content = listed(client, "sixdegrees_needs_progress:index", funded="false")
    assert "Shelter beds" in content


def test_the_ledger_lists_filters_and_exports_every_line(client, viewer, activity):
    rows = download_csv(client, "sixdegrees_ledger:index")
    assert sum(Decimal(row["Amount"]) for row in rows) == Decimal("97.00")
    moved = download_csv(client, "sixdegrees_ledger:index", kind="reallocate")
    assert {row["Reason"] for row in moved} == {"Urgent"}
    assert sorted(Decimal(row["Amount"]) for row in moved) == [Decimal("-10.00"), Decimal("10.00")]
    of_the_need = download_csv(client, "sixdegrees_ledger:index", need=activity.pk)
    assert {row["Account"] for row in of_the_need} == {"Shelter beds"}
    assert "Shelter beds" in listed(client, "sixdegrees_ledger:index", need=activity.pk)
    found = download_csv(client, "sixdegrees_ledger:index", q="shelter")
    assert found and {row["Account"] for row in found} == {"Shelter beds"}


def test_disbursements_list_and_export(client, viewer, activity):
    assert "BANK-1" in listed(client, "sixdegrees_disbursements:index")
    [row] = download_csv(client, "sixdegrees_disbursements:index")
    assert (row["Need"], row["Amount"], row["State"], row["Payment reference"]) == (
        "Shelter beds",
        "20.00",
        "Paid",
        "BANK-1",
    )


def test_runs_list_who_and_when(client, viewer):
    need = make_need(target_amount=100_000)
    make_paid_donation(5_000, preferences=[need_pref(need)])
    run = ledger.preview_run()
    ledger.commit_run(run)
    [row] = download_csv(client, "sixdegrees_runs:index")
    assert (row["Status"], row["Ledger lines"], row["New money"]) == ("committed", "1", "$50.00")


def test_donations_a_payment_did_not_match_are_listed_for_finance(client, viewer):
    flagged = make_donation(payment_mismatch="Checkout Session cs_x (100 THB) names it")
    clean = make_donation()
    content = listed(client, "sixdegrees_donations:index", payment_mismatch="true")
    assert short(flagged) in content and short(clean) not in content

    dashboard = client.get(reverse("sixdegrees_dashboard:index")).content.decode()
    assert "1</strong> payments that did not match" in dashboard
    assert "?payment_mismatch=true" in dashboard
    inspect = client.get(reverse("sixdegrees_donations:inspect", args=[flagged.pk]))
    assert "cs_x (100 THB)" in inspect.content.decode()


def test_finance_resolves_a_payment_that_did_not_match_with_a_note(client, login_as):
    from wagtail.log_actions import registry

    from wagtail_sixdegrees.allocation.audit import run_audit

    flagged = make_donation(payment_mismatch="Checkout Session cs_x (100 THB) names it")
    resolve = reverse("sixdegrees_donations:resolve_mismatch", args=[flagged.pk])
    assert not run_audit().ok

    login_as("viewer")
    assert client.post(resolve, {"note": "Refunded in Stripe."}).status_code in (302, 403)
    flagged.refresh_from_db()
    assert flagged.payment_mismatch  # viewers cannot clear it

    login_as("manager")
    inspect = client.get(reverse("sixdegrees_donations:inspect", args=[flagged.pk]))
    assert resolve in inspect.content.decode()
    response = client.post(resolve, {"note": "Refunded in Stripe."})

    assert response.status_code == 302
    flagged.refresh_from_db()
    assert flagged.payment_mismatch == ""
    assert run_audit().ok
    [entry] = registry.get_logs_for_instance(flagged).filter(
        action="wagtail_sixdegrees.payment_mismatch_resolved"
    )
    assert entry.data == {
        "mismatch": "Checkout Session cs_x (100 THB) names it",
        "note": "Refunded in Stripe.",
    }
