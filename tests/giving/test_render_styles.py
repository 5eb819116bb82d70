"""The donate block works however a site renders its StreamFields (issue 13, item 2).

Each test renders a page the way real sites do, reads the form exactly as rendered, and POSTs
it with CSRF enforced: every way must reach Stripe (303), not Django's 403.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.models import Site

from tests.html_forms import filled, form_fields
from wagtail_sixdegrees.models import DonatePage, Donation

pytestmark = pytest.mark.django_db

STYLES = "sixdegrees_testapp/render_styles/{}.html"


@pytest.fixture
def csrf_client():
    """A client that enforces CSRF, as browsers and Django's middleware do in production."""
    return Client(enforce_csrf_checks=True)


def donate_page(**block) -> DonatePage:
    block = {"mode": "choose", "frequencies": ["once", "monthly"], **block}
    root = Site.objects.get(is_default_site=True).root_page
    page = DonatePage(title="Give to fictional needs", slug="give", body=[("donate", block)])
    root.add_child(instance=page)
    return page


def give_with(csrf_client: Client, html: str):
    data = filled(form_fields(html), amount="25", email="donor@example.org")
    return csrf_client.post(reverse("wagtail_sixdegrees:donate"), data)


def assert_reached_stripe(response) -> None:
    assert response.status_code == 303, response.content[:500]
    assert response["Location"].startswith("http://stripe.invalid/")
    assert Donation.objects.get().amount == 2500


@pytest.mark.parametrize("style", ["page_body", "block_loop"])
def test_a_block_rendered_without_the_request_posts_through_to_stripe(
    csrf_client, stripe_api, monkeypatch, style
):
    monkeypatch.setattr(DonatePage, "template", STYLES.format(style))
    html = csrf_client.get(donate_page().url).content.decode()
    assert 'name="embed_token"' in html

    assert_reached_stripe(give_with(csrf_client, html))


@pytest.mark.parametrize("style", ["include_block_loop", "include_block_stream"])
def test_a_block_rendered_with_the_request_keeps_normal_csrf(
    csrf_client, stripe_api, monkeypatch, style
):
    monkeypatch.setattr(DonatePage, "template", STYLES.format(style))
    html = csrf_client.get(donate_page().url).content.decode()
    assert 'name="csrfmiddlewaretoken"' in html and 'name="embed_token"' not in html

    assert_reached_stripe(give_with(csrf_client, html))


def test_render_as_block_with_no_context_posts_through_to_stripe(csrf_client, stripe_api):
    html = donate_page().body[0].render_as_block()

    assert_reached_stripe(give_with(csrf_client, html))


def test_block_render_with_no_context_posts_through_to_stripe(csrf_client, stripe_api):
    child = donate_page().body[0]

    assert_reached_stripe(give_with(csrf_client, child.block.render(child.value)))


def test_a_rendered_token_does_not_stand_in_for_another_form(csrf_client, stripe_api):
    block = donate_page().body[0]
    first, second = block.render_as_block(), block.render_as_block()
    data = filled(form_fields(first), amount="25", email="donor@example.org")
    data["submission"] = dict(form_fields(second))["submission"]

    response = csrf_client.post(reverse("wagtail_sixdegrees:donate"), data)
    assert response.status_code == 400 and "send it again" in response.content.decode()
    assert not Donation.objects.exists()


def test_the_honeypot_is_hidden_by_markup_not_by_a_stylesheet():
    html = donate_page().body[0].render_as_block()
    honeypot = re.search(r"<div [^>]*>(?:(?!</div>).)*name=\"website\"[^>]*>", html, re.S).group(0)
    opening = honeypot.split(">")[0]
    assert " hidden" in opening and 'aria-hidden="true"' in opening
    assert 'tabindex="-1"' in honeypot and 'autocomplete="off"' in honeypot


def test_every_block_the_package_ships_renders_without_a_parent_context():
    from wagtail.rich_text import RichText

    from tests.factories import make_image, make_live_story, make_need

    need = make_need(title="Fictional legal fees")
    story = make_live_story(
        body=[
            ("paragraph", RichText("<p>A fictional paragraph.</p>")),
            ("pull_quote", {"quote": "Fictional words.", "attribution": "Mai"}),
            ("image", {"image": make_image(), "alt_text": "A river.", "caption": "Fictional"}),
            ("needs_callout", {"heading": "", "needs": [need]}),
            ("donate", {"mode": "choose"}),
        ]
    )
    page = donate_page()
    page.body = [("totals", {"heading": "Where gifts go"})]

    html = str(story.body) + str(page.body)  # what {{ page.body }} does

    for expected in (
        "A fictional paragraph.",
        "Fictional words.",
        'alt="A river."',
        "Fictional legal fees",
        'name="embed_token"',
        "Where gifts go",
    ):
        assert expected in html


def test_a_form_left_open_too_long_comes_back_to_send_again_not_a_403(
    csrf_client, stripe_api, clock
):
    html = donate_page().body[0].render_as_block()
    clock.advance(seconds=7200 + 60)  # past EMBED_FORM_MAX_AGE

    response = give_with(csrf_client, html)

    body = response.content.decode()
    assert response.status_code == 400
    assert "open too long to be sent safely" in body
    assert 'value="donor@example.org"' in body and 'name="csrfmiddlewaretoken"' in body
    assert not Donation.objects.exists()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    resend = filled(form_fields(body), csrfmiddlewaretoken=csrf)
    assert_reached_stripe(csrf_client.post(reverse("wagtail_sixdegrees:donate"), resend))
