"""The story page cache: fewer queries for anonymous readers, never anything personal, never a
story whose consent lapsed, and never figures older than the last committed write."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    approve_safety_review,
    make_consent,
    make_need,
    make_paid_donation,
    make_story,
    need_pref,
)
from tests.html_forms import filled, form_fields
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.models import Donation, StoryConsent

pytestmark = pytest.mark.django_db


def live_story(body=None, **consent):
    story = make_story(consent=False, **({"body": body} if body else {}))
    make_consent(story, **consent)
    need = make_need(title="Fictional beds", target_amount=10_000)
    need.save_revision().publish()
    story.story_needs.create(need=need)
    story.save_revision()
    return approve_safety_review(story), need


def queries_for(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_a_cached_story_costs_only_its_consent_check_beyond_routing(
    client, page_cache, django_assert_max_num_queries, settings
):
    # Without the middleware, the cache is asked after routing, in the story's serve().
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("PageCacheMiddleware")]
    story, _need = live_story()
    uncached, first = queries_for(client, story.url)
    # Site, locale, routing (3), consent with the display version, view restrictions (2):
    # none for needs, their balances, causes, images or need updates.
    with django_assert_max_num_queries(8):
        cached, second = queries_for(client, story.url)
    assert second == first
    assert cached < uncached


def test_without_the_setting_nothing_is_cached(client):
    story, _need = live_story()
    first, _html = queries_for(client, story.url)
    second, _html = queries_for(client, story.url)
    assert second == first


def test_a_committed_ledger_write_shows_on_the_next_request(
    client, page_cache, django_capture_on_commit_callbacks
):
    story, need = live_story()
    assert "$0.00" in client.get(story.url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        make_paid_donation(2_500, preferences=[need_pref(need)])
        ledger.allocate()
    assert "$25.00" in client.get(story.url).content.decode()


def test_a_story_past_its_consent_expiry_is_gone_even_when_cached(client, page_cache, clock):
    expires = clock.today() + datetime.timedelta(days=3)
    story, _need = live_story(expires_on=expires)
    assert client.get(story.url).status_code == 200
    assert client.get(story.url).status_code == 200  # from the cache

    clock.move_to(expires + datetime.timedelta(days=1))
    response = client.get(story.url)

    assert response.status_code == 410
    assert story.pseudonym not in response.content.decode()


def test_a_withdrawn_story_is_gone_at_once_even_when_cached(client, page_cache, clock):
    story, _need = live_story()
    client.get(story.url)
    # Straight to the database, as another process would: no signal, no renewed version.
    StoryConsent.objects.filter(translation_key=story.translation_key).update(
        withdrawn_on=clock.now()
    )
    response = client.get(story.url)
    assert response.status_code == 410
    assert story.pseudonym not in response.content.decode()


def _donate_block():
    return [("donate", {"mode": "choose", "frequencies": ["once"], "offer_general": True})]


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, name
    return found.group(1)


def test_a_story_with_a_donate_form_gives_each_visitor_their_own_tokens(
    page_cache,
    stripe_api,
):
    story, _need = live_story(body=_donate_block())
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_html = first.get(story.url).content.decode()
    again_html = first.get(story.url).content.decode()
    with CaptureQueriesContext(connection) as queries:
        second_html = second.get(story.url).content.decode()
    assert len(queries) == 1  # from the cache, before routing

    nonces = {_hidden(html, "submission") for html in (first_html, again_html, second_html)}
    assert len(nonces) == 3  # a one-time nonce per response, cached or not
    assert "sd-visitor-" not in first_html + again_html + second_html
    assert _hidden(first_html, "csrfmiddlewaretoken") != _hidden(second_html, "csrfmiddlewaretoken")
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value

    # Each visitor's form posts with their own session's token.
    for client, html in ((second, second_html), (first, again_html)):
        data = filled(form_fields(html), amount="25", email="donor@example.org")
        response = client.post(reverse("wagtail_sixdegrees:donate"), data)
        assert response.status_code == 303, response.content[:300]
    assert Donation.objects.count() == 2


def test_a_signed_in_editor_is_never_served_a_cached_page(client, page_cache, admin_user):
    story, _need = live_story()
    anonymous = Client()
    anonymous.get(story.url)
    client.force_login(admin_user)
    first, _html = queries_for(client, story.url)
    second, _html = queries_for(client, story.url)
    assert second >= first - 1  # rendered each time
