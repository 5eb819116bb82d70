"""Refunds a giving manager asks for.

We ask Stripe for the refund and record the request (who, how much, why) in Wagtail's log; the
donation itself changes only when Stripe's ``charge.refunded`` webhook arrives, through the same
fulfilment code as every other payment fact, and allocation then reverses the refunded share.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log, registry

from .. import money
from . import gateway, money_log
from .models import Donation

#: The action name of the log entries, registered in ``wagtail_hooks.py``.
LOG_ACTION = "wagtail_sixdegrees.refund"
#: Stripe's metadata values hold at most 500 characters.
REASON_MAX_LENGTH = 500


class StripeReason(models.TextChoices):
    """The reasons Stripe's Refund API knows (it shows them to the card issuer)."""

    REQUESTED_BY_CUSTOMER = "requested_by_customer", _("The donor asked for it")
    DUPLICATE = "duplicate", _("A duplicate payment")
    FRAUDULENT = "fraudulent", _("Fraudulent")


class RefundRefused(Exception):
    """A refund we did not ask Stripe for, with a message a giving manager can act on."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = str(message)


def refundable_amount(donation: Donation) -> int:
    """What can still be refunded, in the currency the donor paid in (minor units)."""
    if refusal(donation) is not None:
        return 0
    return max(0, donation.amount - donation.amount_refunded)


def refusal(donation: Donation) -> str | None:
    """Why this donation cannot be refunded at all, or ``None`` if it can."""
    if donation.status == Donation.Status.VOIDED:
        return str(_("This gift was voided: there is nothing to refund."))
    if donation.is_offline:
        return str(
            _("This gift did not come through Stripe: give the money back yourself, then void it.")
        )
    if not donation.is_paid:
        return str(_("Only paid donations can be refunded."))
    if donation.status == Donation.Status.DISPUTED:
        return str(
            _("This payment is disputed: answer the dispute in Stripe instead of refunding it.")
        )
    if not (donation.stripe_charge_id or donation.stripe_payment_intent_id):
        return str(_("Stripe has not told us which payment this is yet, so it cannot be refunded."))
    if donation.amount_refunded >= donation.amount:
        return str(_("This donation has already been refunded in full."))
    return None


def request_refund(
    donation: Donation,
    amount: int,
    *,
    reason: str,
    stripe_reason: str = StripeReason.REQUESTED_BY_CUSTOMER,
    user: Any = None,
    request_key: str,
) -> dict[str, Any]:
    """Ask Stripe to refund ``amount`` of ``donation`` and log who asked and why.

    Refused (``RefundRefused``, nothing sent to Stripe) when the donation cannot be refunded,
    the amount is not a valid amount of its currency or is more than what remains, or no reason
    is given. ``request_key`` identifies one submitted form: sending the same request twice
    makes one refund. Stripe's own refusals come back as ``gateway.StripeError``.
    """
    why = refusal(donation)
    if why is not None:
        raise RefundRefused(why)
    reason = str(reason).strip()
    if not reason:
        raise RefundRefused(_("Give a reason: it is recorded with the refund."))
    if len(reason) > REASON_MAX_LENGTH:
        raise RefundRefused(
            _("Keep the reason under %(count)d characters.") % {"count": REASON_MAX_LENGTH}
        )
    if stripe_reason not in StripeReason.values:
        raise RefundRefused(_("Choose one of Stripe's refund reasons."))
    if amount <= 0:
        raise RefundRefused(_("Enter an amount greater than zero."))
    if amount % money.get_currency(donation.currency).step:
        raise RefundRefused(
            _("%(currency)s amounts cannot have that many decimal places.")
            % {"currency": donation.currency}
        )
    remaining = refundable_amount(donation)
    if amount > remaining:
        raise RefundRefused(
            _("Only %(remaining)s of this donation can still be refunded.")
            % {"remaining": money.format_money(remaining, donation.currency)}
        )
    who = user.get_username() if user is not None and user.is_authenticated else ""
    refund = gateway.gateway().create_refund(
        charge_id=donation.stripe_charge_id,
        payment_intent_id=donation.stripe_payment_intent_id,
        amount=amount,
        reason=stripe_reason,
        metadata={"donation": str(donation.reference), "reason": reason, "requested_by": who},
        key=gateway.idempotency_key("refund", f"{donation.reference}:{request_key}"),
    )
    money_log.log(
        "refund_requested",
        donation=donation,
        refund=refund.get("id"),
        requested=amount,
        status=refund.get("status"),
    )
    already_logged = (
        registry.get_logs_for_instance(donation)
        .filter(action=LOG_ACTION, data__refund=refund.get("id"))
        .exists()
    )
    if not already_logged:
        log(
            donation,
            LOG_ACTION,
            user=user if user is not None and user.is_authenticated else None,
            data={
                "amount": amount,
                "currency": donation.currency,
                "amount_display": money.format_money(amount, donation.currency, "en"),
                "reason": reason,
                "stripe_reason": stripe_reason,
                "refund": refund.get("id"),
                "status": refund.get("status"),
            },
        )
    return refund


def refund_log(donation: Donation) -> Any:
    """The refunds asked for on this donation, newest first."""
    return (
        registry.get_logs_for_instance(donation)
        .filter(action=LOG_ACTION)
        .select_related("user")
        .order_by("-timestamp")
    )
