"""URL namespaces of the Giving panel's screens (``reverse(f"{DONATIONS}:inspect", ...)``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse, reverse_lazy

DASHBOARD = "sixdegrees_dashboard"
DONATIONS = "sixdegrees_donations"
NEEDS_PROGRESS = "sixdegrees_needs_progress"
RUNS = "sixdegrees_runs"
REALLOCATE = "sixdegrees_reallocate"
DISBURSEMENTS = "sixdegrees_disbursements"
LEDGER = "sixdegrees_ledger"
AUDIT = "sixdegrees_audit"
OFFLINE = "sixdegrees_offline"
NEED_CHOICES = "sixdegrees_need_choices"


def url(namespace: str, view: str = "index", *args: Any) -> str:
    return reverse(f"{namespace}:{view}", args=args)


def url_lazy(namespace: str, view: str = "index") -> Any:
    """For class attributes, read before the admin's URLs exist."""
    return reverse_lazy(f"{namespace}:{view}")
