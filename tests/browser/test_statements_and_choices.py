"""My giving's statement, a closed need's choice and "make it monthly" in a real browser, with
JavaScript off: the donor signs in by the emailed link, opens this year's statement, downloads
its PDF (whose text holds the same totals), then chooses where the money waiting in a closed
need goes; a one-off donor makes their gift monthly from the thanks page. axe-core audits the
new pages."""

from __future__ import annotations

import datetime
import re
import zlib

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.browser.test_giving_checkout import split_donate_page
from tests.browser.test_my_giving import audit
from tests.factories import make_donor, make_need, make_paid_donation, need_pref
from wagtail_sixdegrees.allocation import ledger, need_choices
from wagtail_sixdegrees.allocation.audit import run_audit
from wagtail_sixdegrees.models import Donation, LedgerEntry, NeedChoice, RecurringGift

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "browser-statement@example.org"


def pdf_text(content: bytes) -> str:
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            texts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "".join(texts)


def gifts_and_a_closed_need(clock) -> None:
    """This year: 50.00 USD (10.25 refunded since) and 500.00 THB; 20.00 USD to a need that
    closed yesterday short of its target, beside an open need of the same cause and region."""
    donor = make_donor(EMAIL, name="Browser Donor", locale="en")
    today = clock.today()
    closing = make_need(
        title="Closing need",
        target_amount=100_000,
        opens_on=today - datetime.timedelta(days=10),
        closes_on=today + datetime.timedelta(days=1),
    )
    make_need(title="Open need", cause=closing.cause, region=closing.region, target_amount=100_000)
    usd = make_paid_donation(5_000, "USD", donor=donor)
    make_paid_donation(50_000, "THB", donor=donor)
    make_paid_donation(2_000, "USD", donor=donor, preferences=[need_pref(closing)])
    ledger.allocate()
    Donation.objects.filter(pk=usd.pk).update(
        amount_refunded=1_025, refunded_settlement_amount=1_025, status="partially_refunded"
    )
    ledger.sync_reversals(Donation.objects.get(pk=usd.pk))
    clock.advance(days=2)
    need_choices.run()
    mail.outbox.clear()


def test_a_donor_prints_a_statement_downloads_its_pdf_and_chooses_for_a_closed_need(
    browser, live_server, clock
):
    gifts_and_a_closed_need(clock)
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    page.goto(live_server.url + "/giving/my/")
    page.get_by_label("Your email address").fill(EMAIL)
    page.get_by_role("button", name="Email me a sign-in link").click()
    (message,) = mail.outbox
    page.goto(re.search(r"https?://\S+/giving/my/link/\S+/", message.body)[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My giving", exact=True)).to_be_visible()

    page.get_by_role("link", name="Statements for any period").click()
    expect(page.get_by_role("heading", name="Giving statement")).to_be_visible()
    expect(page.locator("[data-sd-total=USD]")).to_have_text("$59.75 net of refunds (2 gifts)")
    expect(page.locator("[data-sd-total=THB]")).to_contain_text("500.00 net of refunds (1 gift)")
    audit(browser, context, page.url)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download this statement as a PDF").click()
    content = download.value.path().read_bytes()
    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    assert "USD: 2 gifts, net of refunds 59.75 USD" in text
    assert "THB: 1 gifts, net of refunds 500.00 THB" in text

    page.get_by_role("link", name="Back to My giving").click()
    page.get_by_role("link", name="Closing need has closed: choose where your gift goes").click()
    expect(page.get_by_role("heading", name="Where should your gift go?")).to_be_visible()
    audit(browser, context, page.url)
    page.get_by_label("Open need").check()
    page.get_by_role("button", name="Confirm my choice").click()
    expect(page.get_by_role("status")).to_contain_text("Open need")
    audit(browser, context, page.url)

    choice = NeedChoice.objects.get()
    assert (choice.option, choice.moved) == ("need", 2_000)
    assert LedgerEntry.objects.filter(rule="donor_choice", amount__gt=0).get().need == (
        choice.chosen_need
    )
    assert run_audit().ok
    context.close()


def test_a_one_off_donor_makes_it_monthly_in_one_click(browser, live_server, checkout_server):
    split_donate_page(mode="choose")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.get_by_label("Amount", exact=True).fill("30")
    page.get_by_label("Email").fill("browser-once@example.org")
    page.get_by_role("button", name="Continue to secure payment").click()
    page.wait_for_url("**/checkout/**")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/giving/thanks/**")
    audit(browser, context, page.url)

    page.get_by_role("button", name="Give $30.00 every month").click()
    page.wait_for_url("**/checkout/**")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/giving/thanks/**")

    expect(page.get_by_text("This is a monthly gift.")).to_be_visible()
    expect(page.get_by_role("button", name="Give $30.00 every month")).to_have_count(0)
    gift = RecurringGift.objects.get()
    assert (gift.amount, gift.currency, gift.donor.email) == (
        3_000,
        "USD",
        "browser-once@example.org",
    )
    assert Donation.objects.filter(frequency="monthly", status="paid").count() == 1
    context.close()
