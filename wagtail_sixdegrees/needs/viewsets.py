"""Admin screens for causes, regions, partners and needs (grouped under the Giving menu)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    MultiFieldPanel,
    ObjectList,
    Panel,
    PublishingPanel,
)
from wagtail.admin.ui.tables import Column, UpdatedAtColumn
from wagtail.snippets.views.snippets import SnippetViewSet

from .forms import NeedForm
from .models import Cause, Need, Partner, Region


class CauseViewSet(SnippetViewSet):
    model = Cause
    icon = "tag"
    menu_label = _("Causes")
    menu_order = 300
    list_display = ["name", "slug"]
    search_fields = ["name", "description"]
    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description")]


class RegionViewSet(SnippetViewSet):
    model = Region
    icon = "globe"
    menu_label = _("Regions")
    menu_order = 310
    list_display = ["name", "kind", "country_code"]
    list_filter = ["kind"]
    search_fields = ["name"]
    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("country_code")]),
    ]


class PartnerViewSet(SnippetViewSet):
    model = Partner
    icon = "group"
    menu_label = _("Partners")
    menu_order = 320
    list_display = ["name", "country_code", "website"]
    search_fields = ["name", "description"]
    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("country_code"), FieldPanel("website")]),
        FieldPanel("description"),
    ]


def need_edit_handler(*more: Panel) -> ObjectList:
    """The need's edit form; layers above add their own panels at the end (the donate
    widget's embed snippet lives with the widget, in transparency)."""
    return ObjectList(
        [
            FieldPanel("title"),
            FieldPanel("summary"),
            MultiFieldPanel(
                [FieldPanel("cause"), FieldPanel("region"), FieldPanel("partner")],
                heading=_("What, where and who"),
            ),
            MultiFieldPanel(
                [FieldRowPanel([FieldPanel("target_amount"), FieldPanel("currency")])],
                heading=_("Target"),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("unit_name"), FieldPanel("unit_name_plural")]),
                    FieldPanel("unit_cost"),
                ],
                heading=_("Impact in words (optional)"),
            ),
            FieldPanel("priority"),
            FieldRowPanel([FieldPanel("opens_on"), FieldPanel("closes_on")]),
            PublishingPanel(),
            *more,
        ],
        base_form_class=NeedForm,
    )


class NeedViewSet(SnippetViewSet):
    model = Need
    icon = "pick"
    menu_label = _("Needs")
    menu_order = 100
    list_display = [
        "title",
        "cause",
        "region",
        Column("target_display", label=_("Target"), sort_key="target_amount"),
        "priority",
        "closes_on",
        UpdatedAtColumn(),
    ]
    list_filter = ["cause", "region", "partner", "priority", "currency", "live"]
    search_fields = ["title", "summary"]
    edit_handler = need_edit_handler()
