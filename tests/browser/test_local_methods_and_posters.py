"""A Thai donor pays with PromptPay at the stand-in and their bank confirms later; a manager
prints a need's QR poster. Real form, real stand-in, real webhooks, Chromium."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.test_giving_checkout import split_donate_page
from tests.factories import make_need
from wagtail_sixdegrees.models import Donation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def promptpay(settings):
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "PAYMENT_METHODS": {"THB": ["card", "promptpay"]},
    }


def test_donor_pays_with_promptpay_and_the_gift_is_paid_when_the_bank_confirms(
    page, live_server, checkout_server, promptpay
):
    split_donate_page(mode="choose")

    page.goto(live_server.url + "/?amount=500&currency=THB")
    expect(page.get_by_text("with card or PromptPay")).to_be_visible()
    page.get_by_label("Email").fill("promptpay-donor@example.org")
    page.get_by_role("button", name="Continue to secure payment").click()

    page.wait_for_url("**/checkout/**")
    checkout = page.url
    page.get_by_label("PromptPay").check()
    page.get_by_role("button", name="Pay, bank confirms later").click()
    page.wait_for_url("**/giving/thanks/**")
    expect(page.get_by_text("We are waiting for your bank or wallet")).to_be_visible()
    assert Donation.objects.get().status == "pending"

    page.goto(checkout)
    expect(page.get_by_text("500.00 THB by PromptPay")).to_be_visible()
    page.get_by_role("button", name="The bank confirms").click()
    page.wait_for_url("**/giving/thanks/**")
    expect(page.get_by_role("heading", name="Thank you for your gift")).to_be_visible()
    donation = Donation.objects.get()
    assert (donation.status, donation.payment_method_type) == ("paid", "promptpay")


def test_manager_prints_a_need_poster_that_passes_axe(logged_in_page, live_server):
    page = logged_in_page
    need = make_need(title="Fictional shelter beds", currency="THB")

    page.goto(f"{live_server.url}/admin/giving/posters/?need={need.pk}")
    page.get_by_label("Amount").fill("500")
    page.get_by_label("Currency").select_option("THB")
    page.get_by_role("button", name="Show the poster").click()
    link = page.locator("[data-sd-poster-link]")
    expect(link).to_contain_text(f"/giving/needs/{need.pk}/?amount=500.00&currency=THB")

    with page.context.expect_page() as opened:
        page.get_by_role("link", name=re.compile("Print: A4 poster")).click()
    poster = opened.value
    poster.wait_for_load_state()
    expect(poster.get_by_role("heading", name="Fictional shelter beds")).to_be_visible()
    expect(poster.locator("svg.segno")).to_be_visible()
    results = Axe().run(poster)
    assert results.violations_count == 0, results.generate_report()
