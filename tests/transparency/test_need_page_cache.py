"""The need page from the page cache: its gift form rendered for each visitor, the rest stored;
every hit checks that the need is live and that each story it names still has current consent."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import PageViewRestriction

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
from wagtail_sixdegrees.models import Donation, Need, StoryConsent

pytestmark = pytest.mark.django_db

PSEUDONYM = "Cachedpseudonym"


@pytest.fixture
def need():
    need = make_need(title="Fictional shelter beds", target_amount=100_000)
    need.save_revision().publish()
    return Need.objects.get(pk=need.pk)


def supporting_story(need, **consent):
    story = make_story(consent=False, pseudonym=PSEUDONYM)
    make_consent(story, **consent)
    story.story_needs.create(need=need)
    story.save_revision()  # publishing restores the links from the revision
    return approve_safety_review(story)


def need_url(need) -> str:
    return reverse("wagtail_sixdegrees:need", args=[need.pk])


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode(), len(queries)


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, name
    return found.group(1)


def without_tokens(html: str) -> str:
    return re.sub(r'name="(csrfmiddlewaretoken|submission)" value="[^"]+"', "", html)


def test_a_cached_need_page_costs_one_query(
    client, page_cache, need, django_assert_max_num_queries
):
    supporting_story(need)
    first, uncached = get(client, need_url(need))
    # The need still live, the display version and the story's consent, in one query; the
    # gift form is stored too, with this visitor's CSRF token and nonce put in.
    with django_assert_max_num_queries(1):
        again, cached = get(client, need_url(need))
    assert cached < uncached
    assert without_tokens(again) == without_tokens(first)
    assert PSEUDONYM in again
    assert "<!--sd-fragment" not in again


def test_each_visitor_gets_their_own_tokens_and_can_give(page_cache, need, stripe_api):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_html = first.get(need_url(need)).content.decode()
    again_html = first.get(need_url(need)).content.decode()  # from the cache
    second_html = second.get(need_url(need)).content.decode()  # from the cache

    nonces = {hidden(html, "submission") for html in (first_html, again_html, second_html)}
    assert len(nonces) == 3
    assert hidden(first_html, "csrfmiddlewaretoken") != hidden(second_html, "csrfmiddlewaretoken")
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value

    for client, html in ((second, second_html), (first, again_html)):
        data = filled(form_fields(html), amount="25", email="donor@example.org")
        response = client.post(reverse("wagtail_sixdegrees:donate"), data)
        assert response.status_code == 303, response.content[:300]
    assert Donation.objects.count() == 2


def test_a_story_whose_consent_lapsed_at_midnight_leaves_a_warm_need_page(
    client, page_cache, need, clock
):
    expires = clock.today() + datetime.timedelta(days=2)
    supporting_story(need, expires_on=expires)
    assert PSEUDONYM in get(client, need_url(need))[0]
    assert PSEUDONYM in get(client, need_url(need))[0]

    clock.move_to(expires + datetime.timedelta(hours=1))

    assert PSEUDONYM not in get(client, need_url(need))[0]


def test_a_story_withdrawn_by_another_process_leaves_a_warm_need_page(
    client, page_cache, need, clock
):
    story = supporting_story(need)
    get(client, need_url(need))
    StoryConsent.objects.filter(translation_key=story.translation_key).update(
        withdrawn_on=clock.now()
    )
    assert PSEUDONYM not in get(client, need_url(need))[0]


def test_a_committed_ledger_write_shows_on_the_next_request(
    client, page_cache, need, django_capture_on_commit_callbacks
):
    assert "$0.00" in get(client, need_url(need))[0]
    with django_capture_on_commit_callbacks(execute=True):
        make_paid_donation(2_500, preferences=[need_pref(need)])
        ledger.allocate()
    assert "$25.00" in get(client, need_url(need))[0]


def test_an_unpublished_need_is_not_found_from_a_warm_cache(client, page_cache, need):
    get(client, need_url(need))
    Need.objects.filter(pk=need.pk).update(live=False)  # past the ORM: no renewed version
    assert client.get(need_url(need)).status_code == 404


def test_a_closed_need_page_is_cached_without_a_form(client, page_cache, need, clock):
    Need.objects.filter(pk=need.pk).update(
        opens_on=clock.today() - datetime.timedelta(days=9),
        closes_on=clock.today() - datetime.timedelta(days=1),
    )
    first, _queries = get(client, need_url(need))
    again, cached = get(client, need_url(need))
    assert again == first
    assert 'name="submission"' not in again
    assert cached == 1


def test_a_story_put_under_a_view_restriction_leaves_a_warm_need_page(client, page_cache, need):
    story = supporting_story(need)
    assert PSEUDONYM in get(client, need_url(need))[0]
    # bulk_create sends no signal: the hit's own check must see the restriction.
    PageViewRestriction.objects.bulk_create(
        [PageViewRestriction(page=story, restriction_type=PageViewRestriction.LOGIN)]
    )
    assert PSEUDONYM not in get(client, need_url(need))[0]
