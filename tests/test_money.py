"""money.py: currencies as Stripe represents them, reading typed amounts, exact splitting."""

from __future__ import annotations

from fractions import Fraction

import pytest
from django.test import override_settings
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from wagtail_sixdegrees import money
from wagtail_sixdegrees.money import AmountError

ZERO_DECIMAL = [
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
THREE_DECIMAL = ["BHD", "JOD", "KWD", "OMR", "TND"]


def error_code(text: str, currency: str, **kwargs) -> str:
    with pytest.raises(AmountError) as caught:
        money.parse_charge_amount(text, currency, **kwargs)
    return caught.value.code


# --- The currency table ---------------------------------------------------------------------


@pytest.mark.parametrize("code", ZERO_DECIMAL)
def test_zero_decimal_currency_is_charged_in_whole_units(code):
    assert money.parse_amount("500", code) == 500
    assert money.to_decimal_string(500, code) == "500"
    assert error_code("500.5", code) == "too_many_decimals"


@pytest.mark.parametrize("code", THREE_DECIMAL)
def test_three_decimal_currency_is_sent_with_a_trailing_zero(code):
    # 12.34 in a three-decimal currency is 12340 thousandths: never 1234 (a tenth of the gift).
    assert money.parse_amount("12.34", code) == 12_340
    assert money.parse_amount("12.340", code) == 12_340
    assert error_code("12.345", code) == "too_many_decimals"


def test_isk_is_two_decimal_in_the_api_but_whole_kronur_only():
    assert money.parse_amount("500", "ISK") == 50_000
    assert money.parse_amount("500.00", "ISK") == 50_000
    assert error_code("500.50", "ISK") == "too_many_decimals"


@pytest.mark.parametrize(
    ("code", "exponent"), [("USD", 2), ("THB", 2), ("EUR", 2), ("IDR", 2), ("PHP", 2)]
)
def test_two_decimal_currencies(code, exponent):
    assert money.get_currency(code).exponent == exponent
    assert money.parse_amount("25.50", code) == 2550


@pytest.mark.parametrize(
    ("code", "minimum_text", "below_text"),
    [
        ("USD", "0.50", "0.49"),
        ("AED", "2.00", "1.99"),
        ("AUD", "0.50", "0.49"),
        ("BGN", "1.00", "0.99"),
        ("BRL", "0.50", "0.49"),
        ("CAD", "0.50", "0.49"),
        ("CHF", "0.50", "0.49"),
        ("CZK", "15.00", "14.99"),
        ("DKK", "2.50", "2.49"),
        ("EUR", "0.50", "0.49"),
        ("GBP", "0.30", "0.29"),
        ("HKD", "4.00", "3.99"),
        ("HUF", "175.00", "174.99"),
        ("INR", "0.50", "0.49"),
        ("JPY", "50", "49"),
        ("MXN", "10", "9.99"),
        ("MYR", "2", "1.99"),
        ("NOK", "3.00", "2.99"),
        ("NZD", "0.50", "0.49"),
        ("PLN", "2.00", "1.99"),
        ("RON", "2.00", "1.99"),
        ("SEK", "3.00", "2.99"),
        ("SGD", "0.50", "0.49"),
        ("THB", "10", "9.99"),
    ],
)
def test_stripe_minimum_charge_per_currency(code, minimum_text, below_text):
    assert money.parse_charge_amount(minimum_text, code) > 0
    assert error_code(below_text, code) == "below_minimum"


def test_site_can_raise_but_not_lower_the_minimum():
    with override_settings(WAGTAIL_SIXDEGREES={"MINIMUM_AMOUNTS": {"USD": 500, "THB": 1}}):
        assert error_code("4.99", "USD") == "below_minimum"
        assert money.parse_charge_amount("5", "USD") == 500
        # 0.01 THB is below Stripe's 10 THB, whatever the site says.
        assert error_code("9.99", "THB") == "below_minimum"


def test_maximum_is_stripe_eight_digits_or_the_sites_lower_cap():
    assert money.parse_charge_amount("999999.99", "USD") == 99_999_999
    assert error_code("1000000", "USD") == "above_maximum"
    with override_settings(WAGTAIL_SIXDEGREES={"MAXIMUM_AMOUNTS": {"USD": 1_000_00}}):
        assert error_code("1000.01", "USD") == "above_maximum"


def test_unsupported_currency_is_refused():
    assert error_code("10", "XXX") == "unknown_currency"
    assert error_code("10", "not a currency") == "unknown_currency"


# --- Reading what donors type ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "locale", "expected"),
    [
        ("25", "USD", None, 2500),
        ("25.5", "USD", None, 2550),
        ("25.50", "USD", None, 2550),
        (" 25.50 ", "USD", None, 2550),
        ("1,000", "USD", None, 100_000),
        ("1,000", "USD", "en", 100_000),
        ("1 000", "USD", "en", 100_000),
        ("1\u00a0000,50", "EUR", "fr", 100_050),
        ("1,000.50", "USD", None, 100_050),
        ("1.000,50", "EUR", None, 100_050),
        ("50000", "VND", None, 50_000),
        ("50.000", "VND", "vi", 50_000),
        ("1.500.000", "VND", "vi", 1_500_000),
        ("25,50", "USD", "en", 2550),  # a comma that cannot be grouping is a decimal mark
        ("1,000", "THB", "th", 100_000),
        ("๑,๐๐๐", "THB", "th", 100_000),  # Thai digits
        ("၁၀၀", "MMK", "my", 10_000),  # Burmese digits
        (".50", "USD", None, 50),
    ],
)
def test_parse_amount_accepts(text, currency, locale, expected):
    assert money.parse_amount(text, currency, locale=locale) == expected


@pytest.mark.parametrize(
    ("text", "currency", "locale", "code"),
    [
        ("-5", "USD", None, "negative"),
        ("\u22125", "USD", None, "negative"),
        ("0", "USD", None, "zero"),
        ("0.00", "USD", None, "zero"),
        ("25.505", "USD", None, "too_many_decimals"),
        ("50.000", "VND", "en", "too_many_decimals"),  # in English the dot is a decimal mark
        ("abc", "USD", None, "not_a_number"),
        ("", "USD", None, "not_a_number"),
        ("1,2,3", "USD", None, "not_a_number"),
        ("12,34,567", "USD", None, "not_a_number"),
        ("1e5", "USD", None, "not_a_number"),
        ("$25", "USD", None, "not_a_number"),
        ("25..5", "USD", None, "not_a_number"),
        ("²", "USD", None, "not_a_number"),
        ("9" * 400, "USD", None, "above_maximum"),
    ],
)
def test_parse_amount_refuses_with_a_reason(text, currency, locale, code):
    with pytest.raises(AmountError) as caught:
        money.parse_amount(text, currency, locale=locale)
    assert caught.value.code == code
    assert caught.value.message


def test_reasons_are_translated():
    with translation.override("th"), pytest.raises(AmountError) as caught:
        money.parse_amount("abc", "USD")
    # The message is a gettext string; with no Thai catalogue yet it falls back to English
    # but must still be a plain string a template can show.
    assert isinstance(caught.value.message, str)


@given(st.text(max_size=40), st.sampled_from(["USD", "JPY", "KWD", "VND", "ISK", "THB"]))
@settings(max_examples=300)
def test_parse_amount_never_fails_with_anything_but_amount_error(text, currency):
    try:
        value = money.parse_amount(text, currency, locale="en")
    except AmountError:
        return
    assert isinstance(value, int)
    assert value > 0
    assert value % money.get_currency(currency).step == 0


@given(
    st.integers(min_value=1, max_value=10**12),
    st.sampled_from(["USD", "JPY", "KWD", "VND", "ISK", "THB", "IDR"]),
)
def test_decimal_string_round_trips(amount, currency):
    step = money.get_currency(currency).step
    amount *= step
    assert money.parse_amount(money.to_decimal_string(amount, currency), currency) == amount


# --- Formatting -----------------------------------------------------------------------------


def _spaces(text: str) -> str:
    """CLDR uses no-break spaces; compare them as plain spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (100_000, "THB", "th", "฿1,000.00"),
        (50_000, "VND", "vi", "50.000 ₫"),
        (2550, "USD", "en", "$25.50"),
        (500, "JPY", "en", "¥500"),
        (50_000, "ISK", "en", "ISK500"),
        (1230, "KWD", "en", "KWD1.230"),
        (-2550, "USD", "en", "-$25.50"),
    ],
)
def test_format_money_follows_cldr(amount, currency, locale, expected):
    assert _spaces(money.format_money(amount, currency, locale)) == expected


def test_format_money_never_hides_precision():
    # 1,500.50 MMK is shown in full although CLDR shows MMK without decimals.
    assert money.format_money(150_050, "MMK", "en").endswith("1,500.50")
    assert money.format_money(150_000, "MMK", "en").endswith("1,500")


# --- Splitting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "shares", "expected"),
    [
        # 100.01 split 33/33/34: the cent left over goes to the largest remainder (.34).
        (10_001, [3300, 3300, 3400], [3300, 3300, 3401]),
        # 100.00 in thirds: ties go to the earlier preference.
        (10_000, [3334, 3333, 3333], [3334, 3333, 3333]),
        (100, [3333, 3333, 3334], [33, 33, 34]),
        (1, [5000, 5000], [1, 0]),
        (7, [2500, 2500, 2500, 2500], [2, 2, 2, 1]),
        (0, [5000, 5000], [0, 0]),
        (999, [10_000], [999]),
    ],
)
def test_split_by_basis_points_worked_examples(amount, shares, expected):
    assert money.split_by_basis_points(amount, shares) == expected


def test_split_refuses_shares_that_do_not_make_a_whole():
    with pytest.raises(ValueError):
        money.split_by_basis_points(100, [3333, 3333, 3333])
    with pytest.raises(ValueError):
        money.split(100, [0, 0])
    with pytest.raises(ValueError):
        money.split(100, [-1, 2])


def test_negative_amounts_split_as_mirror_images():
    assert money.split(-10_001, [3300, 3300, 3400]) == [-3300, -3300, -3401]


shares_strategy = st.lists(
    st.integers(min_value=0, max_value=10_000), min_size=1, max_size=8
).filter(lambda weights: sum(weights) > 0)


@given(st.integers(min_value=0, max_value=10**15), shares_strategy)
@settings(max_examples=500)
def test_split_parts_sum_to_the_whole_each_within_one_unit(amount, weights):
    parts = money.split(amount, weights)
    total = sum(weights)
    assert sum(parts) == amount
    assert all(part >= 0 for part in parts)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(amount * weight, total)
        assert abs(part - exact) < 1
        if weight == 0:
            assert part == 0


@given(st.integers(min_value=0, max_value=10**12), shares_strategy)
def test_split_is_deterministic(amount, weights):
    assert money.split(amount, weights) == money.split(amount, list(weights))
