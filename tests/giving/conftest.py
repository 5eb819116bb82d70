"""Fixtures for giving: Stripe at its HTTP boundary, signed webhooks, and a donate form."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe
from django.db import connection
from django.urls import reverse

from tests.stripe_fake import DevStripe, InProcessStripe, sign
from wagtail_sixdegrees.giving import gateway

WEBHOOK_SECRET = "whsec_sixdegrees_tests"


def open_transactions() -> int:
    """Transactions (and savepoints) the code under test has open: the test's own wrapping
    blocks (marked by Django's TestCase) do not count."""
    return sum(not block._from_testcase for block in connection.atomic_blocks)


class TransactionWatch(stripe.HTTPClient):
    """Stripe's HTTP boundary that notes every call made inside an open transaction: a slow
    Stripe must never hold our transactions or row locks."""

    name = "devstripe-transaction-watch"

    def __init__(self, inner: stripe.HTTPClient, state: DevStripe) -> None:
        super().__init__()
        self.inner, self.state = inner, state

    def request(self, method: str, url: str, headers: Any, post_data: Any = None, **kwargs: Any):
        if open_transactions() and self.state.calls_in_transaction is not None:
            self.state.calls_in_transaction.append(f"{method.upper()} {url}")
        return self.inner.request(method, url, headers, post_data, **kwargs)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def stripe_api():
    """A stateful fake Stripe that every Stripe call of the package goes to. The test fails if
    the package called it inside an open transaction (unless the test itself opened one and
    sets ``stripe_api.calls_in_transaction = None``)."""
    state = DevStripe(base_url="http://stripe.invalid")
    state.calls_in_transaction = []
    with gateway.use_http_client(TransactionWatch(InProcessStripe(state), state)):
        yield state
    assert not state.calls_in_transaction, "Stripe called inside a transaction"


@pytest.fixture
def atomic_requests():
    """Serve requests as a site with ``ATOMIC_REQUESTS`` does: each view in a transaction."""
    connection.settings_dict["ATOMIC_REQUESTS"] = True
    yield
    connection.settings_dict["ATOMIC_REQUESTS"] = False


def post_event(client, event: dict[str, Any], *, secret: str = WEBHOOK_SECRET, **headers: Any):
    payload = json.dumps(event)
    return client.post(
        reverse("wagtail_sixdegrees:stripe_webhook"),
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, secret),
        **headers,
    )


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """Deliver events to the webhook, signed, running on-commit work as a real commit would."""

    def deliver(*events: dict[str, Any], expect: int = 200):
        responses = []
        for event in events:
            with django_capture_on_commit_callbacks(execute=True):
                response = post_event(client, event)
            assert response.status_code == expect, response.content
            responses.append(response)
        return responses

    return deliver


def donate_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "amount": "25",
        "currency": "USD",
        "frequency": "once",
        "email": "donor@example.org",
        "name": "Fictional Donor",
        "target": "general",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def give(client, stripe_api, django_capture_on_commit_callbacks):
    """POST the donate form; returns the response. Upper-case keywords (``REMOTE_ADDR``,
    ``HTTP_...``) are request headers, the rest form fields."""

    def give(**overrides: Any):
        meta = {key: overrides.pop(key) for key in list(overrides) if key.isupper()}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("wagtail_sixdegrees:donate"), donate_data(**overrides), **meta
            )

    return give
