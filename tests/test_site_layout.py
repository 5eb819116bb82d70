"""Our pages and blocks look right inside a site's own templates (issue 13, item 3): they
extend the base template the site names, carry their stylesheet, put robots and og: tags in the
head, and style nothing outside the .sd- scope."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from wagtail.models import Site

import wagtail_sixdegrees
from tests.factories import make_live_story, make_need, make_story_index
from wagtail_sixdegrees.models import DonatePage

pytestmark = pytest.mark.django_db

STYLESHEET = "/static/wagtail_sixdegrees/css/sixdegrees.css"
OTHER_BASE = "sixdegrees_testapp/wagtail_start_base.html"  # the blocks `wagtail start` makes


@pytest.fixture
def site_base(settings):
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "BASE_TEMPLATE": OTHER_BASE}


def head_of(html: str) -> str:
    return html.split("</head>")[0]


def test_story_pages_extend_the_base_template_the_site_names(client, site_base):
    story = make_live_story(title="A fictional journey home")
    html = client.get(story.url).content.decode()
    assert '<div id="other-site">' in html
    assert "<title>A fictional journey home - Other site</title>" in html
    assert '<meta property="og:title" content="A fictional journey home">' in head_of(html)
    assert html.count(STYLESHEET) == 1 and STYLESHEET in head_of(html)


@pytest.mark.parametrize("view", ["index", "need"])
def test_index_and_need_pages_carry_og_tags_in_the_sites_head(client, site_base, view):
    if view == "index":
        url, title = make_story_index(title="Fictional stories").url, "Fictional stories"
    else:
        need = make_need(title="Fictional shelter beds")
        url, title = f"/giving/needs/{need.pk}/", "Fictional shelter beds"
    html = client.get(url).content.decode()
    assert '<div id="other-site">' in html
    assert f'<meta property="og:title" content="{title}">' in head_of(html)


def test_noindex_story_says_so_in_a_header_whatever_the_head_holds(client, site_base):
    story = make_live_story(noindex=True)
    assert client.get(story.url)["X-Robots-Tag"] == "noindex"


def test_a_block_rendered_by_page_body_links_its_stylesheet(client, monkeypatch):
    monkeypatch.setattr(DonatePage, "template", "sixdegrees_testapp/render_styles/page_body.html")
    root = Site.objects.get(is_default_site=True).root_page
    page = DonatePage(title="Give", slug="give", body=[("donate", {"mode": "choose"})])
    root.add_child(instance=page)
    assert STYLESHEET in page.body[0].render_as_block()
    html = client.get(page.url).content.decode()
    assert html.count(STYLESHEET) == 1


def _raw() -> str:
    return (
        Path(wagtail_sixdegrees.__file__).parent / "static/wagtail_sixdegrees/css/sixdegrees.css"
    ).read_text()


def test_the_stylesheet_styles_nothing_outside_the_sd_scope():
    css = _raw()
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"@media[^{]*\{((?:[^{}]*\{[^}]*\})*)\s*\}", r"\1", css)
    selectors = [s.strip() for rule in re.findall(r"([^{}]+)\{", css) for s in rule.split(",")]
    assert selectors
    # One exception: printing a donor's statement hides the rest of the page (the site's header
    # and footer), and only on a page that holds a statement.
    outside = [s for s in selectors if not s.startswith(".sd-")]
    assert outside == ["body:has(.sd-statement) *"]
    assert "@media print {\n  body:has(.sd-statement) *" in re.sub(
        r"/\*.*?\*/", "", _raw(), flags=re.S
    )
    assert ":root" not in css and "--sd-accent:" not in css  # integrators' values are inherited


def test_the_head_tag_serves_a_head_without_our_blocks_and_stays_off_other_pages(client, settings):
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "BASE_TEMPLATE": "sixdegrees_testapp/head_tag_base.html",
    }
    story = make_live_story(title="A fictional road")
    head = head_of(client.get(story.url).content.decode())
    assert '<meta property="og:title" content="A fictional road">' in head
    assert head.count(STYLESHEET) == 1

    from django.template.loader import render_to_string

    other = render_to_string("sixdegrees_testapp/head_tag_base.html", {})
    assert STYLESHEET not in other and "og:" not in other
