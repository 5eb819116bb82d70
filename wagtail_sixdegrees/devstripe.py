"""A Stripe-compatible Checkout server for DEVELOPMENT AND TESTS ONLY. NEVER USE IN PRODUCTION.

It moves no money and checks no card. It answers the few endpoints of Stripe's API that
wagtail-sixdegrees calls, with JSON shaped like Stripe's API reference, serves a plain "hosted
checkout" page with Pay and Cancel buttons, and on Pay marks the session paid and POSTs
correctly signed webhook events (``checkout.session.completed``, ``invoice.paid``...) to the
site, with a balance transaction that carries a realistic fee and net.

Integrators run it beside their own site to give end to end offline (it refuses to start
unless ``DEBUG`` is on, see docs/integrators/stripe.md)::

    python manage.py sixdegrees_devstripe --port 8421

and point ``WAGTAIL_SIXDEGREES["STRIPE_API_BASE"]`` at ``http://127.0.0.1:8421``. It listens on
127.0.0.1 only. The example site starts it by itself in ``make demo`` while the Stripe keys are
the placeholders. Tests use :class:`DevStripe` in-process (no socket) through stripe-python's
HTTP client interface (:func:`in_process_client`).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import html
import itertools
import json
import os
import re
import secrets
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .money import to_decimal_string

API_VERSION = "2026-10-28.endive"
#: (percent in basis points, fixed minor units) per currency: roughly Stripe's public pricing.
FEES = {"usd": (290, 30), "thb": (365, 1000), "vnd": (340, 2000), "sgd": (340, 50)}
DEFAULT_FEE = (340, 0)
#: What Stripe refuses for the local methods it simulates: the currencies each takes (none may
#: pay a subscription), and the ones whose refunds wait for the donor's bank details.
LOCAL_METHOD_CURRENCIES = {
    "promptpay": {"thb"},
    "paynow": {"sgd"},
    "grabpay": {"sgd", "myr"},
    "fpx": {"myr"},
    "qris": {"idr"},
}
REFUND_NEEDS_BANK_DETAILS = {"promptpay", "paynow", "qris"}
#: Brand names on the test checkout page.
METHOD_LABELS = {
    "card": "Card",
    "promptpay": "PromptPay",
    "paynow": "PayNow",
    "grabpay": "GrabPay",
    "fpx": "FPX",
    "qris": "QRIS",
}


class StripeFailure(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.kind = status, message, kind

    def body(self) -> dict[str, Any]:
        return {"error": {"type": self.kind, "message": self.message}}


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``line_items[0][price_data][currency]=usd`` pairs back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part == "[]":
                part = str(len(node))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        node = {key: _listify(value) for key, value in node.items()}
        if node and all(key.isdigit() for key in node):
            return [node[key] for key in sorted(node, key=int)]
    return node


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload`` (scheme v1, as Stripe signs)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


class DevStripe:
    """Stripe's state for the objects wagtail-sixdegrees uses, and its API routes."""

    def __init__(self, base_url: str = "http://127.0.0.1:8421", state_file: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.objects: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.idempotent: dict[str, tuple[str, dict[str, Any]]] = {}
        self.failures: list[StripeFailure] = []
        self.lock = threading.RLock()
        self._ids = itertools.count(1)
        self.clock = int(time.time())
        #: Where the state is kept between runs (the demo's payments, then the server's).
        self.state_file = state_file
        if state_file and os.path.exists(state_file):
            self.load()

    # --- keeping state between processes ------------------------------------------------

    def load(self) -> None:
        with open(self.state_file, encoding="utf-8") as file:
            state = json.load(file)
        self.objects, self.events = state["objects"], state["events"]
        self.idempotent = {key: tuple(value) for key, value in state["idempotent"].items()}
        self.clock = max(self.clock, state["clock"])
        self._ids = itertools.count(state["next_id"])

    def save(self) -> None:
        """Write the state (objects, events, idempotency keys) to ``state_file``, if any."""
        if not self.state_file:
            return
        with self.lock:
            next_id = next(self._ids)
            self._ids = itertools.count(next_id)
            state = {
                "objects": self.objects,
                "events": self.events,
                "idempotent": self.idempotent,
                "clock": self.clock,
                "next_id": next_id,
            }
            temporary = f"{self.state_file}.tmp"
            with open(temporary, "w", encoding="utf-8") as file:
                json.dump(state, file)
            os.replace(temporary, self.state_file)

    # --- ids, objects, events ---------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._ids):06d}{secrets.token_hex(4)}"

    def now(self) -> int:
        self.clock += 1
        return self.clock

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        return obj

    def event(self, type_: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Record an event as Stripe would send it (a snapshot of ``obj``) and return it."""
        event = {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now(),
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }
        self.events.append(event)
        return event

    # --- the API ----------------------------------------------------------------------

    def handle(
        self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """Answer one API request: ``(status, JSON body)``."""
        with self.lock:
            self.requests.append(
                {"method": method.upper(), "path": path, "params": params, "headers": headers}
            )
            try:
                if not str(headers.get("authorization", "")).startswith("Bearer sk_test_"):
                    raise StripeFailure(401, "Invalid API Key provided.", "authentication_error")
                if self.failures:
                    raise self.failures.pop(0)
                key = headers.get("idempotency-key")
                if method.upper() == "POST" and key:
                    fingerprint = json.dumps([path, params], sort_keys=True)
                    if key in self.idempotent:
                        seen, response = self.idempotent[key]
                        if seen != fingerprint:
                            raise StripeFailure(
                                400,
                                "Keys for idempotent requests can only be used with the same "
                                "parameters they were first used with.",
                                "idempotency_error",
                            )
                        return 200, copy.deepcopy(response)
                    response = self._route(method.upper(), path, params)
                    self.idempotent[key] = (fingerprint, copy.deepcopy(response))
                    return 200, response
                return 200, self._route(method.upper(), path, params)
            except StripeFailure as failure:
                return failure.status, failure.body()

    def _route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        expand = params.get("expand") or []
        if method == "POST" and path == "/v1/checkout/sessions":
            return self.create_session(params)
        if method == "POST" and path == "/v1/refunds":
            charge_id = params.get("charge")
            if not charge_id and params.get("payment_intent") in self.objects:
                charge_id = self.objects[params["payment_intent"]]["latest_charge"]
            if charge_id not in self.objects:
                raise StripeFailure(404, f"No such charge: '{charge_id}'")
            return self.refund(
                charge_id,
                int(params["amount"]) if "amount" in params else None,
                reason=params.get("reason"),
                metadata=params.get("metadata") or {},
            )
        if method == "POST" and path == "/v1/billing_portal/sessions":
            return self.create_portal_session(params)
        subscription = re.fullmatch(r"/v1/subscriptions/([\w-]+)", path)
        if method == "POST" and subscription and subscription[1] in self.objects:
            return self.update_subscription(subscription[1], params)
        if method == "GET" and path == "/v1/events":
            since = int((params.get("created") or {}).get("gte") or 0)
            data = [e for e in reversed(self.events) if e["created"] >= since]
            return {"object": "list", "data": data, "has_more": False, "url": "/v1/events"}
        match = re.fullmatch(
            r"/v1/(checkout/sessions|payment_intents|charges|invoices|subscriptions|disputes|refunds)/([\w-]+)",
            path,
        )
        if match and match[2] in self.objects:
            if method == "DELETE" and match[1] == "subscriptions":
                return self.cancel_subscription(match[2])
            if method == "GET":
                return self._expanded(self.objects[match[2]], expand)
        raise StripeFailure(404, f"No such object: '{path.rsplit('/', 1)[-1]}'")

    def _expanded(self, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        obj = copy.deepcopy(obj)
        for path in paths:
            obj = self._expand(obj, path.split("."))
        return obj

    def _expand(self, node: Any, parts: list[str]) -> Any:
        if not parts:
            return node
        if isinstance(node, list):
            return [self._expand(item, parts) for item in node]
        if not isinstance(node, dict) or parts[0] not in node:
            return node
        value = node[parts[0]]
        if isinstance(value, str) and value in self.objects:
            value = copy.deepcopy(self.objects[value])
        node[parts[0]] = self._expand(value, parts[1:])
        return node

    # --- Checkout ---------------------------------------------------------------------

    def create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        for required in ("mode", "success_url", "line_items"):
            if required not in params:
                raise StripeFailure(400, f"Missing required param: {required}.")
        item = params["line_items"][0]
        price = item["price_data"]
        amount = int(price["unit_amount"]) * int(item.get("quantity", 1))
        methods = params.get("allowed_payment_method_types") or ["card"]
        for method in methods:
            allowed = LOCAL_METHOD_CURRENCIES.get(method)
            if allowed is None:
                continue
            if price["currency"] not in allowed:
                raise StripeFailure(
                    400,
                    f"The payment method `{method}` cannot be used with currency "
                    f"`{price['currency']}`.",
                )
            if params["mode"] != "payment":
                raise StripeFailure(
                    400, f"The payment method `{method}` cannot be used in {params['mode']} mode."
                )
        session_id = self.new_id("cs")
        return self.put(
            {
                "id": session_id,
                "object": "checkout.session",
                "amount_subtotal": amount,
                "amount_total": amount,
                "cancel_url": params.get("cancel_url"),
                "client_reference_id": params.get("client_reference_id"),
                "created": self.now(),
                "currency": price["currency"],
                "customer": None,
                "customer_details": {"email": params.get("customer_email")},
                "customer_email": params.get("customer_email"),
                "expires_at": self.clock + 86400,
                "invoice": None,
                "livemode": False,
                "locale": params.get("locale"),
                "metadata": params.get("metadata") or {},
                "mode": params["mode"],
                "payment_intent": None,
                "payment_method_types": list(methods),
                "payment_status": "unpaid",
                "status": "open",
                "submit_type": params.get("submit_type"),
                "subscription": None,
                "success_url": params["success_url"],
                "url": f"{self.base_url}/checkout/{session_id}",
                "_line": {"price_data": price, "amount": amount},
                "_subscription_data": params.get("subscription_data") or {},
                "_payment_intent_data": params.get("payment_intent_data") or {},
            }
        )

    def _charge(
        self,
        amount: int,
        currency: str,
        metadata: dict,
        customer: str | None,
        *,
        method: str = "card",
        intent_id: str = "",
    ) -> dict:
        rate, fixed = FEES.get(currency, DEFAULT_FEE)
        fee = -(-amount * rate // 10_000) + fixed
        balance = self.put(
            {
                "id": self.new_id("txn"),
                "object": "balance_transaction",
                "amount": amount,
                "currency": currency,
                "fee": fee,
                "net": amount - fee,
                "status": "available",
                "type": "charge",
                "created": self.now(),
                "fee_details": [{"amount": fee, "currency": currency, "type": "stripe_fee"}],
            }
        )
        intent_id = intent_id or self.new_id("pi")
        charge = self.put(
            {
                "id": self.new_id("ch"),
                "object": "charge",
                "amount": amount,
                "amount_captured": amount,
                "amount_refunded": 0,
                "balance_transaction": balance["id"],
                "captured": True,
                "created": self.now(),
                "currency": currency,
                "customer": customer,
                "disputed": False,
                "metadata": dict(metadata),
                "paid": True,
                "payment_intent": intent_id,
                "payment_method_details": {"type": method},
                "refunded": False,
                "refunds": {"object": "list", "data": [], "has_more": False},
                "status": "succeeded",
            }
        )
        balance["source"] = charge["id"]
        self.put(
            {
                "id": intent_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_received": amount,
                "currency": currency,
                "customer": customer,
                "latest_charge": charge["id"],
                "metadata": dict(metadata),
                "payment_method_types": [method],
                "status": "succeeded",
            }
        )
        return charge

    def pay(
        self, session_id: str, method: str = "card", *, delayed: bool = False
    ) -> list[dict[str, Any]]:
        """The donor paid on the hosted page with ``method`` (one the session offers): the
        session completes; return the events. ``delayed``: the donor's bank confirms later
        (the session completes unpaid; :meth:`settle` brings the outcome)."""
        with self.lock:
            session = self.objects[session_id]
            if session["status"] != "open":
                return []
            if method not in offered_methods(session):
                raise StripeFailure(400, f"This session does not offer `{method}`.")
            currency, amount = session["currency"], session["_line"]["amount"]
            events = []
            if session["mode"] == "payment" and delayed and method != "card":
                metadata = session["_payment_intent_data"].get("metadata") or {}
                intent = self.put(
                    {
                        "id": self.new_id("pi"),
                        "object": "payment_intent",
                        "amount": amount,
                        "amount_received": 0,
                        "currency": currency,
                        "customer": None,
                        "latest_charge": None,
                        "metadata": dict(metadata),
                        "payment_method_types": [method],
                        "status": "processing",
                    }
                )
                session["payment_intent"] = intent["id"]
                session["status"], session["payment_status"] = "complete", "unpaid"
                return [self.event("checkout.session.completed", self.public(session))]
            if session["mode"] == "payment":
                metadata = session["_payment_intent_data"].get("metadata") or {}
                charge = self._charge(amount, currency, metadata, None, method=method)
                session["payment_intent"] = charge["payment_intent"]
            else:
                customer = self.put(
                    {
                        "id": self.new_id("cus"),
                        "object": "customer",
                        "email": session["customer_email"],
                    }
                )
                session["customer"] = customer["id"]
                price_data = session["_line"]["price_data"]
                product = self.put(
                    {
                        "id": self.new_id("prod"),
                        "object": "product",
                        "name": price_data["product_data"]["name"],
                    }
                )
                subscription = self.put(
                    {
                        "id": self.new_id("sub"),
                        "object": "subscription",
                        "customer": customer["id"],
                        "status": "active",
                        "canceled_at": None,
                        "cancel_at_period_end": False,
                        "cancellation_details": {"reason": None},
                        "pause_collection": None,
                        "default_payment_method": None,
                        "metadata": session["_subscription_data"].get("metadata") or {},
                        "created": self.now(),
                        "items": {
                            "object": "list",
                            "data": [
                                {
                                    "id": self.new_id("si"),
                                    "object": "subscription_item",
                                    "price": self._price(
                                        product["id"],
                                        price_data["currency"],
                                        int(price_data["unit_amount"]),
                                    ),
                                }
                            ],
                        },
                    }
                )
                session["subscription"] = subscription["id"]
                invoice = self.invoice(subscription["id"], "subscription_create")
                session["invoice"] = invoice["id"]
                events.append(self.event("invoice.paid", invoice))
            session["status"], session["payment_status"] = "complete", "paid"
            events.insert(0, self.event("checkout.session.completed", self.public(session)))
            return events

    def settle(self, session_id: str, *, succeeded: bool) -> list[dict[str, Any]]:
        """The donor's bank confirmed (or refused) a delayed payment: the async event."""
        with self.lock:
            session = self.objects[session_id]
            intent = self.objects.get(session.get("payment_intent") or "")
            if intent is None or intent["status"] != "processing":
                return []
            if succeeded:
                self._charge(
                    intent["amount"],
                    intent["currency"],
                    intent["metadata"],
                    None,
                    method=intent["payment_method_types"][0],
                    intent_id=intent["id"],
                )
                session["payment_status"] = "paid"
                kind = "checkout.session.async_payment_succeeded"
            else:
                intent["status"] = "requires_payment_method"
                kind = "checkout.session.async_payment_failed"
            return [self.event(kind, self.public(session))]

    def invoice(self, subscription_id: str, billing_reason: str = "subscription_cycle") -> dict:
        """A paid invoice of ``subscription_id`` (a renewal unless told otherwise)."""
        subscription = self.objects[subscription_id]
        price = subscription["items"]["data"][0]["price"]
        amount = int(price["unit_amount"])
        charge = self._charge(amount, price["currency"], {}, subscription["customer"])
        invoice = self._invoice_of(subscription, billing_reason, amount_paid=amount)
        invoice["payments"]["data"].append(
            {
                "id": self.new_id("inpay"),
                "object": "invoice_payment",
                "amount_paid": amount,
                "invoice": invoice["id"],
                "status": "paid",
                "payment": {"type": "payment_intent", "payment_intent": charge["payment_intent"]},
            }
        )
        invoice.update(status="paid", status_transitions={"paid_at": self.clock})
        return self.put(invoice)

    def _invoice_of(
        self, subscription: dict[str, Any], billing_reason: str, amount_paid: int
    ) -> dict[str, Any]:
        """An invoice of ``subscription`` for its price, with no payment yet (the caller says
        whether it was paid)."""
        price = subscription["items"]["data"][0]["price"]
        return {
            "id": self.new_id("in"),
            "object": "invoice",
            "amount_due": int(price["unit_amount"]),
            "amount_paid": amount_paid,
            "billing_reason": billing_reason,
            "created": self.now(),
            "currency": price["currency"],
            "customer": subscription["customer"],
            "parent": {
                "type": "subscription_details",
                "subscription_details": {
                    "subscription": subscription["id"],
                    "metadata": dict(subscription["metadata"]),
                },
            },
            "payments": {"object": "list", "data": []},
            "status": "open",
        }

    def _price(self, product: str, currency: str, unit_amount: int) -> dict[str, Any]:
        return {
            "id": self.new_id("price"),
            "object": "price",
            "currency": currency,
            "product": product,
            "unit_amount": unit_amount,
            "recurring": {"interval": "month", "interval_count": 1},
            "type": "recurring",
        }

    def update_subscription(self, subscription_id: str, params: dict[str, Any]) -> dict:
        """``POST /v1/subscriptions/:id``: a new price for an item, ``pause_collection`` set or
        unset (an empty value); sends ``customer.subscription.updated``."""
        subscription = self.objects[subscription_id]
        if subscription["status"] == "canceled":
            raise StripeFailure(400, "A canceled subscription can only update its metadata.")
        for change in params.get("items") or []:
            item = next(
                (i for i in subscription["items"]["data"] if i["id"] == change.get("id")), None
            )
            if item is None:
                raise StripeFailure(400, f"No such subscription item: '{change.get('id')}'")
            data = change.get("price_data") or {}
            if not data.get("product") or not data.get("currency") or not data.get("recurring"):
                raise StripeFailure(400, "Missing required param: items[0][price_data].")
            amount = int(data["unit_amount"])
            if amount < 1:
                raise StripeFailure(400, "Invalid unit_amount.")
            item["price"] = self._price(data["product"], data["currency"], amount)
        if "pause_collection" in params:
            pause = params["pause_collection"]
            if pause == "":
                subscription["pause_collection"] = None
            else:
                if pause.get("behavior") not in ("keep_as_draft", "mark_uncollectible", "void"):
                    raise StripeFailure(400, "Invalid pause_collection[behavior].")
                subscription["pause_collection"] = {
                    "behavior": pause["behavior"],
                    "resumes_at": int(pause["resumes_at"]) if pause.get("resumes_at") else None,
                }
        self.event("customer.subscription.updated", subscription)
        return copy.deepcopy(subscription)

    def create_portal_session(self, params: dict[str, Any]) -> dict[str, Any]:
        """``POST /v1/billing_portal/sessions`` (the ``payment_method_update`` flow only)."""
        if params.get("customer") not in self.objects:
            raise StripeFailure(404, f"No such customer: '{params.get('customer')}'")
        if (params.get("flow_data") or {}).get("type") != "payment_method_update":
            raise StripeFailure(400, "Only the payment_method_update flow is served here.")
        session_id = self.new_id("bps")
        return self.put(
            {
                "id": session_id,
                "object": "billing_portal.session",
                "customer": params["customer"],
                "flow": {"type": "payment_method_update"},
                "locale": params.get("locale"),
                "return_url": params.get("return_url"),
                "url": f"{self.base_url}/billing_portal/{session_id}",
                "created": self.now(),
            }
        )

    def save_card(self, portal_session_id: str) -> list[dict[str, Any]]:
        """The donor saved a new card on the portal page: attach it and make it the default."""
        with self.lock:
            portal = self.objects[portal_session_id]
            customer = self.objects[portal["customer"]]
            method = self.put(
                {
                    "id": self.new_id("pm"),
                    "object": "payment_method",
                    "type": "card",
                    "card": {"brand": "visa", "last4": "4242"},
                    "customer": customer["id"],
                }
            )
            customer["invoice_settings"] = {"default_payment_method": method["id"]}
            return [self.event("payment_method.attached", method)]

    def fail_invoice(self, subscription_id: str) -> list[dict[str, Any]]:
        """A renewal the card refused: an open invoice and a past-due subscription."""
        with self.lock:
            subscription = self.objects[subscription_id]
            invoice = self._invoice_of(subscription, "subscription_cycle", amount_paid=0)
            invoice["attempt_count"] = 1
            invoice = self.put(invoice)
            subscription["status"] = "past_due"
            return [
                self.event("invoice.payment_failed", invoice),
                self.event("customer.subscription.updated", subscription),
            ]

    def give_up(self, subscription_id: str) -> list[dict[str, Any]]:
        """The last retry failed: Stripe cancels the subscription (the dashboard's default)."""
        with self.lock:
            subscription = self.objects[subscription_id]
            subscription.update(
                status="canceled",
                canceled_at=self.now(),
                cancellation_details={"reason": "payment_failed"},
            )
            return [self.event("customer.subscription.deleted", subscription)]

    def renew(self, subscription_id: str) -> list[dict[str, Any]]:
        """Next month: a new paid invoice for the subscription (after a failed payment, the
        retry that succeeded: the subscription is active again)."""
        with self.lock:
            events = [self.event("invoice.paid", self.invoice(subscription_id))]
            subscription = self.objects[subscription_id]
            if subscription["status"] == "past_due":
                subscription["status"] = "active"
                events.append(self.event("customer.subscription.updated", subscription))
            return events

    def expire(self, session_id: str) -> list[dict[str, Any]]:
        with self.lock:
            session = self.objects[session_id]
            session["status"] = "expired"
            return [self.event("checkout.session.expired", self.public(session))]

    def cancel_subscription(self, subscription_id: str) -> dict[str, Any]:
        subscription = self.objects[subscription_id]
        if subscription["status"] != "canceled":
            subscription.update(
                status="canceled",
                canceled_at=self.now(),
                cancellation_details={"reason": "cancellation_requested"},
            )
            self.event("customer.subscription.deleted", subscription)
        return copy.deepcopy(subscription)

    def refund(
        self,
        charge_id: str,
        amount: int | None = None,
        *,
        reason: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        with self.lock:
            charge = self.objects[charge_id]
            amount = amount or charge["amount"] - charge["amount_refunded"]
            if amount <= 0 or charge["amount_refunded"] + amount > charge["amount"]:
                raise StripeFailure(400, "Refund amount is greater than the unrefunded amount.")
            balance = self.objects[charge["balance_transaction"]]
            settled = amount * balance["amount"] // charge["amount"]
            refund_balance = self.put(
                {
                    "id": self.new_id("txn"),
                    "object": "balance_transaction",
                    "amount": -settled,
                    "currency": balance["currency"],
                    "fee": 0,
                    "net": -settled,
                    "type": "refund",
                }
            )
            refund = {
                "id": self.new_id("re"),
                "object": "refund",
                "amount": amount,
                "balance_transaction": refund_balance["id"],
                "charge": charge_id,
                "currency": charge["currency"],
                "metadata": dict(metadata or {}),
                "next_action": None,
                "reason": reason,
                "status": "succeeded",
            }
            if charge["payment_method_details"]["type"] in REFUND_NEEDS_BANK_DETAILS:
                # Stripe emails the donor for bank details and holds the money meanwhile.
                refund["status"] = "requires_action"
                refund["next_action"] = {
                    "type": "display_details",
                    "display_details": {
                        "email_sent": {"email_sent_at": self.clock, "email_sent_to": ""},
                        "expires_at": self.clock + 45 * 86400,
                    },
                }
            self.put(refund)
            charge["refunds"]["data"].insert(0, refund)
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            self.event("charge.refunded", charge)
            return copy.deepcopy(refund)

    def settle_refund(self, refund_id: str, *, succeeded: bool) -> list[dict[str, Any]]:
        """The donor gave their bank details (or the request expired): ``refund.updated``."""
        with self.lock:
            refund = self.objects[refund_id]
            charge = self.objects[refund["charge"]]
            refund.update(status="succeeded" if succeeded else "failed", next_action=None)
            if not succeeded:
                refund["failure_reason"] = "unknown"
                charge["amount_refunded"] -= refund["amount"]
                charge["refunded"] = False
            for listed in charge["refunds"]["data"]:
                if listed["id"] == refund_id:
                    listed.update(refund)
            return [self.event("refund.updated", refund)]

    def dispute(
        self, charge_id: str, status: str, *, withdrawn: bool = False, reinstated: bool = False
    ) -> dict:
        """Open or move a dispute on ``charge_id``; returns the event Stripe would send."""
        with self.lock:
            charge = self.objects[charge_id]
            balance = self.objects[charge["balance_transaction"]]
            dispute = self.objects.setdefault(
                f"dp_{charge_id}",
                {
                    "id": f"dp_{charge_id}",
                    "object": "dispute",
                    "amount": charge["amount"],
                    "balance_transactions": [],
                    "charge": charge_id,
                    "currency": charge["currency"],
                    "reason": "fraudulent",
                    "status": "needs_response",
                },
            )
            dispute["status"] = status
            moves = dispute["balance_transactions"]
            if withdrawn:
                moves.append(
                    {"amount": -balance["amount"], "fee": 1500, "currency": balance["currency"]}
                )
                kind = "charge.dispute.funds_withdrawn"
            elif reinstated:
                moves.append(
                    {"amount": balance["amount"], "fee": -1500, "currency": balance["currency"]}
                )
                kind = "charge.dispute.funds_reinstated"
            elif status in ("won", "lost"):
                kind = "charge.dispute.closed"
            else:
                kind = "charge.dispute.created"
            charge["disputed"] = True
            return self.event(kind, dispute)

    @staticmethod
    def public(obj: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in obj.items() if not key.startswith("_")}


class Deliverer:
    """POSTs events, signed, to the registered webhook endpoints."""

    def __init__(self, endpoints: list[tuple[str, str]]) -> None:
        self.endpoints = endpoints

    def deliver(self, events: list[dict[str, Any]]) -> list[int]:
        statuses = []
        for event in events:
            payload = json.dumps(event)
            for url, secret in self.endpoints:
                request = urllib.request.Request(  # noqa: S310 - loopback only
                    url,
                    data=payload.encode(),
                    headers={
                        "Content-Type": "application/json",
                        "Stripe-Signature": sign(payload, secret),
                    },
                    method="POST",
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                        statuses.append(response.status)
                except urllib.error.HTTPError as error:
                    statuses.append(error.code)
        return statuses


CHECKOUT_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Test checkout (not Stripe)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 2rem auto;">
<main>
<h1>Test checkout</h1>
<p><strong>Development only: no money moves and no card is checked.</strong></p>
<p>{description}: <strong>{amount} {currency}</strong>{interval}</p>
<p>Email: {email}</p>
<form method="post" action="/checkout/{session_id}/pay">{methods}
<button type="submit">Pay</button>{delayed}</form>
<form method="post" action="/checkout/{session_id}/cancel"><button type="submit">Cancel</button></form>
</main></body></html>
"""

#: The choice of method, when the session offers more than card.
METHOD_CHOICE = """
<fieldset><legend>Pay with</legend>{choices}</fieldset>"""
METHOD_RADIO = """
<label><input type="radio" name="method" value="{method}"{checked}> {label}</label><br>"""
#: A local method's payment may be confirmed by the donor's bank later.
DELAYED_BUTTON = """
<button type="submit" name="delayed" value="1">Pay, bank confirms later</button>"""

WAITING_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Test bank (not Stripe)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 2rem auto;">
<main>
<h1>Waiting for the donor's bank</h1>
<p><strong>Development only: no money moves.</strong></p>
<p>{amount} {currency} by {method}: the bank has not confirmed it yet.</p>
<form method="post" action="/checkout/{session_id}/succeed"><button type="submit">The bank confirms</button></form>
<form method="post" action="/checkout/{session_id}/fail"><button type="submit">The bank refuses</button></form>
<p><a href="{success_url}">Back to the site</a></p>
</main></body></html>
"""


PORTAL_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Test card update (not Stripe)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 2rem auto;">
<main>
<h1>Update your card</h1>
<p><strong>Development only: no card is checked or stored.</strong></p>
<form method="post" action="/billing_portal/{session_id}/save"><button type="submit">Save card</button></form>
<p><a href="{return_url}">Back</a></p>
</main></body></html>
"""


def offered_methods(session: dict[str, Any]) -> list[str]:
    """The session's methods (card for sessions saved by an older stand-in)."""
    return session.get("payment_method_types") or ["card"]


def checkout_page(stripe: DevStripe, session: dict[str, Any]) -> str:
    """The hosted page: pay (choosing among the session's methods), or, once a local method's
    payment waits for the donor's bank, confirm or refuse it as that bank."""
    line = session["_line"]
    code = line["price_data"]["currency"].upper()
    amount = to_decimal_string(line["amount"], code)
    intent = stripe.objects.get(session.get("payment_intent") or "")
    if intent is not None and intent["status"] == "processing":
        return WAITING_PAGE.format(
            amount=amount,
            currency=html.escape(code),
            method=html.escape(METHOD_LABELS.get(intent["payment_method_types"][0], "?")),
            session_id=html.escape(session["id"]),
            success_url=html.escape(
                session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
            ),
        )
    methods = offered_methods(session)
    choices = "".join(
        METHOD_RADIO.format(
            method=html.escape(method),
            checked=" checked" if index == 0 else "",
            label=html.escape(METHOD_LABELS.get(method, method)),
        )
        for index, method in enumerate(methods)
    )
    local = session["mode"] == "payment" and any(m in LOCAL_METHOD_CURRENCIES for m in methods)
    return CHECKOUT_PAGE.format(
        description=html.escape(line["price_data"]["product_data"]["name"]),
        amount=amount,
        currency=html.escape(code),
        interval=" per month" if session["mode"] == "subscription" else "",
        email=html.escape(str(session["customer_email"])),
        session_id=html.escape(session["id"]),
        methods=METHOD_CHOICE.format(choices=choices) if len(methods) > 1 else "",
        delayed=DELAYED_BUTTON if local else "",
    )


def make_handler(stripe: DevStripe, deliverer: Deliverer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "devstripe"
        # Keep-alive, as Stripe's API does: a client's next request reuses the connection
        # (every answer carries Content-Length, which HTTP/1.1 needs).
        protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes: without this, Nagle's algorithm holds the
        # body until the client's delayed ACK (40 ms a request on a kept-alive connection).
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str, location: str = "") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Request-Id", f"req_{secrets.token_hex(6)}")
            if location:
                self.send_header("Location", location)
            self.end_headers()
            self.wfile.write(body)

        _read_body: str | None = None

        def _body(self) -> str:
            """The request's body, read once (on a kept-alive connection, a body left unread
            would be taken for the next request)."""
            if self._read_body is None:
                length = int(self.headers.get("Content-Length") or 0)
                self._read_body = self.rfile.read(length).decode() if length else ""
            return self._read_body

        def handle_one_request(self) -> None:
            self._read_body = None
            super().handle_one_request()
            if self.command in ("POST", "DELETE", "PUT", "PATCH") and not self.close_connection:
                self._body()  # drain what the route did not read

        def _api(self, method: str) -> None:
            url = urlsplit(self.path)
            body = self._body()
            params = decode_form(
                parse_qsl(url.query, keep_blank_values=True)
                + parse_qsl(body, keep_blank_values=True)
            )
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, answer = stripe.handle(method, url.path, params, headers)
            self._send(status, json.dumps(answer).encode(), "application/json")

        def _checkout(self, method: str) -> None:
            match = re.fullmatch(
                r"/checkout/([\w-]+)(?:/(pay|cancel|succeed|fail))?", urlsplit(self.path).path
            )
            session = stripe.objects.get(match[1]) if match else None
            if match is None or session is None:
                self._send(404, b"Unknown checkout session", "text/plain")
                return
            target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
            if method == "GET":
                self._send(200, checkout_page(stripe, session).encode(), "text/html; charset=utf-8")
            elif match[2] == "pay":
                form = dict(parse_qsl(self._body()))
                chosen = form.get("method") or offered_methods(session)[0]
                try:
                    events = stripe.pay(session["id"], chosen, delayed=bool(form.get("delayed")))
                except StripeFailure as failure:
                    self._send(400, failure.message.encode(), "text/plain")
                    return
                deliverer.deliver(events)
                self._send(303, b"", "text/plain", location=target)
            elif match[2] in ("succeed", "fail"):
                deliverer.deliver(stripe.settle(session["id"], succeeded=match[2] == "succeed"))
                self._send(303, b"", "text/plain", location=target)
            else:
                self._send(303, b"", "text/plain", location=session["cancel_url"])

        def _portal(self, method: str) -> None:
            match = re.fullmatch(r"/billing_portal/([\w-]+)(/save)?", urlsplit(self.path).path)
            portal = stripe.objects.get(match[1]) if match else None
            if portal is None:
                self._send(404, b"Unknown portal session", "text/plain")
                return
            if method == "GET":
                page = PORTAL_PAGE.format(
                    session_id=html.escape(portal["id"]),
                    return_url=html.escape(str(portal["return_url"])),
                )
                self._send(200, page.encode(), "text/html; charset=utf-8")
                return
            deliverer.deliver(stripe.save_card(portal["id"]))
            self._send(303, b"", "text/plain", location=str(portal["return_url"]))

        def do_GET(self) -> None:
            if self.path.startswith("/v1/"):
                self._api("GET")
            elif self.path.startswith("/billing_portal/"):
                self._portal("GET")
            else:
                self._checkout("GET")

        def do_POST(self) -> None:
            before = len(stripe.events)
            if self.path.startswith("/v1/"):
                self._api("POST")
                stripe.save()
                # Stripe sends these events a moment after answering; here, before returning.
                deliverer.deliver(stripe.events[before:])
            elif self.path.startswith("/billing_portal/"):
                self._portal("POST")
                stripe.save()
            else:
                self._checkout("POST")
                stripe.save()

        def do_DELETE(self) -> None:
            before = len(stripe.events)
            self._api("DELETE")
            stripe.save()
            deliverer.deliver(stripe.events[before:])

    return Handler


def in_process_client(state: DevStripe) -> Any:
    """A stripe-python HTTP client answered by ``state`` without a socket (tests, demo data)."""
    import stripe

    class InProcessClient(stripe.HTTPClient):
        name = "devstripe-in-process"

        def request(
            self, method: str, url: str, headers: Any, post_data: Any = None, **kwargs: Any
        ):
            parts = urlsplit(url)
            body = post_data.decode() if isinstance(post_data, bytes) else post_data or ""
            pairs = parse_qsl(parts.query, keep_blank_values=True)
            params = decode_form(pairs + parse_qsl(body, keep_blank_values=True))
            lowered = {key.lower(): value for key, value in dict(headers).items()}
            status, answer = state.handle(method, parts.path, params, lowered)
            return json.dumps(answer), status, {"request-id": "req_in_process"}

        def close(self) -> None:
            pass

    return InProcessClient()


def serve(port: int, endpoints: list[tuple[str, str]], state_file: str = "") -> ThreadingHTTPServer:
    """Start the server on 127.0.0.1 in a daemon thread; returns it (``.shutdown()`` to stop).
    With ``state_file``, it starts from (and keeps) the state saved there."""
    stripe = DevStripe(base_url=f"http://127.0.0.1:{port}", state_file=state_file)
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(stripe, Deliverer(endpoints)))
    server.stripe = stripe  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, name="devstripe", daemon=True).start()
    return server
