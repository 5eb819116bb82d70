"""The donate form contract (docs/integrators/donate-form-contract.md), validated without touching the database beyond
reading what a donor may choose, and without calling Stripe.

Fields: ``amount`` (major units, e.g. ``25.50``; ``5000`` for VND), ``currency``, ``frequency``
(``once`` | ``monthly``), ``email``, ``name``, ``anonymous``, ``cover_fees``, ``dedication``,
and repeated ``target`` fields with matching repeated ``share`` fields (integer percents; may be
omitted for a single target). Extras our own block sends: ``suggested`` (``USD:25``, a one-click
amount), ``dedication_kind``, ``allow_flexible_use``, ``wants_updates``, ``locale`` (how to read
the amount), ``submission`` (a one-time nonce), ``page`` and ``form`` (where to show errors) and
``website`` (a honeypot that people never see).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from .. import conf, money
from .blocks import MAX_TARGETS
from .fees import FeeEstimate
from .models import DedicationKind, Frequency
from .models.donations import DEDICATION_MAX_LENGTH
from .targets import GENERAL, Target, TargetError, resolve

_PERCENT = re.compile(r"^[0-9]{1,3}$")
#: More repeated ``target`` or ``share`` values than this is not a person using a form.
MAX_REPEATED_FIELDS = 20


@dataclass
class GiftRequest:
    """A valid donation request: everything needed to create the donation and its checkout."""

    amount: int
    covered_fee_amount: int
    currency: str
    frequency: str
    email: str
    name: str
    anonymous: bool
    cover_fees: bool
    dedication_kind: str
    dedication: str
    allow_flexible_use: bool
    wants_updates: bool
    locale: str
    targets: list[tuple[Target, int]] = field(default_factory=list)
    page: Page | None = None
    submission_key: str = ""

    def fingerprint(self) -> str:
        """A digest of what was asked for: equal for an identical resubmission, and only then."""
        content = {
            "amount": self.amount,
            "covered": self.covered_fee_amount,
            "currency": self.currency,
            "frequency": self.frequency,
            "email": self.email.lower(),
            "name": self.name,
            "flags": [self.anonymous, self.cover_fees, self.allow_flexible_use, self.wants_updates],
            "dedication": [self.dedication_kind, self.dedication],
            "targets": [[target.value, share] for target, share in self.targets],
            "page": self.page.pk if self.page else None,
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


class PreferenceError(ValueError):
    """Targets and shares that do not make a valid choice, with a message people can read."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = str(message)


def clean_preferences(targets: list[str], shares: list[str]) -> list[tuple[Target, int]]:
    """The form contract's repeated ``target`` and ``share`` values as (target, basis points),
    in the donor's order; no target at all means "where most needed". Raises
    :class:`PreferenceError`. The donate form and offline gifts (typed or imported) share it."""
    if len(targets) > MAX_REPEATED_FIELDS or len(shares) > MAX_REPEATED_FIELDS:
        raise PreferenceError(_("This form sent too many choices."))
    rows = [(t, s) for t, s in zip_longest(targets, shares, fillvalue="") if t or s]
    if not rows:
        return [(GENERAL, money.BASIS_POINTS)]
    if len(rows) > MAX_TARGETS:
        raise PreferenceError(
            _("Choose at most %(count)d places for your gift.") % {"count": MAX_TARGETS}
        )
    resolved: list[Target] = []
    for target_text, _share in rows:
        if not target_text:
            raise PreferenceError(_("Choose where each share of your gift should go."))
        try:
            resolved.append(resolve(target_text))
        except TargetError as error:
            raise PreferenceError(str(error)) from None
    if len({target.value for target in resolved}) != len(resolved):
        raise PreferenceError(_("Choose each place only once."))
    if len(rows) == 1:
        if rows[0][1] not in ("", "100"):
            # xgettext:no-python-format
            raise PreferenceError(_("A single choice receives 100% of your gift."))
        return [(resolved[0], money.BASIS_POINTS)]
    percents = []
    for _target, share in rows:
        if not _PERCENT.match(share) or not 1 <= int(share) <= 100:
            raise PreferenceError(_("Give each choice a whole percentage between 1 and 100."))
        percents.append(int(share))
    if sum(percents) != 100:
        raise PreferenceError(
            _("The shares add up to %(total)d%%; they must add up to 100%%.")
            % {"total": sum(percents)}
        )
    # Integer percents convert exactly: 1% is 100 basis points.
    return [(target, percent * 100) for target, percent in zip(resolved, percents, strict=True)]


def need_currency_errors(preferences: list[tuple[Target, int]], currency: str) -> list[str]:
    """A need receives money only in its own currency (docs/concepts.md#rule-9): a gift in another
    currency would wait in a pool, not reach the need the donor chose. Say so instead."""
    errors = []
    for target, _share in preferences:
        need = target.need
        if need is not None and need.currency != currency:
            errors.append(
                str(
                    _(
                        "%(need)s takes gifts in %(need_currency)s. Choose %(need_currency)s as your currency to give to it, or choose another place for your gift."
                    )
                    % {"need": need.title, "need_currency": need.currency}
                )
            )
    return errors


def language_codes() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


class DonateForm(forms.Form):
    amount = forms.CharField(label=_("Other amount"), required=False, max_length=40)
    suggested = forms.CharField(required=False, max_length=40)
    currency = forms.CharField(label=_("Currency"), required=False, max_length=8)
    frequency = forms.ChoiceField(label=_("How often"), required=False, choices=Frequency.choices)
    email = forms.EmailField(
        label=_("Email"),
        help_text=_("We send your receipt here. We never share it."),
        error_messages={
            "required": _("Enter your email address so we can send your receipt."),
            "invalid": _("Enter an email address like name@example.org."),
        },
    )
    name = forms.CharField(label=_("Name (optional)"), required=False, max_length=200)
    anonymous = forms.BooleanField(label=_("Keep my gift anonymous"), required=False)
    cover_fees = forms.BooleanField(label=_("Cover the payment fee"), required=False)
    dedication_kind = forms.ChoiceField(
        label=_("Dedicate this gift"),
        required=False,
        choices=[("", _("No dedication")), *DedicationKind.choices],
    )
    dedication = forms.CharField(
        label=_("Name of the person"),
        required=False,
        max_length=DEDICATION_MAX_LENGTH,
        help_text=_("Up to 200 characters."),
    )
    allow_flexible_use = forms.BooleanField(required=False)
    wants_updates = forms.BooleanField(label=_("Tell me how my gift is used"), required=False)
    locale = forms.CharField(required=False, max_length=16)
    submission = forms.CharField(required=False, max_length=64)
    page = forms.CharField(required=False, max_length=20)
    form = forms.CharField(required=False, max_length=32)
    website = forms.CharField(label=_("Leave this empty"), required=False, max_length=200)

    def __init__(self, *args: Any, fee_estimate: FeeEstimate | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fee_estimate = fee_estimate or FeeEstimate()
        self.gift: GiftRequest | None = None

    # --- the repeated fields --------------------------------------------------------------

    def _list(self, name: str) -> list[str]:
        if not self.is_bound:
            return []
        getlist = getattr(self.data, "getlist", None)
        values = getlist(name) if getlist else [self.data.get(name, "")]
        return [str(value).strip() for value in values if value is not None]

    @property
    def posted_targets(self) -> list[str]:
        return self._list("target")

    @property
    def posted_shares(self) -> list[str]:
        return self._list("share")

    def _clean_preferences(self) -> list[tuple[Target, int]] | None:
        try:
            return clean_preferences(self.posted_targets, self.posted_shares)
        except PreferenceError as error:
            self.add_error(None, error.message)
            return None

    # --- the whole form -------------------------------------------------------------------

    def clean_currency(self) -> str:
        code = (self.cleaned_data.get("currency") or "").strip().upper() or conf.default_currency()
        if code not in conf.currencies():
            raise forms.ValidationError(_("Choose one of the currencies offered."))
        return code

    def clean_locale(self) -> str:
        code = (self.cleaned_data.get("locale") or "").strip()
        return code if code in language_codes() else ""

    def clean_page(self) -> Page | None:
        raw = (self.cleaned_data.get("page") or "").strip()
        if not raw.isdigit() or len(raw) > 18:
            return None
        return Page.objects.live().filter(pk=int(raw)).first()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what clean() returns; typed as a dict
        if (cleaned.get("website") or "").strip():
            # Bots fill every field; people never see this one.
            raise forms.ValidationError(_("We could not accept this form. Please try again."))
        currency = cleaned.get("currency")
        amount = self._clean_amount(cleaned, currency) if currency else None
        preferences = self._clean_preferences()
        if preferences is not None and currency:
            self._check_need_currencies(preferences, currency)
        if self.errors or amount is None or preferences is None or not currency:
            return cleaned
        base, fee = amount
        kind = cleaned.get("dedication_kind") or ""
        dedication = (cleaned.get("dedication") or "").strip()
        self.gift = GiftRequest(
            amount=base + fee,
            covered_fee_amount=fee,
            currency=currency,
            frequency=cleaned.get("frequency") or Frequency.ONCE,
            email=cleaned["email"].strip(),
            name=(cleaned.get("name") or "").strip(),
            anonymous=bool(cleaned.get("anonymous")),
            cover_fees=fee > 0,
            dedication_kind=(kind or DedicationKind.HONOUR) if dedication else "",
            dedication=dedication,
            allow_flexible_use=bool(cleaned.get("allow_flexible_use")),
            wants_updates=bool(cleaned.get("wants_updates")),
            locale=cleaned.get("locale") or translation.get_language() or settings.LANGUAGE_CODE,
            targets=preferences,
            page=cleaned.get("page"),
            submission_key=(cleaned.get("submission") or "").strip(),
        )
        return cleaned

    def _check_need_currencies(self, preferences: list[tuple[Target, int]], currency: str) -> None:
        for message in need_currency_errors(preferences, currency):
            self.add_error(None, message)

    def _clean_amount(self, cleaned: dict[str, Any], currency: str) -> tuple[int, int] | None:
        text = (cleaned.get("amount") or "").strip()
        suggested = (cleaned.get("suggested") or "").strip()
        if not text and suggested and suggested != "other":
            code, _sep, text = suggested.partition(":")
            if code.upper() != currency:
                self.add_error(
                    "amount",
                    _("The amount you picked is in %(picked)s, but the currency is %(currency)s.")
                    % {"picked": code.upper()[:3], "currency": currency},
                )
                return None
        if not text:
            self.add_error("amount", _("Choose or enter an amount."))
            return None
        try:
            base = money.parse_charge_amount(text, currency, locale=cleaned.get("locale") or None)
            fee = self.fee_estimate.fee_to_add(base, currency) if cleaned.get("cover_fees") else 0
            money.check_charge_limits(base + fee, currency)
        except money.AmountError as error:
            self.add_error("amount", error.message)
            return None
        return base, fee
