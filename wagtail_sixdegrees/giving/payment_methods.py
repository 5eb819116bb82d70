"""Which Checkout payment method types a gift may be offered, and each method's real limits.

``PAYMENT_METHODS`` maps a currency to the Stripe ``payment_method_types`` to offer for it
(e.g. ``{"THB": ["card", "promptpay"]}``). A currency not in the map (and the default, an empty
map) sends no ``payment_method_types`` at all, so Stripe's dashboard decides (dynamic payment
methods), as before. The limits below come from Stripe's documentation of each method; this
module is the one place that knows them (the donate form, Checkout, refunds and the system check
all ask here).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..conf import get_setting


@dataclass(frozen=True)
class MethodLimits:
    """What a payment method can and cannot do."""

    #: Currencies it can take (upper case); empty means any currency Stripe supports for it.
    currencies: frozenset[str] = frozenset()
    #: Whether it can pay a subscription (monthly gift) or be saved in setup mode.
    recurring: bool = True
    #: How a refund reaches the donor: "card" (to the instrument, at once), "bank_details"
    #: (Stripe emails the donor for bank details; pending until settled), "none" (impossible).
    refunds: str = "card"
    #: Whether the donor's bank can dispute the payment.
    disputes: bool = True
    #: Whether payment confirms later (checkout.session.async_payment_succeeded/failed).
    delayed: bool = False


#: Known limits; a method not listed is treated as card-like and any-currency.
LIMITS: dict[str, MethodLimits] = {
    "card": MethodLimits(),
    "promptpay": MethodLimits(
        currencies=frozenset({"THB"}), recurring=False, refunds="bank_details", disputes=False
    ),
    "paynow": MethodLimits(
        currencies=frozenset({"SGD"}), recurring=False, refunds="bank_details", disputes=False
    ),
    "grabpay": MethodLimits(currencies=frozenset({"SGD", "MYR"}), recurring=False, disputes=False),
    "fpx": MethodLimits(currencies=frozenset({"MYR"}), recurring=False, disputes=False),
}


def limits(method: str) -> MethodLimits:
    return LIMITS.get(method, MethodLimits())


def configured(currency: str) -> list[str] | None:
    """The methods the site configured for ``currency``; ``None`` when Stripe decides."""
    mapping = get_setting("PAYMENT_METHODS") or {}
    methods = mapping.get(currency.upper())
    return [str(method) for method in methods] if methods else None


def methods_for(currency: str, *, recurring: bool) -> list[str] | None:
    """The ``payment_method_types`` to send for a gift, or ``None`` to let Stripe decide.

    A monthly gift keeps only the methods that can recur (card, when nothing else can).
    """
    methods = configured(currency)
    if methods is None:
        return None
    if recurring:
        methods = [method for method in methods if limits(method).recurring] or ["card"]
    return methods


def recurring_limited_to_card(currency: str) -> bool:
    """True when the site offers local methods for ``currency`` that cannot pay monthly, so a
    monthly gift falls back to card only (the form says so)."""
    methods = configured(currency)
    return any(not limits(method).recurring for method in methods or ())
