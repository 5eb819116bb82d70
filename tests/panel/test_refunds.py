"""Refunds from the panel: validated before Stripe is called, sent with the reason, recorded,
and settled by Stripe's webhook (which also reverses the gift's allocation)."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from tests.factories import make_paid_donation
from wagtail_sixdegrees.giving import refunds
from wagtail_sixdegrees.models import Donation, LedgerEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(login_as):
    return login_as("manager")


def refund_form(**fields):
    data = {
        "amount": "",
        "stripe_reason": "requested_by_customer",
        "reason": "The donor asked for their gift back.",
        "request_key": str(uuid.uuid4()),
    }
    data.update(fields)
    return data


def post_refund(client, donation, **fields):
    return client.post(
        reverse("sixdegrees_donations:refund", args=[donation.pk]), refund_form(**fields)
    )


def refund_requests(stripe_api):
    return [r for r in stripe_api.requests if r["path"] == "/v1/refunds"]


def test_full_refund_is_sent_to_stripe_with_the_reason_and_settled_by_the_webhook(
    client, manager, pay, stripe_api, deliver
):
    donation = pay(amount="40", target="general")
    assert LedgerEntry.objects.filter(donation=donation).balance() > 0

    response = post_refund(client, donation, reason="Gave twice by mistake.")

    assert response.status_code == 302
    assert response["Location"] == reverse("sixdegrees_donations:inspect", args=[donation.pk])
    [sent] = refund_requests(stripe_api)
    assert sent["params"]["charge"] == donation.stripe_charge_id
    assert int(sent["params"]["amount"]) == 4_000
    assert sent["params"]["reason"] == "requested_by_customer"
    assert sent["params"]["metadata"] == {
        "donation": str(donation.reference),
        "reason": "Gave twice by mistake.",
        "requested_by": manager.get_username(),
    }
    assert sent["headers"]["idempotency-key"].startswith("wagtail-sixdegrees:refund:")
    # Nothing changes locally until Stripe says so.
    donation.refresh_from_db()
    assert donation.status == Donation.Status.PAID

    deliver(stripe_api.events[-1])  # charge.refunded

    donation.refresh_from_db()
    assert donation.status == Donation.Status.REFUNDED
    assert donation.amount_refunded == 4_000
    assert LedgerEntry.objects.filter(donation=donation).balance() == 0


def test_the_refund_and_its_reason_are_in_the_log_and_on_the_donation_page(
    client, manager, pay, stripe_api
):
    donation = pay(amount="40", target="general")
    post_refund(client, donation, amount="15", reason="Only part, as agreed by phone.")

    [entry] = refunds.refund_log(donation)
    assert entry.user == manager
    assert entry.data["amount"] == 1_500
    assert entry.data["reason"] == "Only part, as agreed by phone."
    assert entry.data["refund"].startswith("re_")
    page = client.get(reverse("sixdegrees_donations:inspect", args=[donation.pk])).content.decode()
    assert "Only part, as agreed by phone." in page
    assert entry.data["refund"] in page


def test_partial_refunds_until_nothing_remains(client, manager, pay, stripe_api, deliver):
    donation = pay(amount="40", target="general")

    post_refund(client, donation, amount="10.50")
    deliver(stripe_api.events[-1])
    donation.refresh_from_db()
    assert donation.status == Donation.Status.PARTIALLY_REFUNDED
    assert donation.amount_refunded == 1_050

    post_refund(client, donation, amount="")  # everything that remains
    deliver(stripe_api.events[-1])
    donation.refresh_from_db()
    assert donation.status == Donation.Status.REFUNDED
    assert [int(r["params"]["amount"]) for r in refund_requests(stripe_api)] == [1_050, 2_950]


def test_more_than_remains_is_refused_before_stripe_is_called(
    client, manager, pay, stripe_api, deliver
):
    donation = pay(amount="40", target="general")
    post_refund(client, donation, amount="30")
    deliver(stripe_api.events[-1])

    response = post_refund(client, donation, amount="10.01")

    assert response.status_code == 200
    assert "Only $10.00 of this donation can still be refunded." in response.content.decode()
    assert "The refund was not requested" in response.content.decode()
    assert len(refund_requests(stripe_api)) == 1
    donation.refresh_from_db()
    assert donation.amount_refunded == 3_000


@pytest.mark.parametrize(
    ("currency", "typed", "message"),
    [
        ("USD", "ten", "Enter an amount as a number"),
        ("USD", "1.234", "USD amounts can have at most 2 decimal places."),
        ("USD", "-5", "Enter a positive amount."),
        ("USD", "0", "Enter an amount greater than zero."),
        ("VND", "500.5", "VND amounts are whole numbers, without decimals."),
        ("JPY", "10.5", "JPY amounts are whole numbers, without decimals."),
        ("KWD", "1.235", "KWD amounts can have at most 2 decimal places."),
    ],
)
def test_amounts_are_read_in_the_donations_currency_and_bad_ones_refused(
    client, manager, stripe_api, currency, typed, message
):
    amount = {"USD": 5_000, "VND": 500_000, "JPY": 5_000, "KWD": 5_000}[currency]
    donation = make_paid_donation(amount, currency, stripe_charge_id="ch_test_any")

    response = post_refund(client, donation, amount=typed)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert refund_requests(stripe_api) == []


def test_amounts_in_a_zero_decimal_currency_are_whole_units(client, manager, pay, stripe_api):
    donation = pay(amount="250000", currency="VND", target="general")
    post_refund(client, donation, amount="100,000")  # grouping, in the admin's language (English)
    [sent] = refund_requests(stripe_api)
    assert int(sent["params"]["amount"]) == 100_000


def test_a_reason_is_required(client, manager, pay, stripe_api):
    donation = pay(amount="40", target="general")
    response = post_refund(client, donation, reason="  ")
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert refund_requests(stripe_api) == []


def test_a_disputed_donation_is_not_refunded(client, manager, pay, stripe_api, deliver):
    donation = pay(amount="40", target="general")
    deliver(stripe_api.dispute(donation.stripe_charge_id, "needs_response"))

    response = post_refund(client, donation, amount="5")

    assert response.status_code == 200
    assert "answer the dispute in Stripe" in response.content.decode()
    assert refund_requests(stripe_api) == []


def test_a_pending_donation_offers_no_refund(client, manager, give, stripe_api):
    give(amount="40", target="general")
    donation = Donation.objects.get()
    page = client.get(reverse("sixdegrees_donations:inspect", args=[donation.pk]))
    assert reverse("sixdegrees_donations:refund", args=[donation.pk]) not in page.content.decode()
    response = post_refund(client, donation, amount="5")
    assert "Only paid donations can be refunded." in response.content.decode()
    assert refund_requests(stripe_api) == []


def test_stripe_refusing_is_shown_and_nothing_is_recorded(client, manager, pay, stripe_api):
    from tests.stripe_fake import StripeFailure

    donation = pay(amount="40", target="general")
    stripe_api.failures.append(StripeFailure(400, "Charge ch_x has been charged back."))

    response = post_refund(client, donation, amount="5")

    assert response.status_code == 200
    assert "Stripe did not refund: Charge ch_x has been charged back." in (
        response.content.decode()
    )
    assert not refunds.refund_log(donation).exists()
    donation.refresh_from_db()
    assert donation.amount_refunded == 0


def test_submitting_the_same_form_twice_refunds_once(client, manager, pay, stripe_api):
    donation = pay(amount="40", target="general")
    form = refund_form(amount="5")
    url = reverse("sixdegrees_donations:refund", args=[donation.pk])

    client.post(url, form)
    client.post(url, form)

    charge = stripe_api.objects[donation.stripe_charge_id]
    assert charge["amount_refunded"] == 500
    assert refunds.refund_log(donation).count() == 1


def test_the_refund_form_says_what_remains(client, manager, pay):
    donation = pay(amount="40", target="general")
    page = client.get(reverse("sixdegrees_donations:refund", args=[donation.pk]))
    assert "$40.00 can still be refunded" in page.content.decode()


def test_gateway_refunds_go_to_the_configured_stripe_address(settings):
    """STRIPE_API_BASE decides where the Refund API call goes (tests, devstripe)."""
    import stripe

    from wagtail_sixdegrees.giving import gateway

    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "STRIPE_API_BASE": "http://127.0.0.1:9/",
    }
    seen = []

    class Recorder(stripe.HTTPClient):
        name = "recorder"

        def request(self, method, url, headers, post_data=None, **kwargs):
            seen.append((method, url, post_data))
            return '{"id": "re_1", "object": "refund", "status": "pending"}', 200, {}

        def close(self):
            pass

    with gateway.use_http_client(Recorder()):
        refund = gateway.gateway().create_refund(
            payment_intent_id="pi_123", amount=100, reason="duplicate", metadata={}, key="k"
        )
    assert refund["status"] == "pending"
    [(method, url, body)] = seen
    assert (method, url) == ("post", "http://127.0.0.1:9/v1/refunds")
    assert "payment_intent=pi_123" in body and "amount=100" in body


def test_refund_requests_appear_in_wagtails_site_history(
    client, manager, pay, stripe_api, login_as
):
    donation = pay(amount="40", target="general")
    post_refund(client, donation, amount="5")
    login_as("superuser")
    response = client.get(reverse("wagtailadmin_reports:site_history"))
    assert response.status_code == 200
    assert "Refund requested" in response.content.decode()


def test_after_stripe_refuses_the_corrected_form_is_a_new_request(client, manager, pay, stripe_api):
    """Stripe remembers its answer per idempotency key, refusals included: a retry after a
    refusal must not reuse the key, or Stripe would answer with the same refusal."""
    from tests.stripe_fake import StripeFailure

    donation = pay(amount="40", target="general")
    stripe_api.failures.append(StripeFailure(400, "Your account cannot refund right now."))
    form = refund_form(amount="5")

    refused = client.post(reverse("sixdegrees_donations:refund", args=[donation.pk]), form)

    content = refused.content.decode()
    assert "Your account cannot refund right now." in content
    assert 'name="request_key"' in content
    assert form["request_key"] not in content


def test_a_refund_asks_stripe_outside_any_transaction_even_under_atomic_requests(
    client, manager, pay, stripe_api, atomic_requests
):
    donation = pay(amount="40", target="general")

    assert post_refund(client, donation).status_code == 302

    assert len(refund_requests(stripe_api)) == 1
    assert stripe_api.calls_in_transaction == []
