"""Editor panels: on needs, the iframe snippet that embeds the donate widget for this need; on
need updates, the re-identification check's findings."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.panels import Panel

from ..stories.panels import IdentifyingDetailsPanel
from .embed import allowed_origins


class EmbedSnippetPanel(Panel):
    """Shows the HTML to paste into another site, and which sites may show it."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("heading", "")
        super().__init__(**kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtail_sixdegrees/transparency/admin/embed_snippet_panel.html"

        def is_shown(self) -> bool:
            return bool(self.instance and self.instance.pk)

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            path = f"{reverse('wagtail_sixdegrees:embed_donate')}?target=need:{self.instance.pk}"
            embed_url = self.request.build_absolute_uri(path)
            context.update(
                {
                    "embed_url": embed_url,
                    # Code to copy, not text to read: built here, escaped again in the textarea.
                    "snippet": str(
                        format_html(
                            '<iframe src="{}" title="{}" width="100%" height="760" '
                            'style="border: 0; max-width: 40rem;" loading="lazy"></iframe>',
                            embed_url,
                            _("Make a gift"),
                        )
                    ),
                    "origins": allowed_origins(),
                    "need": self.instance,
                }
            )
            return context


class NeedUpdateFindingsPanel(IdentifyingDetailsPanel):
    """The findings on the need update being edited, in its language, with the link where a
    safety reviewer acknowledges them."""

    unresolved_message = gettext_lazy(
        "These details could identify a survivor of a story that supports this need. Fix each "
        "one, or ask a safety reviewer to acknowledge it with a reason; the update cannot be "
        "published before."
    )

    def findings_url(self, instance) -> str:
        return reverse(type(instance).snippet_viewset.get_url_name("findings"), args=[instance.pk])
