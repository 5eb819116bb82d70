"""Story pages behave as Wagtail pages should, and the index shows only what may be shown."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Page
from wagtail.rich_text import RichText
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from tests.factories import (
    make_cause,
    make_image,
    make_live_story,
    make_need,
    make_region,
    make_story,
    make_story_index,
)
from tests.helpers import story_form_data
from wagtail_sixdegrees.models import StoryConsent, StoryIndexPage, SurvivorStoryPage

pytestmark = pytest.mark.django_db


class StoryPageTypeTests(WagtailPageTestCase):
    """Wagtail's own page test helpers, applied to our page types."""

    def setUp(self):
        self.user = self.login()
        self.index = make_story_index()
        self.story = make_live_story(self.index)

    def test_stories_live_only_under_a_story_index(self):
        self.assertCanCreateAt(StoryIndexPage, SurvivorStoryPage)
        self.assertCanNotCreateAt(Page, SurvivorStoryPage)
        self.assertAllowedSubpageTypes(SurvivorStoryPage, {})
        self.assertAllowedParentPageTypes(SurvivorStoryPage, {StoryIndexPage})

    def test_editor_can_create_a_draft_story(self):
        region = make_region()
        self.assertCanCreate(
            self.index,
            SurvivorStoryPage,
            nested_form_data(
                {
                    "title": "A new fictional story",
                    "slug": "a-new-fictional-story",
                    "pseudonym": "Noi",
                    "teaser": "A fictional teaser.",
                    "region": region.pk,
                    "body": streamfield([("paragraph", rich_text("<p>Fictional.</p>"))]),
                    "story_needs": inline_formset([]),
                    "comments": inline_formset([]),
                }
            ),
            publish=False,
        )

    def test_pages_are_routable_renderable_editable_and_previewable(self):
        for page in (self.index, self.story):
            self.assertPageIsRoutable(page)
            self.assertPageIsRenderable(page)
        self.assertPageIsEditable(self.index)
        self.assertPageIsPreviewable(self.index)
        self.assertPageIsEditable(self.story, post_data=story_form_data(self.story))
        self.assertPageIsPreviewable(self.story, post_data=story_form_data(self.story))

    def test_a_draft_without_consent_is_previewable(self):
        draft = make_story(self.index, consent=False)
        self.assertPageIsPreviewable(draft, post_data=story_form_data(draft))


def test_content_warning_comes_before_the_story(client):
    story = make_live_story(content_warning="This fictional story mentions violence.")

    html = client.get(story.url).content.decode()

    assert html.index("This fictional story mentions violence.") < html.index("sd-story__body")


def test_noindex_story_asks_search_engines_not_to_index_it(client):
    story = make_live_story()
    story.noindex = True
    story.save_revision().publish()

    assert '<meta name="robots" content="noindex">' in client.get(story.url).content.decode()


def test_social_image_only_when_set_and_covered_by_consent(client):
    story = make_live_story()
    assert "og:image" not in client.get(story.url).content.decode()

    story.social_image = make_image("JPEG", name="social.jpg")
    story.save_revision().publish()
    assert "og:image" not in client.get(story.url).content.decode(), "consent lacks social"

    StoryConsent.objects.filter(translation_key=story.translation_key).update(covers_social=True)
    assert "og:image" in client.get(story.url).content.decode()


def test_callout_and_needs_list_show_open_needs_with_formatted_goals(client):
    need = make_need(title="Fictional shelter beds", target_amount=250_000, currency="USD")
    need.save_revision().publish()
    closed = make_need(
        title="Closed fictional need",
        closes_on=datetime.date(2020, 1, 1),
        opens_on=datetime.date(2019, 1, 1),
    )
    closed.save_revision().publish()
    story = make_story(
        body=[
            ("paragraph", RichText("<p>Fictional.</p>")),
            ("needs_callout", {"heading": "", "needs": [need, closed]}),
        ]
    )
    story.story_needs.create(need=need)
    story.save_revision()
    from tests.factories import approve_safety_review

    approve_safety_review(story)

    html = client.get(story.url).content.decode()

    assert html.count("Fictional shelter beds") == 2  # the callout and "How you can help"
    assert "$2,500.00" in html
    assert "Closed fictional need" not in html


def test_index_lists_featured_first_then_newest(client):
    index = make_story_index()
    older = make_live_story(index, title="Older story")
    newer = make_live_story(index, title="Newer story")
    featured = make_live_story(index, title="Featured story")
    Page.objects.filter(pk=older.pk).update(
        first_published_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    )
    Page.objects.filter(pk=newer.pk).update(
        first_published_at=datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC)
    )
    SurvivorStoryPage.objects.filter(pk=featured.pk).update(featured=True)

    html = client.get(index.url).content.decode()

    assert html.index("Featured story") < html.index("Newer story") < html.index("Older story")


def test_index_filters_by_cause_and_region_with_plain_links(client):
    index = make_story_index()
    shelter, school = make_cause("Shelter", slug="shelter"), make_cause("School", slug="school")
    north, south = make_region("North", slug="north"), make_region("South", slug="south")
    make_live_story(index, title="North shelter story", region=north, causes=[shelter])
    make_live_story(index, title="South school story", region=south, causes=[school])

    by_cause = client.get(index.url, {"cause": "shelter"}).content.decode()
    by_both = client.get(index.url, {"cause": "school", "region": "north"}).content.decode()

    assert "North shelter story" in by_cause and "South school story" not in by_cause
    assert 'href="?cause=school"' in by_cause
    assert "North shelter story" not in by_both and "South school story" not in by_both
    assert 'aria-current="true">Shelter<' in by_cause


def test_index_paginates_and_keeps_filters_in_page_links(client):
    index = make_story_index()
    StoryIndexPage.stories_per_page, saved = 2, StoryIndexPage.stories_per_page
    cause = make_cause("Shelter", slug="shelter-p")
    try:
        for number in range(5):
            make_live_story(index, title=f"Paged story {number}", causes=[cause])
        first = client.get(index.url, {"cause": "shelter-p"}).content.decode()
        last = client.get(index.url, {"cause": "shelter-p", "page": "99"}).content.decode()
    finally:
        StoryIndexPage.stories_per_page = saved

    assert "Page 1 of 3" in first
    assert 'href="?cause=shelter-p&amp;page=2"' in first
    assert "Page 3 of 3" in last


def test_search_finds_stories_by_pseudonym_teaser_and_body():
    make_live_story(
        pseudonym="Kessara",
        teaser="A fictional teaser about rivers.",
        body=[("paragraph", RichText("<p>Fictional mountains everywhere.</p>"))],
    )

    for term in ("Kessara", "rivers", "mountains"):
        assert SurvivorStoryPage.objects.live().search(term).count() == 1, term


def story_with(index, needs: int, images: int):
    need_objects = []
    for _number in range(needs):
        need = make_need()
        need.save_revision().publish()
        need_objects.append(need)
    image_objects = [make_image("JPEG", name="body.jpg") for _number in range(images)]
    body = [("paragraph", RichText("<p>Fictional paragraph.</p>"))]
    body += [
        ("image", {"image": image, "alt_text": "Fictional", "caption": ""})
        for image in image_objects
    ]
    body.append(("needs_callout", {"heading": "", "needs": need_objects}))
    story = make_story(
        index,
        body=body,
        hero_image=make_image("JPEG", name="hero.jpg"),
        causes=[make_cause(), make_cause()],
    )
    for need in need_objects:
        story.story_needs.create(need=need)
    story.save_revision()
    from tests.factories import approve_safety_review

    return approve_safety_review(story)


def count_queries(client, url) -> int:
    client.get(url)  # warm: renditions are made once, then reused
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_story_page_renders_with_a_constant_number_of_queries(client):
    index = make_story_index()
    small = story_with(index, needs=1, images=1)
    large = story_with(index, needs=50, images=20)

    small_count = count_queries(client, small.url)
    large_count = count_queries(client, large.url)

    assert large_count == small_count
    # Site, locale, 3 routing, consent, view restrictions (2), needs and their progress (2),
    # images and their renditions (2), causes, need updates: 14 (16 before).
    assert large_count <= 14
    assert get_image_model().objects.count() == 23


def selects_from(queries, table: str) -> int:
    return sum(
        1
        for query in queries
        if query["sql"].startswith("SELECT") and f'FROM "{table}"' in query["sql"]
    )


def test_callout_needs_and_supported_needs_load_in_one_query_with_one_progress_query(client):
    in_callout_only, in_both, linked_only = (make_need() for _number in range(3))
    for need in (in_callout_only, in_both, linked_only):
        need.save_revision().publish()
    story = make_story(
        body=[("needs_callout", {"heading": "", "needs": [in_callout_only, in_both]})],
        hero_image=make_image("JPEG", name="hero.jpg"),
    )
    story.story_needs.create(need=in_both, sort_order=0)
    story.story_needs.create(need=linked_only, sort_order=1)
    story.save_revision()
    from tests.factories import approve_safety_review

    story = approve_safety_review(story)
    client.get(story.url)  # renditions are made once

    with CaptureQueriesContext(connection) as queries:
        html = client.get(story.url).content.decode()

    assert selects_from(queries, "wagtail_sixdegrees_need") == 1
    assert selects_from(queries, "wagtail_sixdegrees_storyconsent") == 1
    # Progress is one read of the balances kept with the ledger, never a sum over the ledger.
    assert sum(1 for query in queries if "wagtail_sixdegrees_accountbalance" in query["sql"]) == 1
    assert not any("wagtail_sixdegrees_ledgerentry" in query["sql"] for query in queries)
    assert html.count(in_callout_only.title) == 1  # the callout only
    assert html.count(in_both.title) == 2  # the callout and "How you can help"
    assert html.count(linked_only.title) == 1  # "How you can help" only
    assert "<img" in html  # the hero image, loaded with the images query


def test_how_you_can_help_lists_needs_in_the_editors_order(client):
    first, second, third = (make_need(title=f"Fictional need {name}") for name in "ABC")
    for need in (first, second, third):
        need.save_revision().publish()
    story = make_story()
    story.story_needs.create(need=second, sort_order=1)
    story.story_needs.create(need=third, sort_order=2)
    story.story_needs.create(need=first, sort_order=0)
    story.save_revision()
    from tests.factories import approve_safety_review

    story = approve_safety_review(story)

    html = client.get(story.url).content.decode()

    positions = [html.index(need.title) for need in (first, second, third)]
    assert positions == sorted(positions)


@pytest.mark.parametrize("lapse", ["withdrawn", "expired", "web use removed"])
def test_a_live_story_answers_410_on_the_very_next_request_once_consent_lapses(client, lapse):
    story = make_live_story()
    assert client.get(story.url).status_code == 200
    consent = StoryConsent.objects.filter(translation_key=story.translation_key)
    # Straight to the database, as another process would, with the page still live: nothing
    # remembered from the first request may answer for the second.
    if lapse == "withdrawn":
        consent.update(withdrawn_on=timezone.now())
    elif lapse == "expired":
        consent.update(
            given_on=datetime.date.today() - datetime.timedelta(days=400),
            expires_on=datetime.date.today(),
        )
    else:
        consent.update(covers_web=False)

    response = client.get(story.url)

    assert response.status_code == 410
    assert story.pseudonym not in response.content.decode()


def test_story_index_renders_with_a_constant_number_of_queries(client):
    index = make_story_index()
    make_live_story(index, hero_image=make_image("JPEG", name="card.jpg"))
    few = count_queries(client, index.url)
    for _number in range(6):
        make_live_story(index, hero_image=make_image("JPEG", name="card.jpg"))

    assert count_queries(client, index.url) == few
