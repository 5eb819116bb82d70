"""Steps of the campaign-spike test, each run in its own process with
tests.testapp.settings_scale (PostgreSQL, Redis, RQ), against the spike's own database.

python -m tests.giving.spike_scenario setup    # needs, causes, regions; prints the targets
python -m tests.giving.spike_scenario verify   # prints what the spike left, as JSON
"""

from __future__ import annotations

import json
import sys

import django


def setup() -> dict:
    from tests.factories import make_cause, make_need, make_region

    shelter, legal = make_cause("Shelter"), make_cause("Legal aid")
    north = make_region("North")
    usd = make_need(
        title="Spike shelter beds", cause=shelter, region=north, target_amount=2_000_000
    )
    # Small on purpose: filled early in the spike, so later shares overflow to its cause.
    small = make_need(title="Spike bus fares", cause=shelter, target_amount=20_000)
    thb = make_need(
        title="Spike legal fees", cause=legal, currency="THB", target_amount=500_000_000
    )
    anywhere = [f"cause:{shelter.pk}", f"cause:{legal.pk}:region:{north.pk}", "general"]
    return {
        "USD": [f"need:{usd.pk}", f"need:{small.pk}", *anywhere],
        "THB": [f"need:{thb.pk}", *anywhere],
        "VND": anywhere,
        "JPY": [f"region:{north.pk}", *anywhere],
    }


def verify() -> dict:
    from django.db.models import Count, Sum

    from wagtail_sixdegrees.allocation.audit import run_audit
    from wagtail_sixdegrees.allocation.models import LedgerEntry
    from wagtail_sixdegrees.models import Donation, StripeEvent

    paid = list(Donation.objects.filter(paid_at__isnull=False))
    allocated = dict(
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ALLOCATE)
        .values_list("donation_id")
        .annotate(total=Sum("amount"))
    )
    wrong = [
        {
            "donation": str(donation.reference),
            "allocatable": donation.allocatable_amount,
            "allocated": allocated.get(donation.pk, 0),
        }
        for donation in paid
        if allocated.get(donation.pk, 0) != donation.allocatable_amount
    ]
    audit = run_audit()
    events = StripeEvent.objects.values("type").annotate(count=Count("pk"))
    return {
        "paid": len(paid),
        "paid_by_currency": dict(
            Donation.objects.filter(paid_at__isnull=False)
            .values_list("currency")
            .annotate(count=Count("pk"))
        ),
        "paid_monthly": sum(donation.frequency == "monthly" for donation in paid),
        "paid_split": Donation.objects.filter(paid_at__isnull=False)
        .annotate(parts=Count("preferences"))
        .filter(parts__gt=1)
        .count(),
        "pending": Donation.objects.filter(paid_at__isnull=True).count(),
        "not_allocated_exactly": wrong,
        "unprocessed_events": StripeEvent.objects.filter(processed_at__isnull=True).count(),
        "event_types": {row["type"]: row["count"] for row in events},
        "mismatches": Donation.objects.exclude(payment_mismatch="").count(),
        "audit_ok": audit.ok,
        "audit_violations": [str(finding.message) for finding in audit.violations][:20],
        "references": {str(donation.reference): donation.pk for donation in paid},
    }


if __name__ == "__main__":
    django.setup()
    step = {"setup": setup, "verify": verify}[sys.argv[1]]
    print(json.dumps(step(), default=str))
