"""Reach: light pages on a slow network, everything working with JavaScript off, accessibility.

A story page with its donate block must stay within 20 KB of HTML, CSS and JavaScript as
transferred (images excluded). With JavaScript disabled a donor can filter stories, open one,
choose a split and reach Checkout. axe-core finds no serious or critical violation on the
public pages, in English and Thai.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.donate_form import give_split
from tests.browser.reach_site import build_story_site
from tests.browser.weight import measure
from wagtail_sixdegrees.models import Donation

pytestmark = pytest.mark.django_db(transaction=True)

BUDGET_BYTES = 20 * 1024
SERIOUS = {"serious", "critical"}


@pytest.fixture
def story_site():
    return build_story_site()


def test_story_page_with_its_donate_block_stays_within_the_byte_budget(
    page, live_server, story_site
):
    weight = measure(page, live_server.url + story_site["story"].url)
    assert weight.by_type["Document"] > 0 and weight.by_type["Stylesheet"] > 0
    assert weight.gzipped_text_bytes <= BUDGET_BYTES, dict(weight.gzipped_by_type)
    # What actually crossed the network is compressed HTML (GZipMiddleware) plus static files.
    assert weight.by_type["Document"] < sum(weight.gzipped_by_type.values())


def test_without_javascript_a_donor_filters_reads_splits_and_reaches_checkout(
    browser, live_server, story_site, checkout_server
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + story_site["index"].url)
    page.get_by_role("link", name="Shelter").click()
    expect(page.get_by_role("link", name="Mai's story")).to_be_visible()
    expect(page.get_by_role("link", name="Anh's story")).to_have_count(0)
    page.get_by_role("link", name="Mai's story").click()

    give_split(
        page,
        "30",
        "no-script-donor@example.org",
        [("Fictional shelter beds", "60"), ("Fictional legal fees", "40")],
    )

    page.wait_for_url("**/checkout/**")
    expect(page.get_by_text("30.00 USD")).to_be_visible()
    donation = Donation.objects.get()
    assert [p.share_bps for p in donation.preferences.all()] == [6000, 4000]
    context.close()


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


@pytest.mark.parametrize("language", ["en", "th"])
def test_public_pages_have_no_serious_accessibility_violations(
    page, live_server, story_site, checkout_server, language
):
    page.set_extra_http_headers({"Accept-Language": language})
    found = {}
    for name, path in [
        ("story index", story_site["index"].url),
        ("story", story_site["story"].url),
    ]:
        page.goto(live_server.url + path)
        found[name] = serious_violations(page)

    # The donate form with its errors shown: submit it empty.
    page.goto(live_server.url + story_site["story"].url)
    page.locator("form.sd-donate__form button[type=submit]").click()
    page.wait_for_load_state("load")
    found["donate form with errors"] = serious_violations(page)

    # Give through the form and the checkout, then check the thank-you page.
    # Selectors by field name: the labels are in the reader's language.
    page.locator("form.sd-donate__form input[name=amount]").fill("500")
    page.locator("form.sd-donate__form input[name=email]").fill(f"a11y-{language}@example.org")
    page.locator("form.sd-donate__form button[type=submit]").click()
    page.wait_for_url("**/checkout/**")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/giving/thanks/**")
    found["thanks"] = serious_violations(page)

    assert found == {name: [] for name in found}
