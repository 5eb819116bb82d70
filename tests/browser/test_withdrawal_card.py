"""The survivor's withdrawal card page in a real browser: JavaScript off, and accessible in
every language we ship.

The survivor opens the card's link with JavaScript off, presses the one button, and the story is
gone; axe-core finds no WCAG 2.2 A/AA violation on the page before and after, in each language.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect
from wagtail.models import Page

from tests.factories import make_live_story
from wagtail_sixdegrees.i18n import SHIPPED_LANGUAGES
from wagtail_sixdegrees.models import StoryConsent
from wagtail_sixdegrees.stories import cards

pytestmark = pytest.mark.django_db(transaction=True)

AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}}


def test_the_survivor_takes_the_story_down_with_javascript_off_in_thai(browser, live_server):
    story = make_live_story(title="Browsercard story", pseudonym="Browsername")
    consent = StoryConsent.objects.get(translation_key=story.translation_key)
    issued = cards.issue_card(consent, language="th", contact="สำนักงานตัวอย่าง โทร 000")
    address = live_server.url + reverse(
        "wagtail_sixdegrees:withdraw_consent_code", args=[issued.printed_code]
    )

    audited = browser.new_page()
    audited.goto(address)
    before = Axe().run(audited, options=AXE_OPTIONS)
    assert before.violations_count == 0, before.generate_report()
    assert audited.locator("html").get_attribute("lang") == "th"

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(address)
    expect(page.get_by_text("Browsername")).to_be_visible()
    assert consent.withdrawal_cards.get().consent.withdrawn_on is None  # opening never withdraws
    page.get_by_role("button").click()
    expect(page.get_by_text("สำนักงานตัวอย่าง โทร 000")).to_be_visible()
    assert not Page.objects.get(pk=story.pk).live

    audited.goto(address)
    after = Axe().run(audited, options=AXE_OPTIONS)
    assert after.violations_count == 0, after.generate_report()


@pytest.mark.parametrize("language", ["en", *SHIPPED_LANGUAGES])
def test_the_withdrawal_page_passes_axe_in_every_language(browser, live_server, language):
    story = make_live_story(title="Browsercard story", pseudonym="Browsername")
    consent = StoryConsent.objects.get(translation_key=story.translation_key)
    issued = cards.issue_card(consent, language=language, contact="Fictional office, 000")
    address = live_server.url + reverse("wagtail_sixdegrees:withdraw_consent", args=[issued.token])
    page = browser.new_page()

    page.goto(address)
    assert page.locator("html").get_attribute("lang") == language
    if language != "en":  # the page is in the card's language, not English
        assert page.title() != "Take your story down"
    before = Axe().run(page, options=AXE_OPTIONS)
    assert before.violations_count == 0, before.generate_report()

    page.get_by_role("button").click()
    expect(page.get_by_text("Fictional office, 000")).to_be_visible()
    assert not Page.objects.get(pk=story.pk).live
    after = Axe().run(page, options=AXE_OPTIONS)
    assert after.violations_count == 0, after.generate_report()
