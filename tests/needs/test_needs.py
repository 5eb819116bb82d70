"""Needs, causes, regions and partners: validation and the open-needs query."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.factories import make_cause, make_need, make_partner, make_region
from wagtail_sixdegrees.models import Need, Priority

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(clock):
    return clock.today()


def test_need_target_must_be_positive():
    need = make_need()
    need.target_amount = 0
    with pytest.raises(ValidationError) as caught:
        need.full_clean()
    assert "target_amount" in caught.value.message_dict


def test_database_refuses_a_zero_target_even_without_validation():
    need = make_need()
    with pytest.raises(IntegrityError), transaction.atomic():
        Need.objects.filter(pk=need.pk).update(target_amount=0)


def test_need_closing_date_must_not_precede_opening(today):
    need = make_need(opens_on=today)
    need.closes_on = today - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        need.full_clean()
    assert "closes_on" in caught.value.message_dict


def test_three_decimal_target_must_end_in_zero():
    need = make_need(currency="KWD", target_amount=1_000_000)
    need.target_amount = 1_000_001
    with pytest.raises(ValidationError) as caught:
        need.full_clean()
    assert "target_amount" in caught.value.message_dict


def test_open_needs_respect_dates_and_publication(today):
    open_need = make_need(opens_on=today - datetime.timedelta(days=3))
    make_need(opens_on=today + datetime.timedelta(days=1))  # not yet open
    make_need(
        opens_on=today - datetime.timedelta(days=9), closes_on=today - datetime.timedelta(days=1)
    )
    make_need(opens_on=today - datetime.timedelta(days=3), live=False)  # a draft
    closing_today = make_need(opens_on=today - datetime.timedelta(days=3), closes_on=today)

    assert set(Need.objects.open(on=today)) == {open_need, closing_today}
    assert open_need.is_open(on=today)


def test_fill_order_is_priority_then_earliest_close_then_oldest(today):
    normal_no_close = make_need(priority=Priority.NORMAL)
    normal_late = make_need(priority=Priority.NORMAL, closes_on=today + datetime.timedelta(days=60))
    normal_soon = make_need(priority=Priority.NORMAL, closes_on=today + datetime.timedelta(days=5))
    urgent = make_need(priority=Priority.URGENT)
    normal_soon_newer = make_need(
        priority=Priority.NORMAL, closes_on=today + datetime.timedelta(days=5)
    )

    assert list(Need.objects.in_fill_order()) == [
        urgent,
        normal_soon,
        normal_soon_newer,
        normal_late,
        normal_no_close,
    ]


def NeedForm(*args, **kwargs):
    """The form the admin really uses: built from the viewset's panels on our NeedForm."""
    form_class = Need.snippet_viewset.get_edit_handler().get_form_class()
    return form_class(*args, **kwargs)


def _need_form_data(**overrides):
    data = {
        "title": "School fees for twelve young women",
        "summary": "Fictional.",
        "cause": make_cause().pk,
        "region": make_region().pk,
        "partner": make_partner().pk,
        "target_amount": "2,500.50",
        "currency": "USD",
        "priority": Priority.HIGH,
        "opens_on": "2026-11-01",
        "closes_on": "",
    }
    data.update(overrides)
    return data


def test_need_form_reads_major_units_into_minor_units():
    form = NeedForm(data=_need_form_data(), instance=Need())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["target_amount"] == 250_050


def test_need_form_uses_the_currency_exponent():
    form = NeedForm(data=_need_form_data(target_amount="500000", currency="VND"), instance=Need())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["target_amount"] == 500_000


@pytest.mark.parametrize(
    ("target", "currency"),
    [("0", "USD"), ("-10", "USD"), ("ten", "USD"), ("10.5", "JPY"), ("1.234", "KWD")],
)
def test_need_form_rejects_targets_the_currency_cannot_hold(target, currency):
    form = NeedForm(data=_need_form_data(target_amount=target, currency=currency), instance=Need())
    assert not form.is_valid()
    assert "target_amount" in form.errors


def test_need_form_offers_only_configured_currencies():
    form = NeedForm(data=_need_form_data(currency="EUR"), instance=Need())
    assert not form.is_valid()
    assert "currency" in form.errors


def test_need_form_shows_stored_target_in_major_units():
    need = make_need(target_amount=250_050, currency="USD")
    form = NeedForm(instance=need)
    assert form.initial["target_amount"] == "2500.50"


@pytest.mark.postgres
def test_postgresql_holds_the_need_constraints():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conname LIKE %s", ["sixdegrees_need_%"]
        )
        names = {row[0] for row in cursor.fetchall()}
    assert {"sixdegrees_need_target_positive", "sixdegrees_need_dates_in_order"} <= names
