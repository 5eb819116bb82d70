"""A payment is recorded only against the donation it was made for.

Anything on the same Stripe account can name one of our donations (a Payment Link takes any
``client_reference_id``; another integration can copy our subscription metadata). Only the
Checkout Session we created, for the donation's amount and currency, and the subscription that
session started, count. Refunds and disputes are measured in the charge's own currency, events
from the other Stripe mode are refused, events that end or take back a gift are re-read from
Stripe, and Stripe is never called inside a transaction.
"""

from __future__ import annotations

import io
import logging

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from tests.factories import make_need, make_paid_donation
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.allocation.audit import run_audit
from wagtail_sixdegrees.models import Donation, LedgerEntry, RecurringGift, StripeEvent

pytestmark = pytest.mark.django_db


def given(give, **form) -> tuple[Donation, str]:
    assert give(**form).status_code == 303
    donation = Donation.objects.latest("pk")
    return donation, donation.stripe_checkout_session_id


def stray_session(stripe_api, *, amount: int, currency: str, donation=None, subscription=None):
    """A Checkout Session someone else created on the same Stripe account (a Payment Link with
    ``?client_reference_id=``, another integration), naming our donation or monthly gift."""
    params = {
        "mode": "subscription" if subscription else "payment",
        "success_url": "https://elsewhere.example/thanks",
        "line_items": [
            {
                "price_data": {
                    "currency": currency,
                    "unit_amount": str(amount),
                    "product_data": {"name": "Something else"},
                    **({"recurring": {"interval": "month"}} if subscription else {}),
                },
                "quantity": "1",
            }
        ],
    }
    if donation is not None:
        params["client_reference_id"] = str(donation.reference)
        params["metadata"] = {"donation": str(donation.reference)}
        params["payment_intent_data"] = {"metadata": {"donation": str(donation.reference)}}
    if subscription is not None:
        params["subscription_data"] = {"metadata": subscription}
    return stripe_api.create_session(params)["id"]


def events_of_type(type_: str):
    return StripeEvent.objects.filter(type=type_)


# --- Checkout Sessions -------------------------------------------------------------------------


def test_a_cheap_session_in_another_currency_naming_a_donation_does_not_pay_it(
    give, stripe_api, deliver, caplog
):
    donation, _session = given(give, amount="10000", currency="USD")
    stray = stray_session(stripe_api, amount=100, currency="thb", donation=donation)

    with caplog.at_level(logging.WARNING, logger="wagtail_sixdegrees.giving.fulfilment"):
        deliver(*stripe_api.pay(stray))

    donation.refresh_from_db()
    assert (donation.status, donation.paid_at, donation.stripe_charge_id) == ("pending", None, "")
    assert stray in donation.payment_mismatch
    event = events_of_type("checkout.session.completed").get()
    assert event.outcome == "mismatch"
    assert stray in event.detail and "100 THB" in event.detail
    assert not mail.outbox  # no receipt
    assert any("mismatch" in record.getMessage() for record in caplog.records)


def test_another_session_for_the_same_amount_and_currency_is_still_a_mismatch(
    give, stripe_api, deliver
):
    donation, _session = given(give, amount="25", currency="USD")
    stray = stray_session(stripe_api, amount=2500, currency="usd", donation=donation)

    deliver(*stripe_api.pay(stray))

    donation.refresh_from_db()
    assert donation.status == "pending"
    assert events_of_type("checkout.session.completed").get().outcome == "mismatch"


def test_a_stray_session_expiring_does_not_expire_the_donation(give, stripe_api, deliver):
    donation, session = given(give)
    stray = stray_session(stripe_api, amount=2500, currency="usd", donation=donation)

    deliver(*stripe_api.expire(stray))
    donation.refresh_from_db()
    assert donation.status == "pending"

    deliver(*stripe_api.pay(session))  # the donor's own payment still counts
    donation.refresh_from_db()
    assert donation.status == "paid"


def test_a_mismatch_is_an_audit_violation_and_sixdegrees_audit_exits_1(give, stripe_api, deliver):
    donation, _session = given(give, amount="10000")
    deliver(
        *stripe_api.pay(stray_session(stripe_api, amount=100, currency="thb", donation=donation))
    )

    report = run_audit()
    assert {finding.check for finding in report.violations} == {"payment-mismatch"}
    assert str(donation.reference) in report.text()
    with pytest.raises(SystemExit) as exit_:
        call_command("sixdegrees_audit", stdout=io.StringIO())
    assert exit_.value.code == 1


# --- Monthly gifts -----------------------------------------------------------------------------


@pytest.fixture
def monthly_gift(give, stripe_api, deliver):
    donation, session = given(give, frequency="monthly", amount="10")
    deliver(*stripe_api.pay(session))
    gift = RecurringGift.objects.get()
    assert gift.status == "active"
    return gift, donation


def test_invoices_of_a_subscription_the_gift_did_not_start_create_no_donation(
    monthly_gift, stripe_api, deliver
):
    gift, donation = monthly_gift
    copied = {"donation": str(donation.reference), "recurring_gift": str(gift.reference)}
    stray = stray_session(stripe_api, amount=100, currency="thb", subscription=copied)
    _completed, first_invoice = stripe_api.pay(stray)
    subscription = stripe_api.objects[stray]["subscription"]

    renewal = stripe_api.renew(subscription)
    deliver(first_invoice, *renewal)

    assert Donation.objects.count() == 1
    stray_invoices = [first_invoice["data"]["object"]["id"], renewal[0]["data"]["object"]["id"]]
    outcomes = events_of_type("invoice.paid").filter(object_id__in=stray_invoices)
    assert list(outcomes.values_list("outcome", flat=True)) == ["mismatch", "mismatch"]


def test_a_subscription_the_gift_did_not_start_cannot_cancel_the_gift(
    monthly_gift, stripe_api, deliver
):
    gift, donation = monthly_gift
    copied = {"donation": str(donation.reference), "recurring_gift": str(gift.reference)}
    stray = stray_session(stripe_api, amount=1000, currency="usd", subscription=copied)
    stripe_api.pay(stray)
    stripe_api.cancel_subscription(stripe_api.objects[stray]["subscription"])

    deliver(stripe_api.events[-1])

    gift.refresh_from_db()
    assert gift.status == "active"
    assert events_of_type("customer.subscription.deleted").get().outcome == "mismatch"


# --- Re-reading what ends or takes back a gift --------------------------------------------------


def test_a_subscription_deleted_event_is_checked_against_stripe_before_cancelling(
    monthly_gift, stripe_api, deliver
):
    gift, _donation = monthly_gift
    subscription = dict(stripe_api.objects[gift.stripe_subscription_id], status="canceled")

    deliver(stripe_api.event("customer.subscription.deleted", subscription))

    gift.refresh_from_db()
    assert gift.status == "active"  # Stripe says it is still running


@pytest.mark.parametrize(
    "event_type", ["checkout.session.expired", "checkout.session.async_payment_failed"]
)
def test_an_ending_checkout_event_for_a_session_stripe_says_is_paid_records_the_payment(
    give, stripe_api, deliver, event_type
):
    donation, session = given(give)
    stripe_api.pay(session)  # paid at Stripe; its events are late
    ended = dict(stripe_api.public(stripe_api.objects[session]), payment_status="unpaid")
    ended["status"] = "expired" if event_type.endswith("expired") else "complete"

    deliver(stripe_api.event(event_type, ended))

    donation.refresh_from_db()
    assert donation.status == "paid"


def test_a_dispute_event_is_checked_against_stripe_before_holding_the_money(
    give, stripe_api, deliver
):
    donation, session = given(give)
    deliver(*stripe_api.pay(session))
    donation.refresh_from_db()
    opened = stripe_api.dispute(donation.stripe_charge_id, "needs_response")
    stripe_api.dispute(donation.stripe_charge_id, "won")  # Stripe has moved on

    deliver(opened)

    donation.refresh_from_db()
    assert (donation.status, donation.dispute_status) == ("paid", "won")


# --- Refunds and disputes in one currency ------------------------------------------------------


@pytest.fixture
def usd_donation_paid_by_a_thb_charge(stripe_api):
    """The state the old fulfilment left: a 10,000 USD donation marked paid by a 1,000 THB
    charge (settled in THB), allocated to a need."""
    charge = stripe_api._charge(100_000, "thb", {}, None)
    balance = stripe_api.objects[charge["balance_transaction"]]
    need = make_need(currency="THB", target_amount=10_000_000)
    donation = make_paid_donation(
        1_000_000,
        "USD",
        stripe_charge_id=charge["id"],
        stripe_payment_intent_id=charge["payment_intent"],
        settlement_currency="THB",
        settlement_amount=balance["amount"],
        fee_amount=balance["fee"],
        net_amount=balance["net"],
        preferences=[{"kind": "need", "need": need, "share_bps": 10_000}],
    )
    ledger.allocate([donation.pk], include_pools=False)
    assert LedgerEntry.objects.filter(donation=donation).balance() == balance["net"]
    return donation, charge["id"]


def test_a_full_refund_of_a_charge_reverses_the_whole_allocation_whatever_its_currency(
    usd_donation_paid_by_a_thb_charge, stripe_api, deliver
):
    donation, charge = usd_donation_paid_by_a_thb_charge
    stripe_api.refund(charge)

    deliver(stripe_api.events[-1])

    donation.refresh_from_db()
    assert (donation.status, donation.amount_refunded) == ("refunded", donation.amount)
    assert LedgerEntry.objects.filter(donation=donation).balance() == 0


def test_a_partial_refund_is_measured_against_the_charge_in_its_own_currency(
    usd_donation_paid_by_a_thb_charge, stripe_api, deliver
):
    donation, charge = usd_donation_paid_by_a_thb_charge
    stripe_api.refund(charge, 25_000)  # a quarter of 1,000 THB

    deliver(stripe_api.events[-1])

    donation.refresh_from_db()
    assert (donation.status, donation.amount_refunded) == ("partially_refunded", 250_000)


def test_a_lost_dispute_of_a_whole_charge_reverses_the_whole_allocation_whatever_its_currency(
    usd_donation_paid_by_a_thb_charge, stripe_api, deliver
):
    donation, charge = usd_donation_paid_by_a_thb_charge

    deliver(stripe_api.dispute(charge, "lost"))

    donation.refresh_from_db()
    assert donation.dispute_amount == donation.amount
    assert LedgerEntry.objects.filter(donation=donation).balance() == 0


# --- Stripe modes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "event_livemode"), [("sk_test_sixdegrees_tests", True), ("sk_live_site", False)]
)
def test_events_from_the_other_stripe_mode_are_refused_and_change_nothing(
    give, stripe_api, deliver, settings, key, event_livemode
):
    donation, session = given(give)
    events = [dict(event, livemode=event_livemode) for event in stripe_api.pay(session)]
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "STRIPE_SECRET_KEY": key}
    requests_before = len(stripe_api.requests)

    deliver(*events)

    donation.refresh_from_db()
    assert donation.status == "pending"
    event = StripeEvent.objects.get()
    assert (event.outcome, event.processed_at is not None) == ("refused", True)
    assert "mode" in event.detail
    assert len(stripe_api.requests) == requests_before  # not even read


# --- No Stripe call inside a transaction -------------------------------------------------------


def test_webhooks_read_stripe_before_opening_a_transaction(give, stripe_api, deliver):
    need = make_need()
    donation, session = given(give, amount="100")
    deliver(*stripe_api.pay(session))
    donation.refresh_from_db()
    stripe_api.refund(donation.stripe_charge_id, 1000)
    deliver(stripe_api.events[-1])
    deliver(stripe_api.dispute(donation.stripe_charge_id, "needs_response"))
    _monthly, monthly_session = given(give, frequency="monthly", target=f"need:{need.pk}")
    deliver(*stripe_api.pay(monthly_session))
    gift = RecurringGift.objects.get()
    deliver(*stripe_api.renew(gift.stripe_subscription_id))
    stripe_api.cancel_subscription(gift.stripe_subscription_id)
    deliver(stripe_api.events[-1])

    reads = [r for r in stripe_api.requests if r["method"] == "GET"]
    assert len(reads) >= 8
    assert stripe_api.calls_in_transaction == []


def test_the_thanks_page_reads_stripe_before_opening_a_transaction(client, give, stripe_api):
    donation, session = given(give)
    stripe_api.pay(session)

    client.get(
        reverse("wagtail_sixdegrees:thanks"),
        {"donation": str(donation.reference), "session_id": session},
    )

    donation.refresh_from_db()
    assert donation.status == "paid"
    assert stripe_api.calls_in_transaction == []


def test_the_cancel_page_asks_stripe_outside_any_transaction_even_under_atomic_requests(
    client, monthly_gift, stripe_api, atomic_requests
):
    from wagtail_sixdegrees.giving import receipts

    gift, _donation = monthly_gift

    client.post(reverse("wagtail_sixdegrees:cancel_monthly", args=[receipts.cancel_token(gift)]))

    gift.refresh_from_db()
    assert gift.status == "cancelled"
    assert stripe_api.calls_in_transaction == []
