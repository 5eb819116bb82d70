"""Webhook ingest's short path: one insert-or-ignore stores an event, one conditional UPDATE
records a dispute, and both give what the locked read and save they replace gave (on SQLite
here, and on PostgreSQL in its pass, where the concurrent deliveries below run)."""

from __future__ import annotations

import threading

import pytest
from django.db import transaction
from django.test import Client

from tests.concurrency import run_concurrently
from tests.helpers import post_event
from tests.stripe_fake import DevStripe, InProcessStripe
from wagtail_sixdegrees import signals
from wagtail_sixdegrees.giving import gateway
from wagtail_sixdegrees.giving.gateway import StripeGateway
from wagtail_sixdegrees.giving.webhooks import store_event
from wagtail_sixdegrees.models import Donation, StripeEvent


@pytest.fixture
def disputed_signals():
    seen = []
    lock = threading.Lock()

    def record(sender, donation, dispute_status="", **kwargs):
        with lock:
            seen.append((donation.pk, dispute_status))

    signals.donation_disputed.connect(record)
    yield seen
    signals.donation_disputed.disconnect(record)


def statements(captured) -> list[str]:
    return [query["sql"].split()[0].upper() for query in captured.captured_queries]


@pytest.mark.django_db
def test_a_dispute_event_is_stored_read_and_applied_in_six_statements(
    pay, stripe_api, client, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    donation = pay()
    event = stripe_api.dispute(donation.stripe_charge_id, "needs_response")
    # INSERT (with the erased-donor check), SELECT the donation, then in one transaction
    # (BEGIN/COMMIT, or a savepoint inside the test's) UPDATE the donation and claim the event.
    with (
        django_assert_max_num_queries(6) as captured,
        django_capture_on_commit_callbacks(execute=False),
    ):
        response = post_event(client, event)
    assert response.status_code == 200, response.content
    kinds = statements(captured)
    assert (kinds.count("INSERT"), kinds.count("UPDATE")) == (1, 2)
    assert not any("FOR UPDATE" in query["sql"] for query in captured.captured_queries)
    donation.refresh_from_db()
    assert (donation.status, donation.dispute_status, donation.dispute_amount) == (
        "disputed",
        "needs_response",
        2500,
    )
    stored = StripeEvent.objects.get(stripe_id=event["id"])
    assert (stored.outcome, stored.attempts, stored.processed_at is not None) == (
        "applied",
        1,
        True,
    )


@pytest.mark.django_db
def test_a_completed_checkout_is_stored_read_and_applied_in_eight_statements(
    give, stripe_api, client, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    assert give().status_code == 303
    donation = Donation.objects.get()
    (completed,) = stripe_api.pay(donation.stripe_checkout_session_id)
    # INSERT; SELECT the donation; in one transaction: lock it and read its donor (one
    # SELECT), UPDATE it, UPDATE the donor's record, claim the event. Tasks are enqueued after.
    with (
        django_assert_max_num_queries(8) as captured,
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        response = post_event(client, completed)
    assert response.status_code == 200, response.content
    assert statements(captured).count("SELECT") == 2
    donation.refresh_from_db()
    assert (donation.status, donation.fee_amount is not None, donation.donor.name) == (
        "paid",
        True,
        donation.donor_name,
    )
    assert len(callbacks) == 3  # donation_paid, the receipt, replaying deferred events


@pytest.mark.django_db
def test_an_unchanged_dispute_writes_nothing_but_the_claim(
    pay, stripe_api, client, deliver, django_assert_max_num_queries
):
    donation = pay()
    deliver(stripe_api.dispute(donation.stripe_charge_id, "needs_response"))
    written = Donation.objects.get(pk=donation.pk).updated_at
    again = {**stripe_api.events[-1], "id": "evt_same_facts_again"}
    with django_assert_max_num_queries(5) as captured:
        deliver(again)
    assert statements(captured).count("UPDATE") == 1  # the claim
    assert Donation.objects.get(pk=donation.pk).updated_at == written
    assert StripeEvent.objects.get(stripe_id="evt_same_facts_again").outcome == "unchanged"


@pytest.mark.django_db
def test_a_donation_that_moved_after_it_was_read_is_locked_and_merged_again(
    pay, stripe_api, deliver, disputed_signals, monkeypatch
):
    """Between the unlocked read and the write, another delivery closed the dispute as lost:
    the conditional UPDATE finds the row changed, and the locked path keeps the closed status
    (a late "needs_response" never reopens a lost dispute), as before."""
    donation = pay()
    opened = stripe_api.dispute(donation.stripe_charge_id, "needs_response")
    read_from_stripe = StripeGateway.retrieve_dispute

    def meanwhile_lost(self, dispute_id):
        dispute = read_from_stripe(self, dispute_id)
        Donation.objects.filter(pk=donation.pk).update(
            dispute_status="lost", dispute_id=dispute_id, status="disputed"
        )
        return dispute

    monkeypatch.setattr(StripeGateway, "retrieve_dispute", meanwhile_lost)
    deliver(opened)

    donation.refresh_from_db()
    assert (donation.status, donation.dispute_status, donation.dispute_amount) == (
        "disputed",
        "lost",
        2500,
    )
    assert disputed_signals == []  # the status did not change
    assert StripeEvent.objects.get(stripe_id=opened["id"]).outcome == "applied"


@pytest.mark.django_db
def test_a_redelivery_stored_inside_a_transaction_leaves_it_usable(stripe_api, pay):
    donation = pay()
    event = stripe_api.dispute(donation.stripe_charge_id, "needs_response")
    assert store_event(event).is_new
    with transaction.atomic():
        again = store_event(event)
        assert not again.is_new
        assert StripeEvent.objects.filter(stripe_id=event["id"]).count() == 1  # still usable
    first = StripeEvent.objects.get(stripe_id=event["id"])
    assert (first.type, first.charge_id, first.payload) == (
        "charge.dispute.created",
        donation.stripe_charge_id,
        event,
    )


@pytest.mark.django_db
def test_one_stripe_connection_is_kept_for_consecutive_calls(settings):
    """The gateway's default HTTP client is shared, so a worker reuses its (keep-alive)
    connection to Stripe instead of opening one per webhook."""
    first, second = StripeGateway(), StripeGateway()
    assert first.client._requestor._client is second.client._requestor._client
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "STRIPE_TIMEOUT": 7}
    assert StripeGateway().client._requestor._client is not first.client._requestor._client


# --- PostgreSQL: the same event, and two events about one donation, at once -------------


@pytest.fixture
def stripe_state():
    state = DevStripe()
    with gateway.use_http_client(InProcessStripe(state)):
        yield state


def paid_donation(stripe_state) -> Donation:
    from tests.helpers import donate_data

    client = Client()
    assert client.post("/giving/donate/", donate_data()).status_code == 303
    donation = Donation.objects.latest("pk")
    for event in stripe_state.pay(donation.stripe_checkout_session_id):
        assert post_event(client, event).status_code == 200
    donation.refresh_from_db()
    assert donation.status == "paid"
    return donation


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_dispute_event_delivered_by_12_threads_is_applied_once(stripe_state, disputed_signals):
    donation = paid_donation(stripe_state)
    event = stripe_state.dispute(donation.stripe_charge_id, "needs_response")
    answers = run_concurrently(lambda _index: post_event(Client(), event).status_code, 12)

    assert answers == [200] * 12
    stored = StripeEvent.objects.get(stripe_id=event["id"])
    assert (stored.outcome, stored.attempts) == ("applied", 1)
    donation.refresh_from_db()
    assert (donation.status, donation.dispute_status) == ("disputed", "needs_response")
    assert disputed_signals == [(donation.pk, "needs_response")]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_different_events_about_one_dispute_at_once_record_one_transition(
    stripe_state, disputed_signals
):
    """Eight distinct events (Stripe's created and updated) about one dispute, at once: each
    reads the donation unlocked and writes conditionally; one write wins, the others find the
    row moved and merge under the lock, so the status changes (and is signalled) once."""
    donation = paid_donation(stripe_state)
    opened = stripe_state.dispute(donation.stripe_charge_id, "needs_response")
    events = [{**opened, "id": f"{opened['id']}_{number}"} for number in range(8)]
    answers = run_concurrently(lambda index: post_event(Client(), events[index]).status_code, 8)

    assert answers == [200] * 8
    outcomes = sorted(
        StripeEvent.objects.filter(type=opened["type"]).values_list("outcome", flat=True)
    )
    assert outcomes == ["applied"] + ["unchanged"] * 7
    donation.refresh_from_db()
    assert (donation.status, donation.dispute_status, donation.dispute_amount) == (
        "disputed",
        "needs_response",
        donation.amount,
    )
    assert disputed_signals == [(donation.pk, "needs_response")]
