"""The Wagtail admin with our Giving menu works in a real browser."""

from __future__ import annotations

import pytest

from tests.factories import make_need

pytestmark = pytest.mark.django_db(transaction=True)


def test_manager_finds_needs_under_the_giving_menu(logged_in_page, live_server):
    make_need(title="Fictional shelter beds")
    page = logged_in_page
    page.get_by_role("button", name="Giving").click()
    page.get_by_role("link", name="Needs", exact=True).click()
    page.wait_for_url("**/admin/snippets/wagtail_sixdegrees/need/")
    assert page.get_by_role("link", name="Fictional shelter beds").is_visible()
