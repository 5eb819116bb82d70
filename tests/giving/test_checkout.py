"""Starting a gift: what we send to Stripe Checkout, checked at stripe-python's HTTP boundary."""

from __future__ import annotations

import logging

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.factories import make_cause, make_need
from tests.helpers import donate_data
from tests.postgres import free_port
from wagtail_sixdegrees.models import Donation, GivingSettings, RecurringGift

pytestmark = pytest.mark.django_db


def session_requests(stripe_api):
    return [r for r in stripe_api.requests if r["path"] == "/v1/checkout/sessions"]


def test_one_off_gift_redirects_to_checkout_with_a_pending_donation(give, stripe_api):
    response = give(amount="25.50")

    donation = Donation.objects.get()
    (request,) = session_requests(stripe_api)
    params, reference = request["params"], str(donation.reference)
    assert response.status_code == 303
    assert response["Location"] == stripe_api.objects[donation.stripe_checkout_session_id]["url"]
    assert donation.status == "pending"
    assert donation.amount == 2550
    assert params["mode"] == "payment"
    assert params["submit_type"] == "donate"
    assert params["line_items"][0]["price_data"]["currency"] == "usd"
    assert params["line_items"][0]["price_data"]["unit_amount"] == "2550"
    assert params["client_reference_id"] == reference
    assert params["metadata"] == {"donation": reference}
    assert params["payment_intent_data"]["metadata"] == {"donation": reference}
    assert params["customer_email"] == "donor@example.org"
    assert params["success_url"] == (
        f"http://testserver/giving/thanks/?donation={reference}&session_id={{CHECKOUT_SESSION_ID}}"
    )
    assert params["cancel_url"] == "http://testserver/"
    assert request["headers"]["idempotency-key"] == f"wagtail-sixdegrees:checkout:{reference}"


@pytest.mark.parametrize(
    ("typed", "currency", "sent"),
    [
        ("25", "USD", "2500"),
        ("500", "JPY", "500"),
        ("50000", "VND", "50000"),
        ("50.000", "VND", None),  # a VND amount has no decimals: refused, never 50
        ("1.25", "KWD", "1250"),
        ("1,000", "THB", "100000"),
    ],
)
def test_amounts_reach_stripe_in_the_currencys_minor_units(give, stripe_api, typed, currency, sent):
    response = give(amount=typed, currency=currency)
    if sent is None:
        assert response.status_code == 400
        assert not session_requests(stripe_api)
        return
    (request,) = session_requests(stripe_api)
    assert request["params"]["line_items"][0]["price_data"]["unit_amount"] == sent
    assert request["params"]["line_items"][0]["price_data"]["currency"] == currency.lower()


def test_monthly_gift_starts_a_subscription_checkout_with_its_template_preferences(
    give, stripe_api
):
    need, cause = make_need(), make_cause()
    response = give(
        frequency="monthly",
        amount="10",
        target=[f"need:{need.pk}", f"cause:{cause.pk}"],
        share=["70", "30"],
    )

    assert response.status_code == 303
    gift = RecurringGift.objects.get()
    donation = Donation.objects.get()
    (request,) = session_requests(stripe_api)
    params = request["params"]
    assert params["mode"] == "subscription"
    assert params["line_items"][0]["price_data"]["recurring"] == {"interval": "month"}
    assert params["subscription_data"]["metadata"] == {
        "donation": str(donation.reference),
        "recurring_gift": str(gift.reference),
    }
    assert "payment_intent_data" not in params
    assert donation.recurring_gift == gift
    assert [(p.kind, p.share_bps) for p in gift.template_preferences.order_by("position")] == [
        ("need", 7000),
        ("cause", 3000),
    ]
    assert [(p.target, p.share_bps) for p in donation.preferences.all()] == [
        (f"need:{need.pk}", 7000),
        (f"cause:{cause.pk}", 3000),
    ]


def test_double_submitted_form_gives_one_donation_and_one_session(give, stripe_api):
    first = give(submission="nonce-1")
    second = give(submission="nonce-1")

    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Donation.objects.count() == 1
    assert len(session_requests(stripe_api)) == 1


def test_retried_stripe_request_gets_the_same_session_through_the_idempotency_key(give, stripe_api):
    give(submission="nonce-1")
    donation = Donation.objects.get()
    # As if our process died after Stripe answered but before we stored the session.
    Donation.objects.filter(pk=donation.pk).update(checkout_url="", stripe_checkout_session_id="")
    again = give(submission="nonce-1")

    assert Donation.objects.count() == 1
    assert (
        len({s["id"] for s in stripe_api.objects.values() if s["object"] == "checkout.session"})
        == 1
    )
    assert (
        again["Location"]
        == stripe_api.objects[Donation.objects.get().stripe_checkout_session_id]["url"]
    )


def test_changed_resubmission_of_the_same_form_is_a_new_gift(give, stripe_api):
    give(submission="nonce-1", amount="25")
    give(submission="nonce-1", amount="30")

    assert sorted(Donation.objects.values_list("amount", flat=True)) == [2500, 3000]
    assert len(session_requests(stripe_api)) == 2


@override_settings(
    WAGTAIL_SIXDEGREES={
        "STRIPE_SECRET_KEY": "sk_test_x",
        "STRIPE_WEBHOOK_SECRET": "whsec_x",
        "CURRENCIES": ["USD"],
        "RESUBMISSION_WINDOW": 1,
    }
)
def test_resubmission_after_the_window_starts_a_new_gift(give, stripe_api):
    give(submission="nonce-1")
    Donation.objects.update(created_at="2020-01-01T00:00:00Z")
    give(submission="nonce-1")

    assert Donation.objects.count() == 2


def test_stripe_error_shows_a_friendly_message_and_marks_the_donation_failed(give, stripe_api):
    from tests.stripe_fake import StripeFailure

    stripe_api.failures.append(StripeFailure(500, "Stripe is down", "api_error"))
    stripe_api.failures.append(StripeFailure(500, "Stripe is down", "api_error"))
    stripe_api.failures.append(StripeFailure(500, "Stripe is down", "api_error"))
    with override_settings(
        WAGTAIL_SIXDEGREES={
            "STRIPE_SECRET_KEY": "sk_test_x",
            "STRIPE_WEBHOOK_SECRET": "whsec_x",
            "CURRENCIES": ["USD"],
            "STRIPE_MAX_NETWORK_RETRIES": 0,
        }
    ):
        response = give(email="kept@example.org")

    assert response.status_code == 502
    assert "We could not reach our payment provider" in response.content.decode()
    assert "kept@example.org" in response.content.decode()
    assert Donation.objects.get().status == "failed"


def test_a_refused_checkout_is_logged_as_stripe_refusing_it(give, stripe_api, caplog):
    from tests.stripe_fake import StripeFailure

    stripe_api.failures.append(StripeFailure(400, "Invalid currency", "invalid_request_error"))
    with caplog.at_level(logging.WARNING, logger="wagtail_sixdegrees.giving.checkout"):
        give()

    assert "Stripe refused it: " in caplog.text
    assert "network" not in caplog.text


def test_a_network_failure_is_logged_as_a_network_error_not_a_refusal(
    client, django_capture_on_commit_callbacks, caplog
):
    # Nothing listens on this port: the SDK's real HTTP client gets "connection refused".
    with (
        override_settings(
            WAGTAIL_SIXDEGREES={
                "STRIPE_SECRET_KEY": "sk_test_x",
                "STRIPE_WEBHOOK_SECRET": "whsec_x",
                "CURRENCIES": ["USD"],
                "STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}",
                "STRIPE_MAX_NETWORK_RETRIES": 0,
                "STRIPE_TIMEOUT": 5,
            }
        ),
        caplog.at_level(logging.WARNING, logger="wagtail_sixdegrees.giving.checkout"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("wagtail_sixdegrees:donate"), donate_data())

    assert response.status_code == 502
    assert "network error, Stripe was not reached" in caplog.text
    assert "Stripe refused" not in caplog.text
    assert Donation.objects.get().status == "failed"


def test_covering_fees_adds_the_estimated_fee_to_the_charge(give, stripe_api, rf):
    from wagtail.models import Site

    GivingSettings.objects.create(
        site=Site.objects.get(is_default_site=True),
        fee_percent="2.90",
        currency_options=[
            {
                "type": "currency",
                "value": {"currency": "USD", "amounts": "10 25", "fixed_fee": "0.30"},
            }
        ],
    )
    give(amount="25", cover_fees="1")

    donation = Donation.objects.get()
    # (25.00 + 0.30) / (1 - 0.029) = 26.0556, rounded up to the cent.
    assert (donation.amount, donation.covered_fee_amount, donation.cover_fees) == (2606, 106, True)
    assert donation.gift_amount == 2500


def test_checkout_speaks_the_donors_language(give, stripe_api):
    give(locale="th")

    (request,) = session_requests(stripe_api)
    assert request["params"]["locale"] == "th"
    assert Donation.objects.get().locale == "th"
