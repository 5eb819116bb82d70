"""What the donate form template needs: the block's settings resolved against the site's, the
choices a donor may pick, and a bound form with the donor's values when errors are shown."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from wagtail.models import Locale, Site

from .. import conf, money
from .blocks import MAX_TARGETS, PreferenceMode, parse_amount_list
from .fees import FeeEstimate
from .forms import DonateForm
from .models import GivingSettings
from .targets import GENERAL, ChoiceGroup, Target, choice_groups, open_needs

#: Set on the request by the donate view when it re-renders a page with a form's errors.
BOUND_FORM_ATTRIBUTE = "sixdegrees_donate_form"
#: Set to True once that form was rendered (the re-render is kept only if it was).
BOUND_FORM_SHOWN_ATTRIBUTE = "sixdegrees_donate_form_shown"


@dataclass
class AmountChoice:
    value: str  # "USD:25", what the radio posts as ``suggested``
    currency: str
    label: str


@dataclass
class SplitRow:
    index: int
    target: str = ""
    share: str = ""


@dataclass
class DonateFormConfig:
    heading: str
    intro: Any
    mode: str
    form_key: str
    page_id: int | None
    currencies: list[str]
    currency: str
    frequencies: list[str]
    suggested: list[AmountChoice]
    allow_custom_amount: bool
    groups: list[ChoiceGroup] = field(default_factory=list)
    fixed: list[tuple[Target, int]] = field(default_factory=list)
    overflow_text: str = ""
    show_cover_fees: bool = True
    show_dedication: bool = True
    submit_label: str = ""
    fee_estimate: FeeEstimate = field(default_factory=FeeEstimate)
    fixed_notice: str = ""

    @property
    def fee_percent_display(self) -> str:
        whole, rest = divmod(self.fee_estimate.rate_bps, 100)
        return f"{whole}.{rest:02d}".rstrip("0").rstrip(".")

    def fixed_fee_display(self) -> list[str]:
        return [
            money.format_money(amount, code)
            for code, amount in sorted(self.fee_estimate.fixed.items())
            if code in self.currencies
        ]

    def script_data(self) -> dict[str, Any]:
        """What the small enhancement script needs (fee estimate per currency)."""
        return {
            "rateBps": self.fee_estimate.rate_bps,
            "fixed": {code: self.fee_estimate.fixed.get(code, 0) for code in self.currencies},
            "exponent": {code: money.get_currency(code).exponent for code in self.currencies},
            "step": {code: money.get_currency(code).step for code in self.currencies},
            "locale": translation.get_language() or "en",
        }


def site_settings_for(request: HttpRequest | None) -> GivingSettings:
    site = Site.find_for_request(request) if request is not None else None
    site = site or Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    if site is None:  # no Wagtail site configured yet: the defaults, unsaved
        return GivingSettings()
    return GivingSettings.for_site(site)


def _equal_shares(count: int) -> list[int]:
    return money.split(100, [1] * count)


def preferred_currency(currencies: list[str], site_default: str | None) -> str:
    """The currency to preselect: the reader's language's own (``CURRENCY_BY_LANGUAGE``) when
    the form offers it, else the site's default, else the first offered."""
    language = (translation.get_language() or "").lower()
    by_language = conf.get_setting("CURRENCY_BY_LANGUAGE")
    preferred = by_language.get(language) or by_language.get(language.split("-")[0])
    if preferred in currencies:
        return preferred
    return site_default if site_default in currencies else currencies[0]


def build_config(
    value: Any, *, request: HttpRequest | None, page: Any, form_key: str
) -> DonateFormConfig:
    """Resolve a DonateBlock value (or ``None`` for the plain form) into what the form shows."""
    value = value or {}
    site_settings = site_settings_for(request)
    allowed = conf.currencies()
    currencies = [code for code in (value.get("currencies") or []) if code in allowed] or allowed
    currency = preferred_currency(currencies, site_settings.currency)

    suggested_by_currency = dict(site_settings.suggested_amounts())
    for block in value.get("suggested_amounts") or []:
        if not block.get("amounts") or not block.get("currency"):
            continue
        try:
            suggested_by_currency[block["currency"]] = parse_amount_list(
                block["amounts"], block["currency"]
            )
        except money.AmountError:
            continue
    suggested = [
        AmountChoice(
            value=f"{code}:{money.to_decimal_string(amount, code)}",
            currency=code,
            label=money.format_money(amount, code),
        )
        for code in currencies
        for amount in suggested_by_currency.get(code, [])
    ]

    try:
        locale = Locale.get_active()
    except Locale.DoesNotExist:
        locale = None
    mode = value.get("mode") or PreferenceMode.CHOOSE
    picked_needs = [need for need in value.get("needs") or [] if need is not None]
    config = DonateFormConfig(
        heading=value.get("heading") or str(_("Make a gift")),
        intro=value.get("intro"),
        mode=mode,
        form_key=form_key,
        page_id=getattr(page, "pk", None),
        currencies=currencies,
        currency=currency,
        frequencies=list(value.get("frequencies") or ["once", "monthly"]),
        suggested=suggested,
        allow_custom_amount=value.get("allow_custom_amount", True) or not suggested,
        overflow_text=value.get("overflow_text") or site_settings.overflow,
        show_cover_fees=value.get("show_cover_fees", True),
        show_dedication=value.get("show_dedication", True),
        submit_label=value.get("submit_label") or "",
        fee_estimate=site_settings.fee_estimate(),
    )
    if mode == PreferenceMode.FIXED:
        needs = open_needs(picked_needs, locale)[:MAX_TARGETS]
        # Fixed needs take gifts only in their own currency: offer only that one.
        own = [code for code in currencies if code in {need.currency for need in needs}]
        if own:
            config.currencies = own
            config.currency = own[0] if config.currency not in own else config.currency
            config.suggested = [choice for choice in config.suggested if choice.currency in own]
            config.allow_custom_amount = config.allow_custom_amount or not config.suggested
        if needs:
            config.fixed = list(
                zip(
                    [Target("need", need=need) for need in needs],
                    _equal_shares(len(needs)),
                    strict=True,
                )
            )
        else:
            config.fixed = [(GENERAL, 100)]
            config.fixed_notice = str(
                _(
                    "The needs on this page are fully funded or closed; your gift will go where it is most needed."
                )
            )
    else:
        config.groups = choice_groups(
            needs=open_needs(picked_needs, locale),
            causes=value.get("offer_causes", True),
            regions=value.get("offer_regions", True),
            cause_regions=value.get("offer_cause_regions", False),
            general=value.get("offer_general", True),
            locale=locale,
        )
        if not config.groups:
            config.groups = [ChoiceGroup(str(_("Where most needed")), [GENERAL])]
    return config


def bound_form_for(request: HttpRequest | None, form_key: str) -> DonateForm | None:
    injected = getattr(request, BOUND_FORM_ATTRIBUTE, None) if request is not None else None
    if injected and injected[0] == form_key:
        setattr(request, BOUND_FORM_SHOWN_ATTRIBUTE, True)
        return injected[1]
    return None


def donate_form_context(
    value: Any,
    *,
    request: HttpRequest | None,
    page: Any = None,
    form_key: str = "",
    form: DonateForm | None = None,
) -> dict[str, Any]:
    config = build_config(value, request=request, page=page, form_key=form_key)
    form = form or bound_form_for(request, form_key)
    if form is None:
        form = DonateForm(
            initial={
                "currency": config.currency,
                "frequency": config.frequencies[0],
                "submission": secrets.token_urlsafe(24),
                "locale": translation.get_language() or "",
            }
        )
    rows = [SplitRow(index) for index in range(MAX_TARGETS)]
    if form.is_bound:
        for index, (target, share) in enumerate(
            zip_longest(form.posted_targets, form.posted_shares, fillvalue="")
        ):
            if index < MAX_TARGETS:
                rows[index] = SplitRow(index, target, share)
        chosen = form.posted_targets[0] if form.posted_targets else ""
    else:
        chosen = ""
    return {
        "config": config,
        "form": form,
        "split_rows": rows,
        "chosen_target": chosen,
        "chosen_currency": form.data.get("currency", config.currency).upper()
        if form.is_bound
        else config.currency,
        "chosen_suggested": form.data.get("suggested", "") if form.is_bound else "",
        "chosen_frequency": form.data.get("frequency", config.frequencies[0])
        if form.is_bound
        else config.frequencies[0],
    }
