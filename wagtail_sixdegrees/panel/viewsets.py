"""The one "Giving" menu in the Wagtail admin, holding every screen of the package.

Each screen is a viewset: Wagtail's ``ModelViewSet`` for listings (filters, exports, inspect
views), a plain ``ViewSet`` for pages that are not about one model. Who sees a menu item and
who may open its URLs is decided by the panel's permission policies (``permissions.py``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import View
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from ..allocation.models import AllocationRun, Disbursement, LedgerEntry
from ..giving.models import Donation, NeedChoice, OfflineBatch
from ..needs.models import Need
from ..needs.viewsets import CauseViewSet, PartnerViewSet, RegionViewSet
from ..stories.viewsets import StoryConsentViewSet
from ..transparency.viewsets import DonorDataViewSet, EmbeddableNeedViewSet, NeedUpdateViewSet
from . import names, permissions
from .posters import is_giving_manager
from .views import (
    dashboard,
    disbursements,
    donations,
    ledger,
    need_choices,
    needs,
    offline,
    posters,
    reallocate,
    runs,
)


def _menu_item_class(name: str, shown: Any) -> type[MenuItem]:
    return type(f"{name}MenuItem", (MenuItem,), {"is_shown": lambda self, request: shown(request)})


class GivingModelViewSet(ModelViewSet):
    """A screen of the panel over one model: a listing, an inspect view, and any actions.

    Nothing here is edited or deleted (money rows are append-only), so only the index,
    inspect and the viewset's own ``extra_urls`` exist. Permissions come from ``policy``.
    """

    add_to_reference_index = False
    copy_view_enabled = False
    inspect_view_enabled = True
    list_per_page = 50
    #: Panel actions whose permissions are offered in Wagtail's group editor with this screen.
    registered_actions: tuple[str, ...] = ()
    #: (route, view class, URL name) of the screen's own actions; "add" makes the add button.
    extra_urls: tuple[tuple[str, type[View], str], ...] = ()

    @cached_property
    def policy(self) -> permissions.GivingPermissionPolicy:
        return permissions.policy_for(self.model)

    @property
    def permission_policy(self) -> permissions.GivingPermissionPolicy:
        # Wagtail 7.4's ModelViewSet makes a plain ModelPermissionPolicy here; 8 asks its registry.
        return self.policy

    def get_common_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        view_kwargs.update(
            permission_policy=self.policy,
            edit_url_name=None,
            delete_url_name=None,
            copy_url_name=None,
            history_url_name=None,
            usage_url_name=None,
            add_url_name=self.get_url_name("add") if self.has_add_view else None,
        )
        return view_kwargs

    @property
    def has_add_view(self) -> bool:
        return any(name == "add" for _route, _view, name in self.extra_urls)

    def get_urlpatterns(self) -> list[Any]:
        urlpatterns = [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]
        if self.inspect_view_enabled:
            urlpatterns.append(path("inspect/<int:pk>/", self.inspect_view, name="inspect"))
        for route, view_class, name in self.extra_urls:
            view = view_class.as_view(permission_policy=self.policy)
            if getattr(view_class, "calls_stripe", False):
                # Stripe is never called inside a transaction, even under ATOMIC_REQUESTS.
                view = transaction.non_atomic_requests(view)
            urlpatterns.append(path(route, view, name=name))
        return urlpatterns

    @cached_property
    def menu_item_class(self) -> type[MenuItem]:
        return _menu_item_class(
            type(self).__name__,
            lambda request: self.policy.user_has_permission(request.user, permissions.VIEW),
        )

    def register_admin_url_finder(self) -> None:
        """No edit views here, so nothing for Wagtail's admin URL finder."""

    def register_permissions(self) -> None:
        if self.registered_actions:
            hooks.register(
                "register_permissions",
                lambda: permissions.permission_objects(self.registered_actions),
            )


class GivingPageViewSet(ViewSet):
    """A screen of the panel that is a single page (dashboard, reallocation, audit)."""

    view_class: type[View]
    permission: str = permissions.VIEW

    def get_urlpatterns(self) -> list[Any]:
        return [path("", self.view_class.as_view(), name="index")]

    @cached_property
    def menu_item_class(self) -> type[MenuItem]:
        return _menu_item_class(
            type(self).__name__,
            lambda request: permissions.user_can(request.user, self.permission),
        )


class DashboardViewSet(GivingPageViewSet):
    name = names.DASHBOARD
    url_prefix = "giving/dashboard"
    menu_label = _("Dashboard")
    icon = "pick"
    menu_order = 10
    view_class = dashboard.DashboardView


class DonationViewSet(GivingModelViewSet):
    model = Donation
    name = names.DONATIONS
    url_prefix = "giving/donations"
    menu_label = _("Donations")
    icon = "form"
    menu_order = 20
    index_view_class = donations.DonationIndexView
    inspect_view_class = donations.DonationInspectView
    extra_urls = (
        ("refund/<int:pk>/", donations.RefundView, "refund"),
        ("resolve-mismatch/<int:pk>/", donations.ResolveMismatchView, "resolve_mismatch"),
        ("void/<int:pk>/", offline.VoidOfflineGiftView, "void"),
    )
    registered_actions = (
        permissions.VIEW,
        permissions.VIEW_PERSONAL_DATA,
        permissions.EXPORT,
        permissions.REFUND,
        permissions.RECORD_OFFLINE,
    )


class OfflineGiftViewSet(GivingModelViewSet):
    """Record offline gifts and import them from files; for people who may record them."""

    model = OfflineBatch
    name = names.OFFLINE
    url_prefix = "giving/offline"
    menu_label = _("Offline gifts")
    icon = "download"
    menu_order = 25
    index_view_class = offline.OfflineBatchIndexView
    inspect_view_enabled = False
    extra_urls = (
        ("record/", offline.RecordOfflineGiftView, "add"),
        ("import/", offline.ImportUploadView, "upload"),
        ("import/<int:pk>/", offline.ImportPreviewView, "preview"),
        ("template.csv", offline.TemplateDownloadView, "template"),
    )

    def get_urlpatterns(self) -> list[Any]:
        return [
            pattern
            for pattern in super().get_urlpatterns()
            if getattr(pattern, "name", None) != "inspect"
        ]

    @cached_property
    def menu_item_class(self) -> type[MenuItem]:
        return _menu_item_class(
            type(self).__name__,
            lambda request: permissions.user_can(request.user, permissions.RECORD_OFFLINE),
        )


class NeedProgressViewSet(GivingModelViewSet):
    model = Need
    name = names.NEEDS_PROGRESS
    url_prefix = "giving/needs"
    menu_label = _("Needs progress")
    icon = "table"
    menu_order = 105
    index_view_class = needs.NeedProgressIndexView
    inspect_view_enabled = False

    @cached_property
    def policy(self) -> permissions.GivingPermissionPolicy:
        # Not Wagtail's policy for needs (that one is for editing them, as snippets).
        return permissions.GivingPermissionPolicy(Need)


class NeedChoiceViewSet(GivingModelViewSet):
    """Donors' choices when a need closed; reached from a need's row in Needs progress."""

    model = NeedChoice
    name = names.NEED_CHOICES
    url_prefix = "giving/need-choices"
    menu_label = _("Need choices")
    icon = "tick"
    menu_order = 106
    index_view_class = need_choices.NeedChoiceIndexView
    inspect_view_enabled = False


class RunViewSet(GivingModelViewSet):
    model = AllocationRun
    name = names.RUNS
    url_prefix = "giving/runs"
    menu_label = _("Allocation runs")
    icon = "history"
    menu_order = 112
    index_view_class = runs.RunIndexView
    inspect_view_class = runs.RunInspectView
    extra_urls = (
        ("new/", runs.RunPreviewView, "add"),
        ("commit/<int:pk>/", runs.RunCommitView, "commit"),
    )
    registered_actions = (permissions.ALLOCATE,)


class ReallocateViewSet(GivingPageViewSet):
    name = names.REALLOCATE
    url_prefix = "giving/reallocate"
    menu_label = _("Reallocate")
    icon = "resubmit"
    menu_order = 114
    view_class = reallocate.ReallocateView
    permission = permissions.ALLOCATE


class DisbursementViewSet(GivingModelViewSet):
    model = Disbursement
    name = names.DISBURSEMENTS
    url_prefix = "giving/disbursements"
    menu_label = _("Disbursements")
    icon = "doc-full"
    menu_order = 116
    index_view_class = disbursements.DisbursementIndexView
    inspect_view_class = disbursements.DisbursementInspectView
    extra_urls = (
        ("new/", disbursements.DisbursementCreateView, "add"),
        ("reverse/<int:pk>/", disbursements.ReverseDisbursementView, "reverse"),
    )
    registered_actions = (permissions.DISBURSE,)


class LedgerViewSet(GivingModelViewSet):
    model = LedgerEntry
    name = names.LEDGER
    url_prefix = "giving/ledger"
    menu_label = _("Ledger")
    icon = "list-ul"
    menu_order = 118
    index_view_class = ledger.LedgerIndexView
    inspect_view_enabled = False


class AuditViewSet(GivingPageViewSet):
    name = names.AUDIT
    url_prefix = "giving/audit"
    menu_label = _("Audit")
    icon = "tasks"
    menu_order = 120
    view_class = dashboard.AuditView


class PosterViewSet(ViewSet):
    """Giving > QR posters: the builder (managers, or editors for their pages) and the print
    view. The menu item is for managers; editors arrive from a page's "QR poster" button."""

    name = posters.URL_NAMESPACE
    url_prefix = "giving/posters"
    menu_label = _("QR posters")
    icon = "image"
    menu_order = 119

    def get_urlpatterns(self) -> list[Any]:
        return [
            path("", posters.PosterBuilderView.as_view(), name="index"),
            path("print/", posters.print_poster, name="print"),
        ]

    @cached_property
    def menu_item_class(self) -> type[MenuItem]:
        return _menu_item_class(
            type(self).__name__, lambda request: is_giving_manager(request.user)
        )


class GivingViewSetGroup(SnippetViewSetGroup):
    menu_label = _("Giving")
    menu_icon = "pick"
    menu_name = "sixdegrees-giving"
    menu_order = 250
    items = (
        DashboardViewSet,
        DonationViewSet,
        OfflineGiftViewSet,
        EmbeddableNeedViewSet,
        NeedProgressViewSet,
        NeedChoiceViewSet,
        RunViewSet,
        ReallocateViewSet,
        DisbursementViewSet,
        LedgerViewSet,
        AuditViewSet,
        PosterViewSet,
        StoryConsentViewSet,
        CauseViewSet,
        RegionViewSet,
        PartnerViewSet,
        NeedUpdateViewSet,
        DonorDataViewSet,
    )
