"""A small story site for reach tests and the page-weight benchmark: an index with two causes,
a long story with images, a needs callout and the donate form, and a second story."""

from __future__ import annotations

import sys
from pathlib import Path

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

# The phone-first form as the demo shows it: the example site's suggested amounts, its story
# heading and its shelter unit, read from the demo's own content so the two cannot drift apart.
sys.path.append(str(Path(__file__).resolve().parents[2] / "example_site"))
from demo.content.giving import CURRENCY_OPTIONS
from demo.content.needs import UNITS
from demo.content.stories import DONATE_HEADING
from demo.content.translations import TRANSLATIONS

#: Suggested amounts per currency, for ``build_story_site(presets=True)``.
PRESETS = {option["currency"]: option for option in CURRENCY_OPTIONS}
#: The donate block's heading and the shelter unit (name, plural) per language.
HEADINGS = {"en": DONATE_HEADING} | {
    code: texts["story"]["donate_heading"] for code, texts in TRANSLATIONS.items()
}
SHELTER = "Six months of safe shelter"
SHELTER_UNITS = {"en": UNITS[SHELTER][:2]} | {
    code: texts["units"][SHELTER] for code, texts in TRANSLATIONS.items()
}
#: What one shelter night costs (minor units); in baht, the demo's own figure.
NIGHT_COST = {"USD": 500, "THB": UNITS[SHELTER][2], "VND": 120_000}


def build_story_site(currency: str = "USD", *, presets: bool = False, language: str = "en") -> dict:
    """A story index with two causes, and a long story carrying images, a callout and the form;
    its needs are in `currency` (a need takes money only in its own currency). With
    ``presets``, the site suggests amounts per currency and the shelter need has a unit (a
    shelter night) named in ``language``, so the form says what each amount buys, under the
    demo's heading in that language."""
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
    if presets:
        beds.unit_name, beds.unit_name_plural = SHELTER_UNITS[language]
        beds.unit_cost = NIGHT_COST[currency]
        beds.save()
        _suggest_amounts()
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
    donate = {"mode": "split", "needs": [beds, lawyers], "frequencies": ["once", "monthly"]}
    if presets:
        donate["heading"] = HEADINGS[language]
    body.append(("donate", donate))
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


def _suggest_amounts() -> None:
    from wagtail.models import Site

    from wagtail_sixdegrees.giving.models import GivingSettings

    settings = GivingSettings.for_site(Site.objects.get(is_default_site=True))
    settings.currency_options = [
        ("currency", {"impact_lines": "", **option}) for option in PRESETS.values()
    ]
    settings.save()


def _image_file(number: int) -> ContentFile:
    return ContentFile(image_bytes("JPEG", size=(900, 600)), name=f"illustration-{number}.jpg")
