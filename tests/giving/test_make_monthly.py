""" "Make it monthly" on the thanks page of a one-off gift: one click posts the same gift to the
donate endpoint as a monthly gift, which starts Checkout in subscription mode through the same
code path (validation, resubmission guard, idempotency key). Stripe is the package's stand-in at
its HTTP boundary."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.factories import make_need
from tests.giving.test_thanks_receipts_reconcile import thanks_url
from tests.html_forms import filled, form_fields
from wagtail_sixdegrees.models import Donation, RecurringGift

pytestmark = pytest.mark.django_db


def checkout_sessions(stripe_api) -> list[dict]:
    return [
        r
        for r in stripe_api.requests
        if r["method"] == "POST" and r["path"] == "/v1/checkout/sessions"
    ]


@pytest.fixture
def paid_once(give, stripe_api, deliver):
    """Pay a one-off gift; returns a function that does it with given form fields."""

    def pay(**fields) -> Donation:
        give(**fields)
        donation = Donation.objects.order_by("-pk").first()
        deliver(*stripe_api.pay(donation.stripe_checkout_session_id))
        donation.refresh_from_db()
        return donation

    return pay


DONATE = reverse("wagtail_sixdegrees:donate")


def monthly_form(client, donation) -> dict[str, list[str]] | None:
    """What the "make it monthly" form on the thanks page submits, or None if not offered."""
    html = client.get(thanks_url(donation)).content.decode()
    match = re.search(
        r'<form method="post" action="([^"]+)" class="sd-make-monthly".*?</form>', html, re.S
    )
    if match is None:
        return None
    assert match[1] == DONATE
    return filled(form_fields(match[0]))


def test_the_thanks_page_offers_the_same_gift_every_month(client, paid_once):
    need = make_need(target_amount=1_000_000)
    donation = paid_once(amount="40", target=f"need:{need.pk}", anonymous="on")

    form = monthly_form(client, donation)

    assert form is not None
    assert form["amount"] == ["40.00"]
    assert form["currency"] == ["USD"]
    assert form["frequency"] == ["monthly"]
    assert form["target"] == [f"need:{need.pk}"]
    assert form["anonymous"] == ["on"]
    assert form["csrfmiddlewaretoken"]


def test_one_click_starts_a_monthly_checkout_through_the_donate_endpoint(
    client, paid_once, stripe_api, django_capture_on_commit_callbacks
):
    need = make_need(target_amount=1_000_000)
    donation = paid_once(amount="40", target=f"need:{need.pk}")
    form = monthly_form(client, donation)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DONATE, form)

    assert response.status_code == 303
    gift = RecurringGift.objects.get()
    assert (gift.amount, gift.currency, gift.donor_id) == (4_000, "USD", donation.donor_id)
    assert [p.target for p in gift.template_preferences.all()] == [f"need:{need.pk}"]
    session = checkout_sessions(stripe_api)[-1]["params"]
    assert session["mode"] == "subscription"
    assert session["line_items"][0]["price_data"]["recurring"] == {"interval": "month"}


def test_a_double_click_starts_one_monthly_gift(
    client, paid_once, stripe_api, django_capture_on_commit_callbacks
):
    donation = paid_once(amount="40")
    form = monthly_form(client, donation)

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(DONATE, form)
        second = client.post(DONATE, form)

    assert first["Location"] == second["Location"]
    assert RecurringGift.objects.count() == 1
    assert len(checkout_sessions(stripe_api)) == 2  # the one-off gift's and the monthly one


def test_a_monthly_gift_is_not_offered_again(client, give, stripe_api, deliver):
    give(frequency="monthly", amount="25")
    donation = Donation.objects.get()
    deliver(*stripe_api.pay(donation.stripe_checkout_session_id))

    assert monthly_form(client, donation) is None


def test_a_gift_by_a_method_that_cannot_recur_is_not_offered(client, paid_once):
    donation = paid_once(amount="500", currency="THB")
    Donation.objects.filter(pk=donation.pk).update(payment_method_type="promptpay")

    assert monthly_form(client, donation) is None


def test_a_gift_to_a_need_that_closed_is_not_offered(client, paid_once):
    need = make_need(target_amount=1_000_000)
    donation = paid_once(amount="40", target=f"need:{need.pk}")
    need.live = False
    need.save()

    assert monthly_form(client, donation) is None


def test_a_currency_no_longer_offered_is_not_offered(client, paid_once):
    donation = paid_once(amount="500", currency="THB")

    with override_settings(WAGTAIL_SIXDEGREES={"CURRENCIES": ["USD"]}):
        assert monthly_form(client, donation) is None
