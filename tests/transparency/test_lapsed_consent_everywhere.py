"""Not current consent = not shown, on every path that can put a story on a response.

Each test takes a story whose consent has lapsed (expired at midnight, withdrawn, or changed to
exclude the website) while its page is still ``live``: ``sixdegrees_enforce_consent`` has not run yet, nothing unpublished it.
The story's title, pseudonym, teaser, body and illustration must not reach any response.

Each test also runs for a survivor who withdrew with their withdrawal card (the button on the
card's public page): that unpublishes everything at once, and every path must agree.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from wagtail import hooks
from wagtail.models import Locale, Page, PageViewRestriction, Site
from wagtail.rich_text import RichText

from tests.factories import (
    impact_path,
    make_image,
    make_live_story,
    make_need,
    make_need_update,
    make_paid_donation,
    make_superuser,
    need_pref,
    translate,
)
from tests.helpers import login
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.giving.streamfields import donate_blocks
from wagtail_sixdegrees.models import DonatePage, StoryConsent, StoryNeed, SurvivorStoryPage
from wagtail_sixdegrees.stories import cards
from wagtail_sixdegrees.stories.models import hide_stories_without_current_consent

pytestmark = pytest.mark.django_db

TITLE = "Lapsedtitle story"
PSEUDONYM = "Lapsedname"
TEASER = "Lapsedteaser words"
BODY = "Lapsedbody paragraph"
HEADING = "Lapsedheading for the gift"
MARKERS = (TITLE, PSEUDONYM, TEASER, BODY, HEADING)
BY_CARD = "withdrawn with the survivor's card"


def assert_no_story(content: bytes | str) -> None:
    text = content.decode() if isinstance(content, bytes) else content
    shown = [marker for marker in MARKERS if marker in text]
    assert not shown, f"story content on the response: {shown}"


def lapse(story, how: str, clock) -> None:
    """End the story's consent the way the calendar or a caseworker does, without taking the
    page down (the enforcement command has not run, a takedown failed half way)."""
    consents = StoryConsent.objects.filter(translation_key=story.translation_key)
    if how == BY_CARD:
        # The real thing, through the card's public page: everything is taken down at once.
        issued = cards.issue_card(consents.get(), language="en", contact="Fictional office")
        address = reverse("wagtail_sixdegrees:withdraw_consent", args=[issued.token])
        response = Client().post(address, {"confirm": "withdraw"})
        assert response.status_code == 200
        assert_no_story(response.content)  # not even the card's own "done" page names it
        assert consents.get().withdrawn_on is not None
        assert not Page.objects.filter(translation_key=story.translation_key, live=True).exists()
        return
    if how == "expired":
        # Consent ends at the start of its expiry day: it was valid until midnight.
        consents.update(
            given_on=clock.today() - datetime.timedelta(days=30), expires_on=clock.today()
        )
    elif how == "withdrawn":
        consents.update(withdrawn_on=clock.now())
    elif how == "no longer for the web":
        consents.update(covers_web=False)
    else:  # pragma: no cover - a typo in a parameter
        raise AssertionError(how)
    assert Page.objects.get(pk=story.pk).live


@pytest.fixture(params=["expired", "withdrawn", "no longer for the web", BY_CARD])
def how(request) -> str:
    return request.param


@pytest.fixture
def need():
    return make_need(title="Fictional shelter beds", target_amount=100_000)


@pytest.fixture
def story(need):
    """A published story with a donate block and an illustration, supporting ``need``."""
    image = make_image(title="Fictional illustration")
    story = make_live_story(
        title=TITLE,
        pseudonym=PSEUDONYM,
        teaser=TEASER,
        hero_image=image,
        hero_alt_text="A fictional drawing",
        body=[
            ("paragraph", RichText(f"<p>{BODY}</p>")),
            ("donate", {"heading": HEADING, "mode": "choose", "frequencies": ["once"]}),
        ],
    )
    StoryNeed.objects.create(page=story, need=need)
    return SurvivorStoryPage.objects.get(pk=story.pk)


def form_key_of(page) -> str:
    """The donate block's form key, as any earlier copy of the page shows it."""
    ((block, value),) = donate_blocks(Page.objects.get(pk=page.pk))
    return block.form_key(value)


# --- The story's own address ------------------------------------------------------------------


def test_story_address_answers_gone(client, story, how, clock):
    lapse(story, how, clock)

    response = client.get(story.url)

    assert response.status_code == 410
    assert_no_story(response.content)


def test_translation_answers_gone(client, story, how, clock):
    translated = translate(story, "th")
    lapse(story, how, clock)

    response = client.get(translated.url)

    assert response.status_code == 410
    assert_no_story(response.content)
    assert_no_story(client.get(translated.get_parent().url).content)


def test_alias_in_another_language_answers_gone(client, story, how, clock):
    # wagtail-localize's synchronised copies and Wagtail's translation aliases share the
    # story's translation key, hence its consent. (An alias in the same language gets a new
    # key and no consent, so it can never go live: the publishing guard refuses it.)
    locale, _created = Locale.objects.get_or_create(language_code="vi")
    index = story.get_parent().specific
    for ancestor in (index.get_parent().specific, index):
        if not ancestor.has_translation(locale):
            ancestor.copy_for_translation(locale)
    alias = story.copy_for_translation(locale, alias=True)
    assert Page.objects.get(pk=alias.pk).live
    lapse(story, how, clock)

    response = client.get(Page.objects.get(pk=alias.pk).url)

    assert response.status_code == 410
    assert_no_story(response.content)


def test_copying_a_story_in_the_admin_never_makes_a_live_alias(client, story):
    login(client, make_superuser())
    url = reverse("wagtailadmin_pages:copy", args=[story.pk])

    response = client.post(
        url,
        {
            "new_title": "Copy of the story",
            "new_slug": "copy-of-the-story",
            "new_parent_page": story.get_parent().pk,
            "alias": "on",
            "publish_copies": "on",
        },
    )

    assert response.status_code == 302
    copy = Page.objects.get(slug="copy-of-the-story")
    assert copy.alias_of_id is None
    assert not copy.live


# --- The donate form's error re-render --------------------------------------------------------


def test_donate_errors_on_the_story_page_do_not_render_the_story(client, give, story, how, clock):
    form_key = form_key_of(story)  # any earlier copy of the page has it
    lapse(story, how, clock)

    response = give(amount="abc", page=str(story.pk), form=form_key)

    assert response.status_code == 400
    assert "Enter an amount as a number" in response.content.decode()
    assert_no_story(response.content)


def test_donate_errors_on_a_current_story_still_show_in_place(client, give, story):
    form_key = form_key_of(story)

    response = give(amount="abc", page=str(story.pk), form=form_key)

    body = response.content.decode()
    assert response.status_code == 400
    assert BODY in body and HEADING in body
    assert "Enter an amount as a number" in body


# --- Previews in the admin --------------------------------------------------------------------


def test_preview_of_the_draft_does_not_render_the_story(client, story, how, clock):
    lapse(story, how, clock)
    login(client, make_superuser())

    response = client.get(reverse("wagtailadmin_pages:view_draft", args=[story.pk]))

    assert_no_story(response.content)


# --- Listings and links -----------------------------------------------------------------------


def test_story_index_does_not_list_it(client, story, how, clock):
    lapse(story, how, clock)

    response = client.get(story.get_parent().url)

    assert response.status_code == 200
    assert_no_story(response.content)


def test_need_page_does_not_name_it(client, story, need, how, clock):
    lapse(story, how, clock)

    response = client.get(reverse("wagtail_sixdegrees:need", args=[need.pk]))

    assert response.status_code == 200
    assert_no_story(response.content)


NO_LONGER_SHOWN = "One or more stories linked to this need are no longer shown."


def assert_says_only_that_a_story_is_gone(content: bytes) -> None:
    """The donor learns that a story is gone, never which, whose, or why."""
    text = content.decode()
    assert text.count(NO_LONGER_SHOWN) == 1
    assert_no_story(text)
    for reason in ("withdr", "expire", "consent", "survivor"):
        assert reason not in text.lower(), reason


def test_impact_page_does_not_name_it(client, story, need, how, clock):
    donation = make_paid_donation(preferences=[need_pref(need)])
    ledger.allocate([donation.pk])
    assert NO_LONGER_SHOWN not in client.get(impact_path(donation)).content.decode()
    lapse(story, how, clock)

    response = client.get(impact_path(donation))

    assert response.status_code == 200
    assert "Fictional shelter beds" in response.content.decode()
    assert_says_only_that_a_story_is_gone(response.content)


def test_impact_page_does_not_name_it_when_its_need_was_read_before(
    client, settings, story, need, how, clock
):
    """Every donor's page shares what it read about a need, stories included: consent is
    checked on every request all the same (a lapse is a date, not a write)."""
    from django.core.cache import cache

    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "PAGE_CACHE_SECONDS": 60}
    cache.clear()
    donation = make_paid_donation(preferences=[need_pref(need)])
    ledger.allocate([donation.pk])
    before = client.get(impact_path(donation)).content.decode()
    assert PSEUDONYM in before and NO_LONGER_SHOWN not in before
    lapse(story, how, clock)

    response = client.get(impact_path(donation))

    assert response.status_code == 200
    assert "Fictional shelter beds" in response.content.decode()
    assert_says_only_that_a_story_is_gone(response.content)
    cache.clear()


def test_need_update_email_does_not_name_it(
    story, need, how, clock, django_capture_on_commit_callbacks
):
    donation = make_paid_donation(preferences=[need_pref(need)], wants_updates=True)
    ledger.allocate([donation.pk])
    lapse(story, how, clock)

    with django_capture_on_commit_callbacks(execute=True):
        make_need_update(need, title="Twelve beds are ready")

    (message,) = mail.outbox
    assert_no_story(message.body)
    assert_no_story(message.alternatives[0][0])


def test_embed_widget_for_its_need_does_not_name_it(client, story, need, how, clock):
    lapse(story, how, clock)

    response = client.get(
        reverse("wagtail_sixdegrees:embed_donate") + "?" + urlencode({"target": f"need:{need.pk}"})
    )

    assert response.status_code == 200
    assert_no_story(response.content)


# --- APIs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["", "?fields=*", f"?search={PSEUDONYM}", "?locale=en", "?order=title"]
)
def test_stories_api_listing_leaves_it_out(client, story, how, clock, query):
    lapse(story, how, clock)

    response = client.get(reverse("wagtail_sixdegrees:stories:listing") + query)

    assert response.status_code == 200
    assert response.json()["meta"]["total_count"] == 0
    assert_no_story(response.content)


def test_stories_api_detail_is_not_found(client, story, how, clock):
    lapse(story, how, clock)

    response = client.get(reverse("wagtail_sixdegrees:stories:detail", args=[story.pk]))

    assert response.status_code == 404
    assert_no_story(response.content)


def test_need_api_does_not_name_it(client, story, need, how, clock):
    lapse(story, how, clock)

    for name, args in (("api_need", [need.pk]), ("api_needs", [])):
        response = client.get(reverse(f"wagtail_sixdegrees:{name}", args=args))
        assert response.status_code == 200
        assert_no_story(response.content)


# --- Search and the sitemap --------------------------------------------------------------------


def test_search_through_the_story_queryset_leaves_it_out(story, how, clock):
    lapse(story, how, clock)

    found = SurvivorStoryPage.objects.live().with_current_consent().search(PSEUDONYM)

    assert list(found) == []


def test_site_wide_search_through_the_helper_leaves_it_out(story, how, clock):
    other = DonatePage(title=f"Give with {PSEUDONYM} and friends", slug="give-friends", body=[])
    Site.objects.get(is_default_site=True).root_page.add_child(instance=other)
    lapse(story, how, clock)

    pages = hide_stories_without_current_consent(Page.objects.live())
    found = pages.search(PSEUDONYM)

    assert [page.pk for page in found] == [other.pk]


def test_search_index_does_not_take_it_back(story, how, clock):
    lapse(story, how, clock)

    assert not SurvivorStoryPage.get_indexed_objects().filter(pk=story.pk).exists()


def test_sitemap_leaves_it_out(client, story, how, clock):
    lapse(story, how, clock)
    request = client.get("/").wsgi_request

    assert SurvivorStoryPage.objects.get(pk=story.pk).get_sitemap_urls(request) == []


# --- The same class of bug: a page rendered outside Wagtail's serve() -------------------------


def donate_page(slug: str = "give", parent: Page | None = None) -> DonatePage:
    page = DonatePage(
        title="Lapsedtitle story",  # stands for any page content that must stay private
        slug=slug,
        body=[("donate", {"heading": HEADING, "mode": "choose", "frequencies": ["once"]})],
    )
    (parent or Site.objects.get(is_default_site=True).root_page).add_child(instance=page)
    return page


def test_donate_errors_respect_a_password_restriction(client, give):
    page = donate_page()
    form_key = form_key_of(page)
    PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="fictional"
    )

    response = give(amount="abc", page=str(page.pk), form=form_key)

    assert response.status_code == 400
    assert "Enter an amount as a number" in response.content.decode()
    assert_no_story(response.content)


def test_donate_errors_respect_before_serve_page_hooks(client, give):
    page = donate_page()
    form_key = form_key_of(page)

    def refuse(page, request, serve_args, serve_kwargs):
        return HttpResponse("refused by the site", status=403)

    with hooks.register_temporarily("before_serve_page", refuse):
        assert client.get(page.url).status_code == 403
        response = give(amount="abc", page=str(page.pk), form=form_key)

    assert response.status_code == 400
    assert "Enter an amount as a number" in response.content.decode()
    assert_no_story(response.content)


def test_donate_errors_do_not_render_a_page_of_another_site(client, give):
    other_root = Page.get_first_root_node().add_child(
        instance=Page(title="Other site", slug="other-site")
    )
    Site.objects.create(hostname="other.example", root_page=other_root, is_default_site=False)
    page = donate_page(parent=other_root)
    form_key = form_key_of(page)

    response = give(amount="abc", page=str(page.pk), form=form_key)

    assert response.status_code == 400
    assert_no_story(response.content)
