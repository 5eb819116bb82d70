"""Deep links that prepare a gift: ``?amount=25&currency=USD&frequency=monthly&target=need:12``.

Campaign emails, QR codes and partner sites link straight to a prepared donate form. Each
value is checked against what this form offers and ignored on its own when it does not fit, so
the donor sees the form's default for it, never an error page: the link is anyone's to write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import money

if TYPE_CHECKING:
    from .presentation import DonateFormConfig

#: Longer values are not a person's link; they are ignored unread.
MAX_VALUE_LENGTH = 40


@dataclass(frozen=True)
class Preselection:
    """What a link asked for and this form can show; empty strings for "the default"."""

    currency: str = ""
    frequency: str = ""
    suggested: str = ""  # a preset's value ("USD:25") when the amount is one of them
    amount: str = ""  # otherwise the amount typed for the donor, in canonical form
    target: str = ""


def _value(query: Mapping[str, str], name: str) -> str:
    raw = query.get(name) or ""
    if not isinstance(raw, str) or len(raw) > MAX_VALUE_LENGTH:
        return ""
    return raw.strip()


def read_preselection(query: Mapping[str, str], config: DonateFormConfig) -> Preselection:
    """The parts of ``query`` that fit ``config``; the rest is ignored."""
    currency = _value(query, "currency").upper()
    if currency not in config.currencies:
        currency = ""
    target = _value(query, "target")
    if target not in {option.value for option in config.options}:
        target = ""
    need = next((o.need for o in config.options if o.value == target and o.need), None)
    if need is not None:
        if currency and need.currency != currency:
            # A need takes gifts only in its own currency: the link contradicts itself.
            target = ""
        elif need.currency in config.currencies:
            currency = need.currency
    chosen = currency or config.currency
    frequency = _value(query, "frequency").lower()
    if frequency not in config.frequencies:
        frequency = ""
    suggested = amount = ""
    text = _value(query, "amount")
    if text:
        try:
            minor = money.parse_charge_amount(text, chosen)
        except money.AmountError:
            minor = None
        if minor is not None:
            preset = next((c for c in config.presets(chosen) if c.amount == minor), None)
            if preset is not None:
                suggested = preset.value
            elif config.allow_custom_amount:
                amount = money.to_decimal_string(minor, chosen)
    return Preselection(
        currency=currency,
        frequency=frequency,
        suggested=suggested,
        amount=amount,
        target=target,
    )
