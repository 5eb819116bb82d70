"""Money: currencies, minor units, exact splitting and formatting.

This module is the only place money arithmetic happens. An amount is always an ``int`` of minor
units in Stripe's representation of the currency (the number you would send to Stripe's API) plus
an ISO 4217 code. Nothing here ever passes money through ``float``; ``Decimal`` appears only at the
edges, to format a number for a person to read.

Stripe's rules, which this table follows:

* most currencies have two decimals (``2500`` is 25.00 USD);
* zero-decimal currencies are sent as whole units (``500`` is 500 JPY);
* three-decimal currencies (BHD JOD KWD OMR TND) are sent with three decimals but the last digit
  must be ``0`` (``1230`` is 1.230 KWD, ``1234`` is refused);
* ISK stays two-decimal in the API but must be a whole number of krónur (``50000`` is 500 ISK).
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_precision, get_decimal_symbol, get_group_symbol
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from . import conf

__all__ = [
    "BASIS_POINTS",
    "STRIPE_CURRENCIES",
    "THREE_DECIMAL_CURRENCIES",
    "ZERO_DECIMAL_CURRENCIES",
    "AmountError",
    "Currency",
    "check_charge_limits",
    "format_money",
    "get_currency",
    "is_supported",
    "maximum_amount",
    "minimum_amount",
    "parse_amount",
    "parse_charge_amount",
    "split",
    "split_by_basis_points",
    "to_decimal_string",
]

#: Shares of a whole are expressed in basis points; 10,000 is everything.
BASIS_POINTS = 10_000

ZERO_DECIMAL_CURRENCIES = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
THREE_DECIMAL_CURRENCIES = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])

#: Presentment currencies Stripe accepts for payments.
STRIPE_CURRENCIES = frozenset(
    [
        "USD",
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "STD",
        "SZL",
        "THB",
        "TJS",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "UYU",
        "UZS",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
    ]
)

#: Stripe's published minimum charge, in minor units, for these currencies.
STRIPE_MINIMUMS: dict[str, int] = {
    "USD": 50,
    "AED": 200,
    "AUD": 50,
    "BGN": 100,
    "BRL": 50,
    "CAD": 50,
    "CHF": 50,
    "CZK": 1500,
    "DKK": 250,
    "EUR": 50,
    "GBP": 30,
    "HKD": 400,
    "HUF": 17500,
    "INR": 50,
    "JPY": 50,
    "MXN": 1000,
    "MYR": 200,
    "NOK": 300,
    "NZD": 50,
    "PLN": 200,
    "RON": 200,
    "SEK": 300,
    "SGD": 50,
    "THB": 1000,
}

#: Stripe publishes no fixed minimum for these Southeast Asian currencies: the floor is whatever
#: converts to its minimum in the account's settlement currency (about 0.50 USD). These are our
#: rounded-up estimates of that; a site can raise them with ``MINIMUM_AMOUNTS``.
ESTIMATED_MINIMUMS: dict[str, int] = {
    "VND": 15_000,
    "IDR": 1_000_000,  # 10,000.00 IDR
    "PHP": 3_000,  # 30.00 PHP
    "KHR": 250_000,  # 2,500.00 KHR
    "MMK": 150_000,  # 1,500.00 MMK
    "LAK": 1_200_000,  # 12,000.00 LAK
}

#: Stripe's amount field takes at most eight digits, and twelve for IDR.
STRIPE_MAXIMUM = 99_999_999
STRIPE_MAXIMUMS: dict[str, int] = {"IDR": 999_999_999_999}


class AmountError(ValueError):
    """An amount a person typed that we cannot take, with a reason they can read.

    ``code`` is stable for programs (``not_a_number``, ``negative``, ``zero``,
    ``too_many_decimals``, ``below_minimum``, ``above_maximum``, ``unknown_currency``);
    ``message`` is translated.
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Currency:
    """How Stripe represents one currency."""

    code: str
    #: Digits after the decimal point in Stripe's API amounts.
    exponent: int
    #: Charged amounts must be a multiple of this many minor units.
    step: int = 1

    @property
    def decimals(self) -> int:
        """How many decimal places a person may type for a charge."""
        return self.exponent - (len(str(self.step)) - 1)

    @property
    def unit(self) -> int:
        """Minor units in one major unit (100 for USD, 1 for JPY, 1000 for KWD)."""
        return int(10**self.exponent)


@cache
def _currency(code: str) -> Currency:
    if code in ZERO_DECIMAL_CURRENCIES:
        return Currency(code, exponent=0)
    if code in THREE_DECIMAL_CURRENCIES:
        return Currency(code, exponent=3, step=10)
    if code == "ISK":
        return Currency(code, exponent=2, step=100)
    return Currency(code, exponent=2)


def is_supported(code: str) -> bool:
    """Whether Stripe accepts payments in this currency."""
    return str(code).upper() in STRIPE_CURRENCIES


def get_currency(code: str) -> Currency:
    """The :class:`Currency` for an ISO code; ``AmountError`` if Stripe does not support it."""
    normalised = str(code).strip().upper()
    if normalised not in STRIPE_CURRENCIES:
        raise AmountError(
            str(_("%(currency)s is not a currency we can accept.") % {"currency": str(code)[:8]}),
            "unknown_currency",
        )
    return _currency(normalised)


def known_minimum(code: str) -> int | None:
    """Stripe's minimum (or our estimate of it) in minor units; ``None`` when unknown."""
    code = code.upper()
    return STRIPE_MINIMUMS.get(code, ESTIMATED_MINIMUMS.get(code))


def minimum_amount(code: str) -> int:
    """The smallest charge we accept, in minor units: Stripe's floor or the site's, if higher."""
    currency = get_currency(code)
    floor = max(known_minimum(currency.code) or 0, currency.step)
    configured = conf.get_setting("MINIMUM_AMOUNTS").get(currency.code)
    return max(floor, int(configured)) if configured is not None else floor


def maximum_amount(code: str) -> int:
    """The largest charge we accept, in minor units: Stripe's ceiling or the site's, if lower."""
    currency = get_currency(code)
    ceiling = STRIPE_MAXIMUMS.get(currency.code, STRIPE_MAXIMUM)
    configured = conf.get_setting("MAXIMUM_AMOUNTS").get(currency.code)
    return min(ceiling, int(configured)) if configured is not None else ceiling


# --- Reading amounts people type -------------------------------------------------------------

_SPACES = frozenset(" \u00a0\u2007\u2009\u202f")
_DIGITS = frozenset("0123456789")
_MINUS_SIGNS = ("-", "\u2212", "\u2013")
# More integer digits than any currency's ceiling: report "too large" without parsing further.
_MAX_INTEGER_DIGITS = 15


def _ascii_digits(text: str) -> str:
    """Map every Unicode decimal digit (Thai, Lao, Khmer, Burmese, full-width...) to 0-9."""
    return "".join(
        str(unicodedata.decimal(char)) if not char.isascii() and char.isdecimal() else char
        for char in text
    )


@lru_cache(maxsize=64)
def _babel_locale(locale: str | None) -> Locale | None:
    if not locale:
        return None
    try:
        return Locale.parse(translation.to_locale(locale))
    except (UnknownLocaleError, ValueError):
        return None


def _separators(locale: str | None) -> tuple[str, str]:
    babel_locale = _babel_locale(locale)
    if babel_locale is None:
        return ".", ","
    return get_decimal_symbol(babel_locale), get_group_symbol(babel_locale)


def _not_a_number() -> AmountError:
    return AmountError(
        str(_("Enter an amount as a number, for example 25 or 25.50.")), "not_a_number"
    )


_GROUPED = re.compile(r"[0-9]{1,3}(?:[., \u00a0\u2007\u2009\u202f][0-9]{3})+")


def _decimal_separator(body: str, locale: str | None) -> str | None:
    """Decide which of ``.`` and ``,`` (if either) separates the decimals in ``body``."""
    has_dot, has_comma = "." in body, "," in body
    if has_dot and has_comma:
        # Both present: the last one is the decimal separator ("1,000.50", "1.000,50").
        return "." if body.rfind(".") > body.rfind(",") else ","
    if not (has_dot or has_comma):
        return None
    mark = "." if has_dot else ","
    if body.count(mark) > 1:
        return None  # "1.000.000": only grouping can repeat
    decimal_symbol, group_symbol = _separators(locale)
    if mark == decimal_symbol:
        return mark
    if mark == group_symbol and _GROUPED.fullmatch(body):
        return None  # "1,000" in English, "50.000" in Vietnamese
    return mark  # "25,50" cannot be grouping, so it can only be a decimal mark


def parse_amount(text: str, currency: str, *, locale: str | None = None) -> int:
    """Read an amount a person typed, in major units, into minor units of ``currency``.

    Accepts ``25``, ``25.5``, ``25.50``, grouping that is unambiguous for ``locale``
    (``1,000`` in English, ``50.000`` in Vietnamese, ``1 000`` anywhere) and any script's
    digits. Without a locale the separators are the form contract's: ``.`` decimal,
    ``,`` grouping. Raises :class:`AmountError` when the text is not a positive amount that
    the currency can represent; limits are checked by :func:`check_charge_limits`.
    """
    cur = get_currency(currency)
    body = _ascii_digits(str(text)).strip()
    negative = body.startswith(_MINUS_SIGNS)
    if negative:
        body = body[1:].strip()
    if not body or any(c not in _DIGITS and c not in ".," and c not in _SPACES for c in body):
        raise _not_a_number()

    mark = _decimal_separator(body, locale)
    whole, fraction = body.rsplit(mark, 1) if mark else (body, "")
    if any(c not in _DIGITS for c in fraction):
        raise _not_a_number()
    group_marks = {c for c in whole if c not in _DIGITS}
    if group_marks:
        if len(group_marks - _SPACES) > 1 or not _GROUPED.fullmatch(whole):
            raise _not_a_number()
        whole = "".join(c for c in whole if c in _DIGITS)
    if not whole and not fraction:
        raise _not_a_number()
    if len(whole.lstrip("0")) > _MAX_INTEGER_DIGITS:
        if negative:
            raise AmountError(str(_("Enter a positive amount.")), "negative")
        raise _too_large(cur.code, None)

    if len(fraction) > cur.exponent:
        raise _too_many_decimals(cur)
    minor = int(whole or "0") * cur.unit + int(fraction.ljust(cur.exponent, "0") or "0")
    if negative and minor:
        raise AmountError(str(_("Enter a positive amount.")), "negative")
    if minor == 0:
        raise AmountError(str(_("Enter an amount greater than zero.")), "zero")
    if minor % cur.step:
        raise _too_many_decimals(cur)
    return minor


def _too_many_decimals(cur: Currency) -> AmountError:
    if cur.decimals == 0:
        message = _("%(currency)s amounts are whole numbers, without decimals.") % {
            "currency": cur.code
        }
    else:
        message = _("%(currency)s amounts can have at most %(decimals)d decimal places.") % {
            "currency": cur.code,
            "decimals": cur.decimals,
        }
    return AmountError(str(message), "too_many_decimals")


def _too_large(code: str, maximum: int | None) -> AmountError:
    if maximum is None:
        maximum = maximum_amount(code)
    return AmountError(
        str(
            _("The largest gift we can take at once is %(maximum)s.")
            % {"maximum": format_money(maximum, code)}
        ),
        "above_maximum",
    )


def check_charge_limits(amount: int, currency: str) -> None:
    """Raise :class:`AmountError` if Stripe (or the site) would refuse this charge amount."""
    cur = get_currency(currency)
    if amount <= 0:
        raise AmountError(str(_("Enter an amount greater than zero.")), "zero")
    if amount % cur.step:
        raise _too_many_decimals(cur)
    minimum = minimum_amount(cur.code)
    if amount < minimum:
        raise AmountError(
            str(
                _("The smallest gift we can take in %(currency)s is %(minimum)s.")
                % {"currency": cur.code, "minimum": format_money(minimum, cur.code)}
            ),
            "below_minimum",
        )
    maximum = maximum_amount(cur.code)
    if amount > maximum:
        raise _too_large(cur.code, maximum)


def parse_charge_amount(text: str, currency: str, *, locale: str | None = None) -> int:
    """:func:`parse_amount` followed by :func:`check_charge_limits`: an amount we can charge."""
    amount = parse_amount(text, currency, locale=locale)
    check_charge_limits(amount, currency)
    return amount


# --- Splitting exactly --------------------------------------------------------------------


def split(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` in proportion to ``weights`` by the largest-remainder method.

    The parts always sum to ``amount``; each is within one minor unit of its exact share;
    leftover units go to the largest remainders, ties to the earlier position. A negative
    amount splits like its absolute value, negated, so reversals mirror allocations.
    """
    total = 0
    for weight in weights:
        if weight < 0:
            raise ValueError("weights must not be negative")
        total += weight
    if total <= 0:
        raise ValueError("weights must not all be zero")
    if amount < 0:
        return [-part for part in split(-amount, weights)]
    if len(weights) == 1:
        return [amount]
    parts = [amount * weight // total for weight in weights]
    leftover = amount - sum(parts)
    if leftover:  # fewer units than weights: one each to the largest remainders
        remainders = [amount * weight % total for weight in weights]
        by_remainder = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
        for index in by_remainder[:leftover]:
            parts[index] += 1
    return parts


def whole_units(amount: int, unit_cost: int) -> int:
    """How many whole units costing ``unit_cost`` an ``amount`` pays for, both in the same
    currency's minor units: rounded down, so a gift is never said to buy more than it does."""
    if unit_cost <= 0:
        raise ValueError("a unit must cost more than zero")
    return max(0, amount) // unit_cost


def split_by_basis_points(amount: int, shares: Sequence[int]) -> list[int]:
    """:func:`split` for shares in basis points, which must sum to exactly 10,000."""
    if sum(shares) != BASIS_POINTS:
        raise ValueError(f"shares must sum to {BASIS_POINTS} basis points, not {sum(shares)}")
    return split(amount, shares)


# --- Showing amounts to people ------------------------------------------------------------


def to_decimal_string(amount: int, currency: str) -> str:
    """Minor units as a plain decimal string in major units: ``2550`` USD -> ``"25.50"``.

    The inverse of :func:`parse_amount` without a locale, used for form values. Digits below
    what a person may type are shown only when they are not zero (``1230`` KWD -> ``"1.23"``).
    """
    cur = get_currency(currency)
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), cur.unit)
    digits = str(fraction).rjust(cur.exponent, "0") if cur.exponent else ""
    while len(digits) > cur.decimals and digits.endswith("0"):
        digits = digits[:-1]
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"


def current_locale() -> str:
    """The active Django language, for formatting."""
    return translation.get_language() or "en"


def format_money(
    amount: int, currency: str, locale: str | None = None, *, short: bool = False
) -> str:
    """Format minor units for people who read ``locale`` (default: the active language).

    Uses CLDR through Babel (``฿1,000.00`` in Thai, ``50.000 ₫`` in Vietnamese). When an amount
    carries more precision than CLDR shows for the currency, every digit is shown, because a
    rounded figure on a finance screen is a wrong figure. ``short`` leaves out the fraction of a
    whole amount (``$25``, not ``$25.00``), for suggested amounts on a narrow screen.
    """
    return _formatted(amount, currency, locale or current_locale(), short)


@lru_cache(maxsize=4096)
def _formatted(amount: int, currency: str, locale: str, short: bool) -> str:
    # A page shows the same few amounts again and again (a need's target, its progress), and
    # formatting through CLDR is a good part of rendering it.
    cur = get_currency(currency)
    babel_locale = _babel_locale(locale) or Locale.parse("en")
    value = Decimal(amount).scaleb(-cur.exponent)
    pattern = copy.copy(babel_locale.currency_formats["standard"])
    cldr_digits = _cldr_digits(cur.code)
    exponent = value.normalize().as_tuple().exponent
    if not isinstance(exponent, int):  # "n", "N" or "F": an int of minor units is never these
        raise ValueError(f"Not a finite amount: {amount!r}")
    exact_digits = max(0, -exponent)
    digits = cldr_digits if exact_digits <= cldr_digits else cur.exponent
    if short and exact_digits == 0:
        digits = 0
    pattern.frac_prec = (digits, digits)
    return str(pattern.apply(value, babel_locale, currency=cur.code, currency_digits=False))


@cache
def _cldr_digits(code: str) -> int:
    return get_currency_precision(code)
