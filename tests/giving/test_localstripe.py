"""Against localstripe, a stateful fake Stripe over real HTTP: what it supports, for real.

localstripe has no Checkout, so gifts are linked to objects created on it directly; its signed
webhooks travel over HTTP to our live server.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import stripe
from django.db import transaction
from django.test import Client

from tests.factories import make_donation, make_donor
from tests.helpers import WEBHOOK_SECRET, post_event
from tests.postgres import free_port
from wagtail_sixdegrees.giving import fulfilment, receipts
from wagtail_sixdegrees.giving.gateway import StripeGateway
from wagtail_sixdegrees.models import Donation, RecurringGift, StripeEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def localstripe(tmp_path, settings):
    """localstripe on a free loopback port, state in a temp folder; every Stripe call goes there."""
    port = free_port()
    log = tmp_path / "localstripe.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.localstripe_server",
                "--port",
                str(port),
                "--state",
                str(tmp_path),
            ],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"localstripe did not start: {log.read_text()}") from None
            time.sleep(0.1)
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "STRIPE_API_BASE": base}
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def localstripe_webhooks(localstripe, live_server):
    """localstripe POSTs its signed events to our live server's stripe_webhook."""
    data = urllib.parse.urlencode(
        {"url": f"{live_server.url}/giving/stripe/webhook/", "secret": WEBHOOK_SECRET}
    ).encode()
    urllib.request.urlopen(f"{localstripe}/_config/webhooks/sixdegrees", data=data, timeout=5)  # noqa: S310
    return localstripe


def stripe_client() -> stripe.StripeClient:
    return StripeGateway().client


def a_subscription(client: stripe.StripeClient) -> str:
    card = client.v1.tokens.create(
        {"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    customer = client.v1.customers.create({"email": "monthly@example.org", "source": card.id})
    product = client.v1.products.create({"name": "Monthly gift (fictional)"})
    plan = client.v1.plans.create(
        {"amount": 1500, "currency": "usd", "interval": "month", "product": product.id}
    )
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"plan": plan.id}]}
    )
    return subscription.id


def wait_for(condition, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


def active_gift(subscription_id: str) -> RecurringGift:
    return RecurringGift.objects.create(
        donor=make_donor(),
        amount=1500,
        currency="USD",
        status="active",
        stripe_subscription_id=subscription_id,
    )


def deleted_event_processed(subscription_id):
    def check():
        return StripeEvent.objects.filter(
            type="customer.subscription.deleted",
            object_id=subscription_id,
            processed_at__isnull=False,
        ).exists()

    return check


def test_cancel_page_cancels_at_stripe_and_the_signed_deleted_event_comes_back(
    localstripe_webhooks,
):
    subscription_id = a_subscription(stripe_client())
    gift = active_gift(subscription_id)
    path = f"/giving/monthly/{receipts.cancel_token(gift)}/cancel/"

    assert Client().post(path).status_code == 303

    wait_for(deleted_event_processed(subscription_id))
    gift.refresh_from_db()
    assert gift.status == "cancelled"
    assert stripe_client().v1.subscriptions.retrieve(subscription_id).status == "canceled"


def test_a_subscription_cancelled_elsewhere_cancels_the_gift_through_the_webhook(
    localstripe_webhooks,
):
    subscription_id = a_subscription(stripe_client())
    gift = active_gift(subscription_id)

    stripe_client().v1.subscriptions.cancel(subscription_id)  # e.g. from the Stripe Dashboard

    wait_for(deleted_event_processed(subscription_id))
    gift.refresh_from_db()
    assert gift.status == "cancelled"
    deleted = StripeEvent.objects.get(
        type="customer.subscription.deleted", object_id=subscription_id
    )
    assert deleted.outcome == "applied"


def test_refunds_created_through_the_api_are_recorded_from_the_charge(localstripe, client):
    api = stripe_client()
    method = api.v1.payment_methods.create(
        {
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    intent = api.v1.payment_intents.create(
        {"amount": 5000, "currency": "usd", "payment_method": method.id, "confirm": True}
    )
    donation = make_donation(amount=5000)
    payment = StripeGateway().retrieve_payment_intent(intent.id)
    with transaction.atomic():
        fulfilment.record_payment_intent(
            Donation.objects.select_for_update().get(pk=donation.pk), payment
        )
    donation.refresh_from_db()
    assert donation.status == "paid"

    for amount, status in ((1500, "partially_refunded"), (3500, "refunded")):
        api.v1.refunds.create({"charge": donation.stripe_charge_id, "amount": amount})
        charge = api.v1.charges.retrieve(donation.stripe_charge_id).to_dict()
        event = {
            "id": f"evt_refund_{amount}",
            "object": "event",
            "type": "charge.refunded",
            "data": {"object": charge},
        }
        assert post_event(client, event).status_code == 200
        donation.refresh_from_db()
        assert donation.status == status
    assert donation.amount_refunded == 5000


def test_reconcile_reads_localstripes_event_list(localstripe):
    from django.core.management import call_command

    subscription_id = a_subscription(stripe_client())
    gift = active_gift(subscription_id)
    stripe_client().v1.subscriptions.cancel(subscription_id)

    call_command("sixdegrees_reconcile", since="2020-01-01")

    gift.refresh_from_db()
    assert gift.status == "cancelled"
    assert Donation.objects.count() == 0
