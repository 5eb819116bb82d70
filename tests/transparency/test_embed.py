"""The embeddable donate widget: who may frame it, and its CSRF-free but signed form."""

from __future__ import annotations

import html as html_module
import re

import pytest
from django.core import signing
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.factories import make_cause, make_need, make_region
from tests.helpers import donate_data
from wagtail_sixdegrees.checks import check_transparency_settings
from wagtail_sixdegrees.models import Donation
from wagtail_sixdegrees.transparency import tokens

pytestmark = pytest.mark.django_db

EMBED = "wagtail_sixdegrees:embed_donate"


def embed(client, query: str = ""):
    return client.get(reverse(EMBED) + query)


def allow(settings, *origins: str) -> None:
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "EMBED_ALLOWED_ORIGINS": list(origins),
    }


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


# --- Framing ----------------------------------------------------------------------------------


def test_no_site_may_frame_the_widget_by_default(client):
    response = embed(client)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert response["X-Frame-Options"] == "DENY"


def test_configured_origins_and_only_they_may_frame_it(client, settings):
    allow(settings, "https://partner.example", "https://*.crowd.example")
    response = embed(client)
    assert response["Content-Security-Policy"] == (
        "frame-ancestors 'self' https://partner.example https://*.crowd.example"
    )
    assert "X-Frame-Options" not in response  # it cannot name origins, so it must not contradict


def test_other_pages_keep_refusing_to_be_framed(client, settings):
    allow(settings, "https://partner.example")
    response = client.get(reverse("wagtail_sixdegrees:donate"))
    assert response["X-Frame-Options"] == "DENY"


def test_unknown_targets_answer_404_under_the_same_frame_policy(client):
    for query in (
        "?target=need:999999",
        "?target=need:99999999999999999999999",
        "?target=cause:999999",
        "?target=everything",
    ):
        response = embed(client, query)
        assert response.status_code == 404
        assert response["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_embed_origins_are_checked_at_startup(settings):
    allow(settings, "*")
    assert [m.id for m in check_transparency_settings()] == ["wagtail_sixdegrees.E050"]
    allow(settings, "https://partner.example/donate")
    assert [m.id for m in check_transparency_settings()] == ["wagtail_sixdegrees.E050"]
    allow(settings, "https://partner.example", "https://*.crowd.example:8443")
    assert check_transparency_settings() == []
    settings.DEBUG = False
    allow(settings, "http://partner.example")
    assert [m.id for m in check_transparency_settings()] == ["wagtail_sixdegrees.W050"]


# --- What it shows ----------------------------------------------------------------------------


def test_widget_has_no_site_chrome_and_opens_checkout_in_the_top_window(client):
    html = embed(client).content.decode()
    assert '<form method="post" action="/giving/donate/" target="_top"' in html
    assert 'name="embed_token"' in html
    assert "csrfmiddlewaretoken" not in html
    assert "<main>" in html and 'class="sd-embed"' in html
    assert '<main id="main">' not in html  # the site's base template is not used


@pytest.mark.parametrize(
    ("query", "target"),
    [
        ("", "general"),
        ("?target=general", "general"),
        ("?target=cause:{cause}", "cause:{cause}"),
        ("?target=region:{region}", "region:{region}"),
        ("?target=cause:{cause}:region:{region}", "cause:{cause}:region:{region}"),
        ("?target=need:{need}", "need:{need}"),
    ],
)
def test_widget_gives_to_a_need_a_cause_a_region_or_where_most_needed(client, query, target):
    ids = {"cause": make_cause().pk, "region": make_region().pk}
    ids["need"] = make_need().pk
    html = embed(client, query.format(**ids)).content.decode()
    assert re.findall(r'name="target" value="([^"]+)"', html) == [target.format(**ids)]


def test_widget_for_a_closed_need_offers_where_most_needed_and_says_so(client):
    import datetime

    need = make_need(closes_on=datetime.date(2020, 1, 1), opens_on=datetime.date(2019, 1, 1))
    html = embed(client, f"?target=need:{need.pk}").content.decode()
    assert re.findall(r'name="target" value="([^"]+)"', html) == ["general"]
    assert "fully funded or closed" in html


def test_widget_can_offer_a_single_currency(client):
    html = embed(client, "?currency=thb").content.decode()
    assert '<input type="hidden" name="currency" value="THB">' in html


# --- Its form token ---------------------------------------------------------------------------


@pytest.fixture
def csrf_client():
    """A browser that enforces CSRF and, like a third-party iframe, never sends our cookies."""
    return Client(enforce_csrf_checks=True)


def widget_post(html: str, **overrides):
    data = donate_data(**overrides)
    data["submission"] = hidden(html, "submission")
    data["embed_token"] = hidden(html, "embed_token")
    return data


def test_widget_form_is_accepted_without_the_csrf_cookie(csrf_client, stripe_api):
    html = embed(csrf_client).content.decode()
    csrf_client.cookies.clear()
    response = csrf_client.post(reverse("wagtail_sixdegrees:donate"), widget_post(html))
    assert response.status_code == 303
    assert response["Location"].startswith("http://stripe.invalid/")
    assert Donation.objects.count() == 1


def test_a_post_without_token_or_csrf_cookie_is_refused(csrf_client, stripe_api):
    response = csrf_client.post(reverse("wagtail_sixdegrees:donate"), donate_data())
    assert response.status_code == 403
    assert Donation.objects.count() == 0


def assert_sent_back(response) -> None:
    """Not accepted: the donor gets the form back to send again, and nothing is stored."""
    assert response.status_code == 400
    assert "open too long to be sent safely" in response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    assert Donation.objects.count() == 0


def test_a_token_is_bound_to_its_own_form(csrf_client, stripe_api):
    html = embed(csrf_client).content.decode()
    data = widget_post(html)
    data["submission"] = "another-form-entirely"
    assert_sent_back(csrf_client.post(reverse("wagtail_sixdegrees:donate"), data))


def test_an_expired_or_forged_token_is_refused(csrf_client, stripe_api, settings):
    html = embed(csrf_client).content.decode()
    forged = widget_post(html)
    forged["embed_token"] = signing.dumps(forged["submission"], salt="someone-else")
    assert_sent_back(csrf_client.post(reverse("wagtail_sixdegrees:donate"), forged))

    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "EMBED_FORM_MAX_AGE": 1}
    data = widget_post(html)
    with pytest.MonkeyPatch.context() as patch:
        import time

        later = time.time() + 5
        patch.setattr(signing.time, "time", lambda: later)
        assert not tokens.embed_form_token_matches(data["embed_token"], data["submission"])
        assert_sent_back(csrf_client.post(reverse("wagtail_sixdegrees:donate"), data))


def test_normal_forms_still_need_csrf_and_pass_with_it(csrf_client, stripe_api):
    page = csrf_client.get(reverse("wagtail_sixdegrees:donate")).content.decode()
    data = donate_data()
    data["csrfmiddlewaretoken"] = hidden(page, "csrfmiddlewaretoken")
    assert csrf_client.post(reverse("wagtail_sixdegrees:donate"), data).status_code == 303


def test_widget_errors_are_shown_on_our_own_page_with_normal_csrf(csrf_client, stripe_api):
    html = embed(csrf_client).content.decode()
    response = csrf_client.post(
        reverse("wagtail_sixdegrees:donate"), widget_post(html, email="nope")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter an email address like name@example.org." in page
    assert "csrfmiddlewaretoken" in page and 'name="embed_token"' not in page


def test_need_admin_shows_the_snippet_to_copy(admin_client, settings):
    allow(settings, "https://partner.example")
    need = make_need()
    url = reverse("wagtailsnippets_wagtail_sixdegrees_need:edit", args=[need.pk])
    html = admin_client.get(url).content.decode()
    assert "https://partner.example" in html
    # What the editor copies out of the textarea is one iframe pointing at the widget.
    copied = html_module.unescape(
        re.search(r"<textarea id=\"sd-embed-snippet-[^>]*>(.*?)</textarea>", html, re.S)[1]
    )
    assert re.fullmatch(
        rf'<iframe src="http://testserver/giving/embed/donate/\?target=need:{need.pk}" '
        r'title="[^"<>]+" [^<>]*></iframe>',
        copied,
    ), copied


def test_check_command_passes_with_the_default_settings():
    call_command("check", "--fail-level", "ERROR")
