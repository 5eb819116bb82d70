"""Every step that records money logs one line carrying the Stripe event id and the donation's
reference, so one gift can be followed across web processes and workers."""

from __future__ import annotations

import logging

import pytest

from tests.factories import make_need
from wagtail_sixdegrees.models import Donation

pytestmark = pytest.mark.django_db


@pytest.fixture
def money_lines(caplog):
    caplog.set_level(logging.INFO, logger="wagtail_sixdegrees.money")

    def lines(action: str) -> list[dict]:
        return [
            record.money
            for record in caplog.records
            if record.name == "wagtail_sixdegrees.money" and record.money["action"] == action
        ]

    return lines


def paid_through_webhook(give, stripe_api, deliver, **form):
    give(**form)
    donation = Donation.objects.latest("pk")
    events = stripe_api.pay(donation.stripe_checkout_session_id)
    deliver(*events)
    donation.refresh_from_db()
    return donation, events


def test_a_payment_logs_its_checkout_event_donation_and_amounts(
    give, stripe_api, deliver, money_lines
):
    donation, (completed,) = paid_through_webhook(give, stripe_api, deliver, amount="100")

    (started,) = money_lines("checkout_started")
    assert started["donation"] == str(donation.reference)
    assert started["session"] == donation.stripe_checkout_session_id
    (paid,) = money_lines("paid")
    assert paid["event"] == completed["id"]
    assert paid["donation"] == str(donation.reference)
    assert (paid["amount"], paid["currency"], paid["net"]) == (10_000, "USD", 9_680)
    assert paid["charge"] == donation.stripe_charge_id
    (processed,) = money_lines("event_processed")
    assert (processed["event"], processed["outcome"]) == (completed["id"], "applied")


def test_allocation_logs_the_donation_and_the_sum_of_its_ledger_lines(
    give, stripe_api, deliver, money_lines
):
    need = make_need(target_amount=1_000_000)
    donation, _events = paid_through_webhook(give, stripe_api, deliver, target=f"need:{need.pk}")

    (allocated,) = money_lines("allocated")
    assert allocated["donation"] == str(donation.reference)
    assert (allocated["amount"], allocated["currency"]) == (donation.net_amount, "USD")


def test_a_refund_logs_the_refund_event_and_the_amount_refunded(
    give, stripe_api, deliver, money_lines
):
    donation, _events = paid_through_webhook(give, stripe_api, deliver, amount="100")
    stripe_api.refund(donation.stripe_charge_id, 2500)
    refunded = stripe_api.events[-1]
    deliver(refunded)

    (recorded,) = money_lines("refund_recorded")
    assert recorded["event"] == refunded["id"]
    assert (recorded["donation"], recorded["refunded"]) == (str(donation.reference), 2500)
    (reversed_,) = money_lines("reversed")
    assert reversed_["donation"] == str(donation.reference)


def test_a_duplicate_delivery_logs_no_second_payment(give, stripe_api, deliver, money_lines):
    _donation, (completed,) = paid_through_webhook(give, stripe_api, deliver)
    deliver(completed)

    assert len(money_lines("paid")) == 1


def test_money_lines_carry_no_email_address(give, stripe_api, deliver, caplog, money_lines):
    paid_through_webhook(give, stripe_api, deliver, email="private.donor@example.org")

    assert money_lines("paid")
    assert "private.donor" not in caplog.text
