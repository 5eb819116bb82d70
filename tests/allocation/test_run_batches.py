"""A run plans each batch while it writes it: batch size never changes what is written, and a
run that fails halfway (mid-COPY on PostgreSQL) leaves nothing behind for a retry to trip on.

On PostgreSQL every batch is forced through the streamed COPY (``COPY_THRESHOLD`` 1); on
SQLite the same runs go through INSERT.
"""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from tests.allocation.test_writer import seed_scenario
from tests.factories import cause_pref, make_need, make_paid_donation
from wagtail_sixdegrees.allocation import balances, engine, ledger
from wagtail_sixdegrees.allocation.audit import run_audit
from wagtail_sixdegrees.allocation.engine import AccountKind
from wagtail_sixdegrees.allocation.models import AccountBalance, AccountMonth, LedgerEntry
from wagtail_sixdegrees.models import Cause, Region

pytestmark = pytest.mark.django_db

ROW = (
    "donation_id",
    "account_kind",
    "need_id",
    "cause_id",
    "region_id",
    "currency",
    "amount",
    "kind",
    "rule",
    "preference_position",
    "reason",
)


def pool_money_and_new_gifts() -> None:
    """After a first run: a need opens where a restricted pool holds money, and more gifts
    arrive, so the next run both places new money and moves pool money (two kinds of rows)."""
    ledger.allocate()
    waiting = [
        b.account
        for b in balances.kept_balances().values()
        if b.account.kind == AccountKind.RESTRICTED and b.held > 0
    ]
    assert waiting, "the scenario leaves money waiting in a restricted pool"
    pool = waiting[0]
    cause = Cause.objects.get(pk=pool.cause_id) if pool.cause_id else None
    region = Region.objects.get(pk=pool.region_id) if pool.region_id else None
    opened = make_need(
        **({"cause": cause} if cause else {}),
        **({"region": region} if region else {}),
        target_amount=10**7,
        priority=1,
    )
    for amount in (1_200, 3_400, 5_600, 7_800):
        make_paid_donation(amount, preferences=[cause_pref(opened.cause)])


def second_run(batch: int, monkeypatch) -> dict:
    """Run with ``batch`` items per batch, describe what it wrote, then roll it back."""
    monkeypatch.setattr(ledger, "BATCH", batch)
    with transaction.atomic():
        outcome = ledger.allocate()
        written = LedgerEntry.objects.filter(run=None).order_by("-pk")[: outcome.written]
        rows = sorted(written.values_list(*ROW))
        described = {
            "rows": rows,
            "written": outcome.written,
            "totals": outcome.total_by_currency,
            "balances": {k: (b.held, b.raised) for k, b in balances.kept_balances().items()},
            "transfers": len(set(written.values_list("transfer", flat=True))),
            "audit": run_audit().ok,
        }
        transaction.set_rollback(True)
    return described


@pytest.mark.parametrize("seed", (2015, 7))
def test_batch_size_never_changes_what_a_run_writes(seed, monkeypatch):
    monkeypatch.setattr(ledger, "COPY_THRESHOLD", 1)
    seed_scenario(seed)
    pool_money_and_new_gifts()

    whole = second_run(10_000, monkeypatch)
    one_by_one = second_run(1, monkeypatch)
    in_threes = second_run(3, monkeypatch)

    kinds = {row[ROW.index("kind")] for row in whole["rows"]}
    assert kinds == {LedgerEntry.Kind.ALLOCATE, LedgerEntry.Kind.REALLOCATE}
    assert whole["audit"]
    for batched in (one_by_one, in_threes):
        assert {**batched, "transfers": 0} == {**whole, "transfers": 0}
    # One transfer per batch and kind: smaller batches, more transfers.
    assert whole["transfers"] == 2
    assert one_by_one["transfers"] > in_threes["transfers"] > whole["transfers"]


def test_a_run_that_fails_halfway_writes_nothing_and_a_retry_writes_it_all(monkeypatch):
    monkeypatch.setattr(ledger, "COPY_THRESHOLD", 1)
    monkeypatch.setattr(ledger, "BATCH", 4)
    seed_scenario(41)
    planned = ledger.plan_allocation().postings
    assert len(planned) > 20

    real = engine.Allocator.allocate
    calls = itertools.count(1)

    def lost_midway(self, item):
        if next(calls) == 11:  # the third batch, while its COPY is open
            raise RuntimeError("the worker was lost")
        return real(self, item)

    monkeypatch.setattr(engine.Allocator, "allocate", lost_midway)
    with pytest.raises(RuntimeError, match="worker was lost"):
        ledger.allocate()
    assert not LedgerEntry.objects.exists()
    assert not AccountBalance.objects.exists()
    assert not AccountMonth.objects.exists()

    monkeypatch.setattr(engine.Allocator, "allocate", real)
    outcome = ledger.allocate()
    assert outcome.written == len(planned)
    rows = list(LedgerEntry.objects.order_by("pk").values_list(*ROW[:7], "rule", ROW[-2]))
    assert rows == [
        (
            p.donation_id,
            p.account.kind.value,
            p.account.need_id,
            p.account.cause_id,
            p.account.region_id,
            p.account.currency,
            p.amount,
            p.rule.value,
            p.preference_position,
        )
        for p in planned
    ]
    assert ledger.allocate().written == 0  # converged: nothing left to place
    assert run_audit().ok
