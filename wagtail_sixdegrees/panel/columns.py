"""Table columns of the Giving panel's listings: money, progress bars, status tags."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.coreutils import multigetattr

from .. import money


def format_amount(amount: int | None, currency: str | None) -> str:
    """An amount for a person reading the admin in their language; empty when unknown."""
    if amount is None or not currency:
        return ""
    return money.format_money(amount, currency)


class PanelColumn(Column):
    """A column that brings the panel's small stylesheet to Wagtail's listing pages."""

    class Media:
        css = {"all": ["wagtail_sixdegrees/css/panel.css"]}


class MoneyColumn(PanelColumn):
    """Minor units and a currency read from the row, shown in the reader's language.

    ``accessor`` names the amount, ``currency`` the currency (both dotted paths). Sorting, when
    offered, sorts by the stored amount, so it means something only within one currency.
    """

    def __init__(self, name: str, *, currency: str = "currency", **kwargs: Any) -> None:
        kwargs.setdefault("classname", "sd-money")
        super().__init__(name, **kwargs)
        self.currency = currency

    def get_value(self, instance: Any) -> str:
        return format_amount(super().get_value(instance), multigetattr(instance, self.currency))


class ProgressColumn(PanelColumn):
    """A need's progress as a native ``<progress>`` bar with its percentage as text."""

    cell_template_name = "wagtail_sixdegrees/panel/cells/progress.html"

    def __init__(self, name: str = "progress", **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Progress"))
        kwargs.setdefault("accessor", "progress_percent")
        super().__init__(name, **kwargs)


class StatusColumn(Column):
    """A status shown as Wagtail's status tag; ``primary`` lists the values to highlight."""

    cell_template_name = "wagtailadmin/tables/status_tag_cell.html"

    def __init__(self, name: str, *, primary: tuple[str, ...] = (), **kwargs: Any) -> None:
        kwargs.setdefault("accessor", f"get_{name}_display")
        super().__init__(name, **kwargs)
        self.primary = primary

    def get_cell_context_data(self, instance: Any, parent_context: Any) -> dict[str, Any]:
        context = super().get_cell_context_data(instance, parent_context)
        context["primary"] = getattr(instance, self.name, None) in self.primary
        return context
