"""Spreadsheets are not a way in: text a donor or anyone else typed never becomes a formula in
a download (OWASP CSV injection), and amounts stay numbers a spreadsheet can add up."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import general_pref, make_need, make_paid_donation, need_pref
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.allocation.engine import Account
from wagtail_sixdegrees.panel.views.base import spreadsheet_text

pytestmark = pytest.mark.django_db

PAYLOADS = [
    '=HYPERLINK("http://x")',
    "=cmd|' /C calc'!A0",
    "+1",
    "-1+1",
    "@SUM(1)",
    "\t=1",
    "\r=1",
]
LISTINGS = [
    "sixdegrees_donations:index",
    "sixdegrees_needs_progress:index",
    "sixdegrees_ledger:index",
    "sixdegrees_disbursements:index",
    "sixdegrees_runs:index",
]


def download_csv(client, name, **params) -> list[dict[str, str]]:
    response = client.get(reverse(name), {**params, "export": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text, newline="")))


def download_xlsx(client, name) -> list[list]:
    response = client.get(reverse(name), {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [list(row) for row in sheet.iter_rows()]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_donor_name_and_dedication_from_the_public_form_download_as_inert_text(
    client, login_as, pay, payload
):
    donation = pay(name=payload, dedication=payload)
    donation.refresh_from_db()
    login_as("superuser")

    [row] = download_csv(client, "sixdegrees_donations:index")

    # The form trims whitespace, so "\t=1" arrives as "=1"; whatever was stored is quoted.
    assert donation.donor.name and donation.dedication
    assert row["Name"] == "'" + donation.donor.name
    assert row["Name given on the form"] == "'" + donation.donor_name
    assert row["Dedicated to"] == "'" + donation.dedication


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_dangerous_first_character_is_quoted(payload):
    assert spreadsheet_text(payload) == "'" + payload


@pytest.mark.parametrize("value", ["Fictional Donor", "1+1", "", "'=already quoted"])
def test_ordinary_text_is_left_as_it_is(value):
    assert spreadsheet_text(value) == value


@pytest.fixture
def hostile_world():
    """Free text that starts with a formula character in every field a download shows."""
    need = make_need(title='=HYPERLINK("http://x")', target_amount=100_000)
    need.partner.name = "@SUM(1)"
    need.partner.save()
    make_paid_donation(
        10_000,
        preferences=[need_pref(need, 5_000), general_pref(5_000)],
        dedication="+1",
        dedication_kind="honour",
    )
    ledger.allocate()
    ledger.reallocate(Account.general("USD"), need, 1_000, actor=None, reason="-1+1")
    ledger.record_disbursement(
        need, 2_000, paid_on=timezone.localdate(), actor=None, reference="=cmd|' /C calc'!A0"
    )
    run = ledger.preview_run()
    ledger.commit_run(run)
    return need


@pytest.mark.parametrize("listing", LISTINGS)
def test_no_csv_download_of_the_panel_starts_a_text_cell_with_a_formula_character(
    client, login_as, hostile_world, listing
):
    login_as("superuser")
    response = client.get(reverse(listing), {"export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode(), newline="")))

    dangerous = [
        cell
        for row in rows
        for cell in row
        if cell[:1] in ("=", "+", "@", "\t", "\r") or (cell[:1] == "-" and not _is_number(cell))
    ]
    assert rows and dangerous == []


def _is_number(cell: str) -> bool:
    try:
        Decimal(cell)
    except ArithmeticError:
        return False
    return True


def test_negative_amounts_stay_numbers_in_the_csv(client, login_as, hostile_world):
    login_as("superuser")
    moved = download_csv(client, "sixdegrees_ledger:index", kind="reallocate")
    assert sorted(Decimal(row["Amount"]) for row in moved) == [Decimal("-10.00"), Decimal("10.00")]
    assert {row["Reason"] for row in moved} == {"'-1+1"}


def test_xlsx_keeps_the_payload_as_a_text_cell_never_a_formula(client, login_as, hostile_world):
    login_as("superuser")
    cells = [c for row in download_xlsx(client, "sixdegrees_ledger:index") for c in row]
    reasons = [c for c in cells if c.value == "-1+1"]
    assert reasons and {c.data_type for c in reasons} == {"s"}
    assert not [c for c in cells if c.data_type == "f"]
    amounts = [c.value for c in cells if isinstance(c.value, int | float) and c.value < 0]
    assert amounts  # a negative amount is still a number
