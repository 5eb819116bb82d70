"""Fictional allocation work: everything paid is allocated, and one need has paid out part of
what it holds to its (fictional) partner, so progress bars and the audit have something to show."""

from __future__ import annotations

import datetime

from django.utils import timezone

from wagtail_sixdegrees.allocation import balances, ledger
from wagtail_sixdegrees.allocation.audit import run_audit
from wagtail_sixdegrees.models import Disbursement, Need

DEMO_REFERENCE = "DEMO-TRANSFER-0001 (fictional)"


def ensure_allocation() -> dict[str, int | str]:
    # Gifts only: moving pool money into needs is the manager's allocation run (month.py).
    outcome = ledger.allocate(include_pools=False)
    if not Disbursement.objects.filter(reference=DEMO_REFERENCE).exists():
        fullest = max(
            Need.objects.with_progress().filter(pk__in=balances.canonical_needs().values("pk")),
            key=lambda need: need.allocated - need.disbursed,
            default=None,
        )
        available = (fullest.allocated - fullest.disbursed) if fullest else 0
        amount = available // 2 // 100 * 100  # a round figure, as a bank transfer would be
        if fullest and amount > 0:
            ledger.record_disbursement(
                fullest,
                amount,
                paid_on=timezone.localdate() - datetime.timedelta(days=3),
                actor=None,
                reference=DEMO_REFERENCE,
                note="Fictional: the first month of shelter costs.",
            )
    report = run_audit()
    return {
        "ledger lines written now": outcome.written,
        "disbursements": Disbursement.objects.count(),
        "audit": "passes" if report.ok else f"{len(report.violations)} violation(s)",
    }
