"""Personal data inside Stripe objects, and keeping it out of what we store about erased donors.

Stripe objects carry the payer's name, address, email and phone in a handful of keys
(``customer_details``, ``billing_details``...). Erasure removes them from the events already
stored; ``scrub_if_erased`` keeps them out of events that arrive afterwards about an erased
donor's customer, subscription, invoices or charges.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import connection, models

from .models import Donation, Donor, RecurringGift

#: Payload keys holding personal data in Stripe objects (customer_details, billing_details...).
PERSONAL_KEYS = frozenset(
    [
        "address",
        "billing_details",
        "customer_address",
        "customer_details",
        "customer_email",
        "customer_name",
        "customer_phone",
        "dedication",
        "email",
        "name",
        "phone",
        "receipt_email",
        "shipping",
        "shipping_details",
    ]
)
ERASED = "[erased]"


def scrub(value: Any, needles: list[str]) -> Any:
    """``value`` (JSON) without personal keys and without any text containing a needle
    (lower-case)."""
    if isinstance(value, dict):
        return {
            key: (None if key in PERSONAL_KEYS and item not in (None, "") else scrub(item, needles))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [scrub(item, needles) for item in value]
    if isinstance(value, str) and any(needle in value.lower() for needle in needles):
        return ERASED
    return value


def _ids_in(obj: dict[str, Any]) -> set[str]:
    """The Stripe ids an object is about: itself and the customer, subscription, invoice,
    payment and charge it names (ids or expanded objects)."""
    found = set()
    details = (obj.get("parent") or {}).get("subscription_details") or {}
    for value in (
        obj.get("id"),
        obj.get("customer"),
        obj.get("subscription"),
        obj.get("invoice"),
        obj.get("payment_intent"),
        obj.get("charge"),
        obj.get("latest_charge"),
        details.get("subscription"),
    ):
        if isinstance(value, dict):
            value = value.get("id")
        if isinstance(value, str) and value:
            found.add(value)
    return found


def about_erased_donor(obj: dict[str, Any]) -> bool:
    """Whether a Stripe object is about a donor whose personal data we erased.

    Asked for every webhook event, so it is one hand-written statement: building the ORM's
    six-way OR over two tables cost more than PostgreSQL took to answer it (profiled with
    bench/webhooks.py --profile)."""
    condition, params = erased_condition(obj)
    if not condition:
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 WHERE {condition}", params)
        return cursor.fetchone() is not None


def erased_condition(obj: dict[str, Any]) -> tuple[str, list[str]]:
    """``about_erased_donor`` as an SQL condition and its parameters, for a statement to carry
    (``webhooks.store_event`` stores an event only where it is false); ``("", [])`` when the
    object names no id, so no donor."""
    ids = sorted(_ids_in(obj))
    if not ids:
        return "", []
    return _erased_sql(len(ids)), ids * (len(_DONATION_ID_COLUMNS) + 2)


_DONATION_ID_COLUMNS = (
    "stripe_customer_id",
    "stripe_checkout_session_id",
    "stripe_payment_intent_id",
    "stripe_charge_id",
    "stripe_invoice_id",
    "dispute_id",
)


@functools.cache
def _erased_sql(count: int) -> str:
    """True if a donation or monthly gift naming one of ``count`` ids belongs to an erased
    donor (one id list per column, each answerable from that column's index)."""
    quote = connection.ops.quote_name
    donors = quote(Donor._meta.db_table)
    marks = "(" + ", ".join(["%s"] * count) + ")"

    def belongs(model: type[models.Model], columns: tuple[str, ...]) -> str:
        table = quote(model._meta.db_table)
        named = " OR ".join(f"t.{quote(column)} IN {marks}" for column in columns)
        # Names from our models, values only as parameters.
        join = f"JOIN {donors} d ON d.id = t.{quote('donor_id')}"
        return (
            f"SELECT 1 FROM {table} t {join} WHERE d.{quote('erased_at')} IS NOT NULL AND ({named})"  # noqa: S608
        )

    gift_columns = ("stripe_subscription_id", "stripe_customer_id")
    return (
        f"(EXISTS ({belongs(Donation, _DONATION_ID_COLUMNS)}) "
        f"OR EXISTS ({belongs(RecurringGift, gift_columns)}))"
    )


def scrub_if_erased(payload: dict[str, Any]) -> dict[str, Any]:
    """A Stripe event as we may store it: without personal data if it is about an erased
    donor, unchanged otherwise."""
    obj = (payload.get("data") or {}).get("object")
    if isinstance(obj, dict) and about_erased_donor(obj):
        return scrub(payload, [])
    return payload
