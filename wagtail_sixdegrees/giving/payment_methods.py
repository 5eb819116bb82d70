"""Which Checkout payment method types a gift may be offered, and each method's real limits.

``PAYMENT_METHODS`` maps a currency to the Stripe payment method types to offer for it
(e.g. ``{"THB": ["card", "promptpay"]}``). They reach Checkout as
``allowed_payment_method_types`` (the name stripe-python 16's ``SessionCreateParams`` knows:
a filter on the methods the Stripe dashboard turns on). A currency not in the map (and the
default, an empty map) sends nothing, so Stripe's dashboard decides (dynamic payment methods),
as before. The limits below come from Stripe's documentation of each method; this module is
the one place that knows them (the donate form, Checkout, refunds and the system checks all
ask here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..conf import get_setting


class Refunds:
    """How a refund reaches the donor."""

    #: Back to the instrument (card, wallet, bank account on file), at once.
    DIRECT = "direct"
    #: Stripe emails the donor for bank details; the refund waits (``requires_action``) until
    #: they answer, and fails if they never do.
    BANK_DETAILS = "bank_details"
    #: Cannot be refunded through Stripe.
    NONE = "none"


@dataclass(frozen=True)
class MethodLimits:
    """What a payment method can and cannot do."""

    #: Currencies it can take (upper case); empty means any currency Stripe supports for it.
    currencies: frozenset[str] = frozenset()
    #: Whether it can pay a subscription (monthly gift) or be saved in setup mode.
    recurring: bool = True
    #: How a refund reaches the donor (see :class:`Refunds`).
    refunds: str = Refunds.DIRECT
    #: Whether the donor's bank can dispute the payment.
    disputes: bool = True
    #: Whether Stripe offers it only to some accounts (ask Stripe before relying on it).
    by_request: bool = False
    #: How donors know it (not translated: brand names).
    label: str = ""


#: Known limits, from Stripe's documentation: "Payment method support"
#: (docs.stripe.com/payments/payment-methods/payment-method-support) and each method's page:
#: docs.stripe.com/payments/promptpay, /payments/paynow, /payments/grabpay, /payments/fpx.
#: QRIS is not in stripe-python 16's list of Checkout methods: only accounts Stripe enabled it
#: for can take it (the system check warns, W023). A method not listed is treated as
#: card-like and any-currency, and the check refuses it (E024) unless it is in the SDK's list.
LIMITS: dict[str, MethodLimits] = {
    "card": MethodLimits(label="card"),
    "promptpay": MethodLimits(
        currencies=frozenset({"THB"}),
        recurring=False,
        refunds=Refunds.BANK_DETAILS,
        disputes=False,
        label="PromptPay",
    ),
    "paynow": MethodLimits(
        currencies=frozenset({"SGD"}),
        recurring=False,
        refunds=Refunds.BANK_DETAILS,
        disputes=False,
        label="PayNow",
    ),
    "grabpay": MethodLimits(
        currencies=frozenset({"SGD", "MYR"}), recurring=False, disputes=False, label="GrabPay"
    ),
    "fpx": MethodLimits(
        currencies=frozenset({"MYR"}), recurring=False, disputes=False, label="FPX"
    ),
    "qris": MethodLimits(
        currencies=frozenset({"IDR"}),
        recurring=False,
        refunds=Refunds.BANK_DETAILS,
        disputes=False,
        by_request=True,
        label="QRIS",
    ),
}


def limits(method: str) -> MethodLimits:
    return LIMITS.get(method, MethodLimits())


def configured(currency: str) -> list[str] | None:
    """The methods the site configured for ``currency``; ``None`` when Stripe decides."""
    mapping = get_setting("PAYMENT_METHODS") or {}
    methods = mapping.get(currency.upper())
    return [str(method) for method in methods] if methods else None


def methods_for(currency: str, *, recurring: bool) -> list[str] | None:
    """The methods to offer a gift, or ``None`` to let Stripe decide.

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


def refund_waits_for_bank_details(method: str) -> bool:
    """Whether a refund of a payment made with ``method`` waits for the donor's bank details."""
    return limits(method).refunds == Refunds.BANK_DETAILS


def checkout_methods() -> frozenset[str]:
    """The payment method types the installed stripe-python knows for Checkout Sessions."""
    import typing

    from stripe.params.checkout._session_create_params import SessionCreateParams

    # NotRequired[List[Union[Literal[...], str]]], written unquoted in the SDK.
    hint = SessionCreateParams.__annotations__["allowed_payment_method_types"]
    listed = typing.get_args(typing.get_args(hint)[0])[0]
    literal = next(arg for arg in typing.get_args(listed) if typing.get_origin(arg) is not None)
    return frozenset(typing.get_args(literal))


def problems(mapping: Any, currencies: list[str]) -> list[tuple[str, str]]:
    """What is wrong with a ``PAYMENT_METHODS`` value: ``(check id, message)`` pairs.

    E024: not a mapping of currency to a list of names, or a name neither we nor the installed
    stripe-python know. W021: a method configured for a currency it cannot take. W022: a
    currency whose methods cannot recur (donate blocks offer monthly gifts by default, and
    those would be paid by card, which the site does not list for it). W023: a method Stripe turns on only for some accounts.
    """
    if not isinstance(mapping, dict) or not all(
        isinstance(methods, list | tuple)
        and not isinstance(methods, str)
        and all(isinstance(method, str) and method for method in methods)
        for methods in mapping.values()
    ):
        return [("E024", "must map currency codes to lists of payment method types")]
    found: list[tuple[str, str]] = []
    known = checkout_methods() | set(LIMITS)
    for currency, methods in mapping.items():
        code = str(currency).upper()
        if code not in currencies:
            found.append(("W021", f"lists {code}, which is not in CURRENCIES"))
        for method in methods:
            if method not in known:
                found.append(("E024", f"{code}: {method!r} is not a Stripe payment method type"))
                continue
            allowed = limits(method).currencies
            if allowed and code not in allowed:
                found.append(
                    (
                        "W021",
                        f"{code}: {method} takes only {', '.join(sorted(allowed))}; Stripe "
                        f"would refuse every {code} Checkout Session",
                    )
                )
            if limits(method).by_request:
                found.append(
                    ("W023", f"{code}: {method} works only on accounts Stripe enabled it for")
                )
        if methods and not any(limits(method).recurring for method in methods):
            found.append(
                (
                    "W022",
                    f"{code}: none of {', '.join(methods)} can pay a monthly gift, so monthly "
                    f"gifts in {code} would be paid by card",
                )
            )
    return found
