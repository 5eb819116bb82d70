"""My giving statements: a donor's paid gifts in a date range, net of refunds, per currency,
as a printable page and a PDF. The sums are checked against the ledger the same gifts wrote."""

from __future__ import annotations

import datetime
import re
import time
import zlib
from collections import defaultdict

import pytest
from django.test import override_settings
from django.urls import reverse
from wagtail.models import Site

from tests.factories import make_donor, make_paid_donation
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.giving import statement_pdf, statements
from wagtail_sixdegrees.giving.donor_session import SESSION_KEY
from wagtail_sixdegrees.models import Donation, GivingSettings, LedgerEntry

pytestmark = pytest.mark.django_db

EMAIL = "statement@example.org"
STATEMENT = reverse("wagtail_sixdegrees:my_statement")
PDF = reverse("wagtail_sixdegrees:my_statement_pdf")
UTC = datetime.UTC


def signed_in(client, email: str = EMAIL) -> None:
    session = client.session
    session[SESSION_KEY] = {"email": email, "expires": time.time() + 600}
    session.save()


def at(*parts: int) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=UTC)


def paid(donor, amount: int, currency: str, when: datetime.datetime, **fields) -> Donation:
    return make_paid_donation(amount, currency, donor=donor, paid_at=when, **fields)


def refund(donation: Donation, amount: int) -> None:
    """A refund as the webhook records it, and the ledger's reversal of it."""
    Donation.objects.filter(pk=donation.pk).update(
        amount_refunded=amount,
        refunded_settlement_amount=amount,
        status="refunded" if amount == donation.amount else "partially_refunded",
    )
    ledger.sync_reversals(Donation.objects.get(pk=donation.pk))


@pytest.fixture
def gifts(db):
    """Four gifts of one donor in 2025 (two currencies, refunds) and one of someone else."""
    donor = make_donor(EMAIL, name="Ada Example")
    usd = paid(donor, 5_000, "USD", at(2025, 3, 1, 10))
    partly = paid(donor, 2_550, "USD", at(2025, 6, 1, 10))
    whole = paid(donor, 1_000, "USD", at(2025, 7, 1, 10))
    thb = paid(donor, 50_000, "THB", at(2025, 8, 1, 10))
    paid(make_donor("someone@example.org"), 9_900, "USD", at(2025, 8, 1, 10))
    ledger.allocate()
    refund(partly, 1_025)
    refund(whole, 1_000)
    return {"usd": usd, "partly": partly, "whole": whole, "thb": thb}


def ledger_net_by_currency(donations) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for entry in LedgerEntry.objects.filter(donation__in=donations):
        totals[entry.currency] += entry.amount
    return dict(totals)


def test_statement_totals_equal_the_ledger_net_of_refunds_per_currency(gifts):
    statement = statements.build(EMAIL, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))

    totals = {total.currency: total.net for total in statement.totals}
    assert totals == ledger_net_by_currency(gifts.values())
    assert totals == {"THB": 50_000, "USD": 5_000 + 1_525}
    usd = next(total for total in statement.totals if total.currency == "USD")
    assert (usd.gifts, usd.amount, usd.returned) == (3, 8_550, 2_025)


def test_a_lost_dispute_counts_as_given_back(gifts):
    Donation.objects.filter(pk=gifts["usd"].pk).update(
        status="disputed", dispute_status="lost", dispute_amount=5_000
    )
    statement = statements.build(EMAIL, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))

    assert {t.currency: t.net for t in statement.totals}["USD"] == 1_525


@override_settings(TIME_ZONE="Asia/Bangkok")
def test_a_gift_belongs_to_the_day_it_was_paid_in_the_sites_time_zone(db):
    donor = make_donor(EMAIL)
    # 17:30 UTC on 31 December is 00:30 on 1 January in Bangkok (UTC+7).
    new_year = paid(donor, 1_000, "USD", at(2025, 12, 31, 17, 30))
    old_year = paid(donor, 2_000, "USD", at(2025, 12, 31, 16, 59))

    last = statements.build(EMAIL, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    this = statements.build(EMAIL, datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))

    assert [line.donation for line in last.lines] == [old_year]
    assert [line.donation for line in this.lines] == [new_year]
    assert this.lines[0].paid_on == datetime.date(2026, 1, 1)


def test_the_page_shows_each_currency_on_its_own(client, gifts):
    signed_in(client)
    response = client.get(STATEMENT, {"start": "2025-01-01", "end": "2025-12-31"})

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'data-sd-total="USD">\s*\$65\.25 net of refunds \(3 gifts\)', html)
    assert re.search(r'data-sd-total="THB">\s*THB\s?500\.00 net of refunds \(1 gift\)', html)
    assert "9,900" not in html and "99.00" not in html  # another donor's gift


def test_the_page_shows_the_organisations_details(client, gifts):
    settings = GivingSettings.for_site(Site.objects.get(is_default_site=True))
    settings.organisation_name = "Fictional Relief"
    settings.organisation_address = "1 Example Road\nBangkok"
    settings.registration_number = "REG-123"
    settings.save()
    signed_in(client)

    html = client.get(STATEMENT, {"start": "2025-01-01", "end": "2025-12-31"}).content.decode()

    assert "Fictional Relief" in html and "1 Example Road<br>Bangkok" in html
    assert "Registration number: REG-123" in html


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2025-12-31", "2025-01-01", "The last day must be on or after the first day."),
        ("2025-13-01", "2025-12-31", "Enter a date like 2025-01-31."),
        ("", "2025-12-31", "Enter the first day of the statement."),
        ("2000-01-01", "2025-12-31", "A statement can cover at most 3660 days."),
    ],
)
def test_a_bad_range_shows_the_form_with_errors_and_no_statement(
    client, gifts, start, end, message
):
    signed_in(client)
    response = client.get(STATEMENT, {"start": start, "end": end})

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "data-sd-total" not in html and "data-sd-donation" not in html


def test_a_bad_range_never_becomes_a_pdf(client, gifts):
    signed_in(client)
    response = client.get(PDF, {"start": "2025-12-31", "end": "2025-01-01"})

    assert response.status_code == 303
    assert response["Location"].startswith(STATEMENT)


def test_statements_need_a_signed_in_donor(client, gifts):
    assert client.get(STATEMENT).status_code == 303
    assert client.get(PDF).status_code == 303


def test_without_a_range_the_page_shows_this_calendar_year(client, clock, gifts):
    clock.move_to(datetime.date(2025, 9, 15))
    signed_in(client)
    html = client.get(STATEMENT).content.decode()

    assert 'value="2025-01-01"' in html and 'value="2025-12-31"' in html
    assert "data-sd-total" in html


@override_settings(WAGTAIL_SIXDEGREES={"FISCAL_YEAR_START_MONTH": 4})
def test_fiscal_years_start_in_the_configured_month(clock):
    offered = statements.periods(datetime.date(2026, 2, 10))

    assert [(p.start, p.end) for p in offered] == [
        (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)),
        (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
        (datetime.date(2025, 4, 1), datetime.date(2026, 3, 31)),
        (datetime.date(2024, 4, 1), datetime.date(2025, 3, 31)),
    ]


def test_a_calendar_fiscal_year_is_not_offered_twice():
    assert len(statements.periods(datetime.date(2026, 2, 10))) == 2


def pdf_text(content: bytes) -> str:
    """The text drawn on the PDF's pages (fpdf2 compresses each page's stream)."""
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            texts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "".join(texts)


def test_the_pdf_holds_the_same_totals(client, gifts):
    signed_in(client)
    response = client.get(PDF, {"start": "2025-01-01", "end": "2025-12-31"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    assert "USD: 3 gifts, net of refunds 65.25 USD" in text
    assert "THB: 1 gifts, net of refunds 500.00 THB" in text


def test_a_thai_statement_without_a_font_is_offered_as_html_to_print(client, gifts):
    gifts["usd"].donor.__class__.objects.filter(email=EMAIL).update(name="สมชาย ตัวอย่าง")
    signed_in(client)
    query = {"start": "2025-01-01", "end": "2025-12-31"}

    html = client.get(STATEMENT, query).content.decode()

    assert "สมชาย ตัวอย่าง" in html and "data-sd-total" in html
    assert "Download this statement as a PDF" not in html
    assert "Save as PDF" in html
    assert client.get(PDF, query).status_code == 303


def test_a_font_lets_any_script_be_drawn(gifts, tmp_path):
    font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    statement = statements.build(EMAIL, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    organisation = {"name": "Quỹ Ví Dụ", "address": "", "registration": "", "footer": ""}
    assert not statement_pdf.can_render(statement, organisation)

    with override_settings(WAGTAIL_SIXDEGREES={"STATEMENT_PDF_FONT": font}):
        assert statement_pdf.can_render(statement, organisation)
        assert statement_pdf.render(statement, organisation).startswith(b"%PDF-")


def test_without_fpdf2_the_page_says_print_to_pdf(client, gifts, monkeypatch):
    monkeypatch.setattr(statement_pdf, "installed", lambda: False)
    signed_in(client)
    html = client.get(STATEMENT, {"start": "2025-01-01", "end": "2025-12-31"}).content.decode()

    assert "Download this statement as a PDF" not in html
    assert "Save as PDF" in html
    assert client.get(PDF, {"start": "2025-01-01", "end": "2025-12-31"}).status_code == 303


def test_my_giving_links_to_statements(client, gifts):
    signed_in(client)
    html = client.get(reverse("wagtail_sixdegrees:my_giving")).content.decode()
    assert f'href="{STATEMENT}"' in html
