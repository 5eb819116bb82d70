"""Every step that records money logs one line carrying the Stripe event id and the donation's
reference, so one gift can be followed across web processes and workers."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.db import transaction
from django.utils import timezone

from tests.factories import general_pref, make_need, make_paid_donation, need_pref
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.allocation.engine import Account
from wagtail_sixdegrees.giving import offline
from wagtail_sixdegrees.models import Donation, LedgerEntry

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


# --- Money moved by people, not by Stripe: the ledger's commands and offline gifts -----------


def test_ledger_commands_log_what_they_moved_once_committed(
    money_lines, django_capture_on_commit_callbacks
):
    need = make_need(title="Beds", target_amount=10_000)
    other = make_need(title="Rent", target_amount=10_000)
    make_paid_donation(6_000, preferences=[need_pref(need)])
    make_paid_donation(1_000, preferences=[general_pref()])
    make_paid_donation(3_000, "THB", preferences=[general_pref()])
    with django_capture_on_commit_callbacks(execute=True):
        ledger.allocate()
        ledger.reallocate(Account.general("USD"), other, 500, actor=None, reason="urgent")
        payout = ledger.record_disbursement(need, 4_000, paid_on=timezone.localdate(), actor=None)
        ledger.reverse_disbursement(payout, actor=None, reason="bounced")

    (written,) = money_lines("allocation_written")
    assert written["totals"] == "THB:3000,USD:7000"
    assert written["lines"] == LedgerEntry.objects.filter(kind="allocate").count()
    (moved,) = money_lines("reallocated")
    assert (moved["need"], moved["amount"], moved["currency"]) == (other.pk, 500, "USD")
    assert moved["lines"] == LedgerEntry.objects.filter(kind="reallocate").count()
    (paid_out,) = money_lines("disbursed")
    assert (paid_out["disbursement"], paid_out["amount"]) == (payout.pk, 4_000)
    (undone,) = money_lines("disbursement_reversed")
    assert (undone["reverses"], undone["amount"], undone["need"]) == (payout.pk, -4_000, need.pk)


def test_a_command_that_rolls_back_logs_nothing(money_lines, django_capture_on_commit_callbacks):
    need = make_need(target_amount=10_000)
    make_paid_donation(2_000, preferences=[need_pref(need)])
    ledger.allocate()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        ledger.record_disbursement(need, 1, paid_on=timezone.localdate(), actor=None)
        raise RuntimeError("the caller's transaction fails after the payout was written")

    assert money_lines("disbursed") == []
    assert callbacks == []


def test_a_committed_run_logs_its_run_and_totals(money_lines, django_capture_on_commit_callbacks):
    make_paid_donation(2_500, preferences=[general_pref()])
    run = ledger.preview_run()
    with django_capture_on_commit_callbacks(execute=True):
        ledger.commit_run(run)

    (committed,) = money_lines("run_committed")
    assert (committed["run"], committed["totals"]) == (run.pk, "USD:2500")


def test_offline_gifts_log_their_recording_and_their_void(
    money_lines, django_capture_on_commit_callbacks
):
    values = {
        "received_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
        "channel": "cash",
        "amount": "25.00",
        "currency": "USD",
        "reference": "EVENT-7",
    }
    with django_capture_on_commit_callbacks(execute=True):
        donation = offline.record_gift(offline.read_gift(values), actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        ledger.void_offline_gift(donation, actor=None, reason="entered twice")

    (recorded,) = money_lines("offline_recorded")
    assert (recorded["donation"], recorded["channel"]) == (str(donation.reference), "cash")
    assert (recorded["amount"], recorded["currency"]) == (2_500, "USD")
    (voided,) = money_lines("offline_voided")
    assert voided["donation"] == str(donation.reference)
    assert voided["reversed"] == -2_500
