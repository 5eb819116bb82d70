"""Keyboard use on the donate form: focus order follows the reading order, every control shows
where the focus is, the error summary takes the focus and links each problem to its field, and
a donor can give with the keyboard alone."""

from __future__ import annotations

import itertools

import pytest

from tests.browser.reach_site import build_story_site

pytestmark = pytest.mark.django_db(transaction=True)

FORM = "form.sd-donate__form"

# checkVisibility() also leaves out the content of a closed <details>, which Tab skips.
TABBABLE = """(form) => [...form.querySelectorAll('a[href], button, input, select, textarea, summary')]
  .filter(el => el.type !== 'hidden' && !el.disabled && el.tabIndex >= 0
                && el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden'
                && !el.closest('[aria-hidden=true]') && el.offsetParent !== null
                && el.checkVisibility())
  .filter(el => !el.closest('.sd-hp'))"""


def focus_indicator(page) -> dict:
    return page.evaluate(
        """() => { const el = document.activeElement, s = getComputedStyle(el);
        return {tag: el.tagName, name: el.name || el.id, outline: s.outlineStyle,
                width: parseFloat(s.outlineWidth), shadow: s.boxShadow}; }"""
    )


@pytest.fixture
def story(live_server):
    return build_story_site()["story"]


def test_focus_moves_through_the_form_in_reading_order_with_a_visible_indicator(
    page, live_server, story
):
    page.goto(live_server.url + story.url)
    assert page.locator("[tabindex]:not([tabindex='-1']):not([tabindex='0'])").count() == 0
    controls = page.locator(FORM).evaluate_handle(TABBABLE)
    count = page.evaluate("(list) => list.length", controls)
    assert count >= 8
    tops = page.evaluate("(list) => list.map(el => el.getBoundingClientRect().top)", controls)
    # Reading order: no control comes after one that sits higher on the page (a few pixels
    # apart is the same line).
    assert all(later >= earlier - 8 for earlier, later in itertools.pairwise(tops)), str(tops)

    # Tab from the first control to the submit button (a radio group is one stop); each stop
    # shows a visible focus indicator.
    page.locator(FORM).evaluate("(form) => form.querySelector('input:not([type=hidden])').focus()")
    page.keyboard.press("Shift+Tab")
    for _ in range(count):
        page.keyboard.press("Tab")
        indicator = focus_indicator(page)
        visible = (indicator["outline"] != "none" and indicator["width"] >= 1) or (
            indicator["shadow"] != "none"
        )
        assert visible, indicator
        if page.evaluate("() => document.activeElement.matches('button[type=submit]')"):
            break
    else:
        raise AssertionError("Tab never reached the submit button")


def test_errors_take_the_focus_and_link_to_their_fields(page, live_server, story):
    page.goto(live_server.url + story.url)
    page.locator(f"{FORM} input[name=amount]").focus()
    page.keyboard.press("Enter")  # submit the empty form from the keyboard
    page.wait_for_selector("[data-sd-error-summary]")
    assert page.evaluate("() => document.activeElement.matches('[data-sd-error-summary]')"), (
        "the error summary should have the focus"
    )

    links = page.locator("[data-sd-error-summary] a")
    assert links.count() >= 2  # at least the amount and the email
    for number in range(links.count()):
        link = links.nth(number)
        target_id = link.get_attribute("href").removeprefix("#")
        target = page.locator(f"[id='{target_id}']")
        assert target.count() == 1, target_id
        if target.evaluate("(el) => el.matches('input, select, textarea')"):
            assert target.get_attribute("aria-invalid") == "true"
            described = target.get_attribute("aria-describedby").split()
            texts = [page.locator(f"[id='{d}']").inner_text() for d in described]
            assert link.inner_text() in texts, (link.inner_text(), texts)
        link.focus()
        page.keyboard.press("Enter")
        assert page.evaluate("() => location.hash") == f"#{target_id}"


def test_a_donor_gives_with_the_keyboard_alone(page, live_server, checkout_server, story):
    page.goto(live_server.url + story.url)
    page.locator(f"{FORM} input[name=amount]").focus()
    page.keyboard.type("25")
    # To the next fields by Tab only, typing the email where it comes.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.name") == "email":
            break
    else:
        raise AssertionError("the email field cannot be reached with Tab")
    page.keyboard.type("keyboard-donor@example.org")
    page.keyboard.press("Enter")
    page.wait_for_url("**/checkout/**")
    page.get_by_role("button", name="Pay").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/giving/thanks/**")
