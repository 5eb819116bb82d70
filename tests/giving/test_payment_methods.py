"""Local payment methods per currency, end to end through the Stripe stand-in: what Checkout is
asked to offer, each method's path to a paid (or failed) gift, monthly gifts by card only,
refunds that wait for the donor's bank details, and the system checks."""

from __future__ import annotations

import json

import pytest
from django.core import checks
from django.urls import reverse
from stripe.params.checkout._session_create_params import SessionCreateParams

from tests.stripe_fake import sign
from tests.stripe_params import unknown_keys
from wagtail_sixdegrees.giving import payment_methods, refunds
from wagtail_sixdegrees.models import Donation, LedgerEntry, StripeEvent

pytestmark = pytest.mark.django_db

METHODS = {
    "THB": ["card", "promptpay"],
    "SGD": ["card", "paynow", "grabpay"],
    "MYR": ["card", "fpx", "grabpay"],
    "IDR": ["card", "qris"],
}
AMOUNTS = {"THB": "500", "SGD": "25", "MYR": "50", "IDR": "150000"}
PAIRS = [(currency, method) for currency, methods in METHODS.items() for method in methods]
LOCAL_PAIRS = [(currency, method) for currency, method in PAIRS if method != "card"]
#: The methods whose refunds Stripe pays only once the donor sends bank details (LIMITS).
BANK_DETAILS_PAIRS = [("THB", "promptpay"), ("SGD", "paynow"), ("IDR", "qris")]


@pytest.fixture
def local_methods(settings):
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "CURRENCIES": ["USD", *METHODS],
        "PAYMENT_METHODS": METHODS,
    }


def session_params(stripe_api):
    (request,) = [r for r in stripe_api.requests if r["path"] == "/v1/checkout/sessions"]
    return request["params"]


def started(give, currency, **form):
    response = give(amount=AMOUNTS.get(currency, "25"), currency=currency, **form)
    assert response.status_code == 303, response.content[:500]
    return Donation.objects.latest("pk")


# --- what Checkout is asked for --------------------------------------------------------


def test_params_check_names_keys_the_sdk_does_not_know():
    sent = {
        "mode": "payment",
        "payment_method_types": ["card"],
        "line_items": [{"price_data": {"currency": "thb", "amount": 1}, "quantity": 1}],
    }
    assert unknown_keys(sent, SessionCreateParams) == [
        "payment_method_types",
        "line_items[0][price_data][amount]",
    ]


@pytest.mark.parametrize("currency", list(METHODS))
def test_one_off_checkout_offers_the_currencys_configured_methods(
    give, stripe_api, local_methods, currency
):
    started(give, currency)

    params = session_params(stripe_api)
    assert params["allowed_payment_method_types"] == METHODS[currency]
    assert unknown_keys(params, SessionCreateParams) == []


@pytest.mark.parametrize("currency", list(METHODS))
def test_monthly_checkout_offers_card_only(give, stripe_api, local_methods, currency):
    started(give, currency, frequency="monthly")

    params = session_params(stripe_api)
    assert params["mode"] == "subscription"
    assert params["allowed_payment_method_types"] == ["card"]
    assert unknown_keys(params, SessionCreateParams) == []


def test_a_currency_not_configured_lets_stripe_decide(give, stripe_api, local_methods):
    started(give, "USD")

    params = session_params(stripe_api)
    assert "allowed_payment_method_types" not in params
    assert unknown_keys(params, SessionCreateParams) == []


def test_the_stand_in_refuses_a_local_method_in_a_subscription_as_stripe_does(stripe_api):
    status, body = stripe_api.handle(
        "POST",
        "/v1/checkout/sessions",
        {
            "mode": "subscription",
            "success_url": "https://example.org/",
            "allowed_payment_method_types": ["card", "promptpay"],
            "line_items": [
                {"price_data": {"currency": "thb", "unit_amount": "50000"}, "quantity": "1"}
            ],
        },
        {"authorization": "Bearer sk_test_x"},
    )
    assert status == 400
    assert "promptpay" in body["error"]["message"]


# --- each method's path ------------------------------------------------------------------


@pytest.mark.parametrize(("currency", "method"), PAIRS)
def test_one_off_gift_is_paid_with_each_configured_method(
    give, stripe_api, deliver, local_methods, currency, method
):
    donation = started(give, currency)

    deliver(*stripe_api.pay(donation.stripe_checkout_session_id, method))

    donation.refresh_from_db()
    assert donation.status == Donation.Status.PAID
    assert donation.payment_method_type == method
    assert LedgerEntry.objects.filter(donation=donation).balance() == donation.net_amount


@pytest.mark.parametrize(("currency", "method"), LOCAL_PAIRS)
def test_delayed_local_payment_waits_then_is_paid(
    give, stripe_api, deliver, local_methods, currency, method
):
    donation = started(give, currency)
    session = donation.stripe_checkout_session_id

    deliver(*stripe_api.pay(session, method, delayed=True))
    donation.refresh_from_db()
    assert donation.status == Donation.Status.PENDING
    assert stripe_api.objects[session]["payment_status"] == "unpaid"

    deliver(*stripe_api.settle(session, succeeded=True))
    donation.refresh_from_db()
    assert donation.status == Donation.Status.PAID
    assert donation.payment_method_type == method


@pytest.mark.parametrize(("currency", "method"), LOCAL_PAIRS)
def test_delayed_local_payment_that_fails_fails_the_gift(
    give, stripe_api, deliver, local_methods, currency, method
):
    donation = started(give, currency)
    session = donation.stripe_checkout_session_id

    deliver(*stripe_api.pay(session, method, delayed=True))
    deliver(*stripe_api.settle(session, succeeded=False))

    donation.refresh_from_db()
    assert donation.status == Donation.Status.FAILED
    assert not donation.is_paid
    assert not LedgerEntry.objects.filter(donation=donation).exists()


@pytest.mark.parametrize("currency", list(METHODS))
def test_monthly_gift_is_paid_by_card(give, stripe_api, deliver, local_methods, currency):
    donation = started(give, currency, frequency="monthly")

    deliver(*stripe_api.pay(donation.stripe_checkout_session_id, "card"))

    donation.refresh_from_db()
    assert donation.status == Donation.Status.PAID
    assert donation.recurring_gift.status == "active"


def test_monthly_gift_cannot_be_paid_with_a_local_method(give, stripe_api, local_methods):
    donation = started(give, "THB", frequency="monthly")

    with pytest.raises(Exception, match="does not offer `promptpay`"):
        stripe_api.pay(donation.stripe_checkout_session_id, "promptpay")


# --- refunds that wait for the donor's bank details ------------------------------------


@pytest.fixture
def paid_by_promptpay(give, stripe_api, deliver, local_methods):
    donation = started(give, "THB")
    deliver(*stripe_api.pay(donation.stripe_checkout_session_id, "promptpay"))
    donation.refresh_from_db()
    return donation


def refund(donation, amount=None):
    return refunds.request_refund(
        donation,
        amount or donation.amount,
        reason="The donor asked for it back.",
        request_key="form-1",
    )


@pytest.mark.parametrize(("currency", "method"), BANK_DETAILS_PAIRS)
def test_bank_details_refund_waits_for_the_donor_until_stripe_settles_it(
    give, stripe_api, deliver, local_methods, currency, method
):
    assert payment_methods.refund_waits_for_bank_details(method)
    donation = started(give, currency)
    deliver(*stripe_api.pay(donation.stripe_checkout_session_id, method))
    donation.refresh_from_db()
    answer = refund(donation)
    assert answer["status"] == "requires_action"

    deliver(stripe_api.events[-1])  # charge.refunded
    donation.refresh_from_db()
    assert donation.status == Donation.Status.REFUNDED
    assert donation.refund_awaiting_bank_details == donation.amount
    assert LedgerEntry.objects.filter(donation=donation).balance() == 0

    deliver(*stripe_api.settle_refund(answer["id"], succeeded=True))  # refund.updated
    donation.refresh_from_db()
    assert donation.refund_awaiting_bank_details == 0
    assert donation.status == Donation.Status.REFUNDED
    assert donation.payment_mismatch == ""


def test_refund_the_donor_never_claims_is_flagged_for_finance(
    paid_by_promptpay, stripe_api, deliver
):
    donation = paid_by_promptpay
    answer = refund(donation)
    deliver(stripe_api.events[-1])

    deliver(*stripe_api.settle_refund(answer["id"], succeeded=False))

    donation.refresh_from_db()
    assert donation.refund_awaiting_bank_details == 0
    assert answer["id"] in donation.payment_mismatch
    # The ledger keeps its reversal: corrections are new entries, decided by finance.
    assert LedgerEntry.objects.filter(donation=donation).balance() == 0


def test_card_refund_waits_for_nothing(give, stripe_api, deliver, local_methods):
    donation = started(give, "THB")
    deliver(*stripe_api.pay(donation.stripe_checkout_session_id, "card"))
    donation.refresh_from_db()

    assert refund(donation)["status"] == "succeeded"
    deliver(stripe_api.events[-1])

    donation.refresh_from_db()
    assert donation.status == Donation.Status.REFUNDED
    assert donation.refund_awaiting_bank_details == 0


def test_panel_and_my_giving_say_the_refund_waits_for_bank_details(
    paid_by_promptpay, stripe_api, deliver, client
):
    from tests.factories import panel_user
    from tests.giving.test_my_giving import sign_in

    donation = paid_by_promptpay
    refund(donation)
    deliver(stripe_api.events[-1])

    client.force_login(panel_user("manager"))
    panel = client.get(reverse("sixdegrees_donations:inspect", args=[donation.pk]))
    assert "pending donor bank details" in panel.content.decode()

    client.logout()
    sign_in(client, donation.donor.email)
    mine = client.get(reverse("wagtail_sixdegrees:my_giving"))
    assert "pending donor bank details" in mine.content.decode()


@pytest.mark.parametrize("problem", ["forged", "unsigned"])
def test_refund_updated_with_a_bad_signature_leaves_no_trace(
    paid_by_promptpay, stripe_api, client, problem
):
    answer = refund(paid_by_promptpay)
    (event,) = stripe_api.settle_refund(answer["id"], succeeded=True)
    payload = json.dumps(event)
    before = StripeEvent.objects.count()
    headers = {"forged": {"HTTP_STRIPE_SIGNATURE": sign(payload, "whsec_not_ours")}}
    response = client.post(
        reverse("wagtail_sixdegrees:stripe_webhook"),
        data=payload,
        content_type="application/json",
        **headers.get(problem, {}),
    )

    assert response.status_code == 400
    assert StripeEvent.objects.count() == before
    assert not StripeEvent.objects.filter(stripe_id=event["id"]).exists()


# --- system checks -------------------------------------------------------------------------


def ids_for(settings, methods, currencies=("USD", "THB", "SGD", "MYR", "IDR")):
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "CURRENCIES": list(currencies),
        "PAYMENT_METHODS": methods,
    }
    from wagtail_sixdegrees.checks import check_payment_methods

    return sorted(message.id.rsplit(".", 1)[1] for message in check_payment_methods())


def test_the_documented_example_passes_the_checks(settings):
    assert ids_for(settings, {k: v for k, v in METHODS.items() if k != "IDR"}) == []


@pytest.mark.parametrize(
    ("methods", "expected"),
    [
        ({"USD": ["card", "promptpay"]}, ["W021"]),
        ({"MYR": ["card", "paynow"]}, ["W021"]),
        ({"EUR": ["card"]}, ["W021"]),
        ({"THB": ["promptpay"]}, ["W022"]),
        ({"SGD": ["paynow", "grabpay"]}, ["W022"]),
        ({"IDR": ["card", "qris"]}, ["W023"]),
        ({"THB": ["card", "promtpay"]}, ["E024"]),
        ({"THB": "card"}, ["E024"]),
        (["card"], ["E024"]),
    ],
)
def test_checks_catch_methods_a_currency_cannot_take(settings, methods, expected):
    assert ids_for(settings, methods) == expected


def test_check_ids_are_registered_with_django(settings):
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "PAYMENT_METHODS": {"USD": ["promptpay"]},
    }
    found = {message.id for message in checks.run_checks()}
    assert {"wagtail_sixdegrees.W021", "wagtail_sixdegrees.W022"} <= found


def test_limits_table_knows_each_sdk_method_it_names():
    sdk = payment_methods.checkout_methods()
    assert {"card", "promptpay", "paynow", "grabpay", "fpx"} <= sdk
    assert "qris" not in sdk  # hence W023 and the table's own entry


def test_refund_form_warns_that_stripe_will_ask_the_donor_for_bank_details(
    paid_by_promptpay, client
):
    from tests.factories import panel_user

    client.force_login(panel_user("manager"))
    page = client.get(reverse("sixdegrees_donations:refund", args=[paid_by_promptpay.pk]))

    assert "It was paid with PromptPay" in page.content.decode()
