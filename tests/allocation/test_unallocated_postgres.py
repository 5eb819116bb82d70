"""On real PostgreSQL: the waiting money is kept by statement-level triggers (one run over a
statement's transition tables, whatever its number of rows, COPY included), and payments
written while an allocation runs neither deadlock with it nor make the kept rows drift."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from tests.concurrency import run_concurrently
from tests.factories import make_donation, make_need, make_paid_donation, need_pref
from wagtail_sixdegrees.allocation import balances, ledger
from wagtail_sixdegrees.allocation.models import UnallocatedMoney
from wagtail_sixdegrees.models import Donation

pytestmark = [pytest.mark.postgres]


@pytest.fixture(autouse=True)
def no_auto_allocation(settings):
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "AUTO_ALLOCATE": False}


def kept_matches_the_donations() -> dict[str, int]:
    assert balances.unallocated_differences() == []
    assert balances.kept_unallocated_by_currency() == balances.unallocated_by_currency()
    return balances.kept_unallocated_by_currency()


def _copy_every_donation_again() -> None:
    """COPY every donation back in under a new reference: rows no signal or save() sees."""
    quote = connection.ops.quote_name
    columns = [f.column for f in Donation._meta.concrete_fields if not f.primary_key]
    chosen = ", ".join("gen_random_uuid()" if c == "reference" else quote(c) for c in columns)
    table = quote(Donation._meta.db_table)
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY (SELECT {chosen} FROM {table} ORDER BY id) TO STDOUT") as out:  # noqa: S608
            data = b"".join(bytes(chunk) for chunk in out)
        with cursor.copy(f"COPY {table} ({', '.join(map(quote, columns))}) FROM STDIN") as copy:
            copy.write(data)


@pytest.mark.django_db
def test_copy_and_statements_over_many_rows_are_kept():
    need = make_need(target_amount=10**9)
    for n in range(6):
        make_paid_donation(
            1_000 + n, "USD" if n % 2 else "THB", fee=10, preferences=[need_pref(need)]
        )
    make_donation(amount=700)  # pending: brings nothing
    allocated = make_paid_donation(9_000, preferences=[need_pref(need)])
    ledger.allocate([allocated.pk])
    before = kept_matches_the_donations()
    assert before == {"USD": 991 + 993 + 995, "THB": 990 + 992 + 994}

    _copy_every_donation_again()  # the allocated gift's copy has no allocation: it waits
    assert kept_matches_the_donations() == {
        "USD": 2 * before["USD"] + 9_000,
        "THB": 2 * before["THB"],
    }
    table = connection.ops.quote_name(Donation._meta.db_table)
    with connection.cursor() as cursor:  # many rows, each one statement
        cursor.execute(f"UPDATE {table} SET net_amount = net_amount - 1 WHERE net_amount > 0")  # noqa: S608
        kept_matches_the_donations()
        cursor.execute(
            f"UPDATE {table} SET settlement_currency = CASE settlement_currency "  # noqa: S608
            "WHEN 'USD' THEN 'THB' WHEN 'THB' THEN 'USD' ELSE settlement_currency END"
        )
        kept_matches_the_donations()
        cursor.execute(
            f"UPDATE {table} SET status = 'failed' WHERE currency = 'THB' AND status = 'paid' "  # noqa: S608
            f"AND id NOT IN (SELECT donation_id FROM wagtail_sixdegrees_ledgerentry)"
        )
        kept_matches_the_donations()
        cursor.execute(
            f"DELETE FROM {table} WHERE status = 'failed' "  # noqa: S608 - copies only
            "AND id NOT IN (SELECT donation_id FROM wagtail_sixdegrees_preference)"
        )
    kept_matches_the_donations()
    with_preferences = Donation.objects.filter(preferences__isnull=False).values_list("pk")
    ledger.allocate(sorted({pk for (pk,) in with_preferences}))  # the copies have none
    copies = kept_matches_the_donations()
    assert copies and sum(row.net_count for row in UnallocatedMoney.objects.all()) == len(
        balances.unallocated_donations()
    )


@pytest.mark.django_db(transaction=True)
def test_payments_and_allocations_at_the_same_time_converge_without_deadlock():
    need = make_need(target_amount=10**9)
    paid = [make_paid_donation(1_000 + n, preferences=[need_pref(need)]) for n in range(30)]
    pending = [make_donation(amount=500 + n, preferences=[need_pref(need)]) for n in range(60)]

    def pay(donation: Donation) -> None:
        with transaction.atomic():  # as the webhook does: lock the donation, then save it
            locked = Donation.objects.select_for_update(no_key=True).get(pk=donation.pk)
            locked.status, locked.paid_at = "paid", timezone.now()
            locked.settlement_currency, locked.settlement_amount = "USD", locked.amount
            locked.fee_amount, locked.net_amount = 20, locked.amount - 20
            locked.save()

    def work(index: int, round_: int) -> None:
        if index == 0:
            for _ in range(4):
                ledger.allocate()
        elif index == 1:  # each gift is paid once (a run orders its gifts by payment time)
            for donation in pending[round_ * 30 : round_ * 30 + 30]:
                pay(donation)
        else:  # fees learnt late, while the run may be allocating these very donations
            for donation in paid:
                with transaction.atomic():  # locked as the package's writers lock donations
                    ledger.lock(donations=[donation.pk])
                    Donation.objects.filter(pk=donation.pk).update(net_amount=F("net_amount") - 1)

    for round_ in range(2):
        run_concurrently(lambda index, now=round_: work(index, now), 3)  # fails on a deadlock
        kept_matches_the_donations()
    ledger.allocate()
    assert kept_matches_the_donations() == {}
    assert Donation.objects.filter(status="paid").count() == 90
