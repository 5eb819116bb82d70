"""My giving in a real browser, with JavaScript off: a monthly donor asks for a link, reads it in
the email, opens it, confirms, changes the amount, pauses, resumes, updates the card on the
(development) Stripe page and comes back. Every change reaches the development Stripe server,
whose signed webhooks confirm it. axe-core audits each page; the home page keeps the story
pages' byte budget."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from playwright.sync_api import expect

from tests.browser.test_giving_checkout import split_donate_page
from tests.browser.test_reach import BUDGET_BYTES
from tests.browser.test_withdrawal_card import AXE_OPTIONS
from tests.browser.weight import measure
from wagtail_sixdegrees.giving.monthly import card_token
from wagtail_sixdegrees.models import GiftChange, RecurringGift

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "browser-monthly@example.org"


def audit(browser, context, url: str) -> None:
    """axe-core on ``url`` as the donor sees it (their cookies, JavaScript on for axe)."""
    audited = browser.new_context()
    audited.add_cookies(context.cookies())
    page = audited.new_page()
    page.goto(url)
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()
    audited.close()


def confirmed(page, shown) -> None:
    """Reload until Stripe's webhook has confirmed the change (it arrives a moment after
    Stripe answers) and the page shows ``shown`` (a locator), as a donor would."""
    for _attempt in range(40):
        waiting = page.get_by_text("Waiting for our payment provider").count()
        if not waiting and shown(page).count():
            return
        page.wait_for_timeout(250)
        page.reload()
    raise AssertionError("Stripe's webhook never confirmed the change")


def test_a_monthly_donor_manages_their_gift_with_javascript_off(
    browser, live_server, checkout_server
):
    split_donate_page(mode="choose")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.get_by_label("Monthly").check()
    page.get_by_label("Amount", exact=True).fill("25")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Continue to secure payment").click()
    page.wait_for_url("**/checkout/**")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/giving/thanks/**")
    gift = RecurringGift.objects.get()
    mail.outbox.clear()

    my_giving = live_server.url + "/giving/my/"
    audit(browser, context, my_giving)
    page.goto(my_giving)
    page.get_by_label("Your email address").fill(EMAIL)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    (message,) = mail.outbox
    link = re.search(r"https?://\S+/giving/my/link/\S+/", message.body)[0]
    audit(browser, context, link)  # opening it (a scanner, axe) does not use it up
    page.goto(link)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My giving", exact=True)).to_be_visible()
    audit(browser, context, my_giving)

    page.get_by_label("New monthly amount (USD)").fill("30")
    page.get_by_role("button", name="Change amount").click()
    confirmed(page, lambda p: p.get_by_role("heading", name="$30.00 every month"))

    page.get_by_label("Pause for").select_option("2")
    page.get_by_role("button", name="Pause", exact=True).click()
    confirmed(page, lambda p: p.locator("[data-sd-status=paused]"))

    page.get_by_role("button", name="Resume now").click()
    confirmed(page, lambda p: p.locator("[data-sd-status=active]"))

    # The other pages, as the donor would see them (GETs change nothing).
    for name in ("supports", "cancel"):
        audit(browser, context, f"{live_server.url}/giving/my/monthly/{gift.reference}/{name}/")
    audit(browser, context, f"{live_server.url}/giving/my/erase/")
    audit(browser, context, link)  # used now: "This link does not work"
    audit(browser, context, live_server.url + f"/giving/monthly/{card_token(gift)}/card/")

    page.get_by_role("button", name="Update my card").click()
    page.wait_for_url("**/billing_portal/**")
    page.get_by_role("button", name="Save card").click()
    page.wait_for_url(my_giving)
    confirmed(page, lambda p: p.get_by_role("button", name="Update my card"))

    gift.refresh_from_db()
    assert (gift.amount, gift.status, gift.paused_until) == (3000, "active", None)
    assert list(gift.changes.values_list("kind", "state")) == [
        ("amount", "confirmed"),
        ("pause", "confirmed"),
        ("resume", "confirmed"),
        ("card", "confirmed"),
    ]
    assert not GiftChange.objects.exclude(state="confirmed").exists()

    weighed = browser.new_context()
    weighed.add_cookies(context.cookies())
    weight = measure(weighed.new_page(), my_giving)
    assert weight.gzipped_text_bytes <= BUDGET_BYTES, dict(weight.gzipped_by_type)
    weighed.close()
    context.close()
