"""On real PostgreSQL: two workers sending the same update never email a donor twice, and the
erasure search covers jsonb columns."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.utils import timezone

from tests.concurrency import run_concurrently
from tests.factories import make_need, make_need_update, make_paid_donation, need_pref
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.models import NeedUpdate, NeedUpdateNotice
from wagtail_sixdegrees.transparency import notifications

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_sending_one_update_email_each_donor_exactly_once(monkeypatch):
    need = make_need(target_amount=10_000_000)
    for _ in range(12):
        make_paid_donation(preferences=[need_pref(need)], wants_updates=True)
    ledger.allocate()
    update = make_need_update(need, publish=False)
    # Live without the signal, so that only the two workers below send anything.
    NeedUpdate.objects.filter(pk=update.pk).update(live=True, first_published_at=timezone.now())
    original = notifications.build_notice

    def slow_build(update, donation):
        threading.Event().wait(0.01)  # widen the window between claiming and sending
        return original(update, donation)

    monkeypatch.setattr(notifications, "build_notice", slow_build)
    sent = run_concurrently(lambda _index: notifications.notify(update.pk), 2)

    assert sum(sent) == 12
    assert len(mail.outbox) == 12
    assert len({tuple(message.to) for message in mail.outbox}) == 12
    assert NeedUpdateNotice.objects.count() == 12


def test_erasure_search_reads_jsonb_columns_too():
    from tests.transparency.test_data_rights import rows_containing
    from wagtail_sixdegrees.models import StripeEvent

    StripeEvent.objects.create(
        stripe_id="evt_fictional_1",
        type="checkout.session.completed",
        payload={"data": {"object": {"customer_details": {"email": "Json.Only@Example.org"}}}},
    )
    assert ("wagtail_sixdegrees_stripeevent", "payload") in rows_containing("json.only@example.org")
