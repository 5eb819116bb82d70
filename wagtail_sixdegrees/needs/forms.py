"""Admin forms for needs: amounts typed in major units, stored in minor units."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from .. import conf, money
from .models import RESTRICTION_FIXED


class NeedForm(WagtailAdminModelForm):
    """Editors type ``2500`` or ``2,500.50``; the model stores minor units for its currency."""

    target_amount = forms.CharField(
        label=_("Target amount"),
        max_length=32,
        help_text=_("In the currency's usual units, for example 2500 or 2500.50."),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=())
    unit_cost = forms.CharField(
        label=_("Cost of one unit"),
        max_length=32,
        required=False,
        help_text=_("In the need's currency, for example 5 or 5.50. Leave empty for no unit."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = conf.currencies()
        current = self.instance.currency if self.instance and self.instance.currency else None
        if current and current not in allowed:
            # Keep a need's currency selectable after a site stops offering it for new gifts.
            allowed = [*allowed, current]
        self.fields["currency"].choices = [(code, code) for code in allowed]
        fixed = self.instance.fixed_currency() if self.instance.pk else None
        if fixed:
            # Money already names this need: its balance is in this currency for good.
            self.fields["currency"].disabled = True
            self.fields["currency"].help_text = _(
                "This need already holds money in %(currency)s, so its currency cannot change. Create a new need for another currency."
            ) % {"currency": fixed}
        if self.instance.pk:
            # Money already names this need: restricted gifts may not leave their restriction.
            for name in self.instance.fixed_restriction():
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = RESTRICTION_FIXED[name]
        if not self.is_bound:
            if current:
                self.initial["currency"] = current
            else:
                self.initial.setdefault("currency", conf.default_currency())
            if self.instance.target_amount is not None and current:
                self.initial["target_amount"] = money.to_decimal_string(
                    self.instance.target_amount, current
                )
            if self.instance.unit_cost and current:
                self.initial["unit_cost"] = money.to_decimal_string(
                    self.instance.unit_cost, current
                )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        raw = cleaned.pop("target_amount", None)
        currency = cleaned.get("currency")
        if raw is not None and currency:
            try:
                cleaned["target_amount"] = money.parse_amount(raw, currency)
            except money.AmountError as error:
                self.add_error("target_amount", error.message)
        unit_cost = (cleaned.pop("unit_cost", None) or "").strip()
        cleaned["unit_cost"] = None
        if unit_cost and currency:
            try:
                cleaned["unit_cost"] = money.parse_amount(unit_cost, currency)
            except money.AmountError as error:
                self.add_error("unit_cost", error.message)
        return cleaned
