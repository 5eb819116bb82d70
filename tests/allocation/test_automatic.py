"""Paid donations are allocated as soon as Stripe says so; refunds and lost disputes reverse."""

from __future__ import annotations

import pytest

from tests.factories import make_need
from wagtail_sixdegrees.allocation.audit import run_audit
from wagtail_sixdegrees.allocation.models import LedgerEntry
from wagtail_sixdegrees.models import Donation, Need

pytestmark = pytest.mark.django_db


def paid_gift(give, stripe_api, deliver, **form) -> Donation:
    give(**form)
    donation = Donation.objects.latest("pk")
    deliver(*stripe_api.pay(donation.stripe_checkout_session_id))
    donation.refresh_from_db()
    return donation


def test_a_paid_gift_is_allocated_through_the_webhook_without_anyone_acting(
    give, stripe_api, deliver
):
    need = make_need(title="Shelter", target_amount=10**8)
    donation = paid_gift(give, stripe_api, deliver, amount="100", target=f"need:{need.pk}")

    assert donation.status == "paid"
    assert LedgerEntry.objects.filter(donation=donation).balance() == donation.net_amount
    assert Need.objects.with_progress().get(pk=need.pk).allocated == donation.net_amount


def test_split_gift_with_where_most_needed_leaves_that_part_in_the_general_pool(
    give, stripe_api, deliver
):
    need = make_need(target_amount=10**8)
    donation = paid_gift(
        give,
        stripe_api,
        deliver,
        amount="50",
        target=[f"need:{need.pk}", "general"],
        share=["60", "40"],
    )
    general = LedgerEntry.objects.filter(donation=donation, account_kind="general").balance()
    to_need = LedgerEntry.objects.filter(donation=donation, need=need).balance()
    assert general + to_need == donation.net_amount
    assert abs(general * 60 - to_need * 40) <= 100  # 40/60 of the net, to the cent


def test_auto_allocation_can_be_switched_off(give, stripe_api, deliver, settings):
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "AUTO_ALLOCATE": False}
    need = make_need(target_amount=10**8)
    paid_gift(give, stripe_api, deliver, amount="20", target=f"need:{need.pk}")
    assert not LedgerEntry.objects.exists()


def test_a_refund_through_the_webhook_reverses_the_allocation(give, stripe_api, deliver):
    need = make_need(target_amount=10**8)
    donation = paid_gift(give, stripe_api, deliver, amount="100", target=f"need:{need.pk}")
    stripe_api.refund(donation.stripe_charge_id, 2_500)
    deliver(stripe_api.events[-1])

    donation.refresh_from_db()
    assert donation.status == "partially_refunded"
    # A quarter of the charge was refunded: a quarter of what was allocated comes back.
    assert (
        -LedgerEntry.objects.filter(donation=donation, kind="reverse").balance()
        == donation.net_amount // 4
    )
    assert run_audit().ok


def test_a_lost_dispute_reverses_everything(give, stripe_api, deliver):
    need = make_need(target_amount=10**8)
    donation = paid_gift(give, stripe_api, deliver, amount="100", target=f"need:{need.pk}")
    deliver(stripe_api.dispute(donation.stripe_charge_id, "needs_response", withdrawn=True))
    assert LedgerEntry.objects.filter(donation=donation).balance() == donation.net_amount
    deliver(stripe_api.dispute(donation.stripe_charge_id, "lost"))

    assert LedgerEntry.objects.filter(donation=donation).balance() == 0
    assert run_audit().ok
