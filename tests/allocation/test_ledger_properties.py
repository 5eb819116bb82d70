"""Property: after any sequence of pay, allocate, reallocate, disburse and refund, the audit passes."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_cause, make_need, make_paid_donation, make_region, translate
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.allocation.audit import run_audit
from wagtail_sixdegrees.allocation.engine import Account
from wagtail_sixdegrees.allocation.models import Disbursement, LedgerEntry
from wagtail_sixdegrees.models import Donation, Need

pytestmark = pytest.mark.django_db

operation = st.one_of(
    st.tuples(
        st.just("pay"),
        st.integers(100, 20_000),  # amount
        st.integers(0, 300),  # fee
        st.lists(st.integers(0, 5), min_size=1, max_size=3),  # target picks
        st.booleans(),  # flexible
    ),
    st.tuples(st.just("allocate")),
    st.tuples(st.just("open_need"), st.integers(0, 1), st.integers(0, 1), st.integers(500, 20_000)),
    st.tuples(st.just("reallocate"), st.integers(0, 20), st.integers(1, 5_000)),
    st.tuples(st.just("disburse"), st.integers(0, 20), st.integers(1, 8_000)),
    st.tuples(st.just("refund"), st.integers(0, 20), st.integers(1, 100)),
    st.tuples(st.just("lose_dispute"), st.integers(0, 20)),
    st.tuples(st.just("translate"), st.integers(0, 20)),
    st.tuples(st.just("reverse_disbursement"), st.integers(0, 20)),
)


@given(st.lists(operation, min_size=1, max_size=14))
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_audit_passes_after_any_sequence_of_operations(operations):
    with transaction.atomic():
        replay(operations)
        report = run_audit()
        assert report.ok, report.text()
        for need in Need.objects.with_progress():
            assert need.allocated <= need.target_amount
            assert need.disbursed <= need.allocated
        assert all(e.amount != 0 for e in LedgerEntry.objects.all())
        transaction.set_rollback(True)


def replay(operations: list[tuple]) -> list[Need]:
    """Build a ledger from generated operations (pay, allocate, open a need, translate one,
    reallocate, disburse, reverse a disbursement, refund, lose a dispute); refused operations
    are skipped. Returns the needs (source records)."""
    causes = [make_cause(), make_cause()]
    regions = [make_region(), make_region()]
    needs = [
        make_need(cause=causes[0], region=regions[0], target_amount=6_000),
        make_need(cause=causes[1], region=regions[1], target_amount=4_000),
    ]
    paid_at = timezone.now()  # the suite's clock (tests/clock.py)
    for step in operations:
        kind = step[0]
        try:
            if kind == "pay":
                _, amount, fee, picks, flexible = step
                targets = [_preference(pick, causes, regions, needs) for pick in picks]
                shares = _shares(len(targets))
                paid_at += datetime.timedelta(minutes=1)
                make_paid_donation(
                    amount,
                    fee=min(fee, amount - 1),
                    preferences=[
                        {**t, "share_bps": s} for t, s in zip(targets, shares, strict=True)
                    ],
                    allow_flexible_use=flexible,
                    paid_at=paid_at,
                )
            elif kind == "allocate":
                ledger.allocate()
            elif kind == "open_need":
                _, c, r, target = step
                needs.append(make_need(cause=causes[c], region=regions[r], target_amount=target))
            elif kind == "translate":
                need = needs[step[1] % len(needs)]
                if not Need.objects.filter(translation_key=need.translation_key).exclude(
                    pk=need.pk
                ):
                    translate(need, "fr", title=f"{need.title} (fr)")
            elif kind == "reallocate":
                _, index, amount = step
                ledger.reallocate(
                    Account.general("USD"),
                    needs[index % len(needs)],
                    amount,
                    actor=None,
                    reason="property test",
                )
            elif kind == "disburse":
                _, index, amount = step
                ledger.record_disbursement(
                    needs[index % len(needs)],
                    amount,
                    paid_on=timezone.localdate(),
                    actor=None,
                )
            elif kind == "reverse_disbursement":
                payouts = list(Disbursement.objects.filter(amount__gt=0).order_by("pk"))
                if payouts:
                    ledger.reverse_disbursement(
                        payouts[step[1] % len(payouts)], actor=None, reason="property test"
                    )
            elif kind in ("refund", "lose_dispute"):
                donations = list(Donation.objects.order_by("pk"))
                if not donations:
                    continue
                donation = donations[step[1] % len(donations)]
                if kind == "refund":
                    refunded = min(
                        donation.amount,
                        donation.amount_refunded + donation.amount * step[2] // 100,
                    )
                    Donation.objects.filter(pk=donation.pk).update(amount_refunded=refunded)
                else:
                    Donation.objects.filter(pk=donation.pk).update(
                        dispute_status="lost", dispute_amount=donation.amount
                    )
                donation.refresh_from_db()
                ledger.allocate([donation.pk], include_pools=False)
                ledger.sync_reversals(donation)
        except ledger.LedgerError:
            pass  # refused operations must change nothing; the audit proves it
    return needs


def _preference(pick, causes, regions, needs):
    if pick == 0:
        return {"kind": "general"}
    if pick == 1:
        return {"kind": "cause", "cause": causes[0]}
    if pick == 2:
        return {"kind": "region", "region": regions[1]}
    if pick == 3:
        return {"kind": "cause_region", "cause": causes[1], "region": regions[1]}
    return {"kind": "need", "need": needs[pick - 4]}


def _shares(count: int) -> list[int]:
    base = [10_000 // count] * count
    base[-1] += 10_000 - sum(base)
    return base
