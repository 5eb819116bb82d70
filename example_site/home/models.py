"""The example site's own page types: a home page that hosts the package's features."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from wagtail_sixdegrees.models import DonatePage, Need, StoryIndexPage


class HomePage(Page):
    intro = RichTextField(_("intro"), blank=True, features=["bold", "italic", "link"])
    body = StreamField(
        [
            ("heading", blocks.CharBlock(form_classname="title")),
            ("paragraph", blocks.RichTextBlock(features=["bold", "italic", "link", "ul", "ol"])),
        ],
        blank=True,
        use_json_field=True,
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    max_count_per_parent = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["open_needs"] = (
            Need.objects.open()
            .with_progress()
            .filter(locale=self.locale)
            .select_related("cause", "region", "partner")
            .in_fill_order()
        )
        context["donate_pages"] = DonatePage.objects.live().descendant_of(self)
        context["story_index"] = StoryIndexPage.objects.child_of(self).live().first()
        return context
