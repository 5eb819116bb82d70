"""System checks: configuration mistakes found at ``manage.py check`` time, not by a donor.

Ids are stable; docs/configuration.md lists every one with its fix.
"""

from __future__ import annotations

from typing import Any

from babel.numbers import list_currencies
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from . import conf, money

STRIPE_KEY_SETTINGS = {
    "STRIPE_SECRET_KEY": ("wagtail_sixdegrees.E001", ("sk_", "rk_")),
    "STRIPE_PUBLISHABLE_KEY": ("wagtail_sixdegrees.E002", ("pk_",)),
    "STRIPE_WEBHOOK_SECRET": ("wagtail_sixdegrees.E003", ("whsec_",)),
}


def _setting_path(key: str) -> str:
    return f"{conf.SETTINGS_NAME}['{key}']"


@register(Tags.compatibility)
def check_stripe_keys(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    """E001-E003: Stripe credentials present (outside DEBUG) and of the right kind."""
    messages: list[Error | Warning] = []
    for key, (check_id, prefixes) in STRIPE_KEY_SETTINGS.items():
        values = (
            conf.webhook_secrets() if key == "STRIPE_WEBHOOK_SECRET" else [conf.get_setting(key)]
        )
        values = [value for value in values if value]
        if not values:
            if not settings.DEBUG:
                messages.append(
                    Error(
                        f"{_setting_path(key)} is not set.",
                        hint="Read it from the environment in your settings; "
                        "see docs/configuration.md. Donations cannot work without it.",
                        id=check_id,
                    )
                )
            continue
        for value in values:
            if not str(value).startswith(prefixes):
                messages.append(
                    Error(
                        f"{_setting_path(key)} does not look like a Stripe {key.split('_', 1)[1].lower().replace('_', ' ')} "
                        f"(expected it to start with {' or '.join(prefixes)}).",
                        hint="Check that the secret and publishable keys are not swapped.",
                        id=check_id,
                    )
                )
    secret = str(conf.get_setting("STRIPE_SECRET_KEY") or "")
    if settings.DEBUG and secret.startswith(("sk_live_", "rk_live_")):
        messages.append(
            Warning(
                "A live Stripe secret key is configured while DEBUG is on.",
                hint="Use test keys (sk_test_...) on development machines.",
                id="wagtail_sixdegrees.W003",
            )
        )
    return messages


@register(Tags.compatibility)
def check_currencies(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    """E004-E006, W002: CURRENCIES is a non-empty list of ISO codes that Stripe supports."""
    configured = conf.get_setting("CURRENCIES")
    if isinstance(configured, str) or not isinstance(configured, list | tuple) or not configured:
        return [
            Error(
                f"{_setting_path('CURRENCIES')} must be a non-empty list of currency codes.",
                hint='For example ["USD", "THB"]; the first one is the default.',
                id="wagtail_sixdegrees.E004",
            )
        ]
    iso_codes = list_currencies()
    minimums = conf.get_setting("MINIMUM_AMOUNTS")
    messages: list[Error | Warning] = []
    for code in configured:
        normalised = str(code).upper()
        if normalised not in iso_codes:
            messages.append(
                Error(
                    f"{code!r} in {_setting_path('CURRENCIES')} is not an ISO 4217 currency code.",
                    id="wagtail_sixdegrees.E005",
                )
            )
        elif not money.is_supported(normalised):
            messages.append(
                Error(
                    f"Stripe does not accept payments in {normalised}.",
                    hint="Remove it from CURRENCIES; see https://docs.stripe.com/currencies.",
                    id="wagtail_sixdegrees.E006",
                )
            )
        elif money.known_minimum(normalised) is None and normalised not in minimums:
            messages.append(
                Warning(
                    f"No minimum charge is known for {normalised}.",
                    hint=f"Set {_setting_path('MINIMUM_AMOUNTS')}['{normalised}'] to the "
                    "equivalent of Stripe's minimum in your settlement currency, in minor units.",
                    id="wagtail_sixdegrees.W002",
                )
            )
    return messages


@register(Tags.compatibility)
def check_other_settings(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    """E007, E008, E010, E011, W001, W010, W011: the remaining keys have values we understand."""
    messages: list[Error | Warning] = []
    if conf.get_setting("ALLOCATE_FROM") not in ("net", "gross"):
        messages.append(
            Error(
                f'{_setting_path("ALLOCATE_FROM")} must be "net" or "gross".',
                id="wagtail_sixdegrees.E007",
            )
        )
    for key in ("MINIMUM_AMOUNTS", "MAXIMUM_AMOUNTS"):
        value = conf.get_setting(key)
        valid = isinstance(value, dict) and all(
            isinstance(amount, int) and not isinstance(amount, bool) and amount > 0
            for amount in value.values()
        )
        if not valid:
            messages.append(
                Error(
                    f"{_setting_path(key)} must map currency codes to positive whole numbers "
                    "of minor units.",
                    hint='For example {"USD": 500} for 5.00 USD.',
                    id="wagtail_sixdegrees.E008",
                )
            )
    years = conf.get_setting("CONSENT_MAX_YEARS")
    if not isinstance(years, int) or isinstance(years, bool) or years < 1:
        messages.append(
            Error(
                f"{_setting_path('CONSENT_MAX_YEARS')} must be a whole number of years, at least 1.",
                id="wagtail_sixdegrees.E010",
            )
        )
    elif years > 3:
        messages.append(
            Warning(
                f"{_setting_path('CONSENT_MAX_YEARS')} lets consent last {years} years.",
                hint="Survivor-story guidelines ask for consent to be renewed within three years.",
                id="wagtail_sixdegrees.W011",
            )
        )
    days = conf.get_setting("CONSENT_EXPIRY_WARNING_DAYS")
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        messages.append(
            Error(
                f"{_setting_path('CONSENT_EXPIRY_WARNING_DAYS')} must be a positive whole number.",
                id="wagtail_sixdegrees.E011",
            )
        )
    if conf.get_setting("SAFETY_REVIEW_REQUIRED") is False:
        messages.append(
            Warning(
                "Stories can be published without a safety review "
                f"({_setting_path('SAFETY_REVIEW_REQUIRED')} is False).",
                hint="Only turn the review off if your organisation reviews stories elsewhere.",
                id="wagtail_sixdegrees.W010",
            )
        )
    if conf.get_setting("SAFETY_REVIEW_FOUR_EYES") is not True:
        messages.append(
            Warning(
                "The person who wrote or last edited a story may approve its own safety review "
                f"({_setting_path('SAFETY_REVIEW_FOUR_EYES')} is not True).",
                hint="A second person catches what the writer cannot see. Relax this only if "
                "your office has a single reviewer.",
                id="wagtail_sixdegrees.W012",
            )
        )
    unknown = sorted(conf.configured_keys() - set(conf.DEFAULTS))
    if unknown:
        messages.append(
            Warning(
                f"{conf.SETTINGS_NAME} has unknown keys: {', '.join(unknown)}.",
                hint="Check the spelling against docs/configuration.md.",
                id="wagtail_sixdegrees.W001",
            )
        )
    return messages


_POSITIVE_INTEGER_SETTINGS = (
    "RATE_LIMIT_ATTEMPTS",
    "RATE_LIMIT_GLOBAL_ATTEMPTS",
    "RATE_LIMIT_WINDOW",
    "RESUBMISSION_WINDOW",
    "STRIPE_TIMEOUT",
    "TRUSTED_PROXY_COUNT",
)


@register(Tags.compatibility)
def check_giving(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    """E020-E022, W020: giving's own settings, and what it needs installed."""
    messages: list[Error | Warning] = []
    for key in (*_POSITIVE_INTEGER_SETTINGS, "STRIPE_MAX_NETWORK_RETRIES"):
        value = conf.get_setting(key)
        minimum = 0 if key == "STRIPE_MAX_NETWORK_RETRIES" else 1
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            messages.append(
                Error(
                    f"{_setting_path(key)} must be a whole number of at least {minimum}.",
                    id="wagtail_sixdegrees.E020",
                )
            )
    alias = conf.get_setting("RATE_LIMIT_CACHE")
    caches = getattr(settings, "CACHES", {"default": {}})
    if alias not in caches:
        messages.append(
            Error(
                f"{_setting_path('RATE_LIMIT_CACHE')} names the cache {alias!r}, which is not in CACHES.",
                id="wagtail_sixdegrees.E021",
            )
        )
    else:
        backend = str(caches[alias].get("BACKEND", "django.core.cache.backends.locmem.LocMemCache"))
        if backend.endswith("DummyCache"):
            messages.append(
                Warning(
                    f"The donate form's rate limit counts in the cache {alias!r}, a DummyCache "
                    "that forgets every count: the form is not rate limited.",
                    hint="Point RATE_LIMIT_CACHE at a shared cache such as Redis, Memcached or "
                    "the database cache.",
                    id="wagtail_sixdegrees.W020",
                )
            )
    if "wagtail.contrib.settings" not in settings.INSTALLED_APPS:
        messages.append(
            Error(
                "wagtail-sixdegrees needs 'wagtail.contrib.settings' in INSTALLED_APPS.",
                hint="It holds the per-site giving settings (receipts, amounts, fees).",
                id="wagtail_sixdegrees.E022",
            )
        )
    return messages


@register(Tags.compatibility)
def check_allocation_settings(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    """E030, E031: allocation settings have values we can use."""
    messages: list[Error | Warning] = []
    if not isinstance(conf.get_setting("AUTO_ALLOCATE"), bool):
        messages.append(
            Error(
                f"{_setting_path('AUTO_ALLOCATE')} must be True or False.",
                id="wagtail_sixdegrees.E030",
            )
        )
    dotted = conf.get_setting("ALLOCATION_POLICY")
    if dotted:
        from django.utils.module_loading import import_string

        from .allocation.engine import FillPolicy

        try:
            policy = import_string(dotted)
        except ImportError:
            policy = None
        if not (isinstance(policy, type) and issubclass(policy, FillPolicy)):
            messages.append(
                Error(
                    f"{_setting_path('ALLOCATION_POLICY')} = {dotted!r} is not an importable "
                    "FillPolicy subclass.",
                    hint="Subclass wagtail_sixdegrees.allocation.engine.FillPolicy and give its dotted path.",
                    id="wagtail_sixdegrees.E031",
                )
            )
    return messages


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@register(Tags.compatibility)
def check_transparency_settings(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    """E050-E053, W050: the widget's, the API's and the impact links' settings."""
    from .transparency.embed import invalid_origins

    messages: list[Error | Warning] = []
    origins = conf.get_setting("EMBED_ALLOWED_ORIGINS")
    if not isinstance(origins, list | tuple) or invalid_origins(list(origins)):
        messages.append(
            Error(
                f"{_setting_path('EMBED_ALLOWED_ORIGINS')} must be a list of origins such as "
                '"https://partner.example" (scheme and host, no path; "*." may start the host).',
                hint="A bare * would let any site frame the donate form; list the sites instead.",
                id="wagtail_sixdegrees.E050",
            )
        )
    elif not settings.DEBUG and any(str(o).lower().startswith("http://") for o in origins):
        messages.append(
            Warning(
                f"{_setting_path('EMBED_ALLOWED_ORIGINS')} allows a site served over plain http.",
                hint="Donors would type their email into a page anyone on the network can change.",
                id="wagtail_sixdegrees.W050",
            )
        )
    cors = conf.get_setting("API_CORS_ORIGINS")
    if not isinstance(cors, list | tuple) or invalid_origins([o for o in cors if o != "*"]):
        messages.append(
            Error(
                f"{_setting_path('API_CORS_ORIGINS')} must be a list of origins such as "
                '"https://partner.example", or ["*"] for any site.',
                id="wagtail_sixdegrees.E051",
            )
        )
    days = conf.get_setting("IMPACT_LINK_MAX_AGE_DAYS")
    if days is not None and not _is_positive_int(days):
        messages.append(
            Error(
                f"{_setting_path('IMPACT_LINK_MAX_AGE_DAYS')} must be a whole number of days "
                "(at least 1), or None for links that never expire.",
                id="wagtail_sixdegrees.E052",
            )
        )
    for key in ("EMBED_FORM_MAX_AGE", "TOTALS_CACHE_SECONDS"):
        if not _is_positive_int(conf.get_setting(key)):
            messages.append(
                Error(
                    f"{_setting_path(key)} must be a whole number of seconds, at least 1.",
                    id="wagtail_sixdegrees.E053",
                )
            )
    return messages
