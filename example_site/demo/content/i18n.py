"""The demo in several languages: a Locale for every language of the site, and Thai and
Vietnamese translations of the demo content (texts in demo/content/translations.py).

Translations are made with Wagtail's own APIs (``copy_for_translation``), top-down so every
page's parent is already translated (never an alias), then given their texts and published
the way an editor would: pages through a revision, stories through the safety review
workflow and the publishing guard. A translated story shares its source's consent record
(same ``translation_key``); a translated need shares its source's money, which the ledger
always keeps on the source record. Safe to run again: what exists is left alone.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.html import format_html
from wagtail.blocks import StreamValue
from wagtail.models import Locale, Page
from wagtail.rich_text import RichText

from wagtail_sixdegrees.models import (
    Cause,
    DonatePage,
    Need,
    Region,
    StoryIndexPage,
    StoryNeed,
    SurvivorStoryPage,
    TransparencyPage,
)

from .needs import CAUSES, NEEDS, REGIONS, UNITS
from .stories import STORIES, demo_reviewer, review_and_publish
from .translations import TRANSLATIONS


def ensure_locales() -> int:
    """A Locale row for every language in settings.LANGUAGES, so the admin and routing know
    them all, translated content or not."""
    for code, _name in settings.LANGUAGES:
        Locale.objects.get_or_create(language_code=code)
    return Locale.objects.count()


def missing_texts(texts: dict) -> list[str]:
    """English demo content that ``texts`` does not translate (empty when complete)."""
    story = texts["story"]
    missing = [f"cause {slug}" for slug, *_ in CAUSES if slug not in texts["causes"]]
    missing += [f"region {slug}" for slug, *_ in REGIONS if slug not in texts["regions"]]
    missing += [f"need {title!r}" for title, *_ in NEEDS if title not in texts["needs"]]
    missing += [f"unit of {title!r}" for title in UNITS if title not in texts.get("units", {})]
    for slug, *_rest, paragraphs, _quote in STORIES:
        translated = texts["stories"].get(slug)
        if translated is None:
            missing.append(f"story {slug}")
        elif len(translated["paragraphs"]) != len(paragraphs):
            missing.append(f"story {slug}: {len(paragraphs)} paragraphs in English")
    missing += [
        f"story text {key}"
        for key in (
            "fictional",
            "teaser_label",
            "content_warning",
            "hero_alt_text",
            "donate_heading",
        )
        if not story.get(key)
    ]
    if not texts.get("totals_page", {}).get("title"):
        missing.append("the totals page")
    return missing


class Translator:
    """Translates the demo into one locale; ``created`` counts what this run added."""

    def __init__(self, locale: Locale, texts: dict) -> None:
        self.locale = locale
        self.texts = texts
        self.created = 0

    # Snippets --------------------------------------------------------------------------

    def snippet(self, source, **fields):
        existing = source.get_translation_or_none(self.locale)
        if existing is not None:
            return existing
        translation = source.copy_for_translation(self.locale)
        for name, value in fields.items():
            setattr(translation, name, value)
        translation.full_clean()
        translation.save()
        self.created += 1
        return translation

    def causes_and_regions(self) -> None:
        default = Locale.get_default()
        for cause in Cause.objects.filter(locale=default, slug__in=self.texts["causes"]):
            name, description = self.texts["causes"][cause.slug]
            self.snippet(cause, name=name, description=description)
        for region in Region.objects.filter(locale=default, slug__in=self.texts["regions"]):
            self.snippet(region, name=self.texts["regions"][region.slug])

    def needs(self) -> None:
        default = Locale.get_default()
        for need in Need.objects.filter(locale=default, title__in=self.texts["needs"]):
            unit = self.texts["units"].get(need.title, ("", ""))
            if need.has_translation(self.locale):
                self.translate_unit(need, unit)
                continue
            title, summary = self.texts["needs"][need.title]
            # A new draft in its own right: nothing of the source's publishing history.
            translation = self.snippet(
                need,
                title=title,
                summary=summary,
                cause=self.translated(need.cause),
                region=self.translated(need.region),
                unit_name=unit[0] or need.unit_name,
                unit_name_plural=unit[1] or need.unit_name_plural,
                live=False,
                has_unpublished_changes=True,
                live_revision=None,
                first_published_at=None,
                last_published_at=None,
            )
            translation.save_revision().publish()

    def translate_unit(self, source: Need, unit: tuple[str, str]) -> None:
        """Give a translation made before units were translated its unit in this language
        (it still carries the English one, copied from its source)."""
        translation = source.get_translation(self.locale)
        if not unit[0] or not source.unit_name or translation.unit_name != source.unit_name:
            return
        translation.unit_name, translation.unit_name_plural = unit
        translation.save()
        translation.save_revision().publish()

    def translated(self, obj):
        """The translation of a need (or cause, region) in this locale, or the object itself
        if it has none (a need added in the admin after the demo)."""
        return obj.get_translation_or_none(self.locale) or obj

    # Pages -----------------------------------------------------------------------------

    def page(self, source: Page, **fields) -> tuple[Page, bool]:
        """The translation of ``source`` (whose parent is translated already), created as a
        draft with ``fields`` set when missing; the caller publishes it."""
        existing = source.get_translation_or_none(self.locale)
        if existing is not None:
            return existing.specific, False
        translation = source.copy_for_translation(self.locale)
        for name, value in fields.items():
            setattr(translation, name, value)
        self.created += 1
        return translation, True

    def intro_page(self, source: Page, texts: dict) -> None:
        """The home page or the story index: a title and an introduction."""
        page, created = self.page(source, title=texts["title"], intro=texts["intro"])
        if created:
            page.save_revision().publish()

    def stories(self, index: StoryIndexPage, reviewer) -> None:
        common = self.texts["story"]
        for source in SurvivorStoryPage.objects.child_of(index).filter(
            slug__in=self.texts["stories"]
        ):
            texts = self.texts["stories"][source.slug]
            page, created = self.page(
                source,
                title=texts["title"],
                teaser=f"{texts['teaser']} {common['teaser_label']}",
                content_warning=common["content_warning"],
                hero_alt_text=common["hero_alt_text"],
                region=self.translated(source.region),
            )
            if not created:
                continue
            page.causes = [self.translated(cause) for cause in source.causes.all()]
            page.story_needs = [
                StoryNeed(need=self.translated(link.need), sort_order=link.sort_order)
                for link in source.story_needs.all()
            ]
            page.body = self.story_body(source, texts)
            page.save_revision()
            # Consent is shared with the English story; the translation gets its own review.
            review_and_publish(page, reviewer)

    def story_body(self, source: SurvivorStoryPage, texts: dict) -> StreamValue:
        """The story's paragraphs in turn (the fictional label first), its pull quote, and its
        needs callout and donate block on the translated needs."""
        common = self.texts["story"]
        paragraphs = [
            format_html("<p><i>{}</i></p>", common["fictional"]),
            *(format_html("<p>{}</p>", text) for text in texts["paragraphs"]),
        ]

        def translate(block):
            if block.block_type == "paragraph":
                return RichText(paragraphs.pop(0))
            if block.block_type == "pull_quote":
                return self.struct(block, quote=texts["quote"])
            if block.block_type == "needs_callout":
                return self.struct(block, needs=self.translated_needs(block.value["needs"]))
            if block.block_type == "donate":
                return self.donate_block(block, common["donate_heading"])
            return block.value

        body = self.body(source, translate)
        if paragraphs:
            raise ValueError(f"{source.slug}: {len(paragraphs)} translated paragraph(s) unused")
        return body

    def donate_pages(self, home: Page) -> None:
        for source in DonatePage.objects.child_of(home).filter(
            locale=home.locale, slug__in=self.texts["donate_pages"]
        ):
            texts = self.texts["donate_pages"][source.slug]
            page, created = self.page(
                source, title=texts["title"], intro=format_html("<p>{}</p>", texts["intro"])
            )
            if not created:
                continue

            def translate(block, heading=texts["heading"]):
                if block.block_type == "donate":
                    return self.donate_block(block, heading)
                return block.value

            page.body = self.body(source, translate)
            page.save_revision().publish()

    # Blocks ----------------------------------------------------------------------------

    @staticmethod
    def body(source: Page, translate) -> StreamValue:
        """The source's body with the same blocks and ids, each value from ``translate``."""
        return StreamValue(
            source.body.stream_block,
            [(block.block_type, translate(block), block.id) for block in source.body],
        )

    @staticmethod
    def struct(block, **changes):
        """A copy of a struct block's value with ``changes``."""
        value = block.block.to_python(block.block.get_prep_value(block.value))
        for name, new in changes.items():
            value[name] = new
        return value

    def translated_needs(self, needs) -> list:
        return [self.translated(need) for need in needs if need is not None]

    def donate_block(self, block, heading: str):
        """A donate block under the translated heading, offering the translated needs."""
        return self.struct(
            block, heading=heading, needs=self.translated_needs(block.value["needs"])
        )


def ensure_translations(home: Page) -> dict[str, int | str]:
    """Thai and Vietnamese translations of the demo's pages, stories, causes, regions and
    needs (partners are organisations: their names are not translated)."""
    locales = ensure_locales()
    index = StoryIndexPage.objects.child_of(home).first()
    created = 0
    for code, texts in TRANSLATIONS.items():
        missing = missing_texts(texts)
        if missing:
            raise ValueError(f"demo translations into {code} lack: {', '.join(missing)}")
        translator = Translator(Locale.objects.get(language_code=code), texts)
        translator.causes_and_regions()
        translator.needs()
        translator.intro_page(home, texts["home"])
        if index is not None:
            translator.intro_page(index, texts["story_index"])
            # A fresh user object: Wagtail caches page permissions on it, and the reviewers
            # were only just given the new index.
            translator.stories(index, demo_reviewer())
        translator.donate_pages(home)
        created += translator.created
    return {
        "locales": locales,
        "content translated into": ", ".join(TRANSLATIONS),
        "translations created": created,
    }


def ensure_totals_page_translations(home: Page) -> int:
    """The public totals page in Thai and Vietnamese (it is made after the month's gifts, so
    after the rest of the translations); returns how many translations this run created."""
    page = TransparencyPage.objects.child_of(home).first()
    if page is None:
        return 0
    created = 0
    for code, texts in TRANSLATIONS.items():
        translator = Translator(Locale.objects.get(language_code=code), texts)
        translator.intro_page(page, texts["totals_page"])
        created += translator.created
    return created
