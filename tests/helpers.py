"""The suite's plain helpers (not fixtures, not data builders): signed webhooks and donate form
data for giving, admin clients and editor form data for stories.

Data builders live in tests/factories.py; fixtures live in tests/fixtures/ and are registered
once, for the whole suite, by ``pytest_plugins`` in tests/conftest.py.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connection
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from tests.stripe_fake import sign

# Giving ----------------------------------------------------------------------------------------

WEBHOOK_SECRET = "whsec_sixdegrees_tests"


def open_transactions() -> int:
    """Transactions (and savepoints) the code under test has open: the test's own wrapping
    blocks (marked by Django's TestCase) do not count."""
    return sum(not block._from_testcase for block in connection.atomic_blocks)


def post_event(client, event: dict[str, Any], *, secret: str = WEBHOOK_SECRET, **headers: Any):
    payload = json.dumps(event)
    return client.post(
        reverse("wagtail_sixdegrees:stripe_webhook"),
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, secret),
        **headers,
    )


def donate_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "amount": "25",
        "currency": "USD",
        "frequency": "once",
        "email": "donor@example.org",
        "name": "Fictional Donor",
        "target": "general",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# Stories ---------------------------------------------------------------------------------------


def login(client, user) -> Any:
    client.force_login(user)
    return client


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
