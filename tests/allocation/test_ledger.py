"""The ledger writes the engine's plans exactly, once, and never changes a row."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import (
    cause_pref,
    general_pref,
    make_cause,
    make_need,
    make_paid_donation,
    make_region,
    need_pref,
)
from wagtail_sixdegrees import signals
from wagtail_sixdegrees.allocation import balances, engine, ledger
from wagtail_sixdegrees.allocation.audit import run_audit
from wagtail_sixdegrees.allocation.engine import Account
from wagtail_sixdegrees.allocation.models import (
    AllocationRun,
    AppendOnlyError,
    Disbursement,
    LedgerEntry,
)
from wagtail_sixdegrees.models import Need

pytestmark = pytest.mark.django_db


def balances_by_need() -> dict[str, int]:
    return {need.title: need.allocated for need in Need.objects.with_progress()}


def test_paid_donation_is_allocated_by_its_net_and_preferences():
    shelter = make_need(title="Shelter", target_amount=100_000)
    school = make_need(title="School", target_amount=100_000)
    donation = make_paid_donation(
        10_001 + 300,
        fee=300,
        preferences=[need_pref(shelter, 3300), need_pref(school, 3300), general_pref(3400)],
    )
    outcome = ledger.allocate()
    assert [(e.account_kind, e.need_id, e.amount) for e in outcome.entries] == [
        ("need", shelter.pk, 3300),
        ("need", school.pk, 3300),
        ("general", None, 3401),
    ]
    assert LedgerEntry.objects.filter(donation=donation).balance() == donation.net_amount == 10_001


def test_allocating_twice_writes_nothing_more():
    need = make_need(target_amount=10**9)
    make_paid_donation(5_000, preferences=[need_pref(need)])
    assert len(ledger.allocate().entries) == 1
    assert ledger.allocate().entries == []
    assert LedgerEntry.objects.count() == 1


def test_gross_setting_allocates_before_fees(settings):
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "ALLOCATE_FROM": "gross"}
    need = make_need(target_amount=10**9)
    make_paid_donation(5_000, fee=175, preferences=[need_pref(need)])
    assert ledger.allocate().entries[0].amount == 5_000


def test_waiting_pool_money_moves_when_a_matching_need_opens():
    legal = make_cause("Legal aid")
    make_paid_donation(8_000, preferences=[cause_pref(legal)])
    ledger.allocate()
    assert balances.pools()[0].held == 8_000

    later = make_need(title="Lawyer fees", cause=legal, target_amount=5_000)
    ledger.allocate()
    assert balances_by_need()["Lawyer fees"] == 5_000
    assert (
        LedgerEntry.objects.filter(kind="reallocate").count() == 2
    )  # out of the pool, into the need
    assert balances.pools()[0].held == 3_000
    assert later.pk in {e.need_id for e in LedgerEntry.objects.filter(rule="from_pool")}


def test_entries_cannot_be_changed_or_deleted_through_django():
    need = make_need(target_amount=10**9)
    make_paid_donation(5_000, preferences=[need_pref(need)])
    entry = ledger.allocate().entries[0]
    entry = LedgerEntry.objects.get(pk=entry.pk)
    entry.amount = 1
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.all().delete()


def test_database_refuses_a_zero_entry():
    donation = make_paid_donation(5_000)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            donation=donation, account_kind="general", currency="USD", amount=0, kind="allocate"
        )


# --- Runs -----------------------------------------------------------------------------------


def test_preview_writes_nothing_and_commit_writes_the_previewed_plan(
    django_capture_on_commit_callbacks,
):
    need = make_need(title="Shelter", target_amount=10**9)
    make_paid_donation(7_000, preferences=[need_pref(need)])
    run = ledger.preview_run()
    assert run.status == AllocationRun.Status.PREVIEW
    assert not LedgerEntry.objects.exists()
    assert run.summary["accounts"][0]["label"] == "Shelter"
    assert run.summary["new_money"] == {"USD": 7_000}

    received = []
    signals.allocation_committed.connect(
        lambda sender, run, **kw: received.append(run.pk), weak=False, dispatch_uid="t"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ledger.commit_run(run)
    finally:
        signals.allocation_committed.disconnect(dispatch_uid="t")
    assert LedgerEntry.objects.filter(run=run).balance() == 7_000
    assert received == [run.pk]


def test_committing_twice_changes_nothing():
    need = make_need(target_amount=10**9)
    make_paid_donation(7_000, preferences=[need_pref(need)])
    run = ledger.preview_run()
    ledger.commit_run(run)
    ledger.commit_run(run)
    assert LedgerEntry.objects.count() == 1


def test_stale_preview_is_refused_with_a_clear_message():
    need = make_need(target_amount=10**9)
    make_paid_donation(7_000, preferences=[need_pref(need)])
    run = ledger.preview_run()
    make_paid_donation(1_000, preferences=[need_pref(need)])  # arrives after the preview
    with pytest.raises(ledger.StalePlan, match="Make a new preview"):
        ledger.commit_run(run)
    run.refresh_from_db()
    assert run.status == AllocationRun.Status.STALE
    assert not LedgerEntry.objects.exists()


# --- Reallocation ---------------------------------------------------------------------------


def test_manager_moves_general_pool_money_to_a_need_with_a_reason(django_user_model):
    manager = django_user_model.objects.create_user("finance")
    need = make_need(title="Medical care", target_amount=50_000)
    first = make_paid_donation(3_000, preferences=[general_pref()])
    second = make_paid_donation(
        4_000, preferences=[general_pref()], paid_at=first.paid_at + datetime.timedelta(minutes=1)
    )
    ledger.allocate()

    entries = ledger.reallocate(
        Account.general("USD"), need, 5_000, actor=manager, reason="Urgent surgery"
    )

    assert balances_by_need()["Medical care"] == 5_000
    # Oldest money first: all of the first donation, then 2,000 of the second.
    moved = {(e.donation_id, e.amount) for e in entries if e.amount > 0}
    assert moved == {(first.pk, 3_000), (second.pk, 2_000)}
    assert {e.reason for e in entries} == {"Urgent surgery"}
    assert {e.actor_label for e in entries} == {"finance"}


def test_restricted_money_cannot_leave_its_cause_without_donor_consent():
    shelter, legal = make_cause("Shelter"), make_cause("Legal")
    region = make_region()
    make_paid_donation(6_000, preferences=[cause_pref(shelter)])
    ledger.allocate()
    other = make_need(title="Court fees", cause=legal, region=region, target_amount=50_000)
    with pytest.raises(ledger.LedgerError, match="restriction"):
        ledger.reallocate(
            Account.restricted("USD", shelter.pk, None), other, 1_000, actor=None, reason="test"
        )
    assert balances_by_need()["Court fees"] == 0


def test_reallocation_refuses_more_than_the_needs_gap():
    need = make_need(title="Small", target_amount=1_000)
    make_paid_donation(6_000, preferences=[general_pref()])
    ledger.allocate()
    with pytest.raises(ledger.LedgerError, match="only needs"):
        ledger.reallocate(Account.general("USD"), need, 2_000, actor=None, reason="x")
    assert not LedgerEntry.objects.filter(kind="reallocate").exists()


def test_reallocation_needs_a_reason_and_the_same_currency():
    need = make_need(currency="THB", target_amount=10**6)
    make_paid_donation(6_000, preferences=[general_pref()])
    ledger.allocate()
    with pytest.raises(ledger.LedgerError, match="reason"):
        ledger.reallocate(Account.general("USD"), need, 100, actor=None, reason=" ")
    with pytest.raises(ledger.LedgerError, match="never converted"):
        ledger.reallocate(Account.general("USD"), need, 100, actor=None, reason="x")


# --- Refunds, disputes and disbursements ----------------------------------------------------


def refund(donation, amount_refunded: int) -> None:
    type(donation).objects.filter(pk=donation.pk).update(
        amount_refunded=amount_refunded, status="partially_refunded"
    )
    donation.refresh_from_db()


def test_partial_refund_reverses_pro_rata():
    a, b = make_need(title="A", target_amount=10**9), make_need(title="B", target_amount=10**9)
    donation = make_paid_donation(10_000, preferences=[need_pref(a, 7_500), need_pref(b, 2_500)])
    ledger.allocate()
    refund(donation, 4_000)  # 40% of the charge
    entries = ledger.sync_reversals(donation)
    assert sorted((e.need_id, e.amount) for e in entries) == sorted(
        [(a.pk, -3_000), (b.pk, -1_000)]
    )
    assert ledger.sync_reversals(donation) == []  # idempotent
    assert run_audit().ok


def test_refund_after_disbursement_flags_shortfall():
    need = make_need(title="Shelter", target_amount=10**9)
    donation = make_paid_donation(10_000, preferences=[need_pref(need)])
    ledger.allocate()
    ledger.record_disbursement(need, 8_000, paid_on=timezone.localdate(), actor=None)
    refund(donation, 10_000)
    ledger.sync_reversals(donation)

    progress = Need.objects.with_progress().get(pk=need.pk)
    assert progress.allocated == 8_000  # never below what was paid out
    assert progress.disbursed == 8_000
    shortfall = LedgerEntry.objects.filter(account_kind="shortfall").balance()
    assert shortfall == -8_000
    report = run_audit()
    assert report.ok, report.text()
    assert any(note.check == "shortfall" for note in report.notes)


def test_disbursement_never_exceeds_what_the_need_holds():
    need = make_need(target_amount=10**9)
    make_paid_donation(5_000, preferences=[need_pref(need)])
    ledger.allocate()
    with pytest.raises(ledger.LedgerError, match="not been paid out"):
        ledger.record_disbursement(need, 5_001, paid_on=timezone.localdate(), actor=None)
    assert not Disbursement.objects.exists()


def test_disbursement_reversal_is_a_new_row_with_a_reason():
    need = make_need(target_amount=10**9)
    make_paid_donation(5_000, preferences=[need_pref(need)])
    ledger.allocate()
    paid = ledger.record_disbursement(
        need, 2_000, paid_on=timezone.localdate(), actor=None, reference="TX-1"
    )
    back = ledger.reverse_disbursement(paid, actor=None, reason="Bounced")
    assert back.amount == -2_000 and back.reverses == paid
    assert Need.objects.with_progress().get(pk=need.pk).disbursed == 0
    with pytest.raises(ledger.LedgerError):
        ledger.reverse_disbursement(paid, actor=None, reason="again")


# --- Progress and audit -----------------------------------------------------------------------


def test_need_progress_comes_from_the_ledger_in_one_query(django_assert_num_queries):
    needs = [make_need(target_amount=10_000) for _ in range(5)]
    for need in needs:
        make_paid_donation(2_500, preferences=[need_pref(need)])
    ledger.allocate()
    ledger.record_disbursement(needs[0], 1_000, paid_on=timezone.localdate(), actor=None)
    with django_assert_num_queries(1):
        rows = list(Need.objects.with_progress().order_by("pk"))
    assert [(n.raised, n.allocated, n.disbursed, n.gap) for n in rows][:2] == [
        (2_500, 2_500, 1_000, 7_500),
        (2_500, 2_500, 0, 7_500),
    ]
    assert rows[0].progress_percent == 25


def test_audit_command_exits_0_when_invariants_hold_and_1_with_a_report_when_not(capsys):
    need = make_need(target_amount=10**9)
    donation = make_paid_donation(5_000, preferences=[need_pref(need)])
    ledger.allocate()
    call_command("sixdegrees_audit")
    assert "all invariants hold" in capsys.readouterr().out

    # Break an invariant the way a buggy import would: an extra allocation row.
    LedgerEntry.objects.create(
        donation=donation, account_kind="general", currency="USD", amount=1, kind="allocate"
    )
    with pytest.raises(SystemExit) as exited:
        call_command("sixdegrees_audit")
    assert exited.value.code == 1
    assert "donation-sum" in capsys.readouterr().out


def test_allocate_command_dry_run_prints_the_plan_and_writes_nothing(capsys):
    need = make_need(title="Shelter beds", target_amount=10**9)
    make_paid_donation(5_000, preferences=[need_pref(need)])
    call_command("sixdegrees_allocate", "--dry-run")
    out = capsys.readouterr().out
    assert "Shelter beds" in out and "$50.00" in out and "Dry run" in out
    assert not LedgerEntry.objects.exists()
    call_command("sixdegrees_allocate")
    assert LedgerEntry.objects.count() == 1


def test_share_for_a_need_in_another_currency_waits_in_the_restricted_pool_even_if_flexible():
    usd_need = make_need(title="Priced in dollars", currency="USD", target_amount=10**6)
    donation = make_paid_donation(
        10_000, currency="THB", preferences=[need_pref(usd_need)], allow_flexible_use=True
    )
    ledger.allocate([donation.pk], include_pools=False)
    (entry,) = LedgerEntry.objects.filter(donation=donation)
    assert (entry.account_kind, entry.currency, entry.cause_id, entry.region_id, entry.rule) == (
        "restricted",
        "THB",
        usd_need.cause_id,
        usd_need.region_id,
        "currency_pool",
    )


class LowestTargetFirst(engine.FillPolicy):
    """A site's own policy: fill the smallest targets first."""

    def sort_key(self, need):
        return (need.gap, need.id)


def test_a_site_can_replace_the_fill_policy_through_settings(settings):
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "ALLOCATION_POLICY": "tests.allocation.test_ledger.LowestTargetFirst",
    }
    cause = make_cause()
    urgent_big = make_need(title="Urgent, big", cause=cause, target_amount=9_000, priority=1)
    small = make_need(title="Small", cause=cause, target_amount=1_000, priority=4)
    make_paid_donation(1_000, preferences=[cause_pref(cause)])
    ledger.allocate()
    assert balances_by_need() == {urgent_big.title: 0, small.title: 1_000}


def test_attached_progress_equals_the_annotated_progress():
    needs = [make_need(target_amount=10_000) for _ in range(3)]
    make_paid_donation(12_500, preferences=[need_pref(needs[0], 6_000), need_pref(needs[1], 4_000)])
    ledger.allocate()
    ledger.record_disbursement(needs[1], 1_000, paid_on=timezone.localdate(), actor=None)
    annotated = {
        n.pk: (n.raised, n.allocated, n.disbursed, n.gap) for n in Need.objects.with_progress()
    }
    attached = {
        n.pk: (n.raised, n.allocated, n.disbursed, n.gap)
        for n in Need.objects.all().with_progress_attached()
    }
    assert attached == annotated
    assert annotated[needs[0].pk] == (7_500, 7_500, 0, 2_500)
    assert annotated[needs[2].pk] == (0, 0, 0, 10_000)


class SmallestGapFirst(engine.FillPolicy):
    """A site's own policy that orders on what the ledger holds, not on the need's fields."""

    def sort_key(self, need):
        return (need.gap, need.id)


def test_the_donate_form_and_the_api_list_needs_in_the_order_a_custom_policy_fills_them(
    settings, client
):
    from django.urls import reverse

    from wagtail_sixdegrees.giving.targets import open_needs

    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "ALLOCATION_POLICY": "tests.allocation.test_ledger.SmallestGapFirst",
    }
    cause = make_cause()
    urgent = make_need(title="Urgent", cause=cause, target_amount=9_000, priority=1)
    low = make_need(title="Low", cause=cause, target_amount=5_000, priority=4)
    lowest = make_need(title="Lowest", cause=cause, target_amount=3_000, priority=4)
    make_paid_donation(7_000, preferences=[need_pref(urgent)])
    ledger.allocate()  # Urgent now lacks 2,000: the smallest gap
    make_paid_donation(10_000, preferences=[cause_pref(cause)])

    filled = [
        p.account.need_id
        for p in ledger.plan_allocation().postings
        if p.account.kind == engine.AccountKind.NEED
    ]
    listed = [need.pk for need in open_needs(None, None)]
    api = client.get(reverse("wagtail_sixdegrees:api_needs") + "?limit=2&offset=1").json()

    assert filled == [urgent.pk, lowest.pk, low.pk]
    assert listed == filled
    assert (api["count"], [need["id"] for need in api["results"]]) == (3, filled[1:])
