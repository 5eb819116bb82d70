"""Pages that compose blocks from several domains.

A donate page holds the donate block (giving) beside the public totals block (transparency), so
it lives above both rather than in giving: giving never imports the layers that read its money.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from .giving.blocks import DonateBlock
from .layout import InSiteLayout
from .transparency.blocks import TotalsBlock


class DonatePage(InSiteLayout, Page):
    """A page whose body can hold donate forms alongside text."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    body = StreamField(
        [
            ("heading", blocks.CharBlock(form_classname="title", label=_("Heading"))),
            (
                "paragraph",
                blocks.RichTextBlock(
                    features=["bold", "italic", "link", "ul", "ol"], label=_("Paragraph")
                ),
            ),
            ("donate", DonateBlock()),
            ("totals", TotalsBlock()),
        ],
        blank=True,
        verbose_name=_("body"),
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    template = "wagtail_sixdegrees/giving/donate_page.html"

    class Meta:
        verbose_name = _("donate page")
        verbose_name_plural = _("donate pages")
