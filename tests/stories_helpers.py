"""Helpers shared by the story tests: admin clients and editor form data."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield


def login(client, user) -> Any:
    client.force_login(user)
    return client


def make_superuser(username: str = "admin"):
    return get_user_model().objects.create_superuser(
        username, f"{username}@example.org", "correct horse"
    )


def story_form_data(story, **overrides: Any) -> dict:
    """What the Wagtail editor posts for ``story``, with ``overrides`` applied."""
    data = {
        "title": story.title,
        "slug": story.slug,
        "pseudonym": story.pseudonym,
        "teaser": story.teaser,
        "content_warning": "",
        "hero_alt_text": "",
        "region": story.region_id or "",
        "body": streamfield([("paragraph", rich_text("<p>A fictional story paragraph.</p>"))]),
        "story_needs": inline_formset([]),
        "comments": inline_formset([]),
        "seo_title": "",
        "search_description": "",
    }
    data.update(overrides)
    return nested_form_data(data)


def edit_url(page) -> str:
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def translate_story(story, language: str = "th"):
    """A published translation of ``story`` (its ancestors translated first, as Wagtail
    requires), sharing its consent through the translation key."""
    from wagtail.models import Locale

    from wagtail_sixdegrees.models import SurvivorStoryPage

    locale, _created = Locale.objects.get_or_create(language_code=language)
    index = story.get_parent().specific
    for ancestor in (index.get_parent().specific, index):
        if not ancestor.has_translation(locale):
            ancestor.copy_for_translation(locale)
    translation = story.copy_for_translation(locale)
    translation.save_revision().publish()
    return SurvivorStoryPage.objects.get(pk=translation.pk)
