"""The public totals block, for any StreamField (the donate page's body offers it)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail import blocks

from ..giving.blocks import currency_choices


class TotalsBlock(blocks.StructBlock):
    """Raised, allocated and disbursed, per currency, optionally by cause and by region."""

    heading = blocks.CharBlock(required=False, label=_("Heading"), default=_("Where gifts go"))
    currency = blocks.ChoiceBlock(
        choices=currency_choices,
        required=False,
        label=_("Currency"),
        help_text=_("Leave empty to show every currency, each on its own."),
    )
    show_by_cause = blocks.BooleanBlock(required=False, default=True, label=_("Show by cause"))
    show_by_region = blocks.BooleanBlock(required=False, default=False, label=_("Show by region"))

    class Meta:
        icon = "table"
        label = _("Giving totals")
        template = "wagtail_sixdegrees/transparency/blocks/totals.html"

    def get_context(self, value: Any, parent_context: dict | None = None) -> dict:
        from .totals import public_totals

        context = super().get_context(value, parent_context=parent_context)
        raw = json.dumps(self.get_prep_value(value), sort_keys=True, default=str)
        context["block_prefix"] = hashlib.sha256(raw.encode()).hexdigest()[:8]
        context["totals"] = public_totals(value.get("currency") or None)
        return context
