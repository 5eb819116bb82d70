"""Need choices in a real browser: a Thai donor chooses on a page in Thai with JavaScript off,
and a giving viewer reads the panel's list of choices, filtered by need and state, without any
donor. axe-core audits both."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from playwright.sync_api import expect

from tests.allocation.test_need_choices import World
from tests.factories import panel_user, translate
from wagtail_sixdegrees.allocation import need_choices
from wagtail_sixdegrees.models import Donor, NeedChoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}}
CLOSING_TH = "ที่พักพิงฉุกเฉิน (ทดสอบ)"
ALTERNATIVE_TH = "ค่าเล่าเรียน (ทดสอบ)"


@pytest.fixture
def signed_in_user():
    """The person signed in by ``logged_in_page``: a giving viewer (no personal data)."""
    return panel_user("viewer", username="manager")


@pytest.fixture
def closed(clock) -> World:
    world = World(clock)
    Donor.objects.filter(pk=world.ada.pk).update(locale="th")
    translate(world.closing, "th", title=CLOSING_TH)
    translate(world.alternative, "th", title=ALTERNATIVE_TH)
    world.close()
    need_choices.run()
    return world


def test_a_thai_donor_chooses_in_thai_with_javascript_off(browser, live_server, closed):
    message = next(m for m in mail.outbox if m.to == ["ada@example.org"])
    address = re.search(r"https?://\S+/giving/my/choose/\S+/", message.body)[0]
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.goto(live_server.url + urlsplit(address).path)
    expect(page.locator("html")).to_have_attribute("lang", "th")
    expect(page.get_by_text(CLOSING_TH, exact=False).first).to_be_visible()
    audited = browser.new_context()
    checked = audited.new_page()
    checked.goto(page.url)
    results = Axe().run(checked, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
    audited.close()

    page.get_by_label(ALTERNATIVE_TH, exact=False).check()
    page.locator("button[type=submit]").click()
    expect(page.get_by_role("status")).to_contain_text(ALTERNATIVE_TH)
    assert closed.choice(closed.ada).chosen_need == closed.alternative
    context.close()


def test_a_viewer_reads_the_choices_of_a_closed_need(closed, logged_in_page, live_server):
    # ``closed`` first: it moves the clock, which would end a session started before.
    need_choices.decide(closed.choice(closed.ada), "need", closed.alternative)
    page = logged_in_page
    page.goto(f"{live_server.url}/admin/giving/needs/")
    # The closed need's row offers its choices in its "more" menu.
    row = page.locator("tr", has_text=closed.closing.title)
    row.get_by_role("button", name="More options").click()
    row.get_by_role("link", name="Donors' choices").click()
    page.wait_for_url(f"**/admin/giving/need-choices/?need={closed.closing.pk}")
    expect(page.get_by_role("heading", name="Need choices")).to_be_visible()
    table = page.locator("table.listing")
    expect(table.locator("tbody tr")).to_have_count(NeedChoice.objects.count())
    expect(table).to_contain_text("Chosen by the donor")
    expect(table).to_contain_text(closed.alternative.title)
    assert "ada@example.org" not in page.content()
    results = Axe().run(page, context="table.listing", options=WCAG)
    assert results.violations_count == 0, results.generate_report()

    page.goto(f"{live_server.url}/admin/giving/need-choices/?need={closed.closing.pk}&state=asked")
    expect(page.locator("table.listing tbody tr")).to_have_count(2)
    expect(page.locator("table.listing")).not_to_contain_text("Chosen by the donor")
