"""A small story site for reach tests and the page-weight benchmark: an index with two causes,
a long story with images, a needs callout and the donate form, and a second story."""

from __future__ import annotations

from django.core.files.base import ContentFile
from wagtail.images import get_image_model
from wagtail.rich_text import RichText

from tests.factories import (
    default_locale,
    ensure_wagtail_tree,
    image_bytes,
    make_cause,
    make_live_story,
    make_need,
    make_region,
    make_story_index,
)


def build_story_site(currency: str = "USD") -> dict:
    """A story index with two causes, and a long story carrying images, a callout and the form;
    its needs are in `currency` (a need takes money only in its own currency)."""
    ensure_wagtail_tree()
    default_locale()
    shelter, legal = make_cause("Shelter"), make_cause("Legal aid")
    north = make_region("Northern provinces")
    index = make_story_index(title="Stories", slug="stories")
    beds, lawyers = (
        make_need(title=title, cause=cause, region=north, target_amount=target, currency=currency)
        for title, cause, target in (
            ("Fictional shelter beds", shelter, 500_000),
            ("Fictional legal fees", legal, 300_000),
        )
    )
    for need in (beds, lawyers):
        need.save_revision().publish()
    Image = get_image_model()
    images = [
        Image.objects.create(title=f"Fictional illustration {n}", file=_image_file(n))
        for n in range(3)
    ]
    paragraph = (
        "<p>This fictional story stands in for a survivor's words: work promised abroad, "
        "wages that never came, and the slow road back to safety with help from a shelter.</p>"
    )
    body = [("paragraph", RichText(paragraph)) for _ in range(6)]
    body.insert(
        2,
        (
            "image",
            {"image": images[0], "alt_text": "Hills at dusk, drawn in two colours.", "caption": ""},
        ),
    )
    body.insert(
        5, ("image", {"image": images[1], "alt_text": "A river under a pale sky.", "caption": ""})
    )
    body.append(("needs_callout", {"heading": "", "needs": [beds, lawyers]}))
    body.append(
        ("donate", {"mode": "split", "needs": [beds, lawyers], "frequencies": ["once", "monthly"]})
    )
    story = make_live_story(
        index,
        title="Mai's story",
        slug="mais-story",
        pseudonym="Mai",
        region=north,
        causes=[shelter],
        body=body,
        hero_image=images[2],
        hero_alt_text="Fields in morning light, an abstract drawing.",
    )
    other = make_live_story(
        index, title="Anh's story", slug="anhs-story", pseudonym="Anh", region=north, causes=[legal]
    )
    return {
        "index": index,
        "story": story,
        "other": other,
        "needs": (beds, lawyers),
        "causes": (shelter, legal),
    }


def _image_file(number: int) -> ContentFile:
    return ContentFile(image_bytes("JPEG", size=(900, 600)), name=f"illustration-{number}.jpg")
