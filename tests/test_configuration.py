"""conf.py defaults, system checks and the public signals."""

from __future__ import annotations

import pytest
from django.core import checks
from django.dispatch import Signal
from django.test import override_settings

from wagtail_sixdegrees import conf, signals


def ids(messages) -> set[str]:
    return {message.id for message in messages}


def run_checks() -> set[str]:
    return ids(checks.run_checks())


GOOD_KEYS = {
    "STRIPE_SECRET_KEY": "sk_test_123",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_123",
    "STRIPE_WEBHOOK_SECRET": "whsec_123",
}


def test_defaults_apply_when_a_key_is_absent():
    with override_settings(WAGTAIL_SIXDEGREES={}):
        assert conf.get_setting("CURRENCIES") == ["USD"]
        assert conf.get_setting("ALLOCATE_FROM") == "net"
        assert conf.get_setting("STRIPE_API_BASE") is None


def test_defaults_cannot_be_mutated_by_callers():
    with override_settings(WAGTAIL_SIXDEGREES={}):
        conf.get_setting("CURRENCIES").append("THB")
        assert conf.get_setting("CURRENCIES") == ["USD"]


def test_unknown_setting_name_fails_loudly():
    with pytest.raises(KeyError):
        conf.get_setting("STRIPE_SECRET")


def test_currencies_are_upper_cased_and_first_is_default():
    with override_settings(WAGTAIL_SIXDEGREES={"CURRENCIES": ["thb", "usd"]}):
        assert conf.currencies() == ["THB", "USD"]
        assert conf.default_currency() == "THB"


def test_webhook_secret_may_be_a_list_while_rotating():
    with override_settings(
        WAGTAIL_SIXDEGREES={"STRIPE_WEBHOOK_SECRET": ["whsec_old", "whsec_new"]}
    ):
        assert conf.webhook_secrets() == ["whsec_old", "whsec_new"]


@pytest.mark.parametrize(
    ("missing", "check_id"),
    [
        ("STRIPE_SECRET_KEY", "wagtail_sixdegrees.E001"),
        ("STRIPE_PUBLISHABLE_KEY", "wagtail_sixdegrees.E002"),
        ("STRIPE_WEBHOOK_SECRET", "wagtail_sixdegrees.E003"),
    ],
)
def test_missing_stripe_credentials_are_errors_outside_debug(missing, check_id):
    config = {key: value for key, value in GOOD_KEYS.items() if key != missing}
    with override_settings(DEBUG=False, WAGTAIL_SIXDEGREES=config):
        assert check_id in run_checks()
    with override_settings(DEBUG=True, WAGTAIL_SIXDEGREES=config):
        assert check_id not in run_checks()


def test_swapped_keys_are_caught():
    swapped = {**GOOD_KEYS, "STRIPE_SECRET_KEY": "pk_test_1", "STRIPE_PUBLISHABLE_KEY": "sk_test_1"}
    with override_settings(WAGTAIL_SIXDEGREES=swapped):
        assert {"wagtail_sixdegrees.E001", "wagtail_sixdegrees.E002"} <= run_checks()


def test_good_configuration_passes_every_check():
    with override_settings(
        DEBUG=False, WAGTAIL_SIXDEGREES={**GOOD_KEYS, "CURRENCIES": ["USD", "THB"]}
    ):
        assert not {i for i in run_checks() if i.startswith("wagtail_sixdegrees.")}


@pytest.mark.parametrize(
    ("currencies", "check_id"),
    [
        ([], "wagtail_sixdegrees.E004"),
        ("USD", "wagtail_sixdegrees.E004"),
        (["USD", "ABC"], "wagtail_sixdegrees.E005"),
        (["USD", "XAU"], "wagtail_sixdegrees.E006"),  # gold: ISO 4217, not chargeable
    ],
)
def test_currency_configuration_checks(currencies, check_id):
    with override_settings(WAGTAIL_SIXDEGREES={**GOOD_KEYS, "CURRENCIES": currencies}):
        assert check_id in run_checks()


def test_currency_without_known_minimum_warns_until_configured():
    config = {**GOOD_KEYS, "CURRENCIES": ["USD", "KES"]}
    with override_settings(WAGTAIL_SIXDEGREES=config):
        assert "wagtail_sixdegrees.W002" in run_checks()
    with override_settings(WAGTAIL_SIXDEGREES={**config, "MINIMUM_AMOUNTS": {"KES": 7000}}):
        assert "wagtail_sixdegrees.W002" not in run_checks()


@pytest.mark.parametrize(
    ("key", "value", "check_id"),
    [
        ("ALLOCATE_FROM", "everything", "wagtail_sixdegrees.E007"),
        ("MINIMUM_AMOUNTS", {"USD": 2.5}, "wagtail_sixdegrees.E008"),
        ("MAXIMUM_AMOUNTS", {"USD": -1}, "wagtail_sixdegrees.E008"),
        ("STRIPE_SECRETKEY", "sk_test_1", "wagtail_sixdegrees.W001"),
        ("PAGE_CACHE_SECONDS", -1, "wagtail_sixdegrees.E070"),
        ("PAGE_CACHE_SECONDS", "60", "wagtail_sixdegrees.E070"),
    ],
)
def test_other_settings_are_checked(key, value, check_id):
    with override_settings(WAGTAIL_SIXDEGREES={**GOOD_KEYS, key: value}):
        assert check_id in run_checks()


def test_live_key_in_debug_warns():
    with override_settings(
        DEBUG=True, WAGTAIL_SIXDEGREES={**GOOD_KEYS, "STRIPE_SECRET_KEY": "sk_live_x"}
    ):
        assert "wagtail_sixdegrees.W003" in run_checks()


@pytest.mark.parametrize(
    "name",
    ["donation_paid", "donation_refunded", "allocation_committed", "story_consent_withdrawn"],
)
def test_public_signals_are_django_signals(name):
    assert isinstance(getattr(signals, name), Signal)


class NewestFirst:
    """Not a FillPolicy: the check must refuse it."""


@pytest.mark.parametrize(
    ("key", "value", "check_id"),
    [
        ("AUTO_ALLOCATE", "yes", "wagtail_sixdegrees.E030"),
        ("ALLOCATION_POLICY", "tests.test_configuration.NewestFirst", "wagtail_sixdegrees.E031"),
        ("ALLOCATION_POLICY", "no.such.module.Policy", "wagtail_sixdegrees.E031"),
    ],
)
def test_allocation_settings_are_checked(key, value, check_id):
    with override_settings(WAGTAIL_SIXDEGREES={**GOOD_KEYS, key: value}):
        assert check_id in run_checks()


def test_a_real_fill_policy_passes_the_check():
    config = {
        **GOOD_KEYS,
        "ALLOCATION_POLICY": "wagtail_sixdegrees.allocation.engine.DefaultFillPolicy",
    }
    with override_settings(WAGTAIL_SIXDEGREES=config):
        assert "wagtail_sixdegrees.E031" not in run_checks()


def test_a_missing_app_is_named_by_the_check(monkeypatch):
    from django.apps import apps

    from wagtail_sixdegrees import checks as package_checks

    # Changing INSTALLED_APPS would rebuild the app registry under the test; ask the check instead.
    class SiteWithoutSettingsApp:
        @staticmethod
        def is_installed(name: str) -> bool:
            return name != "wagtail.contrib.settings" and apps.is_installed(name)

    monkeypatch.setattr(package_checks, "apps", SiteWithoutSettingsApp)
    messages = [m for m in package_checks.check_giving() if m.id == "wagtail_sixdegrees.E022"]

    assert len(messages) == 1
    assert "'wagtail.contrib.settings'" in messages[0].msg
    assert "if it is not already there" in messages[0].hint


@pytest.mark.parametrize("value", ["Stories", [1.5], [True]])
def test_story_image_collections_must_be_a_list_of_names_or_ids(value):
    with override_settings(WAGTAIL_SIXDEGREES={**GOOD_KEYS, "STORY_IMAGE_COLLECTIONS": value}):
        assert "wagtail_sixdegrees.E023" in run_checks()
    with override_settings(
        WAGTAIL_SIXDEGREES={**GOOD_KEYS, "STORY_IMAGE_COLLECTIONS": ["Stories", 3]}
    ):
        assert "wagtail_sixdegrees.E023" not in run_checks()


def test_every_docs_page_a_check_hint_names_exists():
    import inspect
    import re
    from pathlib import Path

    from wagtail_sixdegrees import checks as package_checks

    # The docs beside the tests: the checkout, or the copy tox makes next to its copy of tests/.
    root = Path(__file__).resolve().parent.parent
    source = inspect.getsource(package_checks) + inspect.getsource(conf)
    named = set(re.findall(r"docs/[\w/.-]+\.md", source))
    with override_settings(DEBUG=False, WAGTAIL_SIXDEGREES={"UNKNOWN_KEY": 1}):
        hints = " ".join(m.hint or "" for m in checks.run_checks())
    named |= set(re.findall(r"docs/[\w/.-]+\.md", hints))

    assert "docs/reference/configuration.md" in named
    assert [path for path in sorted(named) if not (root / path).is_file()] == []


# --- Statements and need choices (E060-E062, W060) --------------------------------------------

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@pytest.mark.parametrize(
    ("key", "value", "check_id"),
    [
        ("FISCAL_YEAR_START_MONTH", 0, "wagtail_sixdegrees.E061"),
        ("FISCAL_YEAR_START_MONTH", 13, "wagtail_sixdegrees.E061"),
        ("FISCAL_YEAR_START_MONTH", "4", "wagtail_sixdegrees.E061"),
        ("STATEMENT_MAX_DAYS", 0, "wagtail_sixdegrees.E062"),
        ("NEED_CHOICE_DAYS", 1.5, "wagtail_sixdegrees.E062"),
        ("STATEMENT_PDF_FONT", "/no/such/font.ttf", "wagtail_sixdegrees.E060"),
        ("STATEMENT_PDF_FONT", __file__, "wagtail_sixdegrees.E060"),
    ],
)
def test_statement_and_need_choice_settings_are_checked(key, value, check_id):
    with override_settings(WAGTAIL_SIXDEGREES={**GOOD_KEYS, key: value}):
        assert check_id in run_checks()


def test_good_statement_settings_pass_the_checks():
    good = {
        "FISCAL_YEAR_START_MONTH": 4,
        "STATEMENT_MAX_DAYS": 366,
        "NEED_CHOICE_DAYS": 14,
        "STATEMENT_PDF_FONT": FONT,
    }
    with override_settings(WAGTAIL_SIXDEGREES={**GOOD_KEYS, **good}):
        found = run_checks()
    assert not found & {
        "wagtail_sixdegrees.E060",
        "wagtail_sixdegrees.E061",
        "wagtail_sixdegrees.E062",
        "wagtail_sixdegrees.W060",
    }


def test_a_font_without_fpdf2_warns(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "fpdf" else real(name, *a)
    )
    with override_settings(WAGTAIL_SIXDEGREES={**GOOD_KEYS, "STATEMENT_PDF_FONT": FONT}):
        assert "wagtail_sixdegrees.W060" in run_checks()
