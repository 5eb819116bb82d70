"""The donor's way back (thanks page), receipts, cancelling a monthly gift, and reconciling."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import make_need
from wagtail_sixdegrees import signals
from wagtail_sixdegrees.giving import receipts
from wagtail_sixdegrees.models import Donation, RecurringGift, StripeEvent

pytestmark = pytest.mark.django_db


def thanks_url(donation, session_id=None):
    session_id = session_id or donation.stripe_checkout_session_id
    return f"{reverse('wagtail_sixdegrees:thanks')}?donation={donation.reference}&session_id={session_id}"


@pytest.fixture
def paid_signals():
    seen = []

    def record(sender, donation, **kwargs):
        seen.append(donation.pk)

    signals.donation_paid.connect(record)
    yield seen
    signals.donation_paid.disconnect(record)


def test_thanks_page_asks_stripe_when_the_webhook_is_late(
    give, stripe_api, client, deliver, paid_signals, django_capture_on_commit_callbacks
):
    give(amount="40")
    donation = Donation.objects.get()
    (completed,) = stripe_api.pay(donation.stripe_checkout_session_id)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(thanks_url(donation))
    deliver(completed)  # the webhook arrives after the donor came back

    donation.refresh_from_db()
    assert response.status_code == 200
    assert 'data-sd-status="paid"' in response.content.decode()
    assert donation.status == "paid"
    assert paid_signals == [donation.pk]
    assert len(mail.outbox) == 1


def test_thanks_page_shows_a_payment_still_waiting_for_the_bank(give, stripe_api, client):
    give()
    donation = Donation.objects.get()
    response = client.get(thanks_url(donation))

    assert response.status_code == 200
    assert 'data-sd-status="pending"' in response.content.decode()


def test_thanks_page_needs_the_matching_session(give, stripe_api, client):
    give()
    donation = Donation.objects.get()
    assert client.get(thanks_url(donation, session_id="cs_test_guess")).status_code == 404
    assert client.get(reverse("wagtail_sixdegrees:thanks") + "?donation=nope").status_code == 404


def test_receipt_is_in_the_donors_language_with_what_they_chose(give, stripe_api, deliver):
    need = make_need(title="Fictional shelter beds", currency="THB", target_amount=1_000_000)
    give(amount="500", currency="THB", locale="th", target=f"need:{need.pk}", name="Kanya")
    deliver(*stripe_api.pay(Donation.objects.get().stripe_checkout_session_id))

    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert message.to == ["donor@example.org"]
    assert "฿500.00" in message.body and "฿500.00" in html
    assert "Fictional shelter beds" in message.body
    assert "Kanya" in message.body
    assert "cancel" not in message.body


def test_receipt_is_sent_once_however_often_it_is_asked_for(give, stripe_api, deliver):
    give()
    deliver(*stripe_api.pay(Donation.objects.get().stripe_checkout_session_id))
    donation = Donation.objects.get()

    assert receipts.send_receipt(donation.pk) is False
    assert len(mail.outbox) == 1


def monthly_gift(give, stripe_api, deliver):
    give(frequency="monthly", amount="15")
    deliver(*stripe_api.pay(Donation.objects.get().stripe_checkout_session_id))
    return RecurringGift.objects.get()


def test_monthly_receipt_carries_a_signed_link_that_cancels_the_subscription(
    give, stripe_api, deliver, client
):
    gift = monthly_gift(give, stripe_api, deliver)
    (message,) = mail.outbox
    url = next(line for line in message.body.splitlines() if "/monthly/" in line).strip()
    path = url.removeprefix("http://testserver")

    assert client.get(path).status_code == 200  # a mail scanner opening the link...
    gift.refresh_from_db()
    assert gift.status == "active"  # ...stops nothing

    response = client.post(path)
    gift.refresh_from_db()
    assert response.status_code == 303
    assert gift.status == "cancelled"
    assert stripe_api.objects[gift.stripe_subscription_id]["status"] == "canceled"
    assert 'data-sd-status="cancelled"' in client.get(path).content.decode()


def test_a_tampered_cancel_link_finds_nothing(give, stripe_api, deliver, client):
    gift = monthly_gift(give, stripe_api, deliver)
    token = receipts.cancel_token(gift)
    path = reverse("wagtail_sixdegrees:cancel_monthly", args=[token[:-2] + "xx"])

    assert client.post(path).status_code == 404
    gift.refresh_from_db()
    assert gift.status == "active"


def test_reconcile_replays_missed_events_and_is_idempotent(give, stripe_api, capsys):
    give(frequency="monthly")
    stripe_api.pay(Donation.objects.get().stripe_checkout_session_id)  # webhooks never arrived
    since = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()

    call_command("sixdegrees_reconcile", since=since)
    first = capsys.readouterr().out
    call_command("sixdegrees_reconcile", since=since)
    second = capsys.readouterr().out

    assert Donation.objects.get().status == "paid"
    assert RecurringGift.objects.get().status == "active"
    assert "2 found, 2 new" in first
    assert "2 already processed" in second
    assert StripeEvent.objects.filter(processed_at__isnull=False).count() == 2


def test_reconcile_settles_pending_donations_whose_events_are_gone(give, stripe_api, capsys):
    give()
    stripe_api.pay(Donation.objects.get().stripe_checkout_session_id)
    stripe_api.events.clear()  # older than Stripe's 30 days of events

    call_command("sixdegrees_reconcile", since="2020-01-01")

    assert Donation.objects.get().status == "paid"
    assert "changed: 1" in capsys.readouterr().out


def test_reconcile_refuses_a_date_it_cannot_read(stripe_api):
    with pytest.raises(CommandError):
        call_command("sixdegrees_reconcile", since="last tuesday")
