"""Processing Stripe events: store first, then apply in one transaction, idempotently.

``store_event`` saves the verified event (one row per Stripe event id) before anything else, so
a crash mid-way leaves evidence and a redelivery can finish the job. ``process_event`` locks
that row, returns at once if it was already processed, and otherwise applies the event through
``fulfilment`` inside the same transaction: either everything the event implies is recorded, or
nothing is, and the error is kept on the row for the next attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import fulfilment
from .gateway import StripeGateway
from .models import Donation, StripeEvent

logger = logging.getLogger(__name__)


def _checkout(failed: bool = False) -> Callable[[dict, StripeGateway], str]:
    def handle(session: dict, gateway: StripeGateway) -> str:
        return fulfilment.apply_checkout_session(session, gateway, failed=failed)

    return handle


def _invoice_paid(invoice: dict, gateway: StripeGateway) -> str:
    subscription_id, metadata = fulfilment._subscription_of(invoice)
    if fulfilment._find_gift(subscription_id, metadata) is None:
        return fulfilment.IGNORED  # another product on the same Stripe account
    return fulfilment.apply_invoice(gateway.retrieve_invoice(invoice["id"]), gateway)


def _subscription_updated(subscription: dict, gateway: StripeGateway) -> str:
    if fulfilment._find_gift(subscription["id"], dict(subscription.get("metadata") or {})) is None:
        return fulfilment.IGNORED
    # Updates can arrive out of order: read the subscription as it is now.
    return fulfilment.apply_subscription(gateway.retrieve_subscription(subscription["id"]))


def _subscription_deleted(subscription: dict, gateway: StripeGateway) -> str:
    return fulfilment.apply_subscription(subscription, deleted=True)


def _charge_refunded(charge: dict, gateway: StripeGateway) -> str:
    if not Donation.objects.filter(stripe_charge_id=charge["id"]).exists():
        return fulfilment.DEFERRED
    # The cumulative refunded amount and every refund's balance transaction, as they are now.
    return fulfilment.apply_charge(gateway.retrieve_charge(charge["id"]))


def _dispute(dispute: dict, gateway: StripeGateway) -> str:
    return fulfilment.apply_dispute(dispute)


#: Every event type we act on (enable these on the webhook endpoint); others are stored and
#: acknowledged.
HANDLERS: dict[str, Callable[[dict, StripeGateway], str]] = {
    "checkout.session.completed": _checkout(),
    "checkout.session.async_payment_succeeded": _checkout(),
    "checkout.session.async_payment_failed": _checkout(failed=True),
    "checkout.session.expired": _checkout(),
    "invoice.paid": _invoice_paid,
    "customer.subscription.updated": _subscription_updated,
    "customer.subscription.deleted": _subscription_deleted,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute,
    "charge.dispute.updated": _dispute,
    "charge.dispute.funds_withdrawn": _dispute,
    "charge.dispute.funds_reinstated": _dispute,
    "charge.dispute.closed": _dispute,
}
HANDLED_EVENT_TYPES = tuple(HANDLERS)


class MalformedEvent(ValueError):
    """Signed, but not shaped like a Stripe event."""


def _charge_id_of(obj: dict[str, Any]) -> str:
    if obj.get("object") == "charge":
        return str(obj.get("id") or "")
    if obj.get("object") == "dispute":
        return fulfilment._id(obj.get("charge"))
    return ""


def store_event(payload: dict[str, Any]) -> StripeEvent:
    """Save a verified event (or find it, if Stripe delivered it before)."""
    try:
        stripe_id, event_type = payload["id"], payload["type"]
        obj = payload["data"]["object"]
        if not (
            isinstance(stripe_id, str) and isinstance(event_type, str) and isinstance(obj, dict)
        ):
            raise TypeError
    except (KeyError, TypeError) as error:
        raise MalformedEvent("not a Stripe event") from error
    event = StripeEvent(
        stripe_id=stripe_id[:255],
        type=event_type[:100],
        livemode=bool(payload.get("livemode")),
        api_version=str(payload.get("api_version") or "")[:64],
        created=fulfilment._timestamp(payload.get("created")),
        object_id=str(obj.get("id") or "")[:255],
        charge_id=_charge_id_of(obj)[:255],
        payload=payload,
    )
    # One INSERT, committed on its own before processing starts. A redelivery hits the unique
    # Stripe id instead, and processing then finds the row stored the first time.
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():  # a savepoint: a duplicate must not spoil the caller's work
                event.save(force_insert=True)
        else:
            event.save(force_insert=True)
    except IntegrityError:
        pass  # delivered before
    return event


def _apply(event_type: str, payload: dict[str, Any], gateway: StripeGateway) -> str:
    handler = HANDLERS.get(event_type)
    if handler is None:
        return fulfilment.IGNORED
    return handler(payload["data"]["object"], gateway)


def process_event(
    stripe_id: str, gateway: StripeGateway | None = None, *, payload: dict[str, Any] | None = None
) -> StripeEvent:
    """Apply a stored event once. Raises (after recording the error) if applying fails.

    ``payload`` saves reading back the JSON the caller just stored."""
    try:
        with transaction.atomic():
            # The row lock makes concurrent deliveries of one event wait here, then find it done.
            rows = StripeEvent.objects.select_for_update()
            if payload is not None:
                rows = rows.defer("payload")
            event = rows.get(stripe_id=stripe_id)
            if event.processed_at is not None:
                return event
            if payload is None:
                payload = event.payload
            event.outcome = _apply(event.type, payload, gateway or StripeGateway())
            event.processed_at = timezone.now()
            event.attempts += 1
            event.last_error = ""
            event.save(update_fields=["outcome", "processed_at", "attempts", "last_error"])
    except Exception as error:
        StripeEvent.objects.filter(stripe_id=stripe_id).update(
            attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:5000]
        )
        raise
    return event


def replay_deferred(charge_id: str) -> None:
    """Apply the charge and dispute events that arrived before the payment they are about.

    Called inside the transaction that records the payment; events another process is busy
    with are skipped (that process will find the payment once this transaction commits)."""
    if not charge_id:
        return
    waiting = (
        StripeEvent.objects.select_for_update(skip_locked=True)
        .filter(outcome=StripeEvent.Outcome.DEFERRED, charge_id=charge_id)
        .order_by("created", "pk")
    )
    gateway = None
    for event in waiting:
        gateway = gateway or StripeGateway()
        event.outcome = _apply(event.type, event.payload, gateway)
        event.save(update_fields=["outcome"])
