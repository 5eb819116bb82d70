"""What the donate form template needs: the block's settings resolved against the site's, the
choices a donor may pick, and a bound form with the donor's values when errors are shown."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from babel import UnknownLocaleError
from babel.lists import format_list
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from wagtail.models import Locale, Site

from .. import conf, display, money
from ..needs.models import Need, attach_progress
from . import payment_methods
from .blocks import MAX_TARGETS, PreferenceMode, impact_overrides, parse_amount_list
from .deep_links import Preselection, read_preselection
from .fees import FeeEstimate
from .forms import DonateForm
from .impact import impact_line
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
    amount: int = 0  # minor units
    impact: str = ""  # what it buys, in words ("pays for 5 shelter nights"), or ""


#: How donors know the local methods; "card" is translated.
METHOD_NAMES = {
    "card": _("card"),
    "promptpay": "PromptPay",
    "paynow": "PayNow",
    "grabpay": "GrabPay",
    "fpx": "FPX",
    "qris": "QRIS",
    "wechat_pay": "WeChat Pay",
    "alipay": "Alipay",
}


@dataclass
class PaymentMethodsLine:
    """What the donor may pay with in one currency, said near the button."""

    currency: str
    names: list[str]  # empty: Stripe decides (card or a local method where available)
    monthly_card_only: bool = False

    @property
    def listed(self) -> str:
        """The names as the reader's language lists alternatives: "card or PromptPay"."""
        locale = (translation.get_language() or "en").replace("-", "_")
        try:
            return format_list(self.names, style="or", locale=locale)
        except (ValueError, UnknownLocaleError):
            return format_list(self.names, style="or", locale="en")


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
    #: The choice already made when the form opens: the page's need, else where most needed.
    default_target: Target = GENERAL
    #: That choice's need, with its progress loaded, when it is one.
    default_need: Need | None = None
    methods: list[PaymentMethodsLine] = field(default_factory=list)

    def presets(self, currency: str) -> list[AmountChoice]:
        return [choice for choice in self.suggested if choice.currency == currency]

    @property
    def options(self) -> list[Target]:
        """Every target the donor may pick in this form (choose and split modes)."""
        return [option for group in self.groups for option in group.options]

    @property
    def reach_percent_display(self) -> str:
        """Roughly what share of a gift reaches the cause after the percentage fee."""
        whole, rest = divmod(money.BASIS_POINTS - self.fee_estimate.rate_bps, 100)
        return f"{whole}.{rest:02d}".rstrip("0").rstrip(".")

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
    overrides = site_settings.impact_overrides()
    for block in value.get("suggested_amounts") or []:
        if not block.get("amounts") or not block.get("currency"):
            continue
        try:
            suggested_by_currency[block["currency"]] = parse_amount_list(
                block["amounts"], block["currency"]
            )
        except money.AmountError:
            continue
        overrides[block["currency"]] = impact_overrides(block.get("impact_lines") or "")
    suggested = [
        AmountChoice(
            value=f"{code}:{money.to_decimal_string(amount, code)}",
            currency=code,
            label=money.format_money(amount, code, short=True),
            amount=amount,
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
        config.default_target = _default_target(config.options, picked_needs, page)
    config.default_need = _with_progress(
        config.fixed[0][0].need if len(config.fixed) == 1 else config.default_target.need
    )
    if config.default_need is not None and config.default_need.currency in config.currencies:
        # A need takes gifts only in its own currency: open the form on it.
        config.currency = config.default_need.currency
    _describe_impact(config, overrides)
    config.methods = [
        PaymentMethodsLine(
            currency=code,
            names=[
                str(METHOD_NAMES.get(method, method))
                for method in payment_methods.configured(code) or []
            ],
            monthly_card_only=payment_methods.recurring_limited_to_card(code),
        )
        for code in config.currencies
    ]
    return config


def _page_needs(page: Any) -> list[Need]:
    """The needs a page itself names (a survivor story's supported needs), in its order."""
    links = getattr(page, "story_needs", None)
    if links is None or not getattr(page, "pk", None):
        return []
    return [link.need for link in links.all().select_related("need")]


def _default_target(options: list[Target], picked: list[Need], page: Any) -> Target:
    """The page's need when the form offers it (the block's picks first, then the needs the
    page names), else where most needed, else the first option."""
    by_value = {option.value: option for option in options}
    for need in [*picked, *_page_needs(page)]:
        if need is not None and f"need:{need.pk}" in by_value:
            return by_value[f"need:{need.pk}"]
    return by_value.get(GENERAL.value) or (options[0] if options else GENERAL)


def _with_progress(need: Need | None) -> Need | None:
    if need is not None and getattr(need, "allocated", None) is None:
        attach_progress([need])
    return need


def _describe_impact(config: DonateFormConfig, overrides: dict[str, list[str | None]]) -> None:
    """Set each preset's line: the editor's own, else worked out from the need's unit."""
    position: dict[str, int] = {}
    for choice in config.suggested:
        index = position.get(choice.currency, 0)
        position[choice.currency] = index + 1
        lines = overrides.get(choice.currency) or []
        override = lines[index] if index < len(lines) else None
        if override is not None:
            choice.impact = override
        else:
            choice.impact = impact_line(choice.amount, choice.currency, config.default_need)


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
    with_csrf: bool = True,
) -> dict[str, Any]:
    """What the donate form template needs. ``with_csrf=False``: the form will carry a signed
    form token instead of the CSRF token (rendered without a request)."""
    config = build_config(value, request=request, page=page, form_key=form_key)
    form = form or bound_form_for(request, form_key)
    csrf_marker = display.visitor_csrf_marker() if request is not None and with_csrf else ""
    if form is not None or not csrf_marker:
        # A form shown again with the donor's input, or one without a CSRF token (a signed
        # form token): made for one visitor, never cached.
        display.mark_personal()
    preselected = Preselection()
    if form is None:
        if request is not None and request.method == "GET":
            preselected = read_preselection(request.GET, config)
        form = DonateForm(
            initial={
                "currency": preselected.currency or config.currency,
                "frequency": preselected.frequency or config.frequencies[0],
                "amount": preselected.amount,
                # A new nonce per visitor, even from the page cache (display.py).
                "submission": display.visitor_nonce() if csrf_marker else secrets.token_urlsafe(24),
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
        currency = str(form.data.get("currency", config.currency)).upper()
        suggested = form.data.get("suggested", "")
        frequency = form.data.get("frequency", config.frequencies[0])
    else:
        chosen = preselected.target or _default_for_currency(config, preselected.currency)
        rows[0] = SplitRow(0, chosen)
        currency = preselected.currency or config.currency
        suggested = preselected.suggested
        frequency = preselected.frequency or config.frequencies[0]
    return {
        "config": config,
        "form": form,
        "visitor_csrf": csrf_marker,
        "split_rows": rows,
        "chosen_target": chosen,
        "chosen_currency": currency,
        "chosen_suggested": suggested,
        "chosen_frequency": frequency,
        "chosen_option": next((o for o in config.options if o.value == chosen), None),
        "presets": config.presets(currency),
        "other_presets": [code for code in config.currencies if code != currency],
        "disclosures": _open_disclosures(form, rows),
    }


def _default_for_currency(config: DonateFormConfig, currency: str) -> str:
    """The default target, unless a link chose a currency its need does not take: then where
    most needed (or nothing), so the form never opens on a choice it would refuse."""
    need = config.default_target.need
    if not currency or need is None or need.currency == currency:
        return config.default_target.value
    offered = {option.value for option in config.options}
    return GENERAL.value if GENERAL.value in offered else ""


def _open_disclosures(form: DonateForm, rows: list[SplitRow]) -> dict[str, bool]:
    """Which disclosures open as the form is shown again: those holding an error or a value
    the donor gave, so nothing they chose or must fix is hidden."""
    if not form.is_bound:
        return {}
    data = form.data

    def given(*names: str) -> bool:
        return any(str(data.get(name, "") or "").strip() for name in names) or any(
            name in form.errors for name in names
        )

    return {
        "where": bool(form.non_field_errors())
        or any(row.target or row.share for row in rows[1:])
        or given("allow_flexible_use"),
        "more": given("name", "anonymous", "wants_updates", "dedication", "cover_fees"),
    }
