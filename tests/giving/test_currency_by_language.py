"""The donate form preselects the reader's own currency when the site offers it."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from wagtail.models import Page, Site

from tests.factories import default_locale
from wagtail_sixdegrees.giving.presentation import preferred_currency
from wagtail_sixdegrees.models import DonatePage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "offered", "expected"),
    [
        ("th", ["USD", "THB", "VND"], "THB"),
        ("vi", ["USD", "THB", "VND"], "VND"),
        ("km", ["USD", "THB", "VND"], "USD"),  # KHR is not offered: the site's default
        ("en", ["USD", "THB", "VND"], "USD"),
        ("th", ["VND", "USD"], "USD"),
    ],
)
def test_reader_language_picks_the_currency_among_those_offered(language, offered, expected):
    with translation.override(language):
        assert preferred_currency(offered, "USD") == expected


def test_site_can_turn_language_currencies_off(settings):
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "CURRENCY_BY_LANGUAGE": {}}
    with translation.override("th"):
        assert preferred_currency(["USD", "THB"], "USD") == "USD"


def test_thai_reader_sees_baht_selected_on_a_donate_page(client):
    root = Page.get_first_root_node()
    page = DonatePage(
        title="Give",
        slug="give-currency",
        locale=default_locale(),
        body=[("donate", {"mode": "choose"})],
    )
    root.add_child(instance=page)
    Site.objects.update(root_page=page)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="th").content.decode()
    assert re.search(r'<option value="THB" selected>', html)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r'<option value="USD" selected>', html)
