"""Models that only the test suite needs: a plain page to compare and host blocks on."""

from wagtail.fields import RichTextField
from wagtail.models import Page


class PlainPage(Page):
    """A page with nothing of ours on it, the baseline for comparisons."""

    body = RichTextField(blank=True)
