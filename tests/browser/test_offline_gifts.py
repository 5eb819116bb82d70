"""A giving manager records a cash gift, imports a file of bank transfers and voids a mistake,
in a real browser; the new screens' own content meets WCAG 2.2 AA."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.factories import make_cause, make_need, panel_user
from wagtail_sixdegrees.models import Donation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}}


@pytest.fixture
def signed_in_user():
    """The person signed in by ``logged_in_page``: a giving manager, not a superuser."""
    return panel_user("manager", username="manager")


@pytest.fixture
def places():
    need = make_need(title="Legal aid for ten families (fictional)", target_amount=500_000)
    return {"need": need, "cause": make_cause("Education")}


def open_offline(page: Page) -> None:
    page.get_by_role("button", name="Giving").click()
    page.get_by_role("list", name="Giving").get_by_role(
        "link", name="Offline gifts", exact=True
    ).click()


def test_record_import_and_void(logged_in_page, live_server, places, tmp_path):
    from axe_playwright_python.sync_playwright import Axe

    page = logged_in_page
    open_offline(page)
    page.get_by_role("link", name="Record an offline gift").first.click()
    page.locator("form.sd-form").wait_for()
    results = Axe().run(page, context="form.sd-form", options=WCAG)
    assert results.violations_count == 0, results.generate_report()
    page.get_by_label("Received by").select_option("cash")
    page.get_by_label("Amount").fill("30.50")
    page.get_by_label("Payment reference").fill("RECEIPT-BOOK-12")
    page.get_by_label("For (1)").select_option(f"need:{places['need'].pk}")
    page.get_by_label("Share in % (1)").fill("60")
    page.get_by_label("For (2)").select_option("general")
    page.get_by_label("Share in % (2)").fill("40")
    page.get_by_role("button", name="Record the gift").click()
    expect(page.get_by_text("Recorded $30.50 received by Cash.")).to_be_visible()
    expect(page.get_by_role("heading", name="Offline gift")).to_be_visible()

    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    upload = tmp_path / "transfers.csv"
    upload.write_text(
        "received_on,channel,amount,currency,reference,targets\r\n"
        f"{yesterday},bank_transfer,100,USD,TRF-1,cause:{places['cause'].pk}\r\n"
        f"{yesterday},bank_transfer,12.345,USD,TRF-2,general\r\n",
        encoding="utf-8",
    )
    open_offline(page)
    page.get_by_role("link", name="Import a file").first.click()
    page.get_by_label("File").set_input_files(str(upload))
    page.get_by_role("button", name="Read the file").click()
    expect(page.get_by_role("row").filter(has_text="TRF-2")).to_contain_text("Refused")
    results = Axe().run(page, context="table.listing", options=WCAG)
    assert results.violations_count == 0, results.generate_report()
    page.get_by_role("button", name="Record 1 gift").click()
    expect(page.get_by_text("Recorded 1 offline gift.")).to_be_visible()
    assert Donation.objects.filter(channel="bank_transfer").count() == 1

    cash = Donation.objects.get(channel="cash")
    page.goto(f"{live_server.url}/admin/giving/donations/inspect/{cash.pk}/")
    page.get_by_role("link", name="Void this gift…").click()
    page.get_by_label("Reason").fill("Fictional: counted twice at the event.")
    page.get_by_role("button", name="Void the gift").click()
    expect(page.get_by_text("is voided")).to_be_visible()
    expect(page.get_by_text("Fictional: counted twice at the event.").first).to_be_visible()
    cash.refresh_from_db()
    assert cash.status == Donation.Status.VOIDED
