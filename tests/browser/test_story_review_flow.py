"""An editor writes a story and submits it; a safety reviewer ticks the checklist; it goes live."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect
from wagtail.models import GroupPagePermission, Locale, Page, Site

from tests.factories import make_consent, make_region, make_story_index
from wagtail_sixdegrees.models import SurvivorStoryPage
from wagtail_sixdegrees.stories.workflow import REVIEWERS_GROUP_NAME, ensure_story_workflow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_autosave(settings):
    """Wagtail autosaves every half second; a save racing the approval makes the test flaky."""
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0


@pytest.fixture
def site_tree():
    """What migrations create, rebuilt: an earlier transactional test may have flushed it."""
    locale, _ = Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node() or Page.add_root(
        instance=Page(title="Root", slug="root", locale=locale)
    )
    home = root.get_children().first() or root.add_child(
        instance=Page(title="Home", slug="home", locale=locale)
    )
    Site.objects.get_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "root_page": home}
    )
    ensure_story_workflow()
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(Permission.objects.get(codename="access_admin"))
    return home


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/admin/")


def test_editor_submits_a_story_and_a_reviewer_approves_it_with_the_checklist(
    page, live_server, browser, site_tree
):
    users = get_user_model().objects
    editor = users.create_user("editor", "editor@example.org", "correct horse")
    editor.groups.add(Group.objects.get(name="Editors"))
    reviewer = users.create_user("reviewer", "reviewer@example.org", "correct horse")
    reviewer.groups.add(Group.objects.get(name=REVIEWERS_GROUP_NAME))
    index = make_story_index(title="Stories", slug="stories")
    make_region("Fictional Province")
    for codename in ("add_page", "change_page"):
        GroupPagePermission.objects.get_or_create(
            group=Group.objects.get(name="Editors"),
            page=index,
            permission=Permission.objects.get(
                content_type__app_label="wagtailcore", codename=codename
            ),
        )

    # The editor writes the story and submits it for review.
    sign_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/admin/pages/add/wagtail_sixdegrees/survivorstorypage/{index.pk}/")
    page.wait_for_load_state("networkidle")
    page.locator("#id_title").fill("Fictional story of Noi")
    page.locator("#id_pseudonym").fill("Noi")
    page.locator("#id_teaser").fill("A fictional teaser for the browser test.")
    page.get_by_role("button", name="Choose region").click()
    page.get_by_role("dialog").get_by_role("link", name="Fictional Province").click()
    expect(page.locator("#id_region")).to_have_value(re.compile(r"^\d+$"))
    page.get_by_role("button", name="Insert a block").first.click()
    page.get_by_role("option", name="Paragraph").click()
    page.locator(".Draftail-Editor [contenteditable=true]").first.click()
    page.keyboard.type("A fictional paragraph written in a browser.")
    # Draftail copies the text into the form's hidden input a moment later: wait for it.
    expect(page.locator("input[name='body-0-value']")).to_have_value(
        re.compile("written in a browser")
    )
    page.get_by_role("tab", name="Promote").click()
    page.locator("#id_slug").fill("fictional-story-of-noi")
    expect(page.locator("#id_slug")).to_have_value("fictional-story-of-noi")
    page.get_by_role("button", name="More actions").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Submit to Story safety review").click()
    page.get_by_role("link", name="Fictional story of Noi").wait_for()
    story = SurvivorStoryPage.objects.child_of(index).get()
    assert story.draft_title == "Fictional story of Noi"
    assert story.current_workflow_state is not None
    assert not story.live

    # Consent is recorded (by someone allowed to; done directly here).
    make_consent(story)

    # A reviewer opens the story and approves it with every box of the checklist ticked.
    context = browser.new_context()
    reviewer_page = context.new_page()
    sign_in(reviewer_page, live_server, "reviewer")
    # From the dashboard's "awaiting your review" panel, as reviewers usually do.
    reviewer_page.goto(f"{live_server.url}/admin/")
    reviewer_page.wait_for_load_state("networkidle")  # the admin's scripts wire up the menus
    approve = reviewer_page.locator("button", has_text="Approve after safety check").first
    approve.dispatch_event("click")  # it sits in the row's action menu
    dialog = reviewer_page.get_by_role("dialog")
    dialog.get_by_text("Safety checklist").wait_for()
    for checkbox in dialog.get_by_role("checkbox").all():
        checkbox.check()
    with reviewer_page.expect_navigation():
        dialog.get_by_role("button", name="Approve after safety check").click()

    story.refresh_from_db()
    assert story.live
    reviewer_page.goto(f"{live_server.url}{story.url}")
    assert reviewer_page.get_by_role("heading", name="Fictional story of Noi").is_visible()
    context.close()
