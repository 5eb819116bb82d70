"""Processing Stripe events: store first, then apply in one transaction, idempotently.

``store_event`` saves the verified event (one row per Stripe event id) before anything else, so
a crash mid-way leaves evidence and a redelivery can finish the job. ``process_event`` first
reads from Stripe what the event needs (no transaction open, no row locked), then locks that
row, returns at once if it was already processed, and otherwise applies the event through
``fulfilment`` inside one transaction: either everything the event implies is recorded, or
nothing is, and the error is kept on the row for the next attempt. Events from the other Stripe
mode than the configured key's are refused (outcome ``refused``), never applied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F
from django.utils import timezone

from . import fulfilment, money_log, monthly, stripe_objects
from .gateway import StripeGateway, key_livemode
from .models import Donation, StripeEvent
from .privacy import erased_condition, scrub_if_erased

logger = logging.getLogger(__name__)

#: Reads what an event's object is now (from Stripe, outside any transaction) and returns the
#: step that records it.
Prepare = Callable[[dict, StripeGateway], fulfilment.Apply]


def _checkout(failed: bool = False) -> Prepare:
    def prepare(session: dict, gateway: StripeGateway) -> fulfilment.Apply:
        return fulfilment.prepare_checkout_session(session, gateway, failed=failed)

    return prepare


def _checkout_ended(failed: bool = False) -> Prepare:
    """Expired or failed: both end a gift, so act on the session as Stripe has it now."""

    def prepare(session: dict, gateway: StripeGateway) -> fulfilment.Apply:
        reference = stripe_objects.parse_reference(
            session.get("client_reference_id") or (session.get("metadata") or {}).get("donation")
        )
        ours = (
            Donation.objects.filter(reference=reference)
            .values_list("stripe_checkout_session_id", flat=True)
            .first()
            if reference is not None
            else None
        )
        if ours is None:
            return fulfilment.constant(fulfilment.IGNORED)
        if ours != session.get("id"):
            # Not the session we created: recorded as a mismatch, not read on a stranger's behalf.
            return fulfilment.prepare_checkout_session(session, gateway, failed=failed)
        return fulfilment.prepare_checkout_session(
            gateway.retrieve_checkout_session(session["id"]), gateway, failed=failed
        )

    return prepare


def _invoice_paid(invoice: dict, gateway: StripeGateway) -> fulfilment.Apply:
    subscription_id, metadata = stripe_objects.subscription_of(invoice)
    if fulfilment.find_gift(subscription_id, metadata) is None:
        return fulfilment.constant(fulfilment.IGNORED)  # another product on the same account
    return fulfilment.prepare_invoice(gateway.retrieve_invoice(invoice["id"]), gateway)


def _subscription(subscription: dict, gateway: StripeGateway) -> fulfilment.Apply:
    if fulfilment.find_gift(subscription["id"], dict(subscription.get("metadata") or {})) is None:
        return fulfilment.constant(fulfilment.IGNORED)
    # Updates arrive out of order and a deletion ends the gift: read the subscription as it is.
    return fulfilment.prepare_subscription(
        gateway.retrieve_subscription(subscription["id"]), gateway
    )


def _charge_refunded(charge: dict, gateway: StripeGateway) -> fulfilment.Apply:
    return fulfilment.prepare_charge(str(charge.get("id") or ""), gateway)


def _refund_updated(refund: dict, gateway: StripeGateway) -> fulfilment.Apply:
    """A refund moved on (the donor gave bank details, or never did): read its charge again."""
    return fulfilment.prepare_charge(stripe_objects.object_id(refund.get("charge")), gateway)


def _dispute(dispute: dict, gateway: StripeGateway) -> fulfilment.Apply:
    return fulfilment.prepare_dispute(dispute, gateway)


#: Every event type we act on (enable these on the webhook endpoint); others are stored and
#: acknowledged.
HANDLERS: dict[str, Prepare] = {
    "checkout.session.completed": _checkout(),
    "checkout.session.async_payment_succeeded": _checkout(),
    "checkout.session.async_payment_failed": _checkout_ended(failed=True),
    "checkout.session.expired": _checkout_ended(),
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": monthly.prepare_payment_failed,
    "payment_method.attached": monthly.prepare_card_attached,
    "customer.subscription.updated": _subscription,
    "customer.subscription.deleted": _subscription,
    "charge.refunded": _charge_refunded,
    "refund.updated": _refund_updated,
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
    if obj.get("object") in ("dispute", "refund"):
        return stripe_objects.object_id(obj.get("charge"))
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
        created=stripe_objects.timestamp(payload.get("created")),
        object_id=str(obj.get("id") or "")[:255],
        charge_id=_charge_id_of(obj)[:255],
        payload=payload,
    )
    connection = transaction.get_connection()
    if not _can_insert_or_ignore(connection):
        return _store_by_save(event, payload)
    # One statement: stored unless delivered before (the unique Stripe id) or about a donor
    # whose personal data we erased (then it is stored below, without that data).
    condition, params = erased_condition(obj)
    if _insert_or_ignore(connection, event, condition, params):
        return event
    # Delivered before, or about an erased donor: an erased donor's later events (a renewal
    # carrying customer_email) keep no address. Erasure is final, so asking again is safe.
    event.payload = scrub_if_erased(payload)
    _insert_or_ignore(connection, event, "", [])
    return event


def _can_insert_or_ignore(connection: BaseDatabaseWrapper) -> bool:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING`` with the same spelling: PostgreSQL, and
    SQLite from 3.35."""
    if connection.vendor == "postgresql":
        return True
    if connection.vendor != "sqlite":
        return False
    import sqlite3

    return sqlite3.sqlite_version_info >= (3, 35)


_INSERT_SQL: dict[tuple[str, bool], tuple[str, tuple[str, ...]]] = {}


def _insert_sql(connection: BaseDatabaseWrapper, erased_check: bool) -> tuple[str, tuple[str, ...]]:
    key = (connection.vendor, erased_check)
    if key not in _INSERT_SQL:
        _INSERT_SQL[key] = _build_insert_sql(connection.ops.quote_name, erased_check)
    return _INSERT_SQL[key]


def _build_insert_sql(
    quote: Callable[[str], str], erased_check: bool
) -> tuple[str, tuple[str, ...]]:
    columns = tuple(
        field.attname for field in StripeEvent._meta.concrete_fields if field.attname != "id"
    )
    where = "WHERE NOT {}" if erased_check else "WHERE 1 = 1"  # SQLite needs the WHERE
    sql = (
        f"INSERT INTO {quote(StripeEvent._meta.db_table)} "
        f"({', '.join(quote(column) for column in columns)}) "
        f"SELECT {', '.join(['%s'] * len(columns))} {where} "
        f"ON CONFLICT ({quote('stripe_id')}) DO NOTHING RETURNING {quote('id')}"
    )
    return sql, columns


def _insert_or_ignore(
    connection: BaseDatabaseWrapper, event: StripeEvent, condition: str, params: list[str]
) -> bool:
    """Insert ``event`` unless its Stripe id is stored (or ``condition`` holds); True (and the
    row's id on ``event``) if this call stored it. No error, so no savepoint: a caller's open
    transaction is never spoiled by a redelivery."""
    sql, columns = _insert_sql(connection, bool(condition))
    fields = {field.attname: field for field in StripeEvent._meta.concrete_fields}
    values = [
        fields[column].get_db_prep_save(fields[column].pre_save(event, True), connection)
        for column in columns
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{}", condition) if condition else sql, [*values, *params])
        row = cursor.fetchone()
    event.is_new = row is not None
    if row is not None:
        event.pk = row[0]
        event._state.adding = False
        event._state.db = connection.alias
    return event.is_new


def _store_by_save(event: StripeEvent, payload: dict[str, Any]) -> StripeEvent:
    """Other databases: the INSERT, and the unique Stripe id refusing a redelivery."""
    # An erased donor's later events (a renewal carrying customer_email) keep no address.
    event.payload = scrub_if_erased(payload)
    event.is_new = True
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():  # a savepoint: a duplicate must not spoil the caller's work
                event.save(force_insert=True)
        else:
            event.save(force_insert=True)
    except IntegrityError:
        event.is_new = False  # delivered before
    return event


def _prepare(event_type: str, payload: dict[str, Any], gateway: StripeGateway) -> fulfilment.Apply:
    """Read from Stripe what the event needs; return the step that records it."""
    mode = key_livemode()
    if mode is not None and bool(payload.get("livemode")) != mode:
        detail = "A {} event sent to a site whose Stripe key is in {} mode.".format(
            "live-mode" if payload.get("livemode") else "test-mode", "live" if mode else "test"
        )
        logger.warning("Refused Stripe event %s: %s", payload.get("id"), detail)
        return fulfilment.constant(fulfilment.Noted(fulfilment.REFUSED, detail))
    handler = HANDLERS.get(event_type)
    if handler is None:
        return fulfilment.constant(fulfilment.IGNORED)
    return handler(payload["data"]["object"], gateway)


def _record(event: StripeEvent, outcome: str) -> None:
    event.outcome = outcome
    event.detail = str(getattr(outcome, "detail", ""))[:500]


def process_event(
    stripe_id: str,
    gateway: StripeGateway | None = None,
    *,
    payload: dict[str, Any] | None = None,
    stored: StripeEvent | None = None,
) -> StripeEvent:
    """Apply a stored event once. Raises (after recording the error) if applying fails.

    Stripe is read first, with no transaction open and no row locked; then, in one
    transaction, the facts are applied (under the donation's or gift's lock) and the event is
    claimed with one conditional UPDATE (``processed_at IS NULL``). A concurrent delivery of the
    same event that claimed it first makes ours change nothing: its transaction is rolled back,
    signals and tasks included. ``payload`` saves reading back the JSON the caller just stored,
    and ``stored`` (the row ``store_event`` just inserted) reading the row at all."""
    with money_log.bound(event=stripe_id):
        try:
            if stored is not None and payload is not None and getattr(stored, "is_new", False):
                event = stored
            else:
                rows = (
                    StripeEvent.objects.defer("payload")
                    if payload is not None
                    else StripeEvent.objects
                )
                event = rows.get(stripe_id=stripe_id)
                if event.processed_at is not None:
                    return event
            apply = _prepare(
                event.type,
                payload if payload is not None else event.payload,
                gateway or StripeGateway(),
            )
            with transaction.atomic():
                _record(event, apply())
                event.processed_at = timezone.now()
                claimed = _claim(event)
                if not claimed:
                    transaction.set_rollback(True)  # applied by another delivery meanwhile
            if not claimed:
                return StripeEvent.objects.defer("payload").get(stripe_id=stripe_id)
        except Exception as error:
            StripeEvent.objects.filter(stripe_id=stripe_id).update(
                attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:5000]
            )
            money_log.log("event_failed", level=logging.WARNING, error=type(error).__name__)
            raise
        money_log.log("event_processed", type=event.type, outcome=event.outcome)
    return event


_CLAIM_SQL: dict[str, str] = {}


def _claim(event: StripeEvent) -> bool:
    """Mark ``event`` processed with its outcome, if no other delivery did: one hand-written
    ``UPDATE ... WHERE processed_at IS NULL`` (the ORM's compiling of it was a measurable part
    of each webhook). True if this call claimed it."""
    connection = transaction.get_connection()
    if connection.vendor not in _CLAIM_SQL:
        quote = connection.ops.quote_name
        _CLAIM_SQL[connection.vendor] = (
            f"UPDATE {quote(StripeEvent._meta.db_table)} SET "  # noqa: S608 - names from the model
            f"{quote('outcome')} = %s, {quote('detail')} = %s, {quote('processed_at')} = %s, "
            f"{quote('attempts')} = {quote('attempts')} + 1, {quote('last_error')} = '' "
            f"WHERE {quote('stripe_id')} = %s AND {quote('processed_at')} IS NULL"
        )
    processed_at = StripeEvent._meta.get_field("processed_at")
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM_SQL[connection.vendor],
            [
                str(event.outcome),
                event.detail,
                processed_at.get_db_prep_save(event.processed_at, connection),
                event.stripe_id,
            ],
        )
        return cursor.rowcount == 1


def replay_deferred(charge_id: str) -> None:
    """Apply the charge and dispute events that arrived before the payment they are about.

    Runs after the payment's transaction commits: each event is read from Stripe first, then
    its row is locked and applied; events another process is busy with are skipped (that
    process finds the payment, which is committed)."""
    if not charge_id:
        return
    waiting = StripeEvent.objects.filter(
        outcome=StripeEvent.Outcome.DEFERRED, charge_id=charge_id
    ).order_by("created", "pk")
    gateway = None
    for stripe_id, event_type, payload in waiting.values_list("stripe_id", "type", "payload"):
        gateway = gateway or StripeGateway()
        try:
            with money_log.bound(event=stripe_id):
                apply = _prepare(event_type, payload, gateway)
            with transaction.atomic():
                event = (
                    StripeEvent.objects.select_for_update(skip_locked=True)
                    .defer("payload")
                    .filter(stripe_id=stripe_id, outcome=StripeEvent.Outcome.DEFERRED)
                    .first()
                )
                if event is None:
                    continue
                with money_log.bound(event=stripe_id):
                    _record(event, apply())
                event.save(update_fields=["outcome", "detail"])
            money_log.log("event_replayed", event=stripe_id, outcome=event.outcome)
        except Exception as error:
            logger.exception("Replaying deferred Stripe event %s failed", stripe_id)
            StripeEvent.objects.filter(stripe_id=stripe_id).update(
                last_error=f"{type(error).__name__}: {error}"[:5000]
            )
