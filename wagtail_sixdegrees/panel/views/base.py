"""What every Giving panel view shares: permissions, personal data, exports, breadcrumbs."""

from __future__ import annotations

import decimal
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages
from wagtail.admin.ui.tables import TitleColumn
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.coreutils import multigetattr

from ... import money
from .. import names, permissions

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

EXPORT_CHUNK = 2_000


class PanelPermissionsMixin(PermissionCheckedMixin):
    """Checks the panel's permissions; ``permission_policy`` is given by the viewset."""

    permission_required: str | None = permissions.VIEW
    # Never left without a policy: Wagtail's mixin allows everything when there is none.
    permission_policy = permissions.panel_policy

    def user_can(self, action: str) -> bool:
        return permissions.user_can(self.request.user, action)

    @cached_property
    def can_see_personal_data(self) -> bool:
        return self.user_can(permissions.VIEW_PERSONAL_DATA)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_see_personal_data"] = self.can_see_personal_data
        context["can"] = {action: self.user_can(action) for action in permissions.PERMISSIONS}
        return context


def giving_breadcrumbs(*items: dict[str, Any]) -> list[dict[str, Any]]:
    """Home > Giving > ... as Wagtail's breadcrumbs."""
    return [
        *WagtailAdminTemplateMixin.breadcrumbs_items,
        {"url": names.url_lazy(names.DASHBOARD), "label": _("Giving")},
        *items,
    ]


# --- Exports ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportColumn:
    """One column of a CSV or XLSX download: a name, its heading and how to read it."""

    name: str
    heading: Any
    value: Callable[[Any], Any] | None = None
    #: Shown only to people who may see donors' personal data.
    personal: bool = False

    def read(self, item: Any) -> Any:
        if self.value is not None:
            return self.value(item)
        return multigetattr(item, self.name)


def amount_value(amount: str, currency: str = "currency") -> Callable[[Any], Any]:
    """An amount in major units, as a number a spreadsheet can add up (per currency column)."""

    def read(item: Any) -> decimal.Decimal | None:
        value, code = multigetattr(item, amount), multigetattr(item, currency)
        if value is None or not code:
            return None
        return decimal.Decimal(money.to_decimal_string(value, code))

    return read


#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str) -> str:
    """Text made inert for a CSV cell: a single quote before a formula's first character.

    Donor names and dedications come from the public form; ``=HYPERLINK(...)`` must reach a
    manager's spreadsheet as text, not as a link or a command.
    """
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Streamed:
    """A queryset read in chunks, so a download of a million rows never sits in memory."""

    def __init__(self, queryset: QuerySet) -> None:
        self.queryset, self.model = queryset, queryset.model

    def __iter__(self) -> Iterator[Any]:
        return self.queryset.iterator(chunk_size=EXPORT_CHUNK)


class GivingIndexView(PanelPermissionsMixin, IndexView):
    """A listing of the panel: viewing needs ``view``, downloading needs ``export`` too."""

    permission_required = None
    any_permission_required = ["view"]
    export_columns: list[ExportColumn] = []
    page_title: StrOrPromise = ""
    breadcrumbs_items = giving_breadcrumbs()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if self.is_export and not self.user_can(permissions.EXPORT):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def visible_export_columns(self) -> list[ExportColumn]:
        return [c for c in self.export_columns if not c.personal or self.can_see_personal_data]

    @cached_property
    def list_export(self) -> list[str]:
        return [column.name for column in self.visible_export_columns]

    @cached_property
    def export_headings(self) -> dict[str, Any]:
        return {column.name: column.heading for column in self.visible_export_columns}

    @cached_property
    def show_export_buttons(self) -> bool:
        return bool(self.export_columns) and self.user_can(permissions.EXPORT)

    def title_column(self, name: str, **kwargs: Any) -> Any:
        """The first column: a link, with the row's actions in Wagtail's "more" dropdown."""
        kwargs.setdefault("get_url", self.get_inspect_url)
        return self._get_title_column_class(TitleColumn)(name, **kwargs)

    def to_row_dict(self, item: Any) -> OrderedDict:
        return OrderedDict((c.name, c.read(item)) for c in self.visible_export_columns)

    def preprocess_field_value(self, field: str, value: Any, export_format: str) -> Any:
        """CSV text cells are made inert (``spreadsheet_text``); numbers stay numbers, so a
        negative amount is still ``-10.00`` that a spreadsheet adds up. XLSX needs nothing:
        Wagtail writes formula-looking text as a text cell, never a formula."""
        value = super().preprocess_field_value(field, value, export_format)
        if export_format == self.FORMAT_CSV and isinstance(value, str):
            return spreadsheet_text(value)
        return value

    def as_spreadsheet(self, queryset: Any, spreadsheet_format: str) -> Any:
        if isinstance(queryset, QuerySet):
            queryset = _Streamed(queryset)
        return super().as_spreadsheet(queryset, spreadsheet_format)


class GivingInspectView(PanelPermissionsMixin, InspectView):
    """An object's page in the panel. Its template says what is shown: Wagtail's generic list
    of every field is never built, so nothing (a donor, say) is read that is not shown."""

    permission_required = None
    any_permission_required = ["view"]
    breadcrumbs_items = giving_breadcrumbs()

    def get_fields_context(self) -> list[dict[str, Any]]:
        return []


class GivingTemplateView(PanelPermissionsMixin, WagtailAdminTemplateMixin, TemplateView):
    """A page of the panel that is not a listing (dashboard, audit)."""

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return giving_breadcrumbs({"url": "", "label": self.get_page_title()})


class GivingFormView(PanelPermissionsMixin, WagtailAdminTemplateMixin, FormView):
    """A form that moves money (or asks Stripe to). Errors are shown in Wagtail's style, with a
    message at the top; a refused action changes nothing."""

    template_name = "wagtail_sixdegrees/panel/form.html"
    submit_label: Any = _("Save")
    error_message: Any = _("Nothing was changed: correct the errors below.")
    #: Shown above the form: what will happen, in plain words.
    intro: Any = ""

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return giving_breadcrumbs(
            *self.parent_breadcrumbs(), {"url": "", "label": self.get_page_title()}
        )

    def parent_breadcrumbs(self) -> list[dict[str, Any]]:
        return []

    def form_invalid(self, form: Any) -> HttpResponse:
        messages.error(self.request, self.error_message)
        return super().form_invalid(form)

    def refuse(self, form: Any, message: str, field: str | None = None) -> HttpResponse:
        """Show the domain's refusal on the form; nothing was written."""
        form.add_error(field, message)
        return self.form_invalid(form)

    def succeed(self, message: str, url: str) -> HttpResponseRedirect:
        messages.success(self.request, message)
        return HttpResponseRedirect(url)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["submit_label"] = self.submit_label
        context["intro"] = self.intro
        context["action_url"] = self.request.get_full_path()
        return context
