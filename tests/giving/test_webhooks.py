"""The Stripe webhook: signatures, the event store, every handled event type, duplicates and
arrival order. Events come from the fake Stripe's own state, shaped like Stripe's API."""

from __future__ import annotations

import json
import time

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from tests.factories import make_need
from tests.helpers import WEBHOOK_SECRET, post_event
from tests.stripe_fake import sign
from wagtail_sixdegrees import signals
from wagtail_sixdegrees.giving import fulfilment
from wagtail_sixdegrees.models import Donation, RecurringGift, StripeEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    """Every signal we send, as (signal name, donation pk, extra)."""
    seen = []

    def receiver(name):
        def record(sender, donation, **kwargs):
            kwargs.pop("signal", None)
            seen.append((name, donation.pk, kwargs))

        return record

    handlers = {
        name: receiver(name) for name in ("donation_paid", "donation_refunded", "donation_disputed")
    }
    for name, handler in handlers.items():
        getattr(signals, name).connect(handler)
    yield seen
    for name, handler in handlers.items():
        getattr(signals, name).disconnect(handler)


def session_of(stripe_api, donation):
    donation.refresh_from_db()
    return donation.stripe_checkout_session_id


def given(give, stripe_api, **form):
    give(**form)
    donation = Donation.objects.latest("pk")
    return donation, session_of(stripe_api, donation)


# --- signatures ---------------------------------------------------------------------------


def an_event(stripe_api):
    return stripe_api.event("customer.created", {"id": "cus_1", "object": "customer"})


@pytest.mark.parametrize("problem", ["forged", "tampered", "stale", "unsigned", "not_json"])
def test_bad_signatures_are_refused_and_nothing_is_stored(client, stripe_api, problem):
    payload = json.dumps(an_event(stripe_api))
    headers = {
        "forged": sign(payload, "whsec_someone_else"),
        "tampered": sign(payload, WEBHOOK_SECRET),
        "stale": sign(payload, WEBHOOK_SECRET, timestamp=int(time.time()) - 3600),
        "unsigned": None,
        "not_json": sign("not json", WEBHOOK_SECRET),
    }
    body = {"tampered": payload.replace("cus_1", "cus_2"), "not_json": "not json"}.get(
        problem, payload
    )
    extra = {"HTTP_STRIPE_SIGNATURE": headers[problem]} if headers[problem] else {}
    response = client.post(
        reverse("wagtail_sixdegrees:stripe_webhook"),
        data=body,
        content_type="application/json",
        **extra,
    )

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_webhook_answers_only_post(client):
    assert client.get(reverse("wagtail_sixdegrees:stripe_webhook")).status_code == 405


def test_any_of_several_secrets_verifies_while_rotating(client, stripe_api):
    config = {
        "STRIPE_SECRET_KEY": "sk_test_x",
        "CURRENCIES": ["USD"],
        "STRIPE_WEBHOOK_SECRET": ["whsec_old", "whsec_new"],
    }
    with override_settings(WAGTAIL_SIXDEGREES=config):
        response = post_event(client, an_event(stripe_api), secret="whsec_new")
    assert response.status_code == 200


def test_unknown_event_types_are_stored_and_acknowledged(deliver, stripe_api):
    deliver(an_event(stripe_api))

    event = StripeEvent.objects.get()
    assert (event.type, event.outcome, event.attempts) == ("customer.created", "ignored", 1)
    assert event.processed_at is not None


# --- one-off gifts ------------------------------------------------------------------------


def test_completed_checkout_marks_paid_with_fee_and_net_from_the_balance_transaction(
    give, stripe_api, deliver, received
):
    donation, session = given(give, stripe_api, amount="100")
    deliver(*stripe_api.pay(session))

    donation.refresh_from_db()
    charge = stripe_api.objects[donation.stripe_charge_id]
    balance = stripe_api.objects[charge["balance_transaction"]]
    assert donation.status == "paid"
    assert (donation.settlement_currency, donation.settlement_amount) == ("USD", 10000)
    # devstripe's USD fee: 2.9% + 0.30 = 3.20
    assert (
        (donation.fee_amount, donation.net_amount)
        == (320, 9680)
        == (balance["fee"], balance["net"])
    )
    assert donation.allocatable_amount == 9680
    assert donation.paid_at is not None
    assert received == [("donation_paid", donation.pk, {})]


def test_allocatable_amount_is_the_gross_when_the_site_says_so(give, stripe_api, deliver, settings):
    donation, session = given(give, stripe_api, amount="100")
    deliver(*stripe_api.pay(session))
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "ALLOCATE_FROM": "gross"}

    donation.refresh_from_db()
    assert donation.allocatable_amount == 10000


def test_duplicate_events_change_nothing_the_second_time(give, stripe_api, deliver, received):
    _donation, session = given(give, stripe_api)
    (completed,) = stripe_api.pay(session)
    deliver(completed, completed, completed)

    assert StripeEvent.objects.count() == 1
    assert StripeEvent.objects.get().attempts == 1
    assert [name for name, *_ in received] == ["donation_paid"]
    assert len(mail.outbox) == 1


def test_async_payment_completed_unpaid_then_failed(give, stripe_api, deliver):
    donation, session = given(give, stripe_api)
    checkout = stripe_api.objects[session]
    checkout.update(status="complete")  # PromptPay QR scanned, bank not yet confirmed
    deliver(stripe_api.event("checkout.session.completed", stripe_api.public(checkout)))
    donation.refresh_from_db()
    assert donation.status == "pending"

    deliver(stripe_api.event("checkout.session.async_payment_failed", stripe_api.public(checkout)))
    donation.refresh_from_db()
    assert donation.status == "failed"
    assert not mail.outbox


def test_async_payment_succeeded_marks_paid(give, stripe_api, deliver, received):
    donation, session = given(give, stripe_api)
    stripe_api.pay(session)
    checkout = stripe_api.public(stripe_api.objects[session])
    deliver(stripe_api.event("checkout.session.async_payment_succeeded", checkout))

    donation.refresh_from_db()
    assert donation.status == "paid"
    assert len(received) == 1


def test_expired_checkout_marks_the_donation_expired(give, stripe_api, deliver):
    donation, session = given(give, stripe_api)
    deliver(*stripe_api.expire(session))

    donation.refresh_from_db()
    assert donation.status == "expired"


# --- refunds and disputes ------------------------------------------------------------------


def test_partial_then_full_refund_uses_the_cumulative_refunded_amount(
    give, stripe_api, deliver, received
):
    donation, session = given(give, stripe_api, amount="100")
    deliver(*stripe_api.pay(session))
    donation.refresh_from_db()
    stripe_api.refund(donation.stripe_charge_id, 2500)
    deliver(stripe_api.events[-1])
    donation.refresh_from_db()
    assert (donation.status, donation.amount_refunded) == ("partially_refunded", 2500)
    assert donation.refunded_settlement_amount == 2500

    stripe_api.refund(donation.stripe_charge_id, 7500)
    deliver(stripe_api.events[-1])
    donation.refresh_from_db()
    assert (donation.status, donation.amount_refunded) == ("refunded", 10000)
    assert [(name, extra) for name, _pk, extra in received if name == "donation_refunded"] == [
        ("donation_refunded", {"amount_refunded": 2500}),
        ("donation_refunded", {"amount_refunded": 10000}),
    ]


def test_refund_arriving_before_the_payment_is_applied_once_the_payment_is_known(
    give, stripe_api, deliver, received
):
    donation, session = given(give, stripe_api)
    (completed,) = stripe_api.pay(session)
    charge_id = stripe_api.objects[stripe_api.objects[session]["payment_intent"]]["latest_charge"]
    stripe_api.refund(charge_id)
    refunded = stripe_api.events[-1]

    deliver(refunded)
    assert StripeEvent.objects.get().outcome == "deferred"
    deliver(completed)

    donation.refresh_from_db()
    assert (donation.status, donation.amount_refunded) == ("refunded", 2500)
    assert StripeEvent.objects.get(stripe_id=refunded["id"]).outcome == "applied"
    assert [name for name, *_ in received] == ["donation_paid", "donation_refunded"]


def test_dispute_lifecycle_records_withdrawn_and_reinstated_funds(
    give, stripe_api, deliver, received
):
    donation, session = given(give, stripe_api, amount="100")
    deliver(*stripe_api.pay(session))
    donation.refresh_from_db()
    charge = donation.stripe_charge_id

    deliver(stripe_api.dispute(charge, "needs_response"))
    donation.refresh_from_db()
    assert (donation.status, donation.dispute_status, donation.dispute_amount) == (
        "disputed",
        "needs_response",
        10000,
    )
    deliver(stripe_api.dispute(charge, "needs_response", withdrawn=True))
    donation.refresh_from_db()
    assert (donation.dispute_funds_withdrawn, donation.dispute_fee_amount) == (10000, 1500)

    deliver(stripe_api.dispute(charge, "won", reinstated=True))
    deliver(stripe_api.dispute(charge, "won"))
    donation.refresh_from_db()
    assert (donation.status, donation.dispute_status) == ("paid", "won")
    assert donation.dispute_funds_reinstated == 10000
    assert [extra for name, _pk, extra in received if name == "donation_disputed"] == [
        {"dispute_status": "needs_response"},
        {"dispute_status": "won"},
    ]


def test_lost_dispute_stays_disputed_and_a_late_update_does_not_reopen_it(
    give, stripe_api, deliver
):
    donation, session = given(give, stripe_api)
    deliver(*stripe_api.pay(session))
    donation.refresh_from_db()
    opened = stripe_api.dispute(donation.stripe_charge_id, "needs_response")
    deliver(stripe_api.dispute(donation.stripe_charge_id, "lost"))
    deliver(opened)

    donation.refresh_from_db()
    assert (donation.status, donation.dispute_status) == ("disputed", "lost")


# --- monthly gifts ------------------------------------------------------------------------


def test_monthly_gift_first_invoice_pays_the_donation_from_the_form(
    give, stripe_api, deliver, received
):
    need = make_need()
    donation, session = given(give, stripe_api, frequency="monthly", target=f"need:{need.pk}")
    deliver(*stripe_api.pay(session))

    donation.refresh_from_db()
    gift = RecurringGift.objects.get()
    assert Donation.objects.count() == 1
    assert donation.status == "paid"
    assert donation.stripe_invoice_id
    assert gift.status == "active"
    assert gift.stripe_subscription_id == stripe_api.objects[session]["subscription"]
    assert len(received) == 1


def test_each_renewal_creates_exactly_one_donation_with_the_gifts_preferences(
    give, stripe_api, deliver
):
    need = make_need()
    given(
        give,
        stripe_api,
        frequency="monthly",
        amount="10",
        target=[f"need:{need.pk}", "general"],
        share=["50", "50"],
    )
    deliver(*stripe_api.pay(Donation.objects.get().stripe_checkout_session_id))
    gift = RecurringGift.objects.get()
    renewal = stripe_api.renew(gift.stripe_subscription_id)
    deliver(*renewal, *renewal)

    assert Donation.objects.count() == 2
    second = Donation.objects.latest("pk")
    assert (second.status, second.amount, second.frequency, second.recurring_gift) == (
        "paid",
        1000,
        "monthly",
        gift,
    )
    assert [(p.target, p.share_bps) for p in second.preferences.all()] == [
        (f"need:{need.pk}", 5000),
        ("general", 5000),
    ]
    assert second.fee_amount is not None


def test_invoice_paid_before_checkout_completed_converges(give, stripe_api, deliver):
    donation, session = given(give, stripe_api, frequency="monthly")
    completed, invoice_paid = stripe_api.pay(session)
    deliver(invoice_paid, completed)

    donation.refresh_from_db()
    assert Donation.objects.count() == 1
    assert donation.status == "paid"
    assert RecurringGift.objects.get().status == "active"


def test_subscription_deleted_cancels_the_gift_and_late_updates_do_not_revive_it(
    give, stripe_api, deliver
):
    given(give, stripe_api, frequency="monthly")
    deliver(*stripe_api.pay(Donation.objects.get().stripe_checkout_session_id))
    gift = RecurringGift.objects.get()
    subscription = stripe_api.objects[gift.stripe_subscription_id]
    updated = stripe_api.event("customer.subscription.updated", subscription)
    stripe_api.cancel_subscription(gift.stripe_subscription_id)
    deliver(stripe_api.events[-1], updated)

    gift.refresh_from_db()
    assert gift.status == "cancelled"
    assert gift.cancelled_at is not None


def test_subscription_update_follows_stripe(give, stripe_api, deliver):
    given(give, stripe_api, frequency="monthly")
    deliver(*stripe_api.pay(Donation.objects.get().stripe_checkout_session_id))
    gift = RecurringGift.objects.get()
    stripe_api.objects[gift.stripe_subscription_id]["status"] = "past_due"
    deliver(
        stripe_api.event(
            "customer.subscription.updated", stripe_api.objects[gift.stripe_subscription_id]
        )
    )

    gift.refresh_from_db()
    assert gift.status == "past_due"


# --- failure handling ---------------------------------------------------------------------


def test_processing_error_answers_500_keeps_the_error_and_redelivery_succeeds(
    give, stripe_api, deliver, monkeypatch, received
):
    donation, session = given(give, stripe_api)
    (completed,) = stripe_api.pay(session)

    def explode(*args, **kwargs):
        raise RuntimeError("database went away")

    original = fulfilment.record_payment_intent
    monkeypatch.setattr(fulfilment, "record_payment_intent", explode)
    deliver(completed, expect=500)
    event = StripeEvent.objects.get()
    donation.refresh_from_db()
    assert (event.attempts, event.processed_at) == (1, None)
    assert "database went away" in event.last_error
    assert donation.status == "pending"
    assert received == []

    monkeypatch.setattr(fulfilment, "record_payment_intent", original)
    deliver(completed)
    event.refresh_from_db()
    donation.refresh_from_db()
    assert (event.attempts, event.last_error, event.outcome) == (2, "", "applied")
    assert donation.status == "paid"
    assert len(received) == 1


@pytest.mark.django_db(transaction=True)
def test_webhook_commits_its_own_work_under_atomic_requests(client, stripe_api):
    from django.db import connection

    connection.settings_dict["ATOMIC_REQUESTS"] = True
    try:
        response = post_event(client, an_event(stripe_api))
    finally:
        connection.settings_dict["ATOMIC_REQUESTS"] = False
    assert response.status_code == 200
    assert StripeEvent.objects.get().processed_at is not None
