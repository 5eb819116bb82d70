"""The read-only JSON API: exactly the documented public fields, nothing else, and no CORS
unless configured. Key sets are asserted in full so that a private field cannot leak unnoticed."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    make_image,
    make_live_story,
    make_need,
    make_need_update,
    make_paid_donation,
    need_pref,
    translate,
)
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.models import StoryNeed
from wagtail_sixdegrees.stories.takedown import withdraw_consent

pytestmark = pytest.mark.django_db

MONEY_KEYS = {"currency", "minor_units", "value"}
REF_KEYS = {"id", "name", "slug"}
NEED_KEYS = {
    "id",
    "title",
    "summary",
    "cause",
    "region",
    "partner",
    "goal",
    "raised",
    "allocated",
    "disbursed",
    "remaining",
    "percent_funded",
    "is_open",
    "opens_on",
    "closes_on",
    "target",
    "url",
    "embed_url",
    "locale",
}
STORY_LISTING_KEYS = {"id", "meta", "title", "pseudonym", "teaser", "region", "causes"}
STORY_DETAIL_KEYS = STORY_LISTING_KEYS | {"content_warning", "illustration", "body", "needs"}
STORY_META_LISTING_KEYS = {"type", "detail_url", "html_url", "first_published_at", "locale"}
STORY_META_DETAIL_KEYS = STORY_META_LISTING_KEYS | {"slug"}
#: Words that must never appear in any response: consent records, donors, internal references.
PRIVATE = (
    "CF-FICTIONAL-0001",
    "form_reference",
    "recorded_by",
    "given_on",
    "expires_on",
    "withdrawn",
    "donor",
    "email",
    "INTERNAL-REF",
    "owner",
)


def api(client, name, *args, query="", **headers):
    response = client.get(reverse(f"wagtail_sixdegrees:{name}", args=args) + query, **headers)
    return response


@pytest.fixture
def published():
    """A need with money, a payout, an update with an image, and a live story supporting it."""
    need = make_need(title="Fictional shelter beds", target_amount=100_000)
    make_paid_donation(amount=25_000, preferences=[need_pref(need)], dedication="Private words")
    ledger.allocate()
    ledger.record_disbursement(
        need, 5_000, paid_on=timezone.localdate(), actor=None, reference="INTERNAL-REF-1"
    )
    make_need_update(need, title="Beds ready", image=make_image(), image_alt_text="Beds")
    story = make_live_story(pseudonym="Fictional Mai", causes=[need.cause], hero_image=make_image())
    StoryNeed.objects.create(page=story, need=need)
    return {"need": need, "story": story}


def assert_public(response) -> None:
    assert response.status_code == 200, response.content
    text = response.content.decode()
    for word in PRIVATE:
        assert word not in text, word


# --- Needs, causes, regions, totals -----------------------------------------------------------


def test_needs_listing_has_exactly_the_public_keys(client, published):
    response = api(client, "api_needs")
    assert_public(response)
    data = response.json()
    assert set(data) == {"count", "limit", "offset", "results"}
    (need,) = data["results"]
    assert set(need) == NEED_KEYS
    assert set(need["cause"]) == set(need["region"]) == REF_KEYS
    assert set(need["partner"]) == {"name", "website"}
    for key in ("goal", "raised", "allocated", "disbursed", "remaining"):
        assert set(need[key]) == MONEY_KEYS
    assert need["raised"] == {"currency": "USD", "minor_units": 25_000, "value": "250.00"}
    assert need["disbursed"]["minor_units"] == 5_000
    assert need["remaining"]["minor_units"] == 75_000
    assert (need["percent_funded"], need["target"]) == (25, f"need:{published['need'].pk}")


def test_need_detail_adds_updates_and_stories_with_exact_keys(client, published):
    response = api(client, "api_need", published["need"].pk)
    assert_public(response)
    data = response.json()
    assert set(data) == NEED_KEYS | {"updates", "stories"}
    (update,) = data["updates"]
    assert set(update) == {"title", "text", "published_on", "image"}
    assert set(update["image"]) == {"url", "width", "height", "alt"}
    (story,) = data["stories"]
    assert set(story) == {"id", "title", "pseudonym", "url"}
    assert story["pseudonym"] == "Fictional Mai"


def test_needs_are_filtered_by_status_cause_and_region(client, published):
    closed = make_need(opens_on=datetime.date(2020, 1, 1), closes_on=datetime.date(2020, 2, 1))
    assert {n["id"] for n in api(client, "api_needs").json()["results"]} == {published["need"].pk}
    assert {
        n["id"] for n in api(client, "api_needs", query="?status=closed").json()["results"]
    } == {closed.pk}
    assert api(client, "api_needs", query="?status=all").json()["count"] == 2
    slug = published["need"].cause.slug
    assert api(client, "api_needs", query=f"?cause={slug}&status=all").json()["count"] == 1
    assert api(client, "api_needs", query="?status=maybe").status_code == 400
    assert api(client, "api_needs", query="?limit=1000").status_code == 400


def test_draft_and_unknown_needs_are_not_in_the_api(client):
    draft = make_need(live=False)
    assert api(client, "api_needs", query="?status=all").json()["count"] == 0
    assert api(client, "api_need", draft.pk).status_code == 404
    assert api(client, "api_need", 10**30).status_code == 404
    assert client.get(reverse("wagtail_sixdegrees:need", args=[10**30])).status_code == 404


def test_needs_come_in_the_requested_language(client, published):
    translate(published["need"], "th", title="เตียง (fictional)")
    (need,) = api(client, "api_needs", query="?locale=th").json()["results"]
    assert (need["title"], need["locale"]) == ("เตียง (fictional)", "th")
    assert need["raised"]["minor_units"] == 25_000  # money is shared by every translation
    assert api(client, "api_needs", query="?locale=xx").status_code == 400


def test_needs_are_paged_in_sql_and_cost_the_same_queries_for_3_or_30(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def listing(query: str = "?status=all&limit=2") -> tuple[dict, int]:
        with CaptureQueriesContext(connection) as queries:
            body = api(client, "api_needs", query=query).json()
        # The page is cut by the database, not from every need loaded into Python.
        assert any(
            "LIMIT 2" in q["sql"] and '"wagtail_sixdegrees_need"' in q["sql"] for q in queries
        )
        return body, len(queries)

    urgent = make_need(title="Urgent", priority=1)
    for _ in range(2):
        make_need(title="Normal")
    few, few_queries = listing()
    for _ in range(27):
        make_need(title="Normal")
    many, many_queries = listing()
    assert (few["count"], many["count"]) == (3, 30)
    assert many_queries == few_queries  # filter, order and page in SQL
    assert many["results"][0]["id"] == urgent.pk  # priority first
    second_page, _count = listing("?status=all&limit=2&offset=2")
    assert len(second_page["results"]) == 2
    assert {n["id"] for n in second_page["results"]}.isdisjoint({n["id"] for n in many["results"]})


def test_causes_and_regions_have_exactly_the_public_keys(client, published):
    causes = api(client, "api_causes")
    regions = api(client, "api_regions")
    assert_public(causes)
    assert_public(regions)
    assert set(causes.json()) == set(regions.json()) == {"results"}
    for cause in causes.json()["results"]:
        assert set(cause) == REF_KEYS | {"description", "target", "locale"}
    for region in regions.json()["results"]:
        assert set(region) == REF_KEYS | {"kind", "country_code", "target", "locale"}


def test_totals_have_exactly_the_public_keys_per_currency(client, published):
    response = api(client, "api_totals")
    assert_public(response)
    data = response.json()
    assert set(data) == {"currencies"}
    (usd,) = data["currencies"]
    assert set(usd) == {
        "currency",
        "raised",
        "allocated",
        "waiting",
        "unallocated",
        "disbursed",
        "by_cause",
        "by_region",
    }
    (cause,) = usd["by_cause"]
    (region,) = usd["by_region"]
    assert set(cause) == {"cause", "raised", "allocated", "waiting", "disbursed"}
    assert set(region) == {"region", "raised", "allocated", "waiting", "disbursed"}
    assert set(cause["cause"]) == set(region["region"]) == REF_KEYS
    assert usd["raised"]["minor_units"] == 25_000 and usd["disbursed"]["minor_units"] == 5_000


def test_the_api_is_read_only(client, published):
    for name, args in (
        ("api_needs", ()),
        ("api_totals", ()),
        ("api_need", (published["need"].pk,)),
    ):
        response = client.post(reverse(f"wagtail_sixdegrees:{name}", args=args))
        assert response.status_code == 405
    assert client.post(reverse("wagtail_sixdegrees:stories:listing")).status_code == 405


# --- Stories through Wagtail API v2 ------------------------------------------------------------


def test_story_listing_and_detail_have_exactly_the_public_fields(client, published):
    listing = api(client, "stories:listing")
    assert_public(listing)
    (item,) = listing.json()["items"]
    assert set(item) == STORY_LISTING_KEYS
    assert set(item["meta"]) == STORY_META_LISTING_KEYS
    assert set(item["region"]) == REF_KEYS and all(set(c) == REF_KEYS for c in item["causes"])

    detail = api(client, "stories:detail", published["story"].pk)
    assert_public(detail)
    data = detail.json()
    assert set(data) == STORY_DETAIL_KEYS
    assert set(data["meta"]) == STORY_META_DETAIL_KEYS
    assert set(data["illustration"]) == {"url", "width", "height", "alt"}
    assert [set(n) for n in data["needs"]] == [{"id", "title", "target", "detail_url"}]


def test_asking_for_every_field_still_gives_only_the_public_ones(client, published):
    listing = api(client, "stories:listing", query="?fields=*")
    assert_public(listing)
    (item,) = listing.json()["items"]
    assert set(item) == STORY_DETAIL_KEYS
    for hidden in ("owner", "social_image", "noindex", "live_revision", "latest_revision"):
        assert api(client, "stories:listing", query=f"?fields={hidden}").status_code == 400


def test_other_page_types_and_tree_queries_cannot_be_reached(client, published):
    for query in ("?type=wagtailcore.Page", "?child_of=1", "?descendant_of=1", "?ancestor_of=1"):
        assert api(client, "stories:listing", query=query).status_code == 400
    home = published["story"].get_parent().get_parent()
    assert api(client, "stories:detail", home.pk).status_code == 404


def test_withdrawn_and_expired_stories_leave_the_api_at_once(client, published):
    story = published["story"]
    expired = make_live_story(pseudonym="Fictional Lan")
    assert api(client, "stories:listing").json()["meta"]["total_count"] == 2

    withdraw_consent(story.consent, user=None)
    type(expired.consent).objects.filter(pk=expired.consent.pk).update(
        expires_on=datetime.date.today()
    )
    assert api(client, "stories:listing").json()["meta"]["total_count"] == 0
    assert api(client, "stories:detail", story.pk).status_code == 404
    assert api(client, "stories:detail", expired.pk).status_code == 404
    assert api(client, "stories:listing", query="?search=Fictional").json()["items"] == []
    assert api(client, "api_need", published["need"].pk).json()["stories"] == []


def test_story_responses_must_be_revalidated_by_caches(client, published):
    assert "no-cache" in api(client, "stories:listing")["Cache-Control"]


# --- CORS -------------------------------------------------------------------------------------


def test_no_cors_headers_unless_configured(client, published):
    for name in ("api_needs", "stories:listing"):
        response = api(client, name, HTTP_ORIGIN="https://partner.example")
        assert "Access-Control-Allow-Origin" not in response


def test_cors_only_for_listed_origins(client, settings, published):
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "API_CORS_ORIGINS": ["https://partner.example"],
    }
    for name in ("api_needs", "api_totals", "stories:listing"):
        allowed = api(client, name, HTTP_ORIGIN="https://partner.example")
        other = api(client, name, HTTP_ORIGIN="https://elsewhere.example")
        assert allowed["Access-Control-Allow-Origin"] == "https://partner.example"
        assert "Access-Control-Allow-Origin" not in other
        assert "Origin" in allowed["Vary"]
    preflight = client.options(
        reverse("wagtail_sixdegrees:api_needs"), HTTP_ORIGIN="https://partner.example"
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"


def test_cors_can_be_opened_to_every_site(client, settings, published):
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "API_CORS_ORIGINS": ["*"]}
    response = api(client, "api_needs", HTTP_ORIGIN="https://anyone.example")
    assert response["Access-Control-Allow-Origin"] == "*"
