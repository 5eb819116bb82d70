"""The one module that talks to Stripe.

Everything goes through a ``stripe.StripeClient`` built from the settings: the secret key,
``STRIPE_API_BASE`` for every call (tests and the development checkout server point it at
127.0.0.1), a timeout and network retries. Results come back as plain dicts, shaped exactly
like Stripe's API reference, so the rest of the package never handles SDK objects.

Tests inject an HTTP client (``use_http_client``) that answers like Stripe's API.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
from collections.abc import Iterator
from typing import Any

import stripe

from .. import conf

#: Stripe errors a caller may show to a person as "the payment provider failed".
StripeError = stripe.StripeError
SignatureVerificationError = stripe.SignatureVerificationError

_http_client_override: stripe.HTTPClient | None = None


def describe_failure(error: stripe.StripeError) -> str:
    """How a log line names a failed call: a network failure (Stripe never answered) is not
    Stripe refusing the request, and the two are fixed by different people."""
    if isinstance(error, stripe.APIConnectionError):
        return f"network error, Stripe was not reached: {error}"
    return f"Stripe refused it: {error}"


@contextlib.contextmanager
def use_http_client(http_client: stripe.HTTPClient) -> Iterator[stripe.HTTPClient]:
    """Route every Stripe call made inside the block through ``http_client`` (for tests)."""
    global _http_client_override
    previous, _http_client_override = _http_client_override, http_client
    try:
        yield http_client
    finally:
        _http_client_override = previous


#: One HTTP client per (timeout, process), shared by every gateway: stripe-python's
#: ``RequestsClient`` keeps one ``requests`` session per thread, so consecutive calls from a
#: worker reuse the open (keep-alive, TLS) connection to Stripe instead of opening one per
#: webhook. Keyed by process too: a session must not be shared across a fork.
_shared_http_clients: dict[tuple[object, int], stripe.HTTPClient] = {}


def _default_http_client() -> stripe.HTTPClient:
    timeout = conf.get_setting("STRIPE_TIMEOUT")
    key = (timeout, os.getpid())
    client = _shared_http_clients.get(key)
    if client is None:
        try:
            client = stripe.RequestsClient(timeout=timeout)
        except ImportError:  # requests is optional for stripe-python
            client = stripe.UrllibClient()
        _shared_http_clients.clear()  # a changed timeout or a forked child: drop the old
        _shared_http_clients[key] = client
    return client


def idempotency_key(purpose: str, reference: object) -> str:
    """Keys derived from our own references, so a retry of the same action is the same request."""
    return f"wagtail-sixdegrees:{purpose}:{reference}"


class StripeGateway:
    """Thin, typed calls to the parts of Stripe's API we use."""

    def __init__(self, http_client: stripe.HTTPClient | None = None) -> None:
        base = conf.get_setting("STRIPE_API_BASE")
        self.client = stripe.StripeClient(
            str(conf.get_setting("STRIPE_SECRET_KEY") or ""),
            base_addresses={"api": base.rstrip("/")} if base else None,
            http_client=http_client or _http_client_override or _default_http_client(),
            max_network_retries=conf.get_setting("STRIPE_MAX_NETWORK_RETRIES"),
        )

    # --- Checkout --------------------------------------------------------------------------

    def create_checkout_session(self, params: dict[str, Any], *, key: str) -> dict[str, Any]:
        session = self.client.v1.checkout.sessions.create(
            params,  # type: ignore[arg-type]
            {"idempotency_key": key},
        )
        return session.to_dict()

    def retrieve_checkout_session(self, session_id: str) -> dict[str, Any]:
        return self.client.v1.checkout.sessions.retrieve(session_id).to_dict()

    # --- Payments --------------------------------------------------------------------------

    def retrieve_payment_intent(self, payment_intent_id: str) -> dict[str, Any]:
        """The PaymentIntent with its latest charge and that charge's balance transaction: the
        fee and net in settlement currency, in one request."""
        return self.client.v1.payment_intents.retrieve(
            payment_intent_id, {"expand": ["latest_charge.balance_transaction"]}
        ).to_dict()

    def retrieve_charge(self, charge_id: str) -> dict[str, Any]:
        """The charge with its balance transaction and every refund's balance transaction."""
        return self.client.v1.charges.retrieve(
            charge_id, {"expand": ["balance_transaction", "refunds.data.balance_transaction"]}
        ).to_dict()

    def retrieve_invoice(self, invoice_id: str) -> dict[str, Any]:
        """The invoice with its payments (not included by default since API 2025-03-31)."""
        return self.client.v1.invoices.retrieve(invoice_id, {"expand": ["payments"]}).to_dict()

    def create_refund(
        self,
        *,
        charge_id: str = "",
        payment_intent_id: str = "",
        amount: int,
        reason: str,
        metadata: dict[str, str],
        key: str,
    ) -> dict[str, Any]:
        """Refund ``amount`` (presentment currency, minor units) of a charge (or of a
        PaymentIntent's charge). Stripe answers at once; the final state arrives as
        ``charge.refunded``. ``reason`` is one of Stripe's: ``requested_by_customer``,
        ``duplicate``, ``fraudulent``."""
        params: dict[str, Any] = {"amount": amount, "reason": reason, "metadata": metadata}
        if charge_id:
            params["charge"] = charge_id
        else:
            params["payment_intent"] = payment_intent_id
        return self.client.v1.refunds.create(
            params,  # type: ignore[arg-type]
            {"idempotency_key": key},
        ).to_dict()

    def retrieve_dispute(self, dispute_id: str) -> dict[str, Any]:
        """The dispute as it is now, with its charge (whose amount and currency the disputed
        amount is compared with)."""
        return self.client.v1.disputes.retrieve(dispute_id, {"expand": ["charge"]}).to_dict()

    # --- Subscriptions ---------------------------------------------------------------------

    def retrieve_subscription(self, subscription_id: str) -> dict[str, Any]:
        return self.client.v1.subscriptions.retrieve(subscription_id).to_dict()

    def cancel_subscription(self, subscription_id: str) -> dict[str, Any]:
        return self.client.v1.subscriptions.cancel(
            subscription_id,
            options={"idempotency_key": idempotency_key("cancel", subscription_id)},
        ).to_dict()

    def update_subscription(
        self, subscription_id: str, params: dict[str, Any], *, key: str
    ) -> dict[str, Any]:
        """Change a monthly gift at Stripe (its price, ``pause_collection``...). Stripe answers
        at once; the change is recorded when ``customer.subscription.updated`` confirms it."""
        return self.client.v1.subscriptions.update(
            subscription_id,
            params,  # type: ignore[arg-type]
            {"idempotency_key": key},
        ).to_dict()

    def create_billing_portal_session(
        self, *, customer: str, return_url: str, locale: str, key: str
    ) -> dict[str, Any]:
        """A Billing Portal session that only lets the donor replace their card (the
        ``payment_method_update`` flow): card details are typed on Stripe's page, never ours."""
        params: dict[str, Any] = {
            "customer": customer,
            "return_url": return_url,
            "flow_data": {
                "type": "payment_method_update",
                "after_completion": {"type": "redirect", "redirect": {"return_url": return_url}},
            },
        }
        if locale:
            params["locale"] = locale
        return self.client.v1.billing_portal.sessions.create(
            params,  # type: ignore[arg-type]
            {"idempotency_key": key},
        ).to_dict()

    # --- Events ----------------------------------------------------------------------------

    def list_events(self, since: datetime.datetime) -> list[dict[str, Any]]:
        """Every event Stripe still holds (30 days at most) created at or after ``since``,
        oldest first."""
        page = self.client.v1.events.list(
            {"created": {"gte": int(since.timestamp())}, "limit": 100}
        )
        events = [event.to_dict() for event in page.auto_paging_iter()]
        return sorted(events, key=lambda event: (event.get("created") or 0, event.get("id", "")))


def verify_event(payload: bytes, signature: str | None) -> dict[str, Any]:
    """Check ``Stripe-Signature`` against every configured secret (several while rotating) and
    return the event exactly as Stripe sent it. Raises ``SignatureVerificationError`` for a
    missing, forged, tampered or stale (over five minutes old) signature."""
    secrets = conf.webhook_secrets()
    if not secrets or not signature:
        raise SignatureVerificationError(
            "No signature, or no webhook secret configured.", signature
        )
    last_error: SignatureVerificationError | None = None
    for secret in secrets:
        try:
            # The SDK's check alone: its construct_event would also build a StripeObject we
            # never use (a measurable share of each webhook's time).
            stripe.WebhookSignature.verify_header(
                payload, signature, secret, stripe.Webhook.DEFAULT_TOLERANCE
            )
        except SignatureVerificationError as error:
            last_error = error
            continue
        except ValueError as error:  # not UTF-8, yet somehow signed
            raise SignatureVerificationError("The payload is not UTF-8.", signature) from error
        try:
            return json.loads(payload)
        except ValueError as error:  # not JSON, yet somehow signed
            raise SignatureVerificationError(
                "The payload is not a JSON event.", signature
            ) from error
    raise last_error or SignatureVerificationError("No webhook secret matched.", signature)


def key_livemode() -> bool | None:
    """The mode of the configured secret key: ``True`` for a live key, ``False`` for a test
    key, ``None`` when the key says neither (not configured)."""
    key = str(conf.get_setting("STRIPE_SECRET_KEY") or "")
    if key.startswith(("sk_live_", "rk_live_")):
        return True
    if key.startswith(("sk_test_", "rk_test_")):
        return False
    return None


def gateway() -> StripeGateway:
    return StripeGateway()
