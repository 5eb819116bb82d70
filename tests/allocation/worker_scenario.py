"""Steps of the scale-out test, each run in its own process with tests.testapp.settings_worker.

python -m tests.allocation.worker_scenario pay     # create needs, pay donations (enqueues tasks)
python -m tests.allocation.worker_scenario verify  # print what the worker did, as JSON
"""

from __future__ import annotations

import json
import sys

import django


def pay() -> dict:
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from tests.factories import make_need, make_paid_donation, need_pref
    from wagtail_sixdegrees import signals
    from wagtail_sixdegrees.allocation.models import LedgerEntry
    from wagtail_sixdegrees.models import Donation

    shelter = make_need(title="Worker shelter", target_amount=30_000)
    for amount in (10_000, 15_000, 20_000):
        with transaction.atomic():
            donation = make_paid_donation(amount, fee=300, preferences=[need_pref(shelter)])
            # What fulfilment does when Stripe confirms a payment: announce it after commit.
            transaction.on_commit(
                lambda d=donation: signals.donation_paid.send(sender=Donation, donation=d)
            )
    return {
        "queued": DBTaskResult.objects.filter(status="READY").count(),
        "entries_before_worker": LedgerEntry.objects.count(),
    }


def verify() -> dict:
    from django_tasks_db.models import DBTaskResult

    from wagtail_sixdegrees.allocation.audit import run_audit
    from wagtail_sixdegrees.allocation.models import LedgerEntry
    from wagtail_sixdegrees.models import Need

    need = Need.objects.with_progress().get(title="Worker shelter")
    return {
        "task_statuses": sorted(DBTaskResult.objects.values_list("status", flat=True)),
        "task_names": sorted(
            {
                name.rsplit(".", 1)[-1]
                for name in DBTaskResult.objects.values_list("task_path", flat=True)
            }
        ),
        "need_allocated": need.allocated,
        "ledger_total": LedgerEntry.objects.balance(),
        "audit_ok": run_audit().ok,
    }


if __name__ == "__main__":
    django.setup()
    step = {"pay": pay, "verify": verify}[sys.argv[1]]
    print(json.dumps(step()))
