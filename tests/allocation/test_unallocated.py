"""Money waiting for allocation is kept per settlement currency (allocation/waiting.py).

Whatever writes the donations (a save, ``update()``, a bulk insert, an offline gift or an
import) and whatever the ledger does (allocation in full or in batches, reallocation, refunds,
voids), the kept rows equal what the donations and the ledger say, and the public totals read
them. On SQLite and PostgreSQL alike; the PostgreSQL-only cases (COPY, many rows in one
statement, concurrent writers) are in ``test_unallocated_postgres.py``.
"""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tests.factories import (
    cause_pref,
    general_pref,
    make_cause,
    make_donation,
    make_donor,
    make_need,
    make_paid_donation,
    need_pref,
)
from wagtail_sixdegrees.allocation import balances, ledger
from wagtail_sixdegrees.allocation.audit import run_audit
from wagtail_sixdegrees.allocation.engine import Account
from wagtail_sixdegrees.allocation.models import UnallocatedMoney
from wagtail_sixdegrees.giving import offline
from wagtail_sixdegrees.models import Donation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_auto_allocation(settings):
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "AUTO_ALLOCATE": False}


def kept_matches_the_donations(settings=None) -> dict[str, int]:
    """The kept rows equal the recomputation (both amounts and counts); returns the waiting
    money as the totals read it."""
    assert balances.unallocated_differences() == []
    assert balances.kept_unallocated_by_currency() == balances.unallocated_by_currency()
    return balances.kept_unallocated_by_currency()


def _pay(donation: Donation, net: int | None = None, currency: str | None = None) -> None:
    donation.status, donation.paid_at = Donation.Status.PAID, timezone.now()
    donation.settlement_currency = currency or donation.currency
    donation.settlement_amount = donation.amount
    donation.fee_amount = donation.amount - (donation.amount if net is None else net)
    donation.net_amount = donation.amount if net is None else net
    donation.save()


# --- Donation writes ------------------------------------------------------------------------


def test_a_payment_saved_through_the_orm_waits_until_it_is_allocated():
    pending = make_donation(amount=2_500, currency="USD")
    assert kept_matches_the_donations() == {}  # a pending gift brings nothing yet
    _pay(pending, net=2_400)
    assert kept_matches_the_donations() == {"USD": 2_400}
    row = UnallocatedMoney.objects.get(currency="USD")
    assert (row.gross, row.gross_count, row.net, row.net_count) == (2_500, 1, 2_400, 1)


def test_payments_written_by_update_and_bulk_create_are_kept():
    pending = [make_donation(amount=1_000, currency="USD") for _ in range(3)]
    Donation.objects.filter(pk__in=[d.pk for d in pending[:2]]).update(
        status="paid",
        paid_at=timezone.now(),
        settlement_currency="USD",
        settlement_amount=1_000,
        fee_amount=30,
        net_amount=970,
    )
    donor = make_donor()
    Donation.objects.bulk_create(
        [
            Donation(
                donor=donor,
                amount=amount,
                currency=currency,
                status="paid",
                paid_at=timezone.now(),
                settlement_currency=currency,
                settlement_amount=amount,
                fee_amount=0,
                net_amount=amount,
            )
            for amount, currency in ((5_000, "THB"), (7_000, "THB"), (300, "USD"))
        ]
    )
    assert kept_matches_the_donations() == {"USD": 2 * 970 + 300, "THB": 12_000}


def test_refunds_and_disputes_before_allocation_keep_what_the_donations_say():
    first = make_paid_donation(2_000, fee=100)
    second = make_paid_donation(3_000)
    Donation.objects.filter(pk=first.pk).update(amount_refunded=2_000, status="refunded")
    Donation.objects.filter(pk=second.pk).update(status="disputed", dispute_status="needs_response")
    assert kept_matches_the_donations() == {"USD": 1_900 + 3_000}
    Donation.objects.filter(pk=second.pk).update(status="failed")  # no longer counted
    assert kept_matches_the_donations() == {"USD": 1_900}


def test_a_change_of_amount_currency_or_payment_moves_the_money():
    gift = make_paid_donation(4_000, fee=200)
    Donation.objects.filter(pk=gift.pk).update(net_amount=3_700, fee_amount=300)
    assert kept_matches_the_donations() == {"USD": 3_700}
    Donation.objects.filter(pk=gift.pk).update(settlement_currency="EUR", settlement_amount=3_600)
    assert kept_matches_the_donations() == {"EUR": 3_700}
    Donation.objects.filter(pk=gift.pk).update(net_amount=None)
    assert kept_matches_the_donations() == {}
    row = UnallocatedMoney.objects.get(currency="EUR")
    assert (row.gross, row.gross_count, row.net, row.net_count) == (3_600, 1, 0, 0)
    Donation.objects.filter(pk=gift.pk).update(net_amount=3_500, paid_at=None)
    assert kept_matches_the_donations() == {}
    assert UnallocatedMoney.objects.exclude(gross_count=0).count() == 0


def test_deleting_donations_takes_them_off_and_an_emptied_table_stays_empty():
    kept = make_paid_donation(700, "THB")
    gone = make_paid_donation(300, "THB")
    Donation.objects.filter(pk=gone.pk).delete()
    assert kept_matches_the_donations() == {"THB": 700}
    # Django's test flush empties tables in no fixed order: the rows first must leave none.
    UnallocatedMoney.objects.all().delete()
    Donation.objects.filter(pk=kept.pk).delete()
    assert not UnallocatedMoney.objects.exists()


def test_gross_is_read_when_allocating_from_gross(settings):
    make_paid_donation(2_000, fee=150)
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "ALLOCATE_FROM": "gross"}
    assert kept_matches_the_donations() == {"USD": 2_000}


# --- The ledger -----------------------------------------------------------------------------


def test_an_allocation_takes_what_it_allocated_off_and_nothing_else():
    need = make_need(target_amount=100_000)
    allocated = [make_paid_donation(1_000 + n, preferences=[need_pref(need)]) for n in range(3)]
    later = make_paid_donation(5_000, "THB")
    ledger.allocate([d.pk for d in allocated[:2]])  # a partial run
    assert kept_matches_the_donations() == {"USD": 1_002, "THB": 5_000}
    ledger.allocate()
    assert kept_matches_the_donations() == {}
    ledger.allocate()  # nothing left: writes nothing, takes nothing off
    assert kept_matches_the_donations() == {}
    assert later.pk in set(Donation.objects.values_list("pk", flat=True))


def test_a_run_in_many_batches_takes_each_batch_off(monkeypatch):
    monkeypatch.setattr(ledger, "BATCH", 2)
    need = make_need(target_amount=4_000)
    cause = make_cause()
    for n in range(7):
        make_paid_donation(900 + n, preferences=[need_pref(need)] if n % 2 else [cause_pref(cause)])
    make_paid_donation(8_000, "THB", preferences=[general_pref()])
    run = ledger.preview_run()
    assert kept_matches_the_donations() != {}  # a preview writes nothing
    ledger.commit_run(run)
    assert kept_matches_the_donations() == {}
    assert run_audit().ok


def test_changes_after_allocation_leave_the_waiting_money_alone():
    need = make_need(target_amount=100_000)
    allocated = make_paid_donation(6_000, preferences=[need_pref(need)], allow_flexible_use=True)
    waiting = make_paid_donation(2_000, preferences=[general_pref()])
    ledger.allocate([allocated.pk])
    other = make_need(target_amount=100_000)
    ledger.reallocate(Account.need(need.pk, "USD"), other, 1_000, actor=None, reason="urgent")
    Donation.objects.filter(pk=allocated.pk).update(amount_refunded=6_000, status="refunded")
    allocated.refresh_from_db()
    ledger.sync_reversals(allocated)
    assert kept_matches_the_donations() == {"USD": 2_000}
    assert run_audit().ok
    # Whatever changes on an allocated donation, it no longer waits.
    Donation.objects.filter(pk=allocated.pk).update(net_amount=5_000, settlement_currency="EUR")
    assert kept_matches_the_donations() == {"USD": 2_000}
    ledger.allocate()
    assert kept_matches_the_donations() == {}
    assert waiting.pk


# --- Offline gifts ---------------------------------------------------------------------------


def _gift(**values: str) -> dict[str, str]:
    row = {
        "received_on": timezone.localdate().isoformat(),
        "channel": "bank_transfer",
        "amount": "25.00",
        "currency": "USD",
        "reference": "TRF-1",
    }
    return {**row, **values}


def test_offline_gifts_recorded_imported_and_voided_are_kept(django_capture_on_commit_callbacks):
    typed = offline.record_gift(offline.read_gift(_gift(amount="12")), actor=None)
    lines = [",".join(offline.COLUMNS)]
    for n, amount in enumerate(("10.00", "20.00")):
        values = _gift(reference=f"B-{n}", amount=amount, currency="THB")
        lines.append(",".join(values.get(column, "") for column in offline.COLUMNS))
    batch = offline.preview_import("gifts.csv", ("\r\n".join(lines) + "\r\n").encode(), actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        offline.commit_import(batch, actor=None)
    assert kept_matches_the_donations() == {"USD": 1_200, "THB": 3_000}
    ledger.void_offline_gift(typed, actor=None, reason="Bounced.")
    assert kept_matches_the_donations() == {"THB": 3_000}
    ledger.allocate()
    assert kept_matches_the_donations() == {}
    imported = Donation.objects.filter(currency="THB").first()
    ledger.void_offline_gift(imported, actor=None, reason="Recorded twice.")  # after allocation
    assert kept_matches_the_donations() == {}
    assert run_audit().ok


# --- The audit, the repair and the migration ---------------------------------------------------


def test_the_audit_notices_a_corrupted_row_and_the_rebuild_repairs_it(capsys):
    make_paid_donation(5_000)
    call_command("sixdegrees_audit")
    assert "all invariants hold" in capsys.readouterr().out
    with connection.cursor() as cursor:  # corrupted past the ORM
        cursor.execute("UPDATE wagtail_sixdegrees_unallocatedmoney SET net = net + 1")
    with pytest.raises(SystemExit):
        call_command("sixdegrees_audit")
    assert "kept-unallocated" in capsys.readouterr().out
    call_command("sixdegrees_audit", "--rebuild-rollups")
    assert "all invariants hold" in capsys.readouterr().out
    assert kept_matches_the_donations() == {"USD": 5_000}
    make_paid_donation(1_000)  # the reinstalled triggers keep going
    assert kept_matches_the_donations() == {"USD": 6_000}


def test_the_migration_fills_the_rows_from_the_donations_and_the_ledger():
    need = make_need(target_amount=100_000)
    make_paid_donation(4_000, preferences=[need_pref(need)])
    ledger.allocate()
    make_paid_donation(1_500, fee=100)
    make_paid_donation(9_000, "THB")
    UnallocatedMoney.objects.all().delete()  # as before the migration
    migration = importlib.import_module("wagtail_sixdegrees.migrations.0025_waiting_rows")
    migration.backfill(apps, SimpleNamespace(connection=connection))
    assert kept_matches_the_donations() == {"USD": 1_400, "THB": 9_000}
    make_paid_donation(100)
    assert kept_matches_the_donations() == {"USD": 1_500, "THB": 9_000}
