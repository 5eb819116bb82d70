"""Signed links and form tokens. Each kind has its own salt, so one can never stand in for another.

* Impact links name one donation (its reference) and expire after ``IMPACT_LINK_MAX_AGE_DAYS``.
  Signing again gives a new, equally valid link: every email carries a fresh one.
* Stop-updates links name one donor and do not expire (they sit in old emails).
* Embed form tokens are the donate form's tokens (``giving.form_tokens``): they name one
  rendered form and replace the CSRF cookie that a third-party iframe never receives.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core import signing
from django.db.models import Model

from .. import conf
from ..giving.form_tokens import form_token as embed_form_token
from ..giving.form_tokens import form_token_matches as embed_form_token_matches

IMPACT_SALT = "wagtail_sixdegrees.transparency.impact-page"
STOP_UPDATES_SALT = "wagtail_sixdegrees.transparency.stop-updates"

__all__ = [
    "donation_for_impact_token",
    "donor_for_stop_updates_token",
    "embed_form_token",
    "embed_form_token_matches",
    "impact_token",
    "stop_updates_token",
]

DAY = 24 * 60 * 60


def _loads(token: str, salt: str, max_age: int | None) -> Any:
    """The signed value, or None for a tampered, expired or malformed token (alike)."""
    try:
        return signing.loads(str(token), salt=salt, max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        return None


def impact_token(donation: Model) -> str:
    """A private link token for one donation's impact page."""
    return signing.dumps(donation.reference.hex, salt=IMPACT_SALT)


def impact_max_age() -> int | None:
    days = conf.get_setting("IMPACT_LINK_MAX_AGE_DAYS")
    return None if days is None else int(days) * DAY


def donation_for_impact_token(token: str):
    """The donation an impact token names, or None (tampered, expired and unknown alike)."""
    from ..giving.models import Donation

    value = _loads(token, IMPACT_SALT, impact_max_age())
    try:
        reference = uuid.UUID(hex=str(value))
    except ValueError:
        return None
    return Donation.objects.select_related("donor").filter(reference=reference).first()


def stop_updates_token(donor: Model) -> str:
    return signing.dumps(donor.pk, salt=STOP_UPDATES_SALT)


def donor_for_stop_updates_token(token: str):
    from ..giving.models import Donor

    value = _loads(token, STOP_UPDATES_SALT, None)
    if not isinstance(value, int):
        return None
    return Donor.objects.filter(pk=value).first()
