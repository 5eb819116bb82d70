"""The blocks a survivor's story is written with.

``StoryBodyBlock`` lists its children in ``STORY_BODY_BLOCKS`` (paragraphs, pull quotes,
images, needs callouts and the donate form) so a site can extend it by adding one tuple.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock

from ..giving.blocks import DonateBlock
from ..needs.models import Need
from .images import refuse_unfit_story_image
from .loading import STORY_IMAGE_SPECS, active_loader, needs_for_display

#: Rich-text features allowed in a story: no headings, embeds or images inside text, so the
#: shape of a story stays calm and every image goes through the image block (alt text required).
STORY_RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul"]


class StoryImageChooserBlock(ImageChooserBlock):
    """Loads every image of a story, with its renditions, in two queries (through the page's
    ``StoryLoader`` when a story page converts its body). Refuses SVG and images outside the
    story collections (see stories/images.py)."""

    def clean(self, value):
        value = super().clean(value)
        refuse_unfit_story_image(value)
        return value

    def bulk_to_python(self, values):
        if (loader := active_loader()) is not None:
            return loader.images(values)
        images = self.model_class.objects.prefetch_renditions(*STORY_IMAGE_SPECS).in_bulk(
            [value for value in values if value is not None]
        )
        return [images.get(value) for value in values]


class NeedChooserBlock(SnippetChooserBlock):
    """Chooses a need; loads all needs of all callouts of a story in one query (through the
    page's ``StoryLoader`` when a story page converts its body, with the needs it supports)."""

    def __init__(self, **kwargs):
        super().__init__(Need, **kwargs)

    def bulk_to_python(self, values):
        if (loader := active_loader()) is not None:
            return loader.needs(values)
        wanted = [value for value in values if value is not None]
        needs = {
            need.pk: need
            for need in needs_for_display().filter(pk__in=wanted).with_progress_attached()
        }
        return [needs.get(value) for value in values]


class PullQuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(
        label=_("Quote"),
        max_length=400,
        help_text=_("The survivor's own words, agreed with them. No names or places."),
    )
    attribution = blocks.CharBlock(
        label=_("Attribution"),
        required=False,
        max_length=80,
        help_text=_("Usually the pseudonym, for example “Mai”."),
    )

    class Meta:
        icon = "openquote"
        label = _("Pull quote")
        template = "wagtail_sixdegrees/stories/blocks/pull_quote.html"


class StoryImageBlock(blocks.StructBlock):
    image = StoryImageChooserBlock(
        label=_("Image"),
        help_text=_("An illustration or a photo in which nobody can be recognised."),
    )
    alt_text = blocks.CharBlock(
        label=_("Alternative text"),
        max_length=250,
        help_text=_("Describe the image for people who cannot see it."),
    )
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=250)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "wagtail_sixdegrees/stories/blocks/image.html"


class NeedsCalloutBlock(blocks.StructBlock):
    heading = blocks.CharBlock(
        label=_("Heading"),
        required=False,
        max_length=120,
        help_text=_("For example “You can help”. Leave empty for the default."),
    )
    needs = blocks.ListBlock(NeedChooserBlock(label=_("Need")), label=_("Needs"), min_num=1)

    class Meta:
        icon = "pick"
        label = _("Needs callout")
        template = "wagtail_sixdegrees/stories/blocks/needs_callout.html"


#: The children of StoryBodyBlock; a site can extend the list with its own blocks.
STORY_BODY_BLOCKS: list[tuple[str, blocks.Block]] = [
    (
        "paragraph",
        blocks.RichTextBlock(
            features=STORY_RICH_TEXT_FEATURES,
            label=_("Paragraph"),
            template="wagtail_sixdegrees/stories/blocks/paragraph.html",
        ),
    ),
    ("pull_quote", PullQuoteBlock()),
    ("image", StoryImageBlock()),
    ("needs_callout", NeedsCalloutBlock()),
    ("donate", DonateBlock()),
]


class StoryBodyBlock(blocks.StreamBlock):
    """The body of a survivor's story."""

    def __init__(self, local_blocks=None, **kwargs):
        super().__init__(local_blocks or STORY_BODY_BLOCKS, **kwargs)

    class Meta:
        label = _("Story")
