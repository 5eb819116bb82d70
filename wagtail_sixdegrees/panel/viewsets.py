"""The one "Giving" menu in the Wagtail admin, holding every screen of the package."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from ..needs.viewsets import CauseViewSet, NeedViewSet, PartnerViewSet, RegionViewSet
from ..stories.viewsets import StoryConsentViewSet
from ..transparency.viewsets import DonorDataViewSet, NeedUpdateViewSet


class GivingViewSetGroup(SnippetViewSetGroup):
    menu_label = _("Giving")
    menu_icon = "pick"
    menu_name = "sixdegrees-giving"
    menu_order = 250
    items = (
        NeedViewSet,
        StoryConsentViewSet,
        CauseViewSet,
        RegionViewSet,
        PartnerViewSet,
        NeedUpdateViewSet,
        DonorDataViewSet,
    )
