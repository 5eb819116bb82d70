"""One declaration per setting: conf.SETTINGS, the checks made from it, and the configuration
reference page agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import checks
from django.test import override_settings

from wagtail_sixdegrees import conf

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "reference" / "configuration.md"
GOOD_KEYS = {
    "STRIPE_SECRET_KEY": "sk_test_123",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_123",
    "STRIPE_WEBHOOK_SECRET": "whsec_123",
}
#: Checks about the site rather than one key: a missing app, and keys nobody declared.
SITE_CHECKS = {"wagtail_sixdegrees.E022", "wagtail_sixdegrees.W001"}
RULED = [setting for setting in conf.SETTINGS if setting.rule is not None]


def reference_sections() -> tuple[str, str]:
    text = REFERENCE.read_text()
    settings, rest = text.split("## System checks", 1)
    return settings, rest.split("\n## ", 1)[0]


def documented_keys() -> list[str]:
    return re.findall(r"^\| `([A-Z0-9_]+)` \|", reference_sections()[0], flags=re.M)


def documented_check_ids() -> set[str]:
    return set(
        re.findall(r"^\| `(wagtail_sixdegrees\.[EW]\d{3})` \|", reference_sections()[1], re.M)
    )


def test_every_key_is_declared_once():
    names = [setting.name for setting in conf.SETTINGS]
    assert len(names) == len(set(names))
    assert set(conf.DEFAULTS) == set(names)


def test_the_reference_documents_every_key_and_only_keys():
    documented = documented_keys()
    assert len(documented) == len(set(documented)), "a key has two rows"
    assert sorted(set(conf.DEFAULTS) - set(documented)) == [], "declared but not documented"
    assert sorted(set(documented) - set(conf.DEFAULTS)) == [], "documented but not declared"


def test_the_reference_documents_every_check_id_a_key_declares_and_no_other():
    declared = {check_id for setting in conf.SETTINGS for check_id in setting.checks}
    documented = documented_check_ids()
    assert sorted(declared - documented) == []
    assert sorted(documented - declared - SITE_CHECKS) == []


def test_every_ruled_key_has_a_check_id():
    assert RULED
    assert [setting.name for setting in RULED if not setting.checks] == []


@pytest.mark.parametrize("setting", RULED, ids=lambda setting: setting.name)
def test_every_default_follows_its_rule(setting):
    assert setting.rule.accepts(setting.default)


@pytest.mark.parametrize("setting", RULED, ids=lambda setting: setting.name)
def test_a_value_breaking_a_rule_gets_its_check_id_and_message(setting):
    with override_settings(WAGTAIL_SIXDEGREES={**GOOD_KEYS, setting.name: "not a valid value"}):
        found = [m for m in checks.run_checks() if m.id == setting.checks[0]]
    assert [m.msg for m in found] == [
        f"WAGTAIL_SIXDEGREES['{setting.name}'] must {setting.rule.must}."
    ]
    assert found[0].hint == setting.rule.hint


@pytest.mark.parametrize("value", [True, 0, -3, 2.5, "5", None])
def test_a_whole_number_is_an_int_not_a_bool_and_at_least_its_minimum(value):
    assert not conf.whole_number(1).accepts(value)
    assert conf.whole_number(1).accepts(1)
    assert conf.whole_number(0).accepts(0)


def test_a_whole_number_may_have_a_maximum():
    month = conf.whole_number(1, 12)
    assert [value for value in range(0, 14) if month.accepts(value)] == list(range(1, 13))
    assert month.must == "be a whole number of at least 1 and at most 12"
