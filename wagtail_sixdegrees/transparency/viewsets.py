"""Admin screens for transparency, joined to the Giving menu: need updates and donor data."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import QuerySet
from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import ObjectList
from wagtail.admin.ui.tables import Column, LiveStatusTagColumn, UpdatedAtColumn
from wagtail.admin.viewsets.base import ViewSet
from wagtail.snippets.views.snippets import SnippetViewSet

from ..needs.viewsets import NeedViewSet, need_edit_handler
from .admin_views import DonorDataView, NeedUpdateFindingsView, can_erase, can_export
from .forms import NeedUpdateForm
from .models import NeedUpdate
from .panels import EmbedSnippetPanel, NeedUpdateFindingsPanel


class EmbeddableNeedViewSet(NeedViewSet):
    """The needs' admin screens with the snippet that embeds a need's donate widget."""

    edit_handler = need_edit_handler(EmbedSnippetPanel())


class NeedUpdateViewSet(SnippetViewSet):
    """Progress notes on needs. Publishing one emails the donors who asked for news."""

    model = NeedUpdate
    icon = "doc-full"
    menu_label = _("Need updates")
    menu_order = 110
    list_display = [
        "title",
        Column("need", label=_("Need")),
        LiveStatusTagColumn(),
        UpdatedAtColumn(),
    ]
    list_filter = ["need", "live"]
    search_fields = ["title", "text"]
    search_backend_name = None
    # The re-identification check: findings on top, and next to their fields on publishing.
    edit_handler = ObjectList(
        [NeedUpdateFindingsPanel(), *NeedUpdate.panels], base_form_class=NeedUpdateForm
    )

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("findings/<str:pk>/", NeedUpdateFindingsView.as_view(), name="findings"),
        ]


class DonorDataMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return can_export(request.user) or can_erase(request.user)


class DonorDataViewSet(ViewSet):
    """Export or erase everything held about one donor (their data rights)."""

    name = "wagtail_sixdegrees_donor_data"
    url_prefix = "sixdegrees/donor-data"
    icon = "user"
    menu_label = _("Donor data")
    menu_order = 900

    @cached_property
    def menu_item_class(self) -> type[MenuItem]:
        return DonorDataMenuItem

    def get_urlpatterns(self) -> list[Any]:
        # Erasure cancels monthly gifts at Stripe: never inside a request's transaction.
        return [path("", transaction.non_atomic_requests(DonorDataView.as_view()), name="index")]

    def on_register(self) -> None:
        super().on_register()
        # Offered in Settings > Groups, so administrators can grant them.
        hooks.register("register_permissions", data_rights_permissions)


def data_rights_permissions() -> QuerySet[Permission]:
    return Permission.objects.filter(
        content_type__app_label="wagtail_sixdegrees",
        content_type__model="donorerasure",
        codename__in=["export_donor_data", "erase_donor"],
    )
