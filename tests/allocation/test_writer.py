"""The ledger writer writes exactly the rows and balances the previous writer wrote.

The previous writer (tuples per row, balance keys per row, COPY row by row) lives on only
here, as the reference: seeded scenarios are run once with each writer, from the same state,
and must give the same plan fingerprint, the same ledger rows and the same kept balances.
On PostgreSQL both writers are also forced through COPY for every batch, so the text-format
lines (escaping, nulls, times) are compared too.
"""

from __future__ import annotations

import hashlib
import random
import uuid

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.factories import (
    cause_pref,
    general_pref,
    make_cause,
    make_need,
    make_paid_donation,
    make_region,
    need_pref,
    region_pref,
)
from wagtail_sixdegrees.allocation import balances, ledger, planning
from wagtail_sixdegrees.allocation.audit import run_audit
from wagtail_sixdegrees.allocation.engine import Account, AccountKind
from wagtail_sixdegrees.allocation.models import LedgerEntry, balance_key
from wagtail_sixdegrees.models import Donation, Need

pytestmark = pytest.mark.django_db

SEEDS = (2015, 7, 41)
# A reason with every character COPY's text format must escape.
AWKWARD_REASON = "Flood\tin the north\\south\nmoved after the call\r"


# --- The previous writer, kept as the reference -------------------------------------------


def previous_rows(postings, *, kind, run, actor, reason):
    transfer, now = uuid.uuid4(), timezone.now()
    actor_id, actor_label = ledger._actor(actor)
    run_id = run.pk if run else None
    return [
        (
            p.donation_id,
            p.account.kind.value,
            p.account.need_id,
            p.account.cause_id,
            p.account.region_id,
            p.account.currency,
            p.amount,
            kind,
            p.rule.value,
            p.preference_position,
            run_id,
            transfer,
            actor_id,
            actor_label,
            reason,
            now,
        )
        for p in postings
    ]


def previous_deltas(rows):
    deltas = {}
    for row in rows:
        kind, need_id, cause_id, region_id, currency, amount = row[1:7]
        key = balance_key(kind, currency, need_id, cause_id, region_id)
        delta = deltas.get(key)
        if delta is None:
            delta = deltas[key] = ledger.BalanceDelta(
                key, kind, currency, need_id, cause_id, region_id
            )
        delta.held += amount
        if amount > 0:
            delta.raised += amount
    return deltas


def previous_write(postings, *, kind, run, actor, reason, pending_balances=None):
    # It kept balances batch by batch; the new writer's callers may keep them once at the end.
    rows = previous_rows(postings, kind=kind, run=run, actor=actor, reason=reason)
    ledger._keep_balances(previous_deltas(rows))
    # It kept no monthly movements (they came later); keep them as the new writer does, so
    # both worlds pass the audit, which checks them.
    if rows:
        ledger._keep_months(previous_deltas(rows), ledger.month_of(rows[0][-1]))
    if connection.vendor == "postgresql" and len(rows) >= ledger.COPY_THRESHOLD:
        columns = ", ".join(f'"{column}"' for column in ledger.COPY_COLUMNS)
        with (
            connection.cursor() as cursor,
            cursor.copy(f'COPY "{LedgerEntry._meta.db_table}" ({columns}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return []
    entries = [LedgerEntry(**dict(zip(ledger.COPY_COLUMNS, row, strict=True))) for row in rows]
    return LedgerEntry.objects.bulk_create(entries, batch_size=1000)


# --- Scenarios ------------------------------------------------------------------------------


def seed_scenario(seed: int) -> None:
    """Needs over three causes and two regions, and paid gifts with one to three preferences."""
    rnd = random.Random(seed)
    causes = [make_cause() for _ in range(3)]
    regions = [make_region() for _ in range(2)]
    needs = [
        make_need(
            cause=rnd.choice(causes),
            region=rnd.choice(regions),
            target_amount=rnd.randint(5, 40) * 1_000,
            priority=rnd.randint(1, 4),
        )
        for _ in range(6)
    ]
    for _ in range(40):
        count = rnd.randint(1, 3)
        cuts = sorted(rnd.sample(range(1, 10_000), count - 1))
        shares = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)]
        makers = [
            lambda bps: need_pref(rnd.choice(needs), bps),
            lambda bps: cause_pref(rnd.choice(causes), bps),
            lambda bps: region_pref(rnd.choice(regions), bps),
            general_pref,
        ]
        make_paid_donation(
            rnd.randint(5, 300) * 100,
            fee=rnd.randint(0, 90),
            allow_flexible_use=rnd.random() < 0.4,
            preferences=[rnd.choice(makers)(share) for share in shares],
        )


def play(run) -> dict:
    """Commit the previewed run, move, refund and pay out; describe what the ledger holds."""
    committed = ledger.commit_run(run)
    general = Account.general("USD")
    held = balances.holders(general)
    gaps = {n.id: n.gap for n in planning.open_need_states() if n.gap}
    if held and gaps:
        need_id = min(gaps)
        amount = min(sum(held.values()), gaps[need_id], 1_500)
        target = Need.objects.get(pk=need_id)
        ledger.reallocate(general, target, amount, actor=None, reason=AWKWARD_REASON)
    refunded = LedgerEntry.objects.order_by("donation_id").values_list("donation", flat=True)[0]
    donation = Donation.objects.get(pk=refunded)
    donation.amount_refunded = donation.amount // 3
    donation.status = Donation.Status.PARTIALLY_REFUNDED
    donation.save()
    ledger.sync_reversals(donation)
    return {**describe(), "committed": committed.fingerprint, "status": committed.status}


def describe() -> dict:
    rows = LedgerEntry.objects.order_by("pk").values_list(
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
        "run_id",
        "transfer",
        "actor_id",
        "actor_label",
        "reason",
    )
    transfers: dict = {}
    digest = hashlib.sha256()
    for row in rows:
        # Transfer ids are random: compare which rows share one, not the ids themselves.
        group = transfers.setdefault(row[11], len(transfers))
        digest.update(repr((*row[:11], group, *row[12:])).encode())
    kept = {
        key: (b.account, b.held, b.raised, b.disbursed)
        for key, b in balances.kept_balances().items()
    }
    return {"rows": digest.hexdigest(), "count": len(rows), "balances": kept}


def outcome_with(writer, run) -> dict:
    """Play the scenario with ``writer``, then roll it back: the next writer starts alike."""
    kept = ledger._write
    ledger._write = writer
    try:
        with transaction.atomic():
            described = play(run)
            described["audit"] = run_audit().ok
            transaction.set_rollback(True)
    finally:
        ledger._write = kept
    return described


@pytest.mark.parametrize("through_copy", [True, False], ids=["copy", "insert"])
@pytest.mark.parametrize("seed", SEEDS)
def test_the_writer_writes_what_the_previous_writer_wrote(seed, through_copy, monkeypatch):
    seed_scenario(seed)
    run = ledger.preview_run()
    threshold = 1 if through_copy else 10**9
    monkeypatch.setattr(ledger, "COPY_THRESHOLD", threshold)

    before = outcome_with(previous_write, run)
    after = outcome_with(ledger._write, run)

    assert before["committed"] == run.fingerprint  # commit_run re-planned the same postings
    assert before["count"] > 40
    assert AccountKind.NEED in {account.kind for account, *_ in before["balances"].values()}
    assert after == before
    assert after["audit"]
