"""The one place that reads the ``WAGTAIL_SIXDEGREES`` settings dict.

Every key has a documented default (docs/reference/configuration.md); nothing else in the package reads
``django.conf.settings.WAGTAIL_SIXDEGREES`` directly, so ``override_settings`` in tests and a
site's own settings behave the same way.
"""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings as django_settings

SETTINGS_NAME = "WAGTAIL_SIXDEGREES"

DEFAULTS: dict[str, Any] = {
    # Stripe credentials. Secrets belong in the environment, never in the database.
    "STRIPE_SECRET_KEY": "",
    "STRIPE_PUBLISHABLE_KEY": "",
    # One secret, or a list of secrets while rotating webhook endpoints.
    "STRIPE_WEBHOOK_SECRET": "",
    # Another Stripe-compatible server (used by tests); None means Stripe itself.
    "STRIPE_API_BASE": None,
    # Currencies donors may give in; the first is the default.
    "CURRENCIES": ["USD"],
    # Allocate a donation's "net" (gross minus Stripe's fee) or its "gross".
    "ALLOCATE_FROM": "net",
    # Per-currency overrides in minor units, e.g. {"USD": 500} for a 5.00 USD minimum.
    # A minimum below Stripe's own is ignored: Stripe would refuse the charge anyway.
    "MINIMUM_AMOUNTS": {},
    # Per-currency ceilings in minor units; the default is the largest amount Stripe accepts.
    "MAXIMUM_AMOUNTS": {},
    # The currency a donate form preselects for readers of each language, when the form offers
    # it (readers can always change it). An empty dict keeps the site's default for everyone.
    "CURRENCY_BY_LANGUAGE": {
        "th": "THB",
        "vi": "VND",
        "km": "KHR",
        "my": "MMK",
        "id": "IDR",
        "tl": "PHP",
        "fil": "PHP",
        "lo": "LAK",
    },
    # Allocate each donation's need, cause and region shares as soon as it is paid.
    "AUTO_ALLOCATE": True,
    # Dotted path to a FillPolicy subclass deciding which matching need is filled first;
    # None is priority, then earliest closing date, then oldest.
    "ALLOCATION_POLICY": None,
    # Donate form rate limit: attempts allowed per client (IPv4 address or IPv6 /64) within
    # RATE_LIMIT_WINDOW seconds, and, counting only attempts about to reach Stripe, for all
    # clients together (a ceiling against card-testing from many addresses).
    "RATE_LIMIT_ATTEMPTS": 5,
    "RATE_LIMIT_GLOBAL_ATTEMPTS": 200,
    "RATE_LIMIT_WINDOW": 600,
    # The Django cache alias that holds the counters; share it between processes in production.
    "RATE_LIMIT_CACHE": "default",
    # Where the client's IP address comes from: a request.META key. Behind a proxy use
    # "HTTP_X_FORWARDED_FOR" and say how many proxies you run in TRUSTED_PROXY_COUNT.
    "CLIENT_IP_HEADER": "REMOTE_ADDR",
    "TRUSTED_PROXY_COUNT": 1,
    # Seconds during which an identical resubmission of one form reuses its pending donation
    # (and so its Checkout Session) instead of starting a second payment.
    "RESUBMISSION_WINDOW": 1800,
    # Seconds to wait for Stripe before giving up, and how often stripe-python retries a failed
    # request (safe: every write carries an idempotency key).
    "STRIPE_TIMEOUT": 20,
    "STRIPE_MAX_NETWORK_RETRIES": 2,
    # Stories: the longest a survivor's consent may last, in years from the day it was given.
    # It is also the default when no expiry is entered. Shorter policies set a smaller number.
    "CONSENT_MAX_YEARS": 3,
    # Stories: the dashboard lists stories whose consent ends within this many days.
    "CONSENT_EXPIRY_WARNING_DAYS": 30,
    # Stories: a story's first publication needs an approved story safety review.
    "SAFETY_REVIEW_REQUIRED": True,
    # Stories: four eyes. Whoever wrote a story (its owner) or last edited it cannot approve
    # its safety review. False lets them (a one-person office); the system check warns (W012).
    "SAFETY_REVIEW_FOUR_EYES": True,
    # Stories: places finer than a province (districts, towns, villages, border crossings,
    # shelters' neighbourhoods) that the re-identification check flags in a story's text.
    # Replace or extend this small list with the places your caseworkers work in; provinces
    # (the Region snippets) are fine and never belong here. Spacing and case do not matter.
    "IDENTIFYING_PLACES": [
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
    # Stories: requests to the withdrawal card's public page per client address, and for
    # everyone, per RATE_LIMIT_WINDOW. Generous for a survivor (two requests per use), far
    # too few to guess a code (60 bits) or a link (256 bits).
    "WITHDRAWAL_RATE_LIMIT_ATTEMPTS": 20,
    "WITHDRAWAL_RATE_LIMIT_GLOBAL_ATTEMPTS": 2000,
    # Transparency: days a donor's private impact-page link (in receipts and update emails)
    # keeps working; None never expires it. Every email carries a freshly signed link.
    "IMPACT_LINK_MAX_AGE_DAYS": 730,
    # Transparency: origins ("https://partner.example") allowed to show the donate widget in
    # an iframe. Empty: no site may frame it (CSP frame-ancestors 'none').
    "EMBED_ALLOWED_ORIGINS": [],
    # Transparency: seconds an embedded form's signed token is accepted in place of the CSRF
    # cookie (third-party iframes get no cookies).
    "EMBED_FORM_MAX_AGE": 7200,
    # Transparency: origins allowed to read the JSON API from browsers (CORS). Empty: none.
    "API_CORS_ORIGINS": [],
    # Transparency: seconds public totals stay cached at most; any committed ledger or
    # disbursement row changes the cache key sooner.
    "TOTALS_CACHE_SECONDS": 3600,
    # Stories: the image collections (names or ids; their child collections too) whose images
    # get the full scrub (every piece of metadata, a random file name). Images elsewhere lose
    # only location and device data and keep their name, creator and copyright. None: every
    # collection gets the full scrub.
    "STORY_IMAGE_COLLECTIONS": None,
    # Pages: the site's own template that our public pages (stories, needs, thanks, impact)
    # extend, through wagtail_sixdegrees/base.html. It must have a {% block content %}.
    "BASE_TEMPLATE": "base.html",
    # Giving: Checkout payment method types per currency, e.g. {"THB": ["card", "promptpay"]}.
    # A currency not listed lets Stripe's dashboard decide (dynamic payment methods).
    "PAYMENT_METHODS": {},
    # My giving: minutes a donor's emailed sign-in link works, and minutes the signed-in
    # session lasts.
    "DONOR_LINK_MAX_AGE_MINUTES": 30,
    "DONOR_SESSION_MINUTES": 30,
    # My giving: sign-in link requests per RATE_LIMIT_WINDOW, per client and per email address
    # (a mailbox is not flooded, and nobody learns anything from trying many addresses).
    "DONOR_LINK_RATE_LIMIT_ATTEMPTS": 5,
    # Days the "update your card" link in a failed-payment email keeps working.
    "CARD_LINK_MAX_AGE_DAYS": 30,
    # Pages: seconds a rendered survivor story stays cached (anonymous visitors, renders with
    # nothing personal in them). Any committed write a page shows renews the cache key sooner;
    # consent is checked on every request. 0: no page cache.
    "PAGE_CACHE_SECONDS": 60,
}


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
