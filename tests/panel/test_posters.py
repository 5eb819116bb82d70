"""QR posters: the code holds a plain HTTPS link to the site with the deep-link and utm
parameters and nothing else, prints with the title, a line and the typed address, in the
chosen language; only managers (or editors for their own pages) make them."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
import segno
from django.urls import reverse
from wagtail.models import Locale, Site

from tests.factories import make_live_story, make_need, panel_user, site_root, translate
from wagtail_sixdegrees.checks import check_poster_settings
from wagtail_sixdegrees.pages import DonatePage

pytestmark = pytest.mark.django_db

BUILDER = reverse("sixdegrees_posters:index")
PRINT = reverse("sixdegrees_posters:print")


@pytest.fixture(autouse=True)
def https_site():
    Site.objects.filter(is_default_site=True).update(hostname="give.example.org", port=443)


@pytest.fixture
def utm(settings):
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "POSTER_UTM": {"utm_source": "poster", "utm_medium": "print"},
    }


def donate_page():
    page = DonatePage(title="Give to fictional needs", slug="give")
    site_root().add_child(instance=page)
    return page


def poster_link(html: str) -> str:
    return re.search(r"<code data-sd-poster-link>([^<]*)</code>", html)[1].replace("&amp;", "&")


def denied(response) -> bool:
    """Wagtail answers a PermissionDenied in the admin with a redirect to its home page."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


def svg_of(html: str) -> str:
    return re.search(r'<svg[^>]*class="segno".*?</svg>', html, re.S)[0]


def test_campaign_poster_links_to_the_site_with_deep_link_and_utm_parameters_only(client, utm):
    client.force_login(panel_user("manager"))
    need = make_need(currency="THB")
    response = client.get(
        BUILDER,
        {
            "need": need.pk,
            "amount": "500",
            "currency": "THB",
            "frequency": "once",
            "target": f"need:{need.pk}",
        },
    )

    assert response.status_code == 200
    link = poster_link(response.content.decode())
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc) == ("https", "give.example.org")
    assert parts.path == reverse("wagtail_sixdegrees:need", args=[need.pk])
    assert parse_qsl(parts.query) == [
        ("amount", "500.00"),
        ("currency", "THB"),
        ("frequency", "once"),
        ("target", f"need:{need.pk}"),
        ("utm_source", "poster"),
        ("utm_medium", "print"),
    ]


def test_the_qr_code_encodes_exactly_the_link(client, utm):
    client.force_login(panel_user("manager"))
    need = make_need()
    html = client.get(BUILDER, {"need": need.pk, "amount": "25"}).content.decode()
    link = poster_link(html)

    expected = segno.make(link, error="m", micro=False, boost_error=False)
    assert svg_of(html) == svg_of(
        expected.svg_inline(scale=1, border=4, omitsize=True, title="QR code")
    )
    # And a different link would draw a different code.
    other = segno.make(link + "x", error="m", micro=False, boost_error=False)
    assert svg_of(html) != svg_of(
        other.svg_inline(scale=1, border=4, omitsize=True, title="QR code")
    )


def test_printed_poster_has_title_line_qr_and_the_address_to_type(client, utm):
    client.force_login(panel_user("manager"))
    page = donate_page()
    response = client.get(PRINT, {"page": page.pk, "frequency": "monthly", "line": "Main hall"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Give to fictional needs</h1>" in html
    assert "Main hall" in html
    assert "<svg" in html
    # Typed by hand: no scheme, no utm parameters.
    assert '<p class="sd-short">give.example.org/give/?frequency=monthly</p>' in html
    assert "@page { size: A4" in html


def test_card_format_and_svg_download(client):
    client.force_login(panel_user("manager"))
    page = donate_page()

    card = client.get(PRINT, {"page": page.pk, "format": "card"})
    svg = client.get(PRINT, {"page": page.pk, "download": "svg"})

    assert "@page { size: A6" in card.content.decode()
    assert svg["Content-Type"].startswith("image/svg+xml")
    assert svg["Content-Disposition"] == 'attachment; filename="qr-code.svg"'
    assert b"<svg" in svg.content


def test_poster_in_another_language_uses_the_translation(client):
    client.force_login(panel_user("manager"))
    need = make_need(title="Fictional shelter beds")
    thai = translate(need, "th", title="เตียงที่พักพิง")
    locale = Locale.objects.get(language_code="th")

    html = client.get(PRINT, {"need": need.pk, "locale": locale.pk}).content.decode()

    assert '<html lang="th"' in html
    assert "เตียงที่พักพิง" in html
    assert f"/needs/{thai.pk}/" in html


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"amount": "abc"}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"frequency": "weekly"}, "frequency"),
        ({"target": "https://tracker.example/"}, "target"),
    ],
)
def test_bad_campaign_parameters_are_refused(client, query, field):
    client.force_login(panel_user("manager"))
    need = make_need()

    builder = client.get(BUILDER, {"need": need.pk, **query})
    printed = client.get(PRINT, {"need": need.pk, **query})

    assert builder.status_code == 200
    assert builder.context["form"].errors[field]
    assert "data-sd-poster-link" not in builder.content.decode()
    assert printed.status_code == 400


def test_viewers_and_anonymous_people_cannot_make_posters(client):
    need = make_need()
    assert client.get(BUILDER, {"need": need.pk}).status_code == 302  # to the login page
    client.force_login(panel_user("viewer"))
    assert denied(client.get(BUILDER, {"need": need.pk}))
    assert denied(client.get(PRINT, {"need": need.pk}))


def test_editors_make_posters_of_pages_they_can_edit_but_not_campaigns_of_needs(client):
    client.force_login(panel_user("editor"))
    page = donate_page()

    assert client.get(PRINT, {"page": page.pk}).status_code == 200
    assert client.get(BUILDER, {"page": page.pk}).status_code == 200
    assert denied(client.get(BUILDER))
    assert denied(client.get(BUILDER, {"need": make_need().pk}))


def test_page_header_and_listing_offer_the_poster_to_editors_of_stories(client):
    client.force_login(panel_user("editor"))
    story = make_live_story()

    edit = client.get(reverse("wagtailadmin_pages:edit", args=[story.pk])).content.decode()

    assert f"{BUILDER}?page={story.pk}" in edit


def test_need_listing_offers_the_poster_to_managers(client):
    client.force_login(panel_user("superuser"))
    need = make_need()

    listing = client.get(reverse("wagtailsnippets_wagtail_sixdegrees_need:list")).content.decode()

    assert f"{BUILDER}?need={need.pk}" in listing


def test_giving_menu_shows_qr_posters_to_managers_only(client):
    client.force_login(panel_user("manager"))
    assert BUILDER in client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(panel_user("viewer"))
    assert BUILDER not in client.get(reverse("wagtailadmin_home")).content.decode()


@pytest.mark.parametrize(
    "value",
    [
        "poster",
        {"utm_term": "x"},
        {"utm_source": ""},
        {"utm_source": "x" * 101},
        {"utm_source": 3},
    ],
)
def test_check_refuses_bad_poster_utm(settings, value):
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "POSTER_UTM": value}
    assert {m.id for m in check_poster_settings()} == {"wagtail_sixdegrees.E025"}


def test_check_accepts_the_documented_poster_utm(settings, utm):
    assert check_poster_settings() == []
