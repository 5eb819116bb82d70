"""On real PostgreSQL: the database guards the ledger, and concurrent writers stay correct."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from tests.concurrency import run_concurrently
from tests.factories import make_need, make_paid_donation, need_pref
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.allocation.audit import run_audit
from wagtail_sixdegrees.allocation.models import LedgerEntry
from wagtail_sixdegrees.models import Need

pytestmark = [pytest.mark.postgres]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE wagtail_sixdegrees_ledgerentry SET amount = amount + 1",
        "DELETE FROM wagtail_sixdegrees_ledgerentry",
    ],
)
def test_update_and_delete_on_the_ledger_fail_at_the_database(statement):
    need = make_need(target_amount=10**9)
    make_paid_donation(5_000, preferences=[need_pref(need)])
    ledger.allocate()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert LedgerEntry.objects.get().amount == 5_000


@pytest.mark.django_db
def test_disbursements_cannot_be_edited_at_the_database():

    need = make_need(target_amount=10**9)
    make_paid_donation(5_000, preferences=[need_pref(need)])
    ledger.allocate()
    ledger.record_disbursement(need, 1_000, paid_on=timezone.localdate(), actor=None)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE wagtail_sixdegrees_disbursement SET amount = 1")


@pytest.mark.django_db(transaction=True)
def test_eight_threads_allocating_to_one_capped_need_never_exceed_its_gap():
    need = make_need(title="Capped", target_amount=10_000)
    donations = [make_paid_donation(3_000, preferences=[need_pref(need)]) for _ in range(8)]
    run_concurrently(
        lambda index: ledger.allocate([donations[index].pk], include_pools=False), 8
    )  # raises what any writer raised; fails if one is stuck (deadlock)
    progress = Need.objects.with_progress().get(pk=need.pk)
    assert progress.allocated == 10_000  # filled exactly, never past its target
    assert LedgerEntry.objects.filter(kind="allocate").balance() == 8 * 3_000  # nothing lost
    assert run_audit().ok


@pytest.mark.django_db(transaction=True)
def test_the_same_donation_allocated_from_four_processes_at_once_is_allocated_once():
    need = make_need(target_amount=10**9)
    donation = make_paid_donation(4_000, preferences=[need_pref(need)])
    run_concurrently(lambda _index: ledger.allocate([donation.pk], include_pools=False), 4)
    assert LedgerEntry.objects.filter(donation=donation).balance() == 4_000
    assert LedgerEntry.objects.filter(donation=donation).count() == 1


@pytest.mark.django_db
def test_a_run_streams_its_donations_without_rereading_the_ledger_it_writes():
    """The donation and preference streams of a run must not ask the ledger row by row: the
    run writes the ledger while it reads them, so that check grew with every line written
    (quadratic; 400 s for 100,000 gifts). They read the set fixed under the lock instead."""
    from django.test.utils import CaptureQueriesContext

    need = make_need(target_amount=10**9)
    for amount in (1_000, 2_000, 3_000):
        make_paid_donation(amount, preferences=[need_pref(need)])
    with CaptureQueriesContext(connection) as captured:
        outcome = ledger.allocate()
    assert outcome.written == 3
    streams = [
        q["sql"]
        for q in captured.captured_queries
        if "DECLARE" in q["sql"] and "wagtail_sixdegrees_donation" in q["sql"]
    ]
    assert len(streams) == 2, [q["sql"][:120] for q in captured.captured_queries]
    assert all("wagtail_sixdegrees_ledgerentry" not in sql for sql in streams), streams
    # Still exactly once: a second run in the same transaction finds nothing to do, and a third
    # after one more gift allocates that gift alone.
    assert ledger.allocate().written == 0
    late = make_paid_donation(4_000, preferences=[need_pref(need)])
    assert ledger.allocate().written == 1
    assert LedgerEntry.objects.count() == 4
    assert LedgerEntry.objects.filter(donation=late).get().amount == 4_000


@pytest.mark.django_db
def test_balances_are_kept_when_rows_go_through_copy(monkeypatch):
    from wagtail_sixdegrees.allocation import balances

    monkeypatch.setattr(ledger, "COPY_THRESHOLD", 1)
    need = make_need(target_amount=10**9)
    for _ in range(3):
        make_paid_donation(1_000, preferences=[need_pref(need)])
    outcome = ledger.allocate()
    assert outcome.written == 3 and outcome.entries == []  # COPY returns no instances
    assert balances.need_balances([need.pk]) == {need.pk: 3_000}
    assert balances.balance_differences() == []
