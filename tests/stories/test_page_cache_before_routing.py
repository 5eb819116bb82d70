"""The page cache in front of Wagtail's routing (``PageCacheMiddleware``): a cached story costs
fewer queries than a plain page, and every hit still checks consent, that the page is live where
it was, and that no view restriction covers it."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail import hooks
from wagtail.models import Page, PageViewRestriction

from tests.factories import (
    approve_safety_review,
    make_consent,
    make_story,
    make_story_index,
    site_root,
)
from tests.testapp.models import PlainPage
from wagtail_sixdegrees.models import StoryConsent, SurvivorStoryPage

pytestmark = pytest.mark.django_db


def story_with_consent(**consent):
    story = make_story(consent=False)
    make_consent(story, **consent)
    return SurvivorStoryPage.objects.get(pk=approve_safety_review(story).pk)


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len(queries)


def test_a_cached_story_costs_fewer_queries_than_a_plain_page(
    client, page_cache, django_assert_max_num_queries
):
    story = story_with_consent()
    plain = PlainPage(title="A plain page", slug="plain", body="<p>Plain.</p>")
    site_root().add_child(instance=plain)
    first, _count = get(client, story.url)
    assert first.status_code == 200
    client.get(plain.url)
    _plain, plain_queries = get(client, plain.url)

    # The display version, the story's consent and its page's place, in one query.
    with django_assert_max_num_queries(1):
        again, story_queries = get(client, story.url)

    assert again.status_code == 200
    assert again.content == first.content
    assert story_queries < plain_queries


def test_a_story_past_its_consent_expiry_is_gone_from_a_warm_cache(client, page_cache, clock):
    expires = clock.today() + datetime.timedelta(days=3)
    story = story_with_consent(expires_on=expires)
    client.get(story.url)
    assert get(client, story.url)[1] == 1  # served before routing

    clock.move_to(expires + datetime.timedelta(days=1))
    response = client.get(story.url)

    assert response.status_code == 410
    assert story.pseudonym not in response.content.decode()


def test_a_story_withdrawn_by_another_process_is_gone_from_a_warm_cache(client, page_cache, clock):
    story = story_with_consent()
    client.get(story.url)
    # Straight to the database, as another process would: no signal, no renewed version.
    StoryConsent.objects.filter(translation_key=story.translation_key).update(
        withdrawn_on=clock.now()
    )
    response = client.get(story.url)
    assert response.status_code == 410
    assert story.pseudonym not in response.content.decode()


def test_an_unpublished_story_is_not_found_from_a_warm_cache(client, page_cache):
    story = story_with_consent()
    client.get(story.url)
    story.unpublish()
    assert client.get(story.url).status_code == 404


def test_a_story_taken_down_past_the_orm_is_not_served_from_a_warm_cache(client, page_cache):
    story = story_with_consent()
    client.get(story.url)
    Page.objects.filter(pk=story.pk).update(live=False)  # no signal, no renewed version
    assert client.get(story.url).status_code == 404


def test_a_moved_story_is_not_served_at_its_old_address(client, page_cache):
    story = story_with_consent()
    old_url = story.url
    assert client.get(old_url).status_code == 200
    elsewhere = make_story_index(slug="elsewhere")

    story.move(elsewhere, pos="last-child")
    story = SurvivorStoryPage.objects.get(pk=story.pk)

    old = client.get(old_url)
    assert old.status_code in (301, 302, 404)  # as Wagtail answers: a redirect or not found
    assert story.pseudonym not in old.content.decode()
    moved = client.get(story.url)
    assert moved.status_code == 200
    assert story.pseudonym in moved.content.decode()


def test_a_view_restriction_added_past_the_orm_applies_to_a_warm_cache(client, page_cache):
    story = story_with_consent()
    client.get(story.url)
    # bulk_create sends no signal: the hit's own check must see the restriction.
    PageViewRestriction.objects.bulk_create(
        [PageViewRestriction(page=story.get_parent(), restriction_type=PageViewRestriction.LOGIN)]
    )
    response = client.get(story.url)
    assert response.status_code == 302
    assert story.pseudonym not in response.content.decode()


def test_a_restricted_story_seen_by_an_editor_is_refused_to_the_next_visitor(
    client, page_cache, admin_user
):
    story = story_with_consent()
    PageViewRestriction.objects.create(page=story, restriction_type=PageViewRestriction.LOGIN)
    client.force_login(admin_user)
    assert client.get(story.url).status_code == 200
    assert client.get(story.url).status_code == 200
    assert Client().get(story.url).status_code == 302


def test_a_sites_own_serve_hooks_run_on_every_request(client, page_cache):
    story = story_with_consent()
    client.get(story.url)
    seen = []

    def count(page, request, *args, **kwargs):
        seen.append(page.pk)

    with hooks.register_temporarily("before_serve_page", count):
        assert client.get(story.url).status_code == 200
        assert client.get(story.url).status_code == 200
    assert seen == [story.pk, story.pk]


def test_a_sites_own_hook_may_still_refuse_a_cached_story(client, page_cache):
    story = story_with_consent()
    client.get(story.url)

    def refuse(page, request, *args, **kwargs):
        return HttpResponse("Closed for maintenance", status=503)

    with hooks.register_temporarily("before_serve_page", refuse):
        assert client.get(story.url).status_code == 503


def test_a_signed_in_editor_is_never_served_before_routing(client, page_cache, admin_user):
    story = story_with_consent()
    Client().get(story.url)
    client.force_login(admin_user)
    _response, first = get(client, story.url)
    _response, second = get(client, story.url)
    assert second > 1 and first > 1


def test_a_query_string_is_rendered_not_served_from_the_cache(client, page_cache):
    story = story_with_consent()
    client.get(story.url)
    _response, queries = get(client, f"{story.url}?utm_source=poster")
    assert queries > 1
