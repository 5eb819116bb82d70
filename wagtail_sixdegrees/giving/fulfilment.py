"""Recording what Stripe tells us about a payment, the same way whoever asks.

The webhook processor, the thanks page (when a donor returns before the webhook) and
``sixdegrees_reconcile`` all call these functions. Each one fetches what it needs from Stripe
first, then locks the donation (or monthly gift) row and merges the facts in a way that does
not depend on order: a payment, once recorded, stays recorded; refunded and disputed amounts only
grow; a closed dispute or a cancelled gift does not reopen. So duplicates and any arrival order
end in Stripe's truth, and each transition happens (and is signalled) exactly once.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from .. import signals
from .gateway import StripeGateway
from .models import Donation, RecurringGift, StripeEvent

logger = logging.getLogger(__name__)

APPLIED = StripeEvent.Outcome.APPLIED
UNCHANGED = StripeEvent.Outcome.UNCHANGED
IGNORED = StripeEvent.Outcome.IGNORED
DEFERRED = StripeEvent.Outcome.DEFERRED

#: Dispute statuses after which Stripe changes nothing more.
CLOSED_DISPUTE_STATUSES = frozenset(["won", "lost", "warning_closed", "prevented"])


def _after_commit(callback: Callable[[], Any]) -> None:
    # robust: a failing receiver or task must not turn a committed payment into an error.
    transaction.on_commit(callback, robust=True)


def _id(value: Any) -> str:
    """An expandable field's id, whether Stripe sent the id or the expanded object."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def _timestamp(value: Any) -> datetime.datetime | None:
    if not value:
        return None
    return datetime.datetime.fromtimestamp(int(value), tz=datetime.UTC)


def _reference(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def _lock_donation(**lookup: Any) -> Donation | None:
    return Donation.objects.select_for_update().filter(**lookup).first()


def _save(donation: Donation, before: dict[str, Any]) -> bool:
    """Save the fields that changed, with the status the facts now imply; True if any did."""
    donation.status = donation.derived_status()
    changed = [name for name, value in before.items() if getattr(donation, name) != value]
    if changed:
        donation.save(update_fields=[*changed, "updated_at"])
    return bool(changed)


def _snapshot(donation: Donation) -> dict[str, Any]:
    return {
        field.attname: getattr(donation, field.attname)
        for field in Donation._meta.concrete_fields
        if field.attname not in ("id", "updated_at")
    }


def _announce_paid(donation: Donation) -> None:
    from .checkout import join_donor_record
    from .tasks import send_receipt

    join_donor_record(donation)  # before the receipt, which greets the donor by name
    _after_commit(lambda: signals.donation_paid.send(sender=Donation, donation=donation))
    _after_commit(lambda: send_receipt.enqueue(donation.pk))


# --- Payments ---------------------------------------------------------------------------


def _apply_charge_settlement(donation: Donation, charge: dict[str, Any]) -> None:
    """Fee and net from the charge's (expanded) balance transaction, in settlement currency."""
    transaction_ = charge.get("balance_transaction")
    if isinstance(transaction_, dict) and donation.settlement_amount is None:
        donation.settlement_currency = str(transaction_["currency"]).upper()
        donation.settlement_amount = int(transaction_["amount"])
        donation.fee_amount = int(transaction_["fee"])
        donation.net_amount = int(transaction_["net"])


def record_payment_intent(donation: Donation, payment_intent: dict[str, Any]) -> bool:
    """Mark a locked donation paid from its (expanded) PaymentIntent. True if anything changed."""
    before = _snapshot(donation)
    donation.stripe_payment_intent_id = donation.stripe_payment_intent_id or payment_intent["id"]
    charge = payment_intent.get("latest_charge")
    if payment_intent.get("status") != "succeeded" or not isinstance(charge, dict):
        return _save(donation, before)  # still processing (PromptPay, FPX...): wait for it
    donation.stripe_charge_id = donation.stripe_charge_id or charge["id"]
    details = charge.get("payment_method_details") or {}
    donation.payment_method_type = donation.payment_method_type or str(details.get("type") or "")
    _apply_charge_settlement(donation, charge)
    newly_paid = donation.paid_at is None
    if newly_paid:
        donation.paid_at = _timestamp(charge.get("created")) or timezone.now()
        donation.failure_reason = ""
    changed = _save(donation, before)
    if newly_paid:
        _announce_paid(donation)
        from .webhooks import replay_deferred

        replay_deferred(donation.stripe_charge_id)
    return changed


def apply_checkout_session(
    session: dict[str, Any], gateway: StripeGateway, *, failed: bool = False
) -> str:
    """``checkout.session.*`` events and the thanks page: link ids, record payment or its end."""
    reference = _reference(
        session.get("client_reference_id") or (session.get("metadata") or {}).get("donation")
    )
    if reference is None:
        return IGNORED
    payment_intent = None
    invoice = None
    paid = session.get("payment_status") in ("paid", "no_payment_required")
    if paid and session.get("mode") == "payment" and _id(session.get("payment_intent")):
        payment_intent = gateway.retrieve_payment_intent(_id(session["payment_intent"]))
    if paid and session.get("mode") == "subscription" and _id(session.get("invoice")):
        invoice = gateway.retrieve_invoice(_id(session["invoice"]))

    with transaction.atomic(savepoint=False):
        donation = _lock_donation(reference=reference)
        if donation is None:
            return IGNORED
        before = _snapshot(donation)
        donation.stripe_checkout_session_id = donation.stripe_checkout_session_id or session["id"]
        donation.stripe_customer_id = donation.stripe_customer_id or _id(session.get("customer"))
        if session.get("status") == "expired" and not donation.is_paid:
            donation.status = Donation.Status.EXPIRED
        elif failed and not donation.is_paid:
            donation.status = Donation.Status.FAILED
            donation.failure_reason = "The payment was not completed (async_payment_failed)."
        changed = _save(donation, before)
        if donation.recurring_gift_id:
            changed |= _link_gift_to_session(donation.recurring_gift_id, session)
    if payment_intent is not None:
        with transaction.atomic(savepoint=False):
            donation = _lock_donation(pk=donation.pk)
            changed |= record_payment_intent(donation, payment_intent)
    if invoice is not None:
        changed |= apply_invoice(invoice, gateway) == APPLIED
    return APPLIED if changed else UNCHANGED


def _link_gift_to_session(gift_id: int, session: dict[str, Any]) -> bool:
    gift = RecurringGift.objects.select_for_update().get(pk=gift_id)
    before = (gift.stripe_subscription_id, gift.stripe_customer_id, gift.status)
    gift.stripe_subscription_id = gift.stripe_subscription_id or _id(session.get("subscription"))
    gift.stripe_customer_id = gift.stripe_customer_id or _id(session.get("customer"))
    if gift.status == RecurringGift.Status.PENDING:
        if session.get("status") == "expired":
            gift.status = RecurringGift.Status.EXPIRED
        elif session.get("status") == "complete":
            gift.status = RecurringGift.Status.ACTIVE
    if (gift.stripe_subscription_id, gift.stripe_customer_id, gift.status) != before:
        gift.save(update_fields=["stripe_subscription_id", "stripe_customer_id", "status"])
        return True
    return False


# --- Monthly gifts --------------------------------------------------------------------


def _subscription_of(invoice: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The invoice's subscription id and metadata, in current and pre-2025 API shapes."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    subscription = _id(details.get("subscription") or invoice.get("subscription"))
    metadata = details.get("metadata") or (invoice.get("subscription_details") or {}).get(
        "metadata"
    )
    return subscription, dict(metadata or {})


def _payment_intent_of(invoice: dict[str, Any]) -> str:
    for payment in (invoice.get("payments") or {}).get("data") or []:
        if payment.get("status") == "paid":
            found = _id((payment.get("payment") or {}).get("payment_intent"))
            if found:
                return found
    return _id(invoice.get("payment_intent"))


def _find_gift(subscription_id: str, metadata: dict[str, Any]) -> RecurringGift | None:
    if subscription_id:
        gift = RecurringGift.objects.filter(stripe_subscription_id=subscription_id).first()
        if gift is not None:
            return gift
    reference = _reference(metadata.get("recurring_gift"))
    if reference is not None:
        return RecurringGift.objects.filter(reference=reference).first()
    return None


def apply_invoice(invoice: dict[str, Any], gateway: StripeGateway) -> str:
    """A paid invoice of a monthly gift: exactly one Donation per invoice, marked paid.

    The first invoice belongs to the donation the donor created on the form; later ones get a
    new Donation with the gift's terms and a copy of its template preferences.
    """
    if invoice.get("status") != "paid":
        return UNCHANGED
    subscription_id, metadata = _subscription_of(invoice)
    gift = _find_gift(subscription_id, metadata)
    if gift is None:
        return IGNORED
    payment_intent_id = _payment_intent_of(invoice)
    payment_intent = (
        gateway.retrieve_payment_intent(payment_intent_id) if payment_intent_id else None
    )

    with transaction.atomic(savepoint=False):
        gift = RecurringGift.objects.select_for_update().get(pk=gift.pk)
        changed = False
        if not gift.stripe_subscription_id and subscription_id:
            gift.stripe_subscription_id = subscription_id
            changed = True
        if not gift.stripe_customer_id and _id(invoice.get("customer")):
            gift.stripe_customer_id = _id(invoice.get("customer"))
            changed = True
        if gift.status == RecurringGift.Status.PENDING:
            gift.status = RecurringGift.Status.ACTIVE
            changed = True
        if changed:
            gift.save(update_fields=["stripe_subscription_id", "stripe_customer_id", "status"])

        donation = _lock_donation(stripe_invoice_id=invoice["id"])
        if donation is None and invoice.get("billing_reason") == "subscription_create":
            first = _reference(metadata.get("donation"))
            lookup = {"reference": first} if first else {"recurring_gift": gift}
            donation = (
                Donation.objects.select_for_update()
                .filter(**lookup, stripe_invoice_id="")
                .order_by("created_at", "pk")
                .first()
            )
            if donation is not None:
                donation.stripe_invoice_id = invoice["id"]
                donation.save(update_fields=["stripe_invoice_id", "updated_at"])
                changed = True
        if donation is None:
            donation = _donation_for_invoice(gift, invoice)
            changed = True
        if payment_intent is not None:
            changed |= record_payment_intent(donation, payment_intent)
        elif not donation.is_paid:
            # Paid without a PaymentIntent (credit balance, paid out of band): no fee to read.
            before = _snapshot(donation)
            donation.paid_at = (
                _timestamp((invoice.get("status_transitions") or {}).get("paid_at"))
                or timezone.now()
            )
            changed |= _save(donation, before)
            _announce_paid(donation)
    return APPLIED if changed else UNCHANGED


def _donation_for_invoice(gift: RecurringGift, invoice: dict[str, Any]) -> Donation:
    terms = {
        name: getattr(gift, name)
        for name in (
            "site_id",
            "cover_fees",
            "covered_fee_amount",
            "anonymous",
            "dedication_kind",
            "dedication",
            "allow_flexible_use",
            "wants_updates",
            "locale",
        )
    }
    amount = int(invoice.get("amount_paid") or gift.amount)
    if amount != gift.amount:
        terms["covered_fee_amount"] = 0  # a changed price: we can no longer tell the fee part
    donation = Donation.objects.create(
        **terms,
        donor_id=gift.donor_id,
        amount=amount,
        currency=str(invoice.get("currency") or gift.currency).upper(),
        frequency="monthly",
        recurring_gift=gift,
        stripe_invoice_id=invoice["id"],
        stripe_customer_id=_id(invoice.get("customer")) or gift.stripe_customer_id,
        created_at=_timestamp(invoice.get("created")) or timezone.now(),
    )
    donation.preferences.bulk_create(
        [
            donation.preferences.model(donation=donation, **preference.copy_fields())
            for preference in gift.template_preferences.all()
        ]
    )
    return donation


def apply_subscription(subscription: dict[str, Any], *, deleted: bool = False) -> str:
    """``customer.subscription.updated`` / ``.deleted``: the gift follows the subscription.
    Cancelled is final: a late "updated" never revives a cancelled gift."""
    gift = _find_gift(subscription["id"], dict(subscription.get("metadata") or {}))
    if gift is None:
        return IGNORED
    stripe_status = "canceled" if deleted else subscription.get("status")
    status = {
        "active": RecurringGift.Status.ACTIVE,
        "trialing": RecurringGift.Status.ACTIVE,
        "past_due": RecurringGift.Status.PAST_DUE,
        "unpaid": RecurringGift.Status.PAST_DUE,
        "paused": RecurringGift.Status.PAUSED,
        "incomplete": RecurringGift.Status.PENDING,
        "incomplete_expired": RecurringGift.Status.EXPIRED,
        "canceled": RecurringGift.Status.CANCELLED,
    }.get(str(stripe_status))
    with transaction.atomic(savepoint=False):
        gift = RecurringGift.objects.select_for_update().get(pk=gift.pk)
        if status is None or gift.status in (
            RecurringGift.Status.CANCELLED,
            RecurringGift.Status.EXPIRED,
        ):
            return UNCHANGED
        before = (gift.status, gift.stripe_subscription_id, gift.cancelled_at)
        gift.status = status
        gift.stripe_subscription_id = gift.stripe_subscription_id or subscription["id"]
        if status == RecurringGift.Status.CANCELLED:
            gift.cancelled_at = _timestamp(subscription.get("canceled_at")) or timezone.now()
        if (gift.status, gift.stripe_subscription_id, gift.cancelled_at) == before:
            return UNCHANGED
        gift.save(update_fields=["status", "stripe_subscription_id", "cancelled_at"])
    return APPLIED


# --- Refunds and disputes -------------------------------------------------------------


def apply_charge(charge: dict[str, Any]) -> str:
    """``charge.refunded`` (and late settlement): the charge's cumulative refunded amount, and
    the refunds' balance transactions for the settlement-currency figure. ``charge`` must be
    the expanded retrieve (see ``StripeGateway.retrieve_charge``)."""
    with transaction.atomic(savepoint=False):
        donation = _lock_donation(stripe_charge_id=charge["id"])
        if donation is None:
            return DEFERRED
        before = _snapshot(donation)
        _apply_charge_settlement(donation, charge)
        donation.amount_refunded = max(
            donation.amount_refunded, min(int(charge.get("amount_refunded") or 0), donation.amount)
        )
        refunded_settlement = 0
        for refund in (charge.get("refunds") or {}).get("data") or []:
            transaction_ = refund.get("balance_transaction")
            if refund.get("status") in ("succeeded", "pending") and isinstance(transaction_, dict):
                refunded_settlement += -int(transaction_["amount"])
        donation.refunded_settlement_amount = max(
            donation.refunded_settlement_amount, refunded_settlement
        )
        changed = _save(donation, before)
        if donation.amount_refunded > before["amount_refunded"]:
            amount = donation.amount_refunded
            _after_commit(
                lambda: signals.donation_refunded.send(
                    sender=Donation, donation=donation, amount_refunded=amount
                )
            )
    return APPLIED if changed else UNCHANGED


def apply_dispute(dispute: dict[str, Any]) -> str:
    """``charge.dispute.*``: status and the money moved, from the dispute's balance
    transactions (withdrawn is negative, reinstated positive, both in settlement currency)."""
    with transaction.atomic(savepoint=False):
        donation = _lock_donation(stripe_charge_id=_id(dispute.get("charge")))
        if donation is None:
            return DEFERRED
        before = _snapshot(donation)
        status = str(dispute.get("status") or "")
        if not (
            donation.dispute_status in CLOSED_DISPUTE_STATUSES
            and status not in CLOSED_DISPUTE_STATUSES
        ):
            donation.dispute_status = status
        donation.dispute_id = dispute["id"]
        donation.dispute_amount = int(dispute.get("amount") or 0)
        withdrawn = reinstated = fees = 0
        for transaction_ in dispute.get("balance_transactions") or []:
            amount = int(transaction_.get("amount") or 0)
            if amount < 0:
                withdrawn += -amount
            else:
                reinstated += amount
            fees += int(transaction_.get("fee") or 0)
        donation.dispute_funds_withdrawn = max(donation.dispute_funds_withdrawn, withdrawn)
        donation.dispute_funds_reinstated = max(donation.dispute_funds_reinstated, reinstated)
        donation.dispute_fee_amount = max(donation.dispute_fee_amount, fees)
        changed = _save(donation, before)
        if donation.dispute_status != before["dispute_status"]:
            status = donation.dispute_status
            _after_commit(
                lambda: signals.donation_disputed.send(
                    sender=Donation, donation=donation, dispute_status=status
                )
            )
    return APPLIED if changed else UNCHANGED
