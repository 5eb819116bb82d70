"""The donate block: a plain HTML form that any StreamField can hold.

Editors choose how donors say what their gift is for: fixed to needs the editor picks, the
donor's choice of one option, or a split across up to three choices with percentages.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.snippets.blocks import SnippetChooserBlock

from .. import conf, money
from .form_tokens import form_token

#: A donor may split a gift across at most this many choices; fixed mode holds as many needs.
MAX_TARGETS = 3

_AMOUNT_SEPARATORS = re.compile(r"[;\s]+|,\s+")


def currency_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in conf.currencies()]


def impact_overrides(text: str) -> list[str | None]:
    """Editors' lines for each suggested amount, in order: ``None`` keeps the computed line,
    ``""`` (a line holding only ``-``) shows none."""
    lines = [line.strip() for line in (text or "").splitlines()]
    return [None if not line else "" if line == "-" else line for line in lines]


def parse_amount_list(text: str, currency: str) -> list[int]:
    """``"10 25 50"`` or ``"10, 25, 50"`` in major units to minor units; AmountError if bad."""
    return [
        money.parse_charge_amount(part, currency)
        for part in _AMOUNT_SEPARATORS.split((text or "").strip())
        if part
    ]


class SuggestedAmountsBlock(blocks.StructBlock):
    """Amounts offered as one-click choices in one currency."""

    currency = blocks.ChoiceBlock(choices=currency_choices, label=_("Currency"))
    amounts = blocks.CharBlock(
        label=_("Amounts"),
        help_text=_("In the currency's usual units, separated by spaces: 300 500 1000."),
    )
    impact_lines = blocks.TextBlock(
        required=False,
        label=_("What each amount does"),
        help_text=_(
            "Optional, one line per amount in the same order, for example: a week of meals. An "
            "empty line keeps the line worked out from the need's unit; a single - shows none."
        ),
    )

    class Meta:
        icon = "pick"
        label = _("Suggested amounts")

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        try:
            parse_amount_list(value["amounts"], value["currency"])
        except money.AmountError as error:
            raise StructBlockValidationError(
                block_errors={"amounts": ValidationError(error.message)}
            ) from error
        return value


class CurrencyOptionsBlock(SuggestedAmountsBlock):
    """A site's defaults for one currency: suggested amounts and the fixed part of the fee."""

    fixed_fee = blocks.CharBlock(
        required=False,
        label=_("Fixed part of the payment fee"),
        help_text=_("Used to estimate the fee donors may cover, for example 0.30 for USD."),
    )

    class Meta:
        label = _("Currency")

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if value.get("fixed_fee"):
            try:
                money.parse_amount(value["fixed_fee"], value["currency"])
            except money.AmountError as error:
                raise StructBlockValidationError(
                    block_errors={"fixed_fee": ValidationError(error.message)}
                ) from error
        return value


class PreferenceMode:
    FIXED = "fixed"
    CHOOSE = "choose"
    SPLIT = "split"
    CHOICES = [
        (FIXED, _("Fixed: gifts go to the needs picked below")),
        (CHOOSE, _("Donor's choice: one need, cause, region or where most needed")),
        (SPLIT, _("Split: the donor shares the gift across up to three choices")),
    ]


class DonateBlock(blocks.StructBlock):
    """A donate form with preferences, for any page."""

    heading = blocks.CharBlock(required=False, label=_("Heading"), default=_("Make a gift"))
    intro = blocks.RichTextBlock(
        required=False, label=_("Introduction"), features=["bold", "italic", "link"]
    )
    mode = blocks.ChoiceBlock(
        choices=PreferenceMode.CHOICES,
        default=PreferenceMode.CHOOSE,
        label=_("What donors choose"),
    )
    needs = blocks.ListBlock(
        SnippetChooserBlock("wagtail_sixdegrees.Need"),
        default=[],
        required=False,
        label=_("Needs"),
        help_text=_(
            "Fixed mode: the needs gifts go to (up to three, shared equally). Other modes: the "
            "needs donors may choose from; leave empty to offer every open need."
        ),
    )
    offer_general = blocks.BooleanBlock(
        required=False, default=True, label=_('Offer "where most needed"')
    )
    offer_causes = blocks.BooleanBlock(required=False, default=True, label=_("Offer causes"))
    offer_regions = blocks.BooleanBlock(required=False, default=True, label=_("Offer regions"))
    offer_cause_regions = blocks.BooleanBlock(
        required=False, default=False, label=_("Offer causes within regions")
    )
    frequencies = blocks.MultipleChoiceBlock(
        choices=[("once", _("Once")), ("monthly", _("Monthly"))],
        default=["once", "monthly"],
        label=_("Frequencies offered"),
        widget=forms.CheckboxSelectMultiple,
    )
    currencies = blocks.MultipleChoiceBlock(
        choices=currency_choices,
        required=False,
        label=_("Currencies offered"),
        help_text=_("Leave empty to offer every currency the site accepts."),
        widget=forms.CheckboxSelectMultiple,
    )
    suggested_amounts = blocks.ListBlock(
        SuggestedAmountsBlock(),
        default=[],
        required=False,
        label=_("Suggested amounts"),
        help_text=_("Leave empty to use the amounts in the site's giving settings."),
    )
    allow_custom_amount = blocks.BooleanBlock(
        required=False, default=True, label=_("Let donors type their own amount")
    )
    overflow_text = blocks.TextBlock(
        required=False,
        label=_("If a chosen need is already funded"),
        help_text=_(
            "What donors agree to when they allow flexible use. Leave empty for the site's text."
        ),
    )
    show_cover_fees = blocks.BooleanBlock(
        required=False, default=True, label=_("Offer to cover the payment fee")
    )
    show_dedication = blocks.BooleanBlock(
        required=False, default=True, label=_("Offer a dedication (in honour or memory)")
    )
    submit_label = blocks.CharBlock(required=False, label=_("Button text"))

    class Meta:
        icon = "pick"
        label = _("Donate form")
        template = "wagtail_sixdegrees/giving/donate_block.html"
        form_classname = "struct-block sixdegrees-donate-block"

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        errors = {}
        needs = [need for need in value.get("needs") or [] if need is not None]
        if value.get("mode") == PreferenceMode.FIXED:
            if not needs:
                errors["needs"] = ValidationError(_("Pick at least one need for fixed mode."))
            elif len(needs) > MAX_TARGETS:
                errors["needs"] = ValidationError(
                    _("Fixed mode shares a gift across at most %(count)d needs.")
                    % {"count": MAX_TARGETS}
                )
            elif len({need.currency for need in needs}) > 1:
                # One gift is in one currency, and a need takes gifts only in its own.
                errors["needs"] = ValidationError(
                    _("Fixed mode needs must all take gifts in the same currency.")
                )
        elif not (
            needs
            or value.get("offer_general")
            or value.get("offer_causes")
            or value.get("offer_regions")
            or value.get("offer_cause_regions")
        ):
            errors["mode"] = ValidationError(_("Offer donors at least one kind of choice."))
        if not value.get("frequencies"):
            errors["frequencies"] = ValidationError(_("Offer at least one frequency."))
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value

    def form_key(self, value: Any) -> str:
        """A short stable digest of this block's settings, posted back with the form so that
        errors can be shown in the same block on the same page."""
        raw = json.dumps(self.get_prep_value(value), sort_keys=True, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def get_context(self, value: Any, parent_context: dict | None = None) -> dict:
        from .presentation import donate_form_context

        context = super().get_context(value, parent_context=parent_context)
        parent_context = parent_context or {}
        context.update(
            donate_form_context(
                value,
                request=parent_context.get("request"),
                page=parent_context.get("page"),
                form_key=self.form_key(value),
                with_csrf="csrf_token" in parent_context,
            )
        )
        if "csrf_token" not in parent_context:
            # Rendered without the request ({{ page.body }}, {{ block }}, render_as_block()):
            # no CSRF token can be made, so the form carries a signed token instead.
            context["form_token"] = form_token(context["form"]["submission"].value() or "")
        return context
