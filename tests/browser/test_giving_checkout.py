"""A donor gives through the real form, the development checkout server and its webhooks."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from wagtail.models import Locale, Page, Site

from tests.browser.donate_form import give_split
from tests.factories import make_need
from wagtail_sixdegrees.models import DonatePage, Donation

pytestmark = pytest.mark.django_db(transaction=True)


def split_donate_page(mode: str = "split") -> DonatePage:
    locale = Locale.objects.get_or_create(language_code="en")[0]
    root = Page.get_first_root_node() or Page.add_root(
        instance=Page(title="Root", slug="root", locale=locale)
    )
    page = DonatePage(
        title="Give your way (fictional)",
        slug="give",
        locale=locale,
        body=[("donate", {"mode": mode, "frequencies": ["once", "monthly"]})],
    )
    root.add_child(instance=page)
    Site.objects.all().delete()
    Site.objects.create(hostname="localhost", port=80, root_page=page, is_default_site=True)
    return page


def test_a_block_rendered_by_page_body_takes_a_gift_with_csrf_enforced(
    page, live_server, checkout_server, monkeypatch
):
    # The template many sites use ({{ page.body }}): the block renders without the request,
    # so it has no CSRF token; the live server's CSRF middleware is on, as in production.
    monkeypatch.setattr(DonatePage, "template", "sixdegrees_testapp/render_styles/page_body.html")
    split_donate_page(mode="choose")

    page.goto(live_server.url + "/")
    page.get_by_label("Amount", exact=True).fill("30")
    page.get_by_label("Email").fill("page-body-donor@example.org")
    page.get_by_role("button", name="Continue to secure payment").click()

    page.wait_for_url("**/checkout/**")
    assert not [c for c in page.context.cookies() if c["name"] == "csrftoken"]
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/giving/thanks/**")
    expect(page.get_by_role("heading", name="Thank you for your gift")).to_be_visible()
    assert Donation.objects.get().status == "paid"


def test_donor_gives_once_with_a_split_and_sees_it_paid(page, live_server, checkout_server):
    split_donate_page()  # first: after other transactional tests, even the Locale is gone
    shelter = make_need(title="Fictional shelter beds")
    school = make_need(title="Fictional school fees")

    page.goto(live_server.url + "/")
    give_split(
        page,
        "40",
        "browser-donor@example.org",
        [("Fictional shelter beds", "75"), ("Fictional school fees", "25")],
    )

    page.wait_for_url("**/checkout/**")
    expect(page.get_by_text("40.00 USD")).to_be_visible()
    page.get_by_role("button", name="Pay").click()

    page.wait_for_url("**/giving/thanks/**")
    expect(page.get_by_role("heading", name="Thank you for your gift")).to_be_visible()
    donation = Donation.objects.get()
    assert (donation.status, donation.amount, donation.currency) == ("paid", 4000, "USD")
    assert donation.fee_amount is not None
    assert [(p.need, p.share_bps) for p in donation.preferences.all()] == [
        (shelter, 7500),
        (school, 2500),
    ]
