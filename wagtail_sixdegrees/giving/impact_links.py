"""Signed links to a donor's private impact page, sent in receipts and update emails.

Giving signs them (the receipt carries one); the impact page in transparency reads them. Each
link names one donation (its reference) and expires after ``IMPACT_LINK_MAX_AGE_DAYS``; signing
again gives a new, equally valid link, so every email carries a fresh one.
"""

from __future__ import annotations

import uuid

from django.core import signing

from .. import conf
from .models import Donation

# Unchanged since the links were first signed in transparency: old emails keep working.
IMPACT_SALT = "wagtail_sixdegrees.transparency.impact-page"
DAY = 24 * 60 * 60


def impact_token(donation: Donation) -> str:
    """A private link token for one donation's impact page."""
    return signing.dumps(donation.reference.hex, salt=IMPACT_SALT)


def impact_max_age() -> int | None:
    days = conf.get_setting("IMPACT_LINK_MAX_AGE_DAYS")
    return None if days is None else int(days) * DAY


def donation_for_impact_token(token: str) -> Donation | None:
    """The donation an impact token names, or None (tampered, expired and unknown alike)."""
    try:
        value = signing.loads(str(token), salt=IMPACT_SALT, max_age=impact_max_age())
        reference = uuid.UUID(hex=str(value))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return Donation.objects.filter(reference=reference).first()
