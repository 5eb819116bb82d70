"""The whole journey a donor takes, end to end, in English and in Thai.

Read a survivor's story, give to two of its needs with a 60/40 split, pay on the development
Checkout server, land on the thank-you page; the server's signed webhook marks the gift paid,
the gift is allocated on commit, the receipt arrives with the private impact link, and the
impact page shows each part of the gift in the need the donor chose, with no serious
accessibility violation.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from playwright.sync_api import expect

from tests.browser.donate_form import open_split
from tests.browser.reach_site import build_story_site
from wagtail_sixdegrees.models import Donation, LedgerEntry

pytestmark = pytest.mark.django_db(transaction=True)

AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}}


def wait_for(predicate, page, attempts=120):
    """Poll the database while the live server handles the webhook (at most a minute)."""
    for _ in range(attempts):
        if predicate():
            return
        page.wait_for_timeout(500)
    raise AssertionError("the webhook never arrived")


# A Thai reader is offered baht first (CURRENCY_BY_LANGUAGE), on a site whose needs are in baht.
@pytest.mark.parametrize(("language", "currency"), [("en", "USD"), ("th", "THB")])
def test_donor_reads_gives_a_split_and_sees_it_allocated_on_the_impact_page(
    page, live_server, checkout_server, language, currency
):
    site = build_story_site(currency)
    beds, lawyers = site["needs"]
    page.set_extra_http_headers({"Accept-Language": language})

    page.goto(live_server.url + site["index"].url)
    page.get_by_role("link", name="Mai's story").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mai")

    # Field names, not labels: the labels are in the reader's language.
    form = page.locator("form.sd-donate__form")
    form.locator("input[name=amount]").fill("30")
    form.locator("input[name=email]").fill(f"journey-{language}@example.org")
    open_split(page)
    form.locator("select[name=target]").nth(0).select_option(label=beds.title)
    form.locator("input[name=share]").nth(0).fill("60")
    form.locator("select[name=target]").nth(1).select_option(label=lawyers.title)
    form.locator("input[name=share]").nth(1).fill("40")
    form.locator("button[type=submit]").click()

    page.wait_for_url("**/checkout/**")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/giving/thanks/**")
    assert page.locator("html").get_attribute("lang") == language

    donation = Donation.objects.get()
    wait_for(lambda: LedgerEntry.objects.filter(donation=donation).exists(), page)
    donation.refresh_from_db()
    assert (donation.status, donation.amount, donation.currency) == ("paid", 3000, currency)
    assert donation.locale == language

    # The money: the net gift (after Stripe's fee) in the two needs, 60/40 to the cent.
    net = donation.amount - donation.fee_amount
    placed = {
        entry.need_id: entry.amount
        for entry in LedgerEntry.objects.filter(donation=donation, need__isnull=False)
    }
    assert set(placed) == {beds.pk, lawyers.pk}
    assert sum(placed.values()) == net
    assert abs(placed[beds.pk] * 100 - net * 60) < 100
    assert abs(placed[lawyers.pk] * 100 - net * 40) < 100

    # The receipt carries the private impact link; the page shows both parts.
    (receipt,) = [m for m in mail.outbox if f"journey-{language}@example.org" in m.to]
    link = re.search(r"https?://\S+/giving/gift/\S+", receipt.body).group(0)
    page.goto(live_server.url + urlsplit(link).path)
    parts = page.locator(".sd-impact__part h3")
    expect(parts).to_have_count(2)
    headings = " ".join(parts.all_inner_texts())
    for need in (beds, lawyers):
        assert need.title in headings
        assert f"{placed[need.pk] / 100:.2f}" in headings
    expect(page.locator("[data-sd-movement]")).to_have_count(
        len(LedgerEntry.objects.filter(donation=donation))
    )
    assert page.locator("html").get_attribute("lang") == language

    results = Axe().run(page, options=AXE_OPTIONS)
    serious = [
        v["id"]
        for v in results.response["violations"]
        if v.get("impact") in {"serious", "critical"}
    ]
    assert serious == [], results.generate_report()
