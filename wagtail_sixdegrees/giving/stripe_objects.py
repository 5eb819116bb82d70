"""Reading Stripe objects as they arrive (webhook payloads, API responses as dicts): the one
public home for the small helpers every part of giving needs, so no module reaches into
another's private names for them."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

__all__ = ["object_id", "parse_reference", "payment_intent_of", "subscription_of", "timestamp"]


def object_id(value: Any) -> str:
    """An expandable field's id, whether Stripe sent the id or the expanded object."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def timestamp(value: Any) -> datetime.datetime | None:
    """A Stripe Unix timestamp as an aware datetime (None for a missing one)."""
    if not value:
        return None
    return datetime.datetime.fromtimestamp(int(value), tz=datetime.UTC)


def parse_reference(value: Any) -> uuid.UUID | None:
    """One of our donation or gift references from metadata, or None if it is not a UUID."""
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def subscription_of(invoice: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The invoice's subscription id and metadata, in current and pre-2025 API shapes."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    subscription = object_id(details.get("subscription") or invoice.get("subscription"))
    metadata = details.get("metadata") or (invoice.get("subscription_details") or {}).get(
        "metadata"
    )
    return subscription, dict(metadata or {})


def payment_intent_of(invoice: dict[str, Any]) -> str:
    """The payment intent that paid the invoice, in current and pre-2025 API shapes."""
    for payment in (invoice.get("payments") or {}).get("data") or []:
        if payment.get("status") == "paid":
            found = object_id((payment.get("payment") or {}).get("payment_intent"))
            if found:
                return found
    return object_id(invoice.get("payment_intent"))
