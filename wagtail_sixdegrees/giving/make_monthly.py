""" "Make it monthly": the thanks page of a one-off gift offers the same gift every month.

The offer is a plain form of hidden fields posted to the ``donate`` endpoint, so the monthly
gift goes through the one checkout path there is: the same validation, rate limit and
resubmission guard (its ``submission`` nonce is derived from the one-off gift, so a double
click or a reload finds the first click's pending gift and its Checkout Session). Nothing is
offered when the gift could not recur as it was: a payment method that cannot pay monthly
(PromptPay, PayNow, GrabPay, FPX), a currency no longer offered, a need no longer open, shares
the form cannot express, or an amount outside the currency's limits.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import conf, money
from . import payment_methods
from .models import Donation, Frequency
from .targets import TargetError, resolve

SUBMISSION_PREFIX = "monthly-from-"


@dataclass(frozen=True)
class MonthlyOffer:
    #: The donate form's fields, in order (``target`` and ``share`` repeat).
    fields: list[tuple[str, str]]
    #: The monthly amount, before any fee the donor chooses to cover again.
    amount_display: str


def offer(donation: Donation) -> MonthlyOffer | None:
    """The donate form's fields for the same gift, monthly; ``None`` when it cannot be offered."""
    if (
        not donation.is_paid
        or donation.status != Donation.Status.PAID
        or donation.frequency != Frequency.ONCE
        or donation.recurring_gift_id is not None
        or donation.donor.erased_at is not None
        or not donation.donor.email
        or donation.currency not in conf.currencies()
        or not payment_methods.limits(donation.payment_method_type or "card").recurring
    ):
        return None
    amount = donation.gift_amount
    try:
        money.check_charge_limits(amount, donation.currency)
    except money.AmountError:
        return None
    fields = [
        ("amount", money.to_decimal_string(amount, donation.currency)),
        ("currency", donation.currency),
        ("frequency", Frequency.MONTHLY.value),
        ("email", donation.donor.email),
        ("submission", SUBMISSION_PREFIX + donation.reference.hex),
    ]
    preferences = list(donation.preferences.all().order_by("position"))
    for preference in preferences:
        try:
            target = resolve(preference.target)
        except TargetError:
            return None
        if target.need is not None and target.need.currency != donation.currency:
            return None
        if preference.share_bps % 100:
            return None
        fields.append(("target", preference.target))
        if len(preferences) > 1:
            fields.append(("share", str(preference.share_bps // 100)))
    optional = {
        "name": donation.donor_name or donation.donor.name,
        "anonymous": "on" if donation.anonymous else "",
        "cover_fees": "on" if donation.cover_fees else "",
        "allow_flexible_use": "on" if donation.allow_flexible_use else "",
        "wants_updates": "on" if donation.wants_updates else "",
        "locale": donation.locale,
        "page": str(donation.page_id) if donation.page_id else "",
    }
    fields += [(name, value) for name, value in optional.items() if value]
    return MonthlyOffer(
        fields, money.format_money(amount, donation.currency, donation.locale or None)
    )
