"""Giving from pages served by the page cache, in a real browser: each donor's form carries
their own CSRF token and nonce, so a gift from a cached story or need page goes through."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.browser.reach_site import build_story_site
from wagtail_sixdegrees.models import Donation
from wagtail_sixdegrees.stories import page_cache as stored

pytestmark = pytest.mark.django_db(transaction=True)


def stored_pages() -> int:
    return sum(
        1
        for key in cache._cache  # the test settings' in-memory cache, shared with live_server
        if stored.PREFIX in key
    )


def give(context, url: str, email: str) -> None:
    page = context.new_page()
    page.goto(url)
    form = page.locator("form.sd-donate__form").first
    form.locator("input[name=amount]").fill("25")
    form.locator("input[name=email]").fill(email)
    form.locator("button[type=submit]").first.click()
    page.wait_for_url("**/checkout/**")
    page.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_two_donors_give_from_a_cached_story_and_need_page(
    browser, live_server, checkout_server, page_cache, javascript
):
    site = build_story_site("USD")
    beds, _lawyers = site["needs"]
    story_url = live_server.url + site["story"].url
    need_url = live_server.url + reverse("wagtail_sixdegrees:need", args=[beds.pk])

    first = browser.new_context(java_script_enabled=javascript)
    give(first, story_url, "first@example.org")
    give(first, need_url, "first@example.org")
    assert stored_pages() == 2  # both pages were stored while the first donor gave

    second = browser.new_context(java_script_enabled=javascript)  # no cookies of its own yet
    give(second, story_url, "second@example.org")
    give(second, need_url, "second@example.org")

    assert Donation.objects.count() == 4
    assert len(set(Donation.objects.values_list("submission_key", flat=True))) == 4
    first.close()
    second.close()
