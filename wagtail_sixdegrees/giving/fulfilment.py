"""Recording what Stripe tells us about a payment, the same way whoever asks.

The webhook processor, the thanks page (when a donor returns before the webhook) and
``sixdegrees_reconcile`` all call these functions. Each fact is recorded in two steps: a
``prepare_*`` function reads what it needs from Stripe (never inside a transaction or while
holding a row lock: a slow Stripe must not hold our rows) and returns an ``Apply`` that locks the
donation (or monthly gift), checks again and merges the facts in a way that does not depend on
order: a payment, once recorded, stays recorded; refunded and disputed amounts only grow; a
closed dispute or a cancelled gift does not reopen. So duplicates and any arrival order end in
Stripe's truth, and each transition happens (and is signalled) exactly once.

A payment is recorded only against the donation it was made for: the Checkout Session we
created for it (its id, amount and currency), and for monthly gifts the subscription that
session started. Anything else that names one of our donations (a Payment Link carrying a
copied ``client_reference_id``, another integration's subscription with our metadata) is a
*mismatch*: logged, flagged on the donation for finance and reported by the audit, never applied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from .. import signals
from . import money_log, monthly
from .gateway import StripeGateway
from .models import Donation, RecurringGift, StripeEvent
from .models.donations import RECURRING_ENDED
from .stripe_objects import (
    object_id,
    parse_reference,
    payment_intent_of,
    subscription_of,
    timestamp,
)

logger = logging.getLogger(__name__)

APPLIED = StripeEvent.Outcome.APPLIED
UNCHANGED = StripeEvent.Outcome.UNCHANGED
IGNORED = StripeEvent.Outcome.IGNORED
DEFERRED = StripeEvent.Outcome.DEFERRED
MISMATCH = StripeEvent.Outcome.MISMATCH
REFUSED = StripeEvent.Outcome.REFUSED

#: The action name of the log entry written when finance resolves a mismatch.
MISMATCH_RESOLVED_LOG_ACTION = "wagtail_sixdegrees.payment_mismatch_resolved"

#: Dispute statuses after which Stripe changes nothing more.
CLOSED_DISPUTE_STATUSES = Donation.DisputeStatus.CLOSED

#: The second step of recording a fact: runs inside a transaction, makes no Stripe call, and
#: returns the outcome.
Apply = Callable[[], str]


class Noted(str):
    """An outcome (``mismatch``, ``refused``) with the reason, kept on the stored event."""

    detail: str

    def __new__(cls, outcome: str, detail: str) -> Noted:
        noted = super().__new__(cls, str(outcome))
        noted.detail = detail
        return noted


class RetryLater(Exception):
    """Stripe has not yet told us enough to place this fact; a later delivery will."""


def constant(outcome: str) -> Apply:
    """An Apply that changes nothing and answers ``outcome`` (ignored, refused, ...)."""
    return lambda: outcome


def run(apply: Apply) -> str:
    """The second step in its own transaction (for callers outside the webhook processor)."""
    with transaction.atomic():
        return apply()


def _after_commit(callback: Callable[[], Any]) -> None:
    # robust: a failing receiver or task must not turn a committed payment into an error.
    transaction.on_commit(callback, robust=True)


def _lock_donation(**lookup: Any) -> Donation | None:
    # FOR NO KEY UPDATE: it excludes every other writer of the donation as FOR UPDATE does,
    # but not the key-share lock that writing ledger lines for it takes (their foreign key),
    # so an allocation placing this donation never waits for a payment that holds it while
    # the payment waits for the allocation (the waiting money, allocation/ledger.py LOCK_ORDER).
    return Donation.objects.select_for_update(no_key=True).filter(**lookup).first()


def _lock_donation_with_donor(**lookup: Any) -> Donation | None:
    """Lock a donation (its row only, as ``_lock_donation``) and read its donor in the same
    statement: a payment joins the donor's record (``checkout.join_donor_record``)."""
    return (
        Donation.objects.select_for_update(of=("self",), no_key=True)
        .select_related("donor")
        .filter(**lookup)
        .first()
    )


def _lock_gift(pk: int) -> RecurringGift:
    """Lock a monthly gift. Lock order: the gift, then its donations."""
    return RecurringGift.objects.select_for_update().get(pk=pk)


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


def announce_paid(donation: Donation) -> None:
    """What follows a newly recorded payment, for payments recorded outside Stripe (offline
    gifts): the donor's record joined now, then (once the transaction commits) the
    ``donation_paid`` signal, which allocates it, and the receipt."""
    _announce_paid(donation)


def _money(amount: Any, currency: Any) -> str:
    return f"{amount} {str(currency or '').upper()}"


def record_mismatch(donation: Donation | None, detail: str) -> Noted:
    """Log a payment fact that does not match the donation it names and flag the (locked)
    donation for finance; nothing else changes."""
    detail = detail[:500]
    logger.warning("Stripe payment not applied (mismatch): %s", detail)
    money_log.log("mismatch", donation=donation, level=logging.WARNING)
    if donation is not None and donation.payment_mismatch != detail:
        donation.payment_mismatch = detail
        donation.save(update_fields=["payment_mismatch", "updated_at"])
    return Noted(MISMATCH, detail)


def resolve_mismatch(donation: Donation, *, note: str, user: Any = None) -> None:
    """Clear a donation's mismatch flag once finance has dealt with the payment at Stripe
    (refunded it, or confirmed it), keeping what arrived and the note in Wagtail's log."""
    from wagtail.log_actions import log

    with transaction.atomic():
        donation = Donation.objects.select_for_update(no_key=True).get(pk=donation.pk)
        if not donation.payment_mismatch:
            return
        log(
            donation,
            MISMATCH_RESOLVED_LOG_ACTION,
            user=user if getattr(user, "is_authenticated", False) else None,
            data={"mismatch": donation.payment_mismatch, "note": note},
        )
        donation.payment_mismatch = ""
        donation.save(update_fields=["payment_mismatch", "updated_at"])


def _payment_mismatch(donation: Donation, amount: Any, currency: Any, what: str) -> str:
    """Why a payment of ``amount`` ``currency`` is not this donation's, or "" if it is."""
    if str(currency or "").upper() != donation.currency or int(amount or 0) != donation.amount:
        return (
            f"{what} is for {_money(amount, currency)}, but donation {donation.reference} "
            f"is for {_money(donation.amount, donation.currency)}."
        )
    return ""


def _share_of_donation(donation: Donation, part: int, whole: int) -> int:
    """``part`` of a charge of ``whole`` (both in the charge's currency) as the same share of
    the donation's amount: the whole charge is the whole donation, whatever its currency."""
    if whole <= 0 or part >= whole:
        return donation.amount if part > 0 else 0
    if whole == donation.amount:
        return max(0, part)
    return max(0, donation.amount * part // whole)


# --- Payments ---------------------------------------------------------------------------


def _apply_charge_settlement(donation: Donation, charge: dict[str, Any]) -> None:
    """Fee and net from the charge's (expanded) balance transaction, in settlement currency."""
    transaction_ = charge.get("balance_transaction")
    if isinstance(transaction_, dict) and donation.settlement_amount is None:
        donation.settlement_currency = str(transaction_["currency"]).upper()
        donation.settlement_amount = int(transaction_["amount"])
        donation.fee_amount = int(transaction_["fee"])
        donation.net_amount = int(transaction_["net"])


def record_payment_intent(donation: Donation, payment_intent: dict[str, Any]) -> str:
    """Mark a locked donation paid from its (expanded) PaymentIntent, if the PaymentIntent is
    for the donation's amount and currency. Returns the outcome (``mismatch`` if not)."""
    problem = _payment_mismatch(
        donation,
        payment_intent.get("amount"),
        payment_intent.get("currency"),
        f"PaymentIntent {payment_intent.get('id')}",
    )
    if problem:
        return record_mismatch(donation, problem)
    before = _snapshot(donation)
    donation.stripe_payment_intent_id = donation.stripe_payment_intent_id or payment_intent["id"]
    charge = payment_intent.get("latest_charge")
    if payment_intent.get("status") != "succeeded" or not isinstance(charge, dict):
        # still processing (PromptPay, FPX...): wait for it
        return APPLIED if _save(donation, before) else UNCHANGED
    donation.stripe_charge_id = donation.stripe_charge_id or charge["id"]
    details = charge.get("payment_method_details") or {}
    donation.payment_method_type = donation.payment_method_type or str(details.get("type") or "")
    _apply_charge_settlement(donation, charge)
    newly_paid = donation.paid_at is None
    if newly_paid:
        donation.paid_at = timestamp(charge.get("created")) or timezone.now()
        donation.failure_reason = ""
    changed = _save(donation, before)
    if newly_paid:
        money_log.log(
            "paid",
            donation=donation,
            charge=donation.stripe_charge_id,
            net=donation.net_amount,
            settlement_currency=donation.settlement_currency,
        )
        _announce_paid(donation)
        from .tasks import replay_deferred_events

        # After the commit, as a task: replaying reads Stripe, which never happens inside a
        # transaction, and need not hold up the request that recorded the payment.
        charge_id = donation.stripe_charge_id
        _after_commit(lambda: replay_deferred_events.enqueue(charge_id))
    return APPLIED if changed else UNCHANGED


def _session_mismatch(donation: Donation, session: dict[str, Any]) -> str:
    """Why ``session`` is not the Checkout Session we created for ``donation``, or ""."""
    ours = donation.stripe_checkout_session_id
    if session.get("id") != ours:
        return (
            f"Checkout Session {session.get('id')} "
            f"({_money(session.get('amount_total'), session.get('currency'))}) names donation "
            f"{donation.reference} ({_money(donation.amount, donation.currency)}), which was "
            f"sent to Checkout Session {ours or '(none)'}."
        )
    return _payment_mismatch(
        donation,
        session.get("amount_total"),
        session.get("currency"),
        f"Checkout Session {session.get('id')}",
    )


def prepare_checkout_session(
    session: dict[str, Any], gateway: StripeGateway, *, failed: bool = False
) -> Apply:
    """``checkout.session.*`` events and the thanks page: read the payment the session made
    (if the session is the one we created), then link ids and record payment or its end."""
    reference = parse_reference(
        session.get("client_reference_id") or (session.get("metadata") or {}).get("donation")
    )
    found = (
        Donation.objects.filter(reference=reference)
        .values_list("stripe_checkout_session_id", "recurring_gift_id")
        .first()
        if reference is not None
        else None
    )
    if found is None:
        return constant(IGNORED)
    known, gift_id = found
    paid = session.get("payment_status") in ("paid", "no_payment_required")
    failed = failed and not paid  # re-read: Stripe now says it was paid after all
    payment_intent = None
    invoice_apply = None
    if session.get("id") == known and paid:  # read nothing on a stranger's behalf
        if session.get("mode") == "payment" and object_id(session.get("payment_intent")):
            payment_intent = gateway.retrieve_payment_intent(object_id(session["payment_intent"]))
        if session.get("mode") == "subscription" and object_id(session.get("invoice")):
            invoice_apply = prepare_invoice(
                gateway.retrieve_invoice(object_id(session["invoice"])),
                gateway,
                session_subscription=object_id(session.get("subscription")),
            )

    def apply() -> str:
        if gift_id is not None:
            # A monthly gift is locked before its donation, as every gift path does (invoice,
            # subscription, failed payment): the other order deadlocked under a spike.
            _lock_gift(gift_id)
        donation = _lock_donation_with_donor(reference=reference)
        if donation is None:
            return IGNORED
        problem = _session_mismatch(donation, session)
        if problem:
            return record_mismatch(donation, problem)
        before = _snapshot(donation)
        donation.stripe_customer_id = donation.stripe_customer_id or object_id(
            session.get("customer")
        )
        if session.get("status") == "expired" and not donation.is_paid:
            donation.status = Donation.Status.EXPIRED
        elif failed and not donation.is_paid:
            donation.status = Donation.Status.FAILED
            donation.failure_reason = "The payment was not completed (async_payment_failed)."
        changed = _save(donation, before)
        if donation.recurring_gift_id:
            changed |= _link_gift_to_session(donation.recurring_gift_id, session)
        outcomes = []
        if payment_intent is not None:
            outcomes.append(record_payment_intent(donation, payment_intent))
        if invoice_apply is not None:
            outcomes.append(invoice_apply())
        for outcome in outcomes:
            if outcome == MISMATCH:
                return outcome
        changed |= APPLIED in outcomes
        return APPLIED if changed else UNCHANGED

    return apply


def apply_checkout_session(
    session: dict[str, Any], gateway: StripeGateway, *, failed: bool = False
) -> str:
    """Record what ``session`` (read from Stripe) says: prepare, then apply in a transaction."""
    return run(prepare_checkout_session(session, gateway, failed=failed))


def _link_gift_to_session(gift_id: int, session: dict[str, Any]) -> bool:
    gift = _lock_gift(gift_id)  # already held: see prepare_checkout_session
    before = (gift.stripe_subscription_id, gift.stripe_customer_id, gift.status)
    gift.stripe_subscription_id = gift.stripe_subscription_id or object_id(
        session.get("subscription")
    )
    gift.stripe_customer_id = gift.stripe_customer_id or object_id(session.get("customer"))
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


def find_gift(subscription_id: str, metadata: dict[str, Any]) -> RecurringGift | None:
    """The monthly gift a subscription (or its metadata) names. Metadata is only a claim: see
    ``_subscription_confirmed`` before trusting a gift found that way."""
    if subscription_id:
        gift = RecurringGift.objects.filter(stripe_subscription_id=subscription_id).first()
        if gift is not None:
            return gift
    reference = parse_reference(metadata.get("recurring_gift"))
    if reference is not None:
        return RecurringGift.objects.filter(reference=reference).first()
    return None


def _subscription_confirmed(
    gift: RecurringGift, subscription_id: str, gateway: StripeGateway, session_subscription: str
) -> bool:
    """Whether ``subscription_id`` is the one the gift's own Checkout Session started. Reads
    that session from Stripe unless the caller already holds it (``session_subscription``)."""
    if not subscription_id:
        return False
    if gift.stripe_subscription_id:
        return gift.stripe_subscription_id == subscription_id
    if session_subscription:
        return session_subscription == subscription_id
    session_id = (
        Donation.objects.filter(recurring_gift=gift)
        .exclude(stripe_checkout_session_id="")
        .order_by("created_at", "pk")
        .values_list("stripe_checkout_session_id", flat=True)
        .first()
    )
    if not session_id:
        return False
    started = object_id(gateway.retrieve_checkout_session(session_id).get("subscription"))
    if not started:
        # The session has not finished yet: Stripe retries this event, by then it has.
        raise RetryLater(f"Checkout Session {session_id} has not started its subscription yet.")
    return started == subscription_id


def _subscription_mismatch(gift: RecurringGift, subscription_id: str, confirmed: bool) -> str:
    """Checked again under the gift's lock: the subscription must be the gift's own."""
    if gift.stripe_subscription_id and gift.stripe_subscription_id != subscription_id:
        confirmed = False
    if confirmed:
        return ""
    return (
        f"Subscription {subscription_id or '(none)'} names monthly gift {gift.reference}, "
        f"which Checkout started as subscription {gift.stripe_subscription_id or '(none)'}."
    )


def _first_donation(gift: RecurringGift) -> Donation | None:
    return (
        Donation.objects.select_for_update(no_key=True)
        .filter(recurring_gift=gift)
        .order_by("created_at", "pk")
        .first()
    )


def prepare_invoice(
    invoice: dict[str, Any], gateway: StripeGateway, *, session_subscription: str = ""
) -> Apply:
    """A paid invoice of a monthly gift: exactly one Donation per invoice, marked paid.

    The first invoice belongs to the donation the donor created on the form; later ones get a
    new Donation with the gift's terms and a copy of its template preferences. Only invoices of
    the subscription the gift's Checkout Session started count, in the gift's currency.
    """
    if invoice.get("status") != "paid":
        return constant(UNCHANGED)
    subscription_id, metadata = subscription_of(invoice)
    gift = find_gift(subscription_id, metadata)
    if gift is None:
        return constant(IGNORED)
    confirmed = _subscription_confirmed(gift, subscription_id, gateway, session_subscription)
    payment_intent_id = payment_intent_of(invoice)
    payment_intent = (
        gateway.retrieve_payment_intent(payment_intent_id)
        if payment_intent_id and confirmed
        else None
    )

    def apply() -> str:
        locked = RecurringGift.objects.select_for_update().get(pk=gift.pk)
        problem = _subscription_mismatch(locked, subscription_id, confirmed)
        if not problem and str(invoice.get("currency") or "").upper() != locked.currency:
            problem = (
                f"Invoice {invoice['id']} is in {str(invoice.get('currency')).upper()}, "
                f"but monthly gift {locked.reference} is in {locked.currency}."
            )
        if problem:
            return record_mismatch(_first_donation(locked), problem)
        return _apply_invoice(locked, invoice, subscription_id, metadata, payment_intent)

    return apply


def apply_invoice(invoice: dict[str, Any], gateway: StripeGateway) -> str:
    """Record a paid invoice (read from Stripe): prepare, then apply in a transaction."""
    return run(prepare_invoice(invoice, gateway))


def _apply_invoice(
    gift: RecurringGift,
    invoice: dict[str, Any],
    subscription_id: str,
    metadata: dict[str, Any],
    payment_intent: dict[str, Any] | None,
) -> str:
    changed = False
    if not gift.stripe_subscription_id and subscription_id:
        gift.stripe_subscription_id = subscription_id
        changed = True
    if not gift.stripe_customer_id and object_id(invoice.get("customer")):
        gift.stripe_customer_id = object_id(invoice.get("customer"))
        changed = True
    if gift.status == RecurringGift.Status.PENDING:
        gift.status = RecurringGift.Status.ACTIVE
        changed = True
    if changed:
        gift.save(update_fields=["stripe_subscription_id", "stripe_customer_id", "status"])

    donation = _lock_donation(stripe_invoice_id=invoice["id"])
    if donation is None and invoice.get("billing_reason") == "subscription_create":
        first = parse_reference(metadata.get("donation"))
        candidate = (
            Donation.objects.select_for_update(no_key=True)
            .filter(
                recurring_gift=gift, stripe_invoice_id="", **({"reference": first} if first else {})
            )
            .order_by("created_at", "pk")
            .first()
        )
        if candidate is not None:
            problem = _payment_mismatch(
                candidate,
                invoice.get("amount_paid"),
                invoice.get("currency"),
                f"First invoice {invoice['id']}",
            )
            if problem:
                return record_mismatch(candidate, problem)
            donation = candidate
            donation.stripe_invoice_id = invoice["id"]
            donation.save(update_fields=["stripe_invoice_id", "updated_at"])
            changed = True
    if donation is None:
        donation = _donation_for_invoice(gift, invoice)
        changed = True
    if payment_intent is not None:
        outcome = record_payment_intent(donation, payment_intent)
        if outcome == MISMATCH:
            return outcome
        changed |= outcome == APPLIED
    elif not donation.is_paid:
        # Paid without a PaymentIntent (credit balance, paid out of band): no fee to read.
        before = _snapshot(donation)
        donation.paid_at = (
            timestamp((invoice.get("status_transitions") or {}).get("paid_at")) or timezone.now()
        )
        changed |= _save(donation, before)
        money_log.log("paid", donation=donation, invoice=invoice.get("id"), net=donation.net_amount)
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
        stripe_customer_id=object_id(invoice.get("customer")) or gift.stripe_customer_id,
        created_at=timestamp(invoice.get("created")) or timezone.now(),
    )
    donation.preferences.bulk_create(
        [
            donation.preferences.model(donation=donation, **preference.copy_fields())
            for preference in gift.template_preferences.all()
        ]
    )
    return donation


#: Stripe's subscription statuses in our words.
SUBSCRIPTION_STATUSES = {
    "active": RecurringGift.Status.ACTIVE,
    "trialing": RecurringGift.Status.ACTIVE,
    "past_due": RecurringGift.Status.PAST_DUE,
    "unpaid": RecurringGift.Status.PAST_DUE,
    "paused": RecurringGift.Status.PAUSED,
    "incomplete": RecurringGift.Status.PENDING,
    "incomplete_expired": RecurringGift.Status.EXPIRED,
    "canceled": RecurringGift.Status.CANCELLED,
}


def prepare_subscription(
    subscription: dict[str, Any], gateway: StripeGateway | None = None
) -> Apply:
    """``customer.subscription.updated`` / ``.deleted`` (``subscription`` read from Stripe, as
    it is now): the gift follows the subscription. Cancelled is final: a late "updated" never
    revives a cancelled gift. Only the subscription the gift's Checkout Session started counts."""
    gift = find_gift(subscription["id"], dict(subscription.get("metadata") or {}))
    if gift is None:
        return constant(IGNORED)
    confirmed = _subscription_confirmed(gift, subscription["id"], gateway or StripeGateway(), "")
    status = SUBSCRIPTION_STATUSES.get(str(subscription.get("status")))

    def apply() -> str:
        locked = RecurringGift.objects.select_for_update().get(pk=gift.pk)
        problem = _subscription_mismatch(locked, subscription["id"], confirmed)
        if problem:
            return record_mismatch(_first_donation(locked), problem)
        if status is None or locked.status in RECURRING_ENDED:
            return UNCHANGED
        before = (locked.status, locked.stripe_subscription_id, locked.cancelled_at)
        locked.status = status
        locked.stripe_subscription_id = locked.stripe_subscription_id or subscription["id"]
        if status == RecurringGift.Status.CANCELLED:
            locked.cancelled_at = timestamp(subscription.get("canceled_at")) or timezone.now()
        # The donor's changes (amount, pause) and a lapse, confirmed by what Stripe shows.
        carried = monthly.confirm_from_subscription(locked, subscription)
        if (
            not carried
            and (
                locked.status,
                locked.stripe_subscription_id,
                locked.cancelled_at,
            )
            == before
        ):
            return UNCHANGED
        locked.save(
            update_fields=[
                "status",
                "stripe_subscription_id",
                "cancelled_at",
                "amount",
                "covered_fee_amount",
                "cover_fees",
                "paused_until",
            ]
        )
        return APPLIED

    return apply


def apply_subscription(subscription: dict[str, Any], gateway: StripeGateway | None = None) -> str:
    """Record a subscription as Stripe returned it (a cancel, a retrieve)."""
    return run(prepare_subscription(subscription, gateway))


# --- Refunds and disputes -------------------------------------------------------------
#
# A charge's refunded and disputed amounts are compared with the charge's own amount, in the
# charge's currency, and only that share is carried to the donation: a full refund is always
# the whole donation, whatever currency the donation was recorded in.


def _deferred_until_paid(charge_id: str) -> Apply:
    """For a charge we cannot place yet: wait for its payment, unless it was recorded between
    our look and our lock (then the next delivery applies it with Stripe's data)."""

    if not charge_id:
        return constant(IGNORED)

    def apply() -> str:
        if _lock_donation(stripe_charge_id=charge_id) is not None:
            raise RetryLater(f"The payment of charge {charge_id} was recorded meanwhile.")
        return DEFERRED

    return apply


def prepare_charge(charge_id: str, gateway: StripeGateway) -> Apply:
    """``charge.refunded``: read the charge as it is now (cumulative refunded amount, every
    refund's balance transaction) if it pays one of our donations."""
    if not charge_id or not Donation.objects.filter(stripe_charge_id=charge_id).exists():
        return _deferred_until_paid(charge_id)
    charge = gateway.retrieve_charge(charge_id)
    return lambda: apply_charge(charge)


def apply_charge(charge: dict[str, Any]) -> str:
    """Record an expanded charge (see ``StripeGateway.retrieve_charge``) on its donation, inside
    the caller's transaction."""
    with transaction.atomic(savepoint=False):
        donation = _lock_donation(stripe_charge_id=charge["id"])
        if donation is None:
            return DEFERRED
        before = _snapshot(donation)
        _apply_charge_settlement(donation, charge)
        refunded = _share_of_donation(
            donation, int(charge.get("amount_refunded") or 0), int(charge.get("amount") or 0)
        )
        donation.amount_refunded = max(donation.amount_refunded, min(refunded, donation.amount))
        refunded_settlement = awaiting = 0
        failed = []
        for refund in (charge.get("refunds") or {}).get("data") or []:
            transaction_ = refund.get("balance_transaction")
            status = refund.get("status")
            # requires_action: Stripe took the money and emailed the donor for bank details.
            if status in ("succeeded", "pending", "requires_action") and isinstance(
                transaction_, dict
            ):
                refunded_settlement += -int(transaction_["amount"])
            if status == "requires_action":
                awaiting += int(refund.get("amount") or 0)
            elif status in ("failed", "canceled"):
                failed.append(refund)
        donation.refunded_settlement_amount = max(
            donation.refunded_settlement_amount, refunded_settlement
        )
        # Stripe's state now (each event re-reads the charge), so it may fall back to zero.
        donation.refund_awaiting_bank_details = min(
            _share_of_donation(donation, awaiting, int(charge.get("amount") or 0)),
            donation.amount_refunded,
        )
        if failed and not donation.payment_mismatch:
            # The donor never gave bank details: Stripe put the money back in the balance. The
            # reversal stays (the ledger only grows); finance decides what the money does now.
            donation.payment_mismatch = (
                f"Refund {failed[0].get('id')} of "
                f"{_money(failed[0].get('amount'), failed[0].get('currency'))} "
                f"{failed[0].get('status')} at Stripe: the money is back in the Stripe balance."
            )[:500]
        changed = _save(donation, before)
        if donation.amount_refunded > before["amount_refunded"]:
            amount = donation.amount_refunded
            money_log.log(
                "refund_recorded", donation=donation, charge=charge["id"], refunded=amount
            )
            _after_commit(
                lambda: signals.donation_refunded.send(
                    sender=Donation, donation=donation, amount_refunded=amount
                )
            )
    return APPLIED if changed else UNCHANGED


def prepare_dispute(dispute: dict[str, Any], gateway: StripeGateway) -> Apply:
    """``charge.dispute.*``: read the dispute as it is now (with its charge) if it is about one
    of our donations; an event that arrives late never moves the money back. The donation read
    here (unlocked) lets the apply step write with one conditional UPDATE."""
    charge_id = object_id(dispute.get("charge"))
    read = Donation.objects.filter(stripe_charge_id=charge_id).first() if charge_id else None
    if read is None:
        return _deferred_until_paid(charge_id)
    current = gateway.retrieve_dispute(dispute["id"])
    return lambda: apply_dispute(current, read=read)


def apply_dispute(dispute: dict[str, Any], *, read: Donation | None = None) -> str:
    """Status and the money moved, from the dispute's balance transactions (withdrawn is
    negative, reinstated positive, both in settlement currency). The disputed amount is carried
    to the donation as its share of the (expanded) charge.

    With ``read`` (the donation as read, unlocked, before Stripe was asked), the facts are
    merged into that copy and written with one ``UPDATE ... WHERE`` every column still holds
    what was read (nothing written if nothing changes): the same result as locking the row,
    reading it and saving, in one statement instead of two. If the row moved meanwhile, the
    donation is locked and read again as before."""
    charge_id = object_id(dispute.get("charge"))
    with transaction.atomic(savepoint=False):
        donation = None
        if read is not None and read.stripe_charge_id == charge_id:
            before = _snapshot(read)
            changed = _merge_dispute(read, dispute)
            if _write_if_unmoved(read, before, changed):
                donation = read
        if donation is None:
            donation = _lock_donation(stripe_charge_id=charge_id)
            if donation is None:
                return DEFERRED
            before = _snapshot(donation)
            changed = _merge_dispute(donation, dispute)
            if changed:
                donation.save(update_fields=[*changed, "updated_at"])
        if donation.dispute_status != before["dispute_status"]:
            status = donation.dispute_status
            money_log.log(
                "dispute_recorded",
                donation=donation,
                dispute=dispute["id"],
                status=status,
                disputed=donation.dispute_amount,
            )
            _after_commit(
                lambda: signals.donation_disputed.send(
                    sender=Donation, donation=donation, dispute_status=status
                )
            )
    return APPLIED if changed else UNCHANGED


def _merge_dispute(donation: Donation, dispute: dict[str, Any]) -> list[str]:
    """Merge the dispute into ``donation`` (in memory); the names of the fields that changed,
    the status they imply included."""
    before = _snapshot(donation)
    charge = dispute.get("charge")
    status = str(dispute.get("status") or "")
    if not (
        donation.dispute_status in CLOSED_DISPUTE_STATUSES and status not in CLOSED_DISPUTE_STATUSES
    ):
        donation.dispute_status = status
    donation.dispute_id = dispute["id"]
    charged = int(charge.get("amount") or 0) if isinstance(charge, dict) else donation.amount
    donation.dispute_amount = _share_of_donation(donation, int(dispute.get("amount") or 0), charged)
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
    donation.status = donation.derived_status()
    return [name for name, value in before.items() if getattr(donation, name) != value]


# --- Writing without the locked read --------------------------------------------------


_UNMOVED_SQL: dict[tuple[str, tuple[str, ...]], str] = {}


def _write_if_unmoved(donation: Donation, before: dict[str, Any], changed: list[str]) -> bool:
    """Write ``changed`` (and ``updated_at``) of an unlocked ``donation`` if its row still holds
    every value it was read with (``before``, and the ``updated_at`` read); True if so, or if
    nothing changed (then nothing is written: the facts were already there when read).

    Like the package's other ``QuerySet.update`` writes, this sends no ``pre_save`` or
    ``post_save``; what a fact changed is announced by the package's own signals."""
    if not changed:
        return True
    connection = transaction.get_connection()
    key = (connection.vendor, tuple(changed))
    if key not in _UNMOVED_SQL:
        _UNMOVED_SQL[key] = _unmoved_sql(connection, tuple(changed))
    fields = {field.attname: field for field in Donation._meta.concrete_fields}
    read_at = donation.updated_at
    donation.updated_at = fields["updated_at"].pre_save(donation, False)  # auto_now
    values = [
        fields[name].get_db_prep_save(getattr(donation, name), connection)
        for name in (*changed, "updated_at")
    ]
    was = {**before, "updated_at": read_at}
    where = [fields[name].get_db_prep_save(was[name], connection) for name in _compared_columns()]
    with connection.cursor() as cursor:
        cursor.execute(_UNMOVED_SQL[key], [*values, donation.pk, *where])
        if cursor.rowcount == 1:
            return True
    donation.updated_at = read_at
    return False


def _compared_columns() -> list[str]:
    return [field.attname for field in Donation._meta.concrete_fields if field.attname != "id"]


def _unmoved_sql(connection: Any, changed: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    fields = {field.attname: field for field in Donation._meta.concrete_fields}
    same = "IS NOT DISTINCT FROM" if connection.vendor == "postgresql" else "IS"
    compared = " AND ".join(
        f"{quote(fields[name].column)} {same if fields[name].null else '='} %s"
        for name in _compared_columns()
    )
    assignments = ", ".join(
        f"{quote(fields[name].column)} = %s" for name in (*changed, "updated_at")
    )
    return (
        f"UPDATE {quote(Donation._meta.db_table)} SET {assignments} "  # noqa: S608 - names from the model
        f"WHERE {quote(fields['id'].column)} = %s AND {compared}"
    )
