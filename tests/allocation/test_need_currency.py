"""A need's currency, cause and region are fixed once money names it: the model, the database
and the audit."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import (
    insert_rows,
    make_cause,
    make_need,
    make_paid_donation,
    make_region,
    need_pref,
    translate,
)
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.allocation.audit import run_audit
from wagtail_sixdegrees.models import Disbursement, LedgerEntry, Need

pytestmark = pytest.mark.django_db


def funded_need(**fields):
    need = make_need(target_amount=100_000, currency="USD", **fields)
    make_paid_donation(50_000, preferences=[need_pref(need)])
    ledger.allocate()
    return need


def test_model_validation_refuses_a_currency_change_once_the_ledger_names_the_need():
    need = funded_need()
    need.currency = "JPY"
    with pytest.raises(ValidationError) as error:
        need.full_clean()
    assert "currency" in error.value.message_dict


def test_model_validation_refuses_a_currency_change_once_a_disbursement_names_the_need():
    need = make_need(target_amount=100_000, currency="USD")
    # Forced past the ledger's checks (a disbursement with nothing received), as a script might.
    Disbursement.objects.create(
        need=need, partner=need.partner, amount=100, currency="USD", paid_on=timezone.localdate()
    )
    need.currency = "THB"
    with pytest.raises(ValidationError) as error:
        need.full_clean()
    assert "currency" in error.value.message_dict


def test_a_translation_of_a_funded_need_cannot_change_its_currency_either():
    need = funded_need()
    thai = translate(need, "th")
    thai.currency = "THB"
    with pytest.raises(ValidationError):
        thai.full_clean()


def test_model_validation_lets_an_unfunded_need_change_currency():
    need = make_need(target_amount=100_000, currency="USD")
    need.currency = "THB"
    need.full_clean()


def test_the_database_refuses_a_funded_needs_currency_change():
    need = funded_need()
    with pytest.raises(IntegrityError), transaction.atomic():
        Need.objects.filter(pk=need.pk).update(currency="JPY")
    need.refresh_from_db()
    assert need.currency == "USD"


def test_the_database_lets_a_funded_need_change_anything_but_its_currency():
    need = funded_need()
    Need.objects.filter(pk=need.pk).update(title="Renamed", currency="USD")
    need.refresh_from_db()
    assert (need.title, need.currency) == ("Renamed", "USD")


def test_the_database_lets_an_unfunded_need_change_currency():
    need = make_need(target_amount=100_000, currency="USD")
    Need.objects.filter(pk=need.pk).update(currency="JPY")
    need.refresh_from_db()
    assert need.currency == "JPY"


def _forced_entry(donation, need, currency):
    """A ledger row written past the ORM and the ledger, as a careless script might."""
    insert_rows(
        LedgerEntry,
        [
            {
                "donation_id": donation.pk,
                "account_kind": "need",
                "need_id": need.pk,
                "currency": currency,
                "amount": donation.net_amount,
                "kind": "allocate",
                "transfer": uuid.uuid4(),
                "created_at": timezone.now(),
            }
        ],
    )


def test_the_audit_finds_a_ledger_entry_not_in_its_needs_currency():
    need = funded_need()
    # Settled in JPY so the entry matches its donation; only the need's currency disagrees.
    _forced_entry(make_paid_donation(5_000, "JPY"), need, "JPY")

    report = run_audit()

    assert not report.ok
    # A row written past the ledger also leaves its kept balance behind ("kept-balance"),
    # which the audit reports on its own; here we look at the currency finding.
    found = [f for f in report.violations if f.check == "account-currency"]
    assert len(found) == 1
    assert "is in JPY" in found[0].message
    assert "USD" in report.violations[0].message


def test_the_audit_finds_a_disbursement_not_in_its_needs_currency():
    need = funded_need()
    insert_rows(
        Disbursement,
        [
            {
                "need_id": need.pk,
                "partner_id": need.partner_id,
                "amount": 100,
                "currency": "JPY",
                "paid_on": timezone.localdate(),
                "created_at": timezone.now(),
            }
        ],
    )

    report = run_audit()

    found = [f for f in report.violations if f.check == "account-currency"]
    assert len(found) == 1
    assert "Disbursement" in found[0].message


def test_the_audit_command_exits_1_on_an_entry_in_another_currency_than_its_need(capsys):
    need = funded_need()
    _forced_entry(make_paid_donation(5_000, "JPY"), need, "JPY")

    with pytest.raises(SystemExit) as exit_:
        call_command("sixdegrees_audit")

    assert exit_.value.code == 1
    assert "account-currency" in capsys.readouterr().out


def test_the_audit_passes_a_funded_need_in_its_own_currency():
    funded_need()
    assert run_audit().ok


@pytest.mark.parametrize("field", ["cause", "region"])
def test_model_validation_keeps_a_funded_need_in_its_cause_and_region(field):
    # Gifts for a cause fill that cause's needs: moving a funded need to another cause would
    # carry restricted money out of its restriction without a reason or consent.
    need = funded_need()
    setattr(need, field, (make_cause if field == "cause" else make_region)())
    with pytest.raises(ValidationError) as error:
        need.full_clean()
    assert field in error.value.message_dict


def test_model_validation_lets_an_unfunded_need_change_cause_and_region():
    need = make_need(target_amount=100_000, currency="USD")
    need.cause, need.region = make_cause(), make_region()
    need.full_clean()


def test_a_funded_need_may_point_at_a_translation_of_its_cause():
    # wagtail-localize points a translated need at the translated cause: the same cause.
    need = funded_need()
    need.cause = translate(need.cause, "th")
    need.full_clean()
