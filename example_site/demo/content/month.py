"""A fictional month of giving work, so a giving manager can try everything from the panel.

More paid gifts in USD, THB and VND through the real path (form, devstripe checkout, webhook):
some for "where most needed" (general pool money to reallocate), some for a cause with no open
need in their currency (restricted money waiting). Then the month's events: one gift refunded
(through the panel's refund code and Stripe's webhook), one disputed, a need that opened and
the committed allocation run that filled it, a need that opened since (so a new preview has
something to place) and one that opens next week (money keeps waiting for it).
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.models import Locale, Page, Site

from demo.content.giving import demo_stripe, pay
from demo.content.site import DEMO_USERNAME
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.giving import refunds
from wagtail_sixdegrees.giving.targets import GENERAL, Target
from wagtail_sixdegrees.giving.webhooks import process_event, store_event
from wagtail_sixdegrees.models import (
    AllocationRun,
    Cause,
    Donation,
    GivingSettings,
    Need,
    Partner,
    Priority,
    Region,
)

# (fictional email, minor units, currency, target: "general", "cause:<slug>" or "need:<title>",
# may be used where most needed)
GIFTS = [
    ("demo-donor-eli@example.org", 10_000, "USD", "general", True),
    ("demo-donor-fah@example.org", 150_000, "THB", "general", True),
    ("demo-donor-gia@example.org", 200_000, "THB", "cause:legal-aid", False),
    ("demo-donor-hung@example.org", 1_000_000, "VND", "cause:safe-return", False),
    ("demo-donor-kim@example.org", 120_000, "THB", "cause:education", False),
    (
        "demo-donor-ima@example.org",
        4_000,
        "USD",
        "need:Bus fares and escorts for the journey home",
        True,
    ),
    ("demo-donor-jo@example.org", 6_000, "USD", "cause:medical-care", True),
]
REFUNDED = "demo-donor-ima@example.org"
DISPUTED = "demo-donor-jo@example.org"

# (title, cause, region, partner, target, currency, priority, opens in days): needs that open
# during the month. The first is filled by the demo's committed run; the second opened since,
# waiting for the manager's next run; the third opens next week.
OPENING_NEEDS = [
    (
        "Legal advice for returnees in Chiang Rai",
        "legal-aid",
        "chiang-rai",
        "Open Road Legal Aid (fictional)",
        5_000_000,
        "THB",
        Priority.HIGH,
        -5,
    ),
    (
        "Safe journey home from An Giang",
        "safe-return",
        "an-giang",
        "Open Road Legal Aid (fictional)",
        20_000_000,
        "VND",
        Priority.URGENT,
        -1,
    ),
    (
        "Catch-up classes in Chiang Rai",
        "education",
        "chiang-rai",
        "Harbour House Shelter (fictional)",
        3_000_000,
        "THB",
        Priority.NORMAL,
        7,
    ),
]


def _target(spec: str) -> list[tuple[Target, int]]:
    if spec.startswith("cause:"):
        cause = Cause.objects.get(locale=Locale.get_default(), slug=spec.split(":", 1)[1])
        return [(Target("cause", cause=cause), 10_000)]
    if spec.startswith("need:"):
        need = Need.objects.get(locale=Locale.get_default(), title=spec.split(":", 1)[1])
        return [(Target("need", need=need), 10_000)]
    return [(GENERAL, 10_000)]


def ensure_month_gifts(home: Page) -> dict[str, int]:
    """The month's paid gifts (allocated automatically once this transaction commits)."""
    site = Site.objects.get(root_page=home)
    organisation = GivingSettings.for_site(site).organisation
    made = 0
    with demo_stripe() as state:
        for email, amount, currency, target, flexible in GIFTS:
            if Donation.objects.filter(donor__email=email).exists():
                continue
            pay(
                state,
                site,
                organisation,
                email=email,
                amount=amount,
                currency=currency,
                targets=_target(target),
                flexible=flexible,
            )
            made += 1
    return {"gifts this month": made}


def _open_need(spec: tuple) -> Need:
    title, cause, region, partner, target, currency, priority, opens_in = spec
    locale = Locale.get_default()
    need = Need.objects.filter(locale=locale, title=title).first()
    if need is None:
        today = timezone.localdate()
        need = Need.objects.create(
            locale=locale,
            title=title,
            summary=f"Fictional example: {title.lower()}.",
            cause=Cause.objects.get(locale=locale, slug=cause),
            region=Region.objects.get(locale=locale, slug=region),
            partner=Partner.objects.get(name=partner),
            target_amount=target,
            currency=currency,
            priority=priority,
            opens_on=today + datetime.timedelta(days=opens_in),
            closes_on=today + datetime.timedelta(days=120),
        )
        need.save_revision().publish()
    return need


def _apply_new_events(state, before: int) -> None:
    for event in state.events[before:]:
        process_event(store_event(event).stripe_id)


def ensure_month_work() -> dict[str, int | str]:
    """Refund one gift, dispute another, open needs and commit one run (idempotent)."""
    manager = get_user_model().objects.get(username=DEMO_USERNAME)
    with demo_stripe() as state:
        refunded = Donation.objects.get(donor__email=REFUNDED)
        if refunded.amount_refunded == 0 and refunds.refusal(refunded) is None:
            before = len(state.events)
            refunds.request_refund(
                refunded,
                refunded.amount,
                reason="Fictional: the donor gave twice by mistake and asked for this one back.",
                stripe_reason=refunds.StripeReason.DUPLICATE,
                user=manager,
                request_key="demo-refund",
            )
            _apply_new_events(state, before)
        disputed = Donation.objects.get(donor__email=DISPUTED)
        if not disputed.dispute_id:
            before = len(state.events)
            state.dispute(disputed.stripe_charge_id, "needs_response")
            _apply_new_events(state, before)

    _open_need(OPENING_NEEDS[0])
    if not AllocationRun.objects.filter(
        status=AllocationRun.Status.COMMITTED, committed_by=manager
    ).exists():
        ledger.commit_run(ledger.preview_run(actor=manager), actor=manager)
    for spec in OPENING_NEEDS[1:]:
        _open_need(spec)
    return {
        "refunded demo donations": Donation.objects.filter(
            donor__email=REFUNDED, status=Donation.Status.REFUNDED
        ).count(),
        "disputed demo donations": Donation.objects.filter(status=Donation.Status.DISPUTED).count(),
        "committed allocation runs": AllocationRun.objects.filter(
            status=AllocationRun.Status.COMMITTED
        ).count(),
    }
