"""Signed links and form tokens. Each kind has its own salt, so one can never stand in for another.

* Impact links are signed by giving (``giving.impact_links``: receipts carry them) and
  re-exported here for the impact page.
* Stop-updates links name one donor and do not expire (they sit in old emails).
* Embed form tokens are the donate form's tokens (``giving.form_tokens``): they name one
  rendered form and replace the CSRF cookie that a third-party iframe never receives.
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.db.models import Model

from ..giving.form_tokens import form_token as embed_form_token
from ..giving.form_tokens import form_token_matches as embed_form_token_matches
from ..giving.impact_links import (
    IMPACT_SALT,
    donation_for_impact_token,
    impact_max_age,
    impact_token,
)

STOP_UPDATES_SALT = "wagtail_sixdegrees.transparency.stop-updates"

__all__ = [
    "IMPACT_SALT",
    "donation_for_impact_token",
    "donor_for_stop_updates_token",
    "embed_form_token",
    "embed_form_token_matches",
    "impact_max_age",
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


def stop_updates_token(donor: Model) -> str:
    return signing.dumps(donor.pk, salt=STOP_UPDATES_SALT)


def donor_for_stop_updates_token(token: str):
    from ..giving.models import Donor

    value = _loads(token, STOP_UPDATES_SALT, None)
    if not isinstance(value, int):
        return None
    return Donor.objects.filter(pk=value).first()
