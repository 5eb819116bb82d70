"""The one place that reads the ``WAGTAIL_SIXDEGREES`` settings dict, and declares its keys.

Every key is declared once, in :data:`SETTINGS`: its default, the rule its value must follow and
the id of the system check that says so, and one line on what it means. The full text is in
docs/reference/configuration.md (a test keeps the two in step, and
:func:`wagtail_sixdegrees.checks.check_settings_rules` turns the rules into checks). Nothing
else in the package reads ``django.conf.settings.WAGTAIL_SIXDEGREES`` directly, so
``override_settings`` in tests and a site's own settings behave the same way.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings

SETTINGS_NAME = "WAGTAIL_SIXDEGREES"


@dataclass(frozen=True)
class Rule:
    """What a value must be: ``accepts(value)``, and the end of the check's message
    ("WAGTAIL_SIXDEGREES['KEY'] must ...")."""

    accepts: Callable[[Any], bool]
    must: str
    hint: str | None = None


def whole_number(minimum: int = 1, maximum: int | None = None, *, must: str = "") -> Rule:
    """An ``int`` (never a ``bool``) from ``minimum`` to ``maximum``."""

    def accepts(value: Any) -> bool:
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and value >= minimum
            and (maximum is None or value <= maximum)
        )

    upper = f" and at most {maximum}" if maximum is not None else ""
    return Rule(accepts, must or f"be a whole number of at least {minimum}{upper}")


def optional(rule: Rule, *, must: str, hint: str | None = None) -> Rule:
    """``None``, or a value ``rule`` accepts."""
    return Rule(lambda value: value is None or rule.accepts(value), must, hint or rule.hint)


def one_of(*choices: object, must: str) -> Rule:
    return Rule(lambda value: value in choices, must)


BOOLEAN = Rule(lambda value: isinstance(value, bool), "be True or False")

AMOUNTS_BY_CURRENCY = Rule(
    lambda value: (
        isinstance(value, dict)
        and all(whole_number(1).accepts(amount) for amount in value.values())
    ),
    "map currency codes to positive whole numbers of minor units",
    'For example {"USD": 500} for 5.00 USD.',
)

NAMES_OR_IDS = optional(
    Rule(
        lambda value: (
            isinstance(value, list | tuple)
            and all(isinstance(item, str | int) and not isinstance(item, bool) for item in value)
        ),
        "",
    ),
    must="be None (every collection) or a list of collection names or ids",
    hint="See docs/integrators/images.md.",
)


@dataclass(frozen=True)
class Setting:
    """One ``WAGTAIL_SIXDEGREES`` key.

    ``checks`` are the ids of the system checks about this key; with a ``rule``, the first of
    them is generated from it. Keys whose checks need more than one value (Stripe keys,
    currencies, origins, the cache) keep hand-written checks in checks.py, listed here too.
    """

    name: str
    default: Any
    doc: str
    rule: Rule | None = None
    checks: tuple[str, ...] = ()


def _id(number: str) -> str:
    return f"wagtail_sixdegrees.{number}"


_SECONDS = "be a whole number of seconds, at least 1"

#: Every key, once. Add a key here (and a row in docs/reference/configuration.md).
SETTINGS: tuple[Setting, ...] = (
    # Stripe credentials. Secrets belong in the environment, never in the database.
    Setting(
        "STRIPE_SECRET_KEY",
        "",
        "Stripe secret or restricted key.",
        checks=(_id("E001"), _id("W003")),
    ),
    Setting("STRIPE_PUBLISHABLE_KEY", "", "Stripe publishable key.", checks=(_id("E002"),)),
    Setting(
        "STRIPE_WEBHOOK_SECRET",
        "",
        "One webhook signing secret, or a list of them while rotating endpoints.",
        checks=(_id("E003"),),
    ),
    Setting("STRIPE_API_BASE", None, "Another Stripe-compatible server; None means Stripe itself."),
    Setting(
        "CURRENCIES",
        ["USD"],
        "Currencies donors may give in; the first is the default.",
        checks=(_id("E004"), _id("E005"), _id("E006"), _id("W002")),
    ),
    Setting(
        "ALLOCATE_FROM",
        "net",
        'Allocate a donation\'s "net" (gross minus Stripe\'s fee) or its "gross".',
        one_of("net", "gross", must='be "net" or "gross"'),
        (_id("E007"),),
    ),
    Setting(
        "MINIMUM_AMOUNTS",
        {},
        "Per-currency minimums in minor units; one below Stripe's own is ignored.",
        AMOUNTS_BY_CURRENCY,
        (_id("E008"),),
    ),
    Setting(
        "MAXIMUM_AMOUNTS",
        {},
        "Per-currency ceilings in minor units; the default is the largest Stripe accepts.",
        AMOUNTS_BY_CURRENCY,
        (_id("E008"),),
    ),
    Setting(
        "CURRENCY_BY_LANGUAGE",
        {
            "th": "THB",
            "vi": "VND",
            "km": "KHR",
            "my": "MMK",
            "id": "IDR",
            "tl": "PHP",
            "fil": "PHP",
            "lo": "LAK",
        },
        "The currency a donate form preselects for readers of each language, if it offers it.",
    ),
    Setting(
        "AUTO_ALLOCATE",
        True,
        "Allocate each donation's need, cause and region shares as soon as it is paid.",
        BOOLEAN,
        (_id("E030"),),
    ),
    Setting(
        "ALLOCATION_POLICY",
        None,
        "Dotted path to the FillPolicy subclass that decides which matching need fills first.",
        checks=(_id("E031"),),
    ),
    # The donate form's rate limit: per client (IPv4 address or IPv6 /64) and, counting only
    # attempts about to reach Stripe, for all clients together (against card testing).
    Setting(
        "RATE_LIMIT_ATTEMPTS",
        5,
        "Donate form attempts per client per window.",
        whole_number(1),
        (_id("E020"),),
    ),
    Setting(
        "RATE_LIMIT_GLOBAL_ATTEMPTS",
        200,
        "Attempts about to reach Stripe, from all clients together, per window.",
        whole_number(1),
        (_id("E020"),),
    ),
    Setting(
        "RATE_LIMIT_WINDOW",
        600,
        "The rate limits' window, in seconds.",
        whole_number(1),
        (_id("E020"),),
    ),
    Setting(
        "RATE_LIMIT_CACHE",
        "default",
        "The cache alias holding the counters; share it between processes in production.",
        checks=(_id("E021"), _id("W020")),
    ),
    Setting(
        "CLIENT_IP_HEADER",
        "REMOTE_ADDR",
        "The request.META key with the client's address (behind a proxy: HTTP_X_FORWARDED_FOR).",
    ),
    Setting(
        "TRUSTED_PROXY_COUNT",
        1,
        "How many proxies you run, with a forwarded-for header.",
        whole_number(1),
        (_id("E020"),),
    ),
    Setting(
        "RESUBMISSION_WINDOW",
        1800,
        "Seconds an identical resubmission reuses its pending donation and Checkout Session.",
        whole_number(1),
        (_id("E020"),),
    ),
    Setting("STRIPE_TIMEOUT", 20, "Seconds to wait for Stripe.", whole_number(1), (_id("E020"),)),
    Setting(
        "STRIPE_MAX_NETWORK_RETRIES",
        2,
        "How often stripe-python retries a failed request (every write is idempotent).",
        whole_number(0),
        (_id("E020"),),
    ),
    Setting(
        "CONSENT_MAX_YEARS",
        3,
        "Stories: the longest consent may last, in years; also the default expiry.",
        whole_number(1, must="be a whole number of years, at least 1"),
        (_id("E010"), _id("W011")),
    ),
    Setting(
        "CONSENT_EXPIRY_WARNING_DAYS",
        30,
        "Stories: the dashboard lists stories whose consent ends within this many days.",
        whole_number(1, must="be a positive whole number"),
        (_id("E011"),),
    ),
    Setting(
        "SAFETY_REVIEW_REQUIRED",
        True,
        "Stories: a story's first publication needs an approved safety review.",
        checks=(_id("W010"),),
    ),
    Setting(
        "SAFETY_REVIEW_FOUR_EYES",
        True,
        "Stories: whoever wrote or last edited a story cannot approve its safety review.",
        checks=(_id("W012"),),
    ),
    # Places finer than a province that the re-identification check flags. Replace or extend
    # this small list with the places your caseworkers work in; provinces never belong here.
    Setting(
        "IDENTIFYING_PLACES",
        [
            "Mae Sot",
            "Mae Sai",
            "Poipet",
            "Tachileik",
            "Myawaddy",
            "Savannakhet",
            "Batam",
            "Nunukan",
            "Lao Cai",
            "Mong Cai",
            "Zamboanga",
            "แม่สอด",
            "แม่สาย",
            "ប៉ោយប៉ែត",
            "မြဝတီ",
            "တာချီလိတ်",
            "ສະຫວັນນະເຂດ",
        ],
        "Stories: places finer than a province that the re-identification check flags.",
    ),
    # Generous for a survivor (two requests per use), far too few to guess a code (60 bits) or
    # a link (256 bits).
    Setting(
        "WITHDRAWAL_RATE_LIMIT_ATTEMPTS",
        20,
        "Stories: requests to the withdrawal card's page per client per window.",
    ),
    Setting(
        "WITHDRAWAL_RATE_LIMIT_GLOBAL_ATTEMPTS",
        2000,
        "Stories: failed withdrawal card lookups from everyone per window (valid cards never count).",
    ),
    Setting(
        "IMPACT_LINK_MAX_AGE_DAYS",
        730,
        "Days a donor's impact-page link keeps working; None never expires it.",
        optional(
            whole_number(1),
            must="be a whole number of days (at least 1), or None for links that never expire",
        ),
        (_id("E052"),),
    ),
    Setting(
        "EMBED_ALLOWED_ORIGINS",
        [],
        "Origins allowed to show the donate widget in an iframe; empty: none.",
        checks=(_id("E050"), _id("W050")),
    ),
    Setting(
        "EMBED_FORM_MAX_AGE",
        7200,
        "Seconds an embedded form's signed token is accepted in place of the CSRF cookie.",
        whole_number(1, must=_SECONDS),
        (_id("E053"),),
    ),
    Setting(
        "API_CORS_ORIGINS",
        [],
        "Origins allowed to read the JSON API from browsers (CORS); empty: none.",
        checks=(_id("E051"),),
    ),
    Setting(
        "TOTALS_CACHE_SECONDS",
        3600,
        "Seconds public totals stay cached at most (a ledger change changes the key sooner).",
        whole_number(1, must=_SECONDS),
        (_id("E053"),),
    ),
    Setting(
        "STORY_IMAGE_COLLECTIONS",
        None,
        "Stories: collections whose images get the full scrub; None: every collection.",
        NAMES_OR_IDS,
        (_id("E023"),),
    ),
    Setting(
        "BASE_TEMPLATE",
        "base.html",
        "The site's template our public pages extend; it needs a {% block content %}.",
    ),
    Setting(
        "PAYMENT_METHODS",
        {},
        "Checkout payment method types per currency; a currency not listed: Stripe decides.",
        checks=(_id("E024"), _id("W021"), _id("W022"), _id("W023")),
    ),
    Setting("DONOR_LINK_MAX_AGE_MINUTES", 30, "My giving: minutes a donor's sign-in link works."),
    Setting("DONOR_SESSION_MINUTES", 30, "My giving: minutes the signed-in session lasts."),
    Setting(
        "DONOR_LINK_RATE_LIMIT_ATTEMPTS",
        5,
        "My giving: sign-in link requests per window, per client and per email address.",
    ),
    Setting(
        "CARD_LINK_MAX_AGE_DAYS",
        30,
        'Days the "update your card" link in a failed-payment email keeps working.',
    ),
    Setting(
        "POSTER_UTM",
        {},
        "utm_* parameters (utm_source, utm_medium, utm_campaign) added to every QR poster's link.",
        checks=(_id("E025"),),
    ),
    Setting(
        "FISCAL_YEAR_START_MONTH",
        1,
        "Statements: the month (1-12) the fiscal year starts in (4 for April-March).",
        whole_number(1, 12, must="be a month number from 1 to 12"),
        (_id("E061"),),
    ),
    Setting(
        "STATEMENT_MAX_DAYS",
        3660,
        "Statements: the longest range one statement may cover, in days.",
        whole_number(1, must="be a whole number of days, 1 or more"),
        (_id("E062"),),
    ),
    Setting(
        "STATEMENT_PDF_FONT",
        None,
        "Statements: a TrueType font (a path) for PDFs in scripts the core fonts lack.",
        checks=(_id("E060"), _id("W060")),
    ),
    Setting(
        "NEED_CHOICE_DAYS",
        30,
        "Days a donor has to choose when a need closes before the default applies.",
        whole_number(1, must="be a whole number of days, 1 or more"),
        (_id("E062"),),
    ),
    Setting(
        "PAGE_CACHE_SECONDS",
        60,
        "Seconds a rendered story (and what impact pages show about a need) is reused; 0: off.",
        whole_number(0, must="be a whole number of seconds (0 turns the page cache off)"),
        (_id("E070"),),
    ),
    # Offline gift imports: what a preview may hold, and for how long.
    Setting(
        "OFFLINE_IMPORT_PREVIEW_HOURS",
        72,
        "Offline gifts: hours an import preview that was never committed is kept (and may be "
        "committed); sixdegrees_purge_previews deletes older ones.",
        whole_number(1, must="be a whole number of hours, 1 or more"),
        (_id("E080"),),
    ),
    Setting(
        "OFFLINE_IMPORT_MAX_BYTES",
        2 * 1024 * 1024,
        "Offline gifts: the largest import file, in bytes; a larger upload is refused from its "
        "declared length, before it is read.",
        whole_number(1024, must="be a whole number of bytes, 1024 or more"),
        (_id("E081"),),
    ),
    Setting(
        "CARD_UPDATE_WAIT_HOURS",
        24,
        "My giving: hours a card update the donor started on Stripe's page shows as waiting; "
        "after that it is marked unfinished (a card saved later still confirms it).",
        whole_number(1, must="be a whole number of hours, 1 or more"),
        (_id("E063"),),
    ),
)

#: Each key's default, by name (what :func:`get_setting` falls back to).
DEFAULTS: dict[str, Any] = {setting.name: setting.default for setting in SETTINGS}
#: Each key's declaration, by name.
BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}


def get_setting(name: str) -> Any:
    """Return the site's value for ``name``, or its documented default.

    Raises ``KeyError`` for a name that is not a known setting, so typos fail loudly.
    """
    if name not in DEFAULTS:
        raise KeyError(f"{SETTINGS_NAME} has no setting named {name!r}")
    configured = getattr(django_settings, SETTINGS_NAME, None) or {}
    if name in configured:
        return configured[name]
    # Copy so callers can never mutate the defaults.
    return copy.deepcopy(DEFAULTS[name])


def configured_keys() -> set[str]:
    """Names the site set explicitly (used by the system checks to spot typos)."""
    return set((getattr(django_settings, SETTINGS_NAME, None) or {}).keys())


def currencies() -> list[str]:
    """Allowed currencies, upper-cased, default first."""
    return [str(code).upper() for code in get_setting("CURRENCIES")]


def allocatable_field() -> str:
    """The Donation field allocation distributes: ``net_amount``, or ``settlement_amount``
    when ``ALLOCATE_FROM`` is ``"gross"``. The one place that reads ``ALLOCATE_FROM``."""
    return "settlement_amount" if get_setting("ALLOCATE_FROM") == "gross" else "net_amount"


def default_currency() -> str:
    allowed = currencies()
    return allowed[0] if allowed else "USD"


def webhook_secrets() -> list[str]:
    """All webhook signing secrets currently accepted (a list during rotation)."""
    value = get_setting("STRIPE_WEBHOOK_SECRET")
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [str(secret) for secret in value if secret]
