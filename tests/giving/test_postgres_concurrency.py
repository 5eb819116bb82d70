"""On real PostgreSQL: concurrent deliveries and failures mid-way."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connections, transaction
from django.test import Client

from tests.concurrency import run_concurrently
from tests.helpers import donate_data, post_event
from tests.stripe_fake import DevStripe, InProcessStripe
from wagtail_sixdegrees import signals
from wagtail_sixdegrees.giving import fulfilment, gateway
from wagtail_sixdegrees.models import Donation, StripeEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stripe_state():
    state = DevStripe()
    with gateway.use_http_client(InProcessStripe(state)):
        yield state


@pytest.fixture
def paid_signals():
    seen = []
    lock = threading.Lock()

    def record(sender, donation, **kwargs):
        with lock:
            seen.append(donation.pk)

    signals.donation_paid.connect(record)
    yield seen
    signals.donation_paid.disconnect(record)


def completed_event(stripe_state):
    client = Client()
    assert client.post("/giving/donate/", donate_data()).status_code == 303
    donation = Donation.objects.get()
    (completed,) = stripe_state.pay(donation.stripe_checkout_session_id)
    return donation, completed


def test_one_event_from_16_threads_gives_one_transition_and_one_signal(stripe_state, paid_signals):
    donation, completed = completed_event(stripe_state)
    statuses = run_concurrently(lambda _index: post_event(Client(), completed).status_code, 16)

    donation.refresh_from_db()
    assert statuses == [200] * 16
    assert donation.status == "paid"
    assert StripeEvent.objects.count() == 1
    assert StripeEvent.objects.get().attempts == 1
    assert paid_signals == [donation.pk]


def test_failure_after_storing_leaves_no_partial_state_and_redelivery_succeeds(
    stripe_state, paid_signals, monkeypatch
):
    donation, completed = completed_event(stripe_state)
    original = fulfilment._save

    def save_then_fail(*args, **kwargs):
        original(*args, **kwargs)  # the donation row is written...
        raise RuntimeError("injected failure")  # ...and then processing dies

    monkeypatch.setattr(fulfilment, "_save", save_then_fail)
    response = post_event(Client(), completed)
    donation.refresh_from_db()
    event = StripeEvent.objects.get()
    assert response.status_code == 500
    assert donation.status == "pending"
    assert donation.stripe_charge_id == ""
    assert (event.processed_at, event.attempts) == (None, 1)
    assert "injected failure" in event.last_error
    assert paid_signals == []

    monkeypatch.setattr(fulfilment, "_save", original)
    assert post_event(Client(), completed).status_code == 200
    donation.refresh_from_db()
    assert donation.status == "paid"
    assert paid_signals == [donation.pk]


def test_no_row_is_locked_while_stripe_answers(stripe_state):
    """While the webhook waits for Stripe, another connection can lock the donation and the
    stored event at once (NOWAIT): nothing of ours is held across the Stripe call."""
    donation, completed = completed_event(stripe_state)
    answered = stripe_state.handle
    probes = []

    def lock_from_elsewhere():
        try:
            with transaction.atomic():
                Donation.objects.select_for_update(nowait=True).get(pk=donation.pk)
                StripeEvent.objects.select_for_update(nowait=True).get(stripe_id=completed["id"])
            probes.append("free")
        except DatabaseError as error:
            probes.append(f"locked: {error}")
        finally:
            connections.close_all()

    def handle(method, path, params, headers):
        if method.upper() == "GET":  # Stripe is being read: try the rows from another connection
            probe = threading.Thread(target=lock_from_elsewhere)
            probe.start()
            probe.join()
        return answered(method, path, params, headers)

    stripe_state.handle = handle
    assert post_event(Client(), completed).status_code == 200

    donation.refresh_from_db()
    assert donation.status == "paid"
    assert probes and set(probes) == {"free"}, probes


def test_a_new_monthly_gifts_two_first_events_at_once_never_deadlock(stripe_state, paid_signals):
    """checkout.session.completed and invoice.paid of one new monthly gift, applied at the same
    moment by two processes, lock the gift and its donation in the same order (this
    deadlocked under the campaign spike)."""
    client = Client()
    pairs = []
    for number in range(8):
        data = donate_data(frequency="monthly", email=f"monthly{number}@example.org")
        address = f"198.51.100.{number + 1}"  # a donor each, as the rate limit counts
        assert client.post("/giving/donate/", data, REMOTE_ADDR=address).status_code == 303
        donation = Donation.objects.latest("pk")
        pairs.append(stripe_state.pay(donation.stripe_checkout_session_id))
    statuses = []
    for pair in pairs:
        assert [event["type"] for event in pair] == ["checkout.session.completed", "invoice.paid"]
        statuses += run_concurrently(
            lambda index, pair=pair: post_event(Client(), pair[index]).status_code, 2
        )

    assert statuses == [200] * 16
    assert Donation.objects.filter(status="paid", frequency="monthly").count() == 8
    assert sorted(paid_signals) == sorted(Donation.objects.values_list("pk", flat=True))
