"""Duplicates and any arrival order end in the same state as clean, in-order delivery."""

from __future__ import annotations

import time

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_need
from tests.helpers import post_event
from tests.profile import examples
from wagtail_sixdegrees.models import Donation, RecurringGift

pytestmark = pytest.mark.django_db

# R1: 10,000 streams with 0 divergences before a release (make test-deep); CI runs a few.
STREAMS = examples(small=25, deep_count=10_000)

DONATION_FIELDS = [
    "status",
    "amount",
    "currency",
    "frequency",
    "amount_refunded",
    "refunded_settlement_amount",
    "settlement_currency",
    "settlement_amount",
    "fee_amount",
    "net_amount",
    "dispute_status",
    "dispute_funds_withdrawn",
    "dispute_funds_reinstated",
    "dispute_fee_amount",
    "stripe_charge_id",
    "stripe_invoice_id",
    "stripe_payment_intent_id",
    "paid_at",
    "created_at",
]


def snapshot():
    donations = sorted(
        (
            (
                *(getattr(d, name) for name in DONATION_FIELDS),
                tuple((p.target, p.share_bps) for p in d.preferences.all()),
            )
            for d in Donation.objects.all()
        ),
        key=repr,
    )
    gifts = sorted(
        (g.status, g.stripe_subscription_id, g.cancelled_at) for g in RecurringGift.objects.all()
    )
    return donations, gifts


@pytest.fixture
def event_stream(give, stripe_api):
    """Every handled event type, from four one-off gifts and one monthly gift, in Stripe's order."""
    need = make_need()
    for form in (
        {"amount": "50"},
        {"amount": "80", "email": "b@example.org"},
        {"amount": "30", "email": "c@example.org"},
        {"amount": "20", "email": "d@example.org"},
        {
            "frequency": "monthly",
            "amount": "10",
            "target": [f"need:{need.pk}", "general"],
            "share": ["60", "40"],
            "email": "m@example.org",
        },
    ):
        assert give(**form).status_code == 303
    refunded, disputed, failed, expired, monthly = Donation.objects.order_by("pk")
    session = {
        d: d.stripe_checkout_session_id for d in (refunded, disputed, failed, expired, monthly)
    }

    stripe_api.pay(session[refunded])
    charge = stripe_api.objects[stripe_api.objects[session[refunded]]["payment_intent"]][
        "latest_charge"
    ]
    stripe_api.refund(charge, 1000)
    stripe_api.refund(charge, 1000)

    stripe_api.pay(session[disputed])
    charge = stripe_api.objects[stripe_api.objects[session[disputed]]["payment_intent"]][
        "latest_charge"
    ]
    stripe_api.dispute(charge, "needs_response")
    stripe_api.dispute(charge, "needs_response", withdrawn=True)
    stripe_api.dispute(charge, "lost")

    checkout = stripe_api.objects[session[failed]]
    checkout["status"] = "complete"
    stripe_api.event("checkout.session.completed", stripe_api.public(checkout))
    stripe_api.event("checkout.session.async_payment_failed", stripe_api.public(checkout))

    stripe_api.expire(session[expired])

    stripe_api.pay(session[monthly])
    subscription = stripe_api.objects[session[monthly]]["subscription"]
    stripe_api.renew(subscription)
    stripe_api.event("customer.subscription.updated", stripe_api.objects[subscription])
    stripe_api.cancel_subscription(subscription)
    return list(stripe_api.events)


def deliver_all(client, events, on_commit):
    # Each delivery runs its on-commit work as a real commit would: a payment replays the
    # refunds and disputes that arrived before it only once it is committed.
    for event in events:
        with on_commit(execute=True):
            assert post_event(client, event).status_code == 200


def in_savepoint(client, events, on_commit):
    """Deliver, snapshot, and roll everything back for the next ordering."""
    with transaction.atomic():
        deliver_all(client, events, on_commit)
        state = snapshot()
        transaction.set_rollback(True)
    return state


def test_any_order_with_duplicates_converges_to_in_order_delivery(
    client, stripe_api, event_stream, django_capture_on_commit_callbacks
):
    on_commit = django_capture_on_commit_callbacks
    stripe_api.calls_in_transaction = None  # each ordering runs in this test's own savepoint
    types = {event["type"] for event in event_stream}
    expected = in_savepoint(client, event_stream, on_commit)
    statuses = sorted(d[0] for d in expected[0])

    assert len(types) == 10  # all handled types but async success, dispute updated and reinstated
    assert statuses == ["disputed", "expired", "failed", "paid", "paid", "partially_refunded"]
    assert expected[1][0][0] == "cancelled"

    count = len(event_stream)
    # Every event delivered one to three times, the whole stream shuffled.
    streams = st.lists(st.integers(1, 3), min_size=count, max_size=count).flatmap(
        lambda copies: st.permutations([i for i, n in enumerate(copies) for _ in range(n)])
    )

    seen: list[tuple[int, ...]] = []
    started = time.monotonic()

    @settings(max_examples=STREAMS, deadline=None, suppress_health_check=list(HealthCheck))
    @given(streams)
    def check(order):
        seen.append(tuple(order))
        assert in_savepoint(client, [event_stream[i] for i in order], on_commit) == expected

    check()
    # The figures docs/performance.md records for a deep run (pytest -s shows them).
    print(
        f"\nconvergence: {len(seen)} streams ({len(set(seen))} distinct) of {count} events "
        f"delivered 1-3 times each, 0 divergences, {time.monotonic() - started:.0f}s"
    )
