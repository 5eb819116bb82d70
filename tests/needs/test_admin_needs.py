"""Giving managers work with needs through Wagtail's own admin screens."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import (
    PASSWORD,
    make_cause,
    make_need,
    make_paid_donation,
    make_partner,
    make_region,
    make_superuser,
    need_edit_data,
    need_pref,
)
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.models import Need

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    """A superuser signed in through the admin's login form."""
    make_superuser("manager")
    response = client.post(
        reverse("wagtailadmin_login"), {"username": "manager", "password": PASSWORD}
    )
    assert response.status_code == 302, "the login form should accept the manager"
    return client


def test_manager_logs_in_and_publishes_a_need(manager_client):
    cause, region, partner = (
        make_cause("Shelter"),
        make_region("Chiang Rai"),
        make_partner("Partner A"),
    )
    add_url = reverse(Need.snippet_viewset.get_url_name("add"))

    form_page = manager_client.get(add_url)
    assert form_page.status_code == 200
    assert b'name="target_amount"' in form_page.content

    response = manager_client.post(
        add_url,
        {
            "title": "Twelve months of shelter",
            "summary": "Fictional: a safe bed, meals and counselling.",
            "cause": cause.pk,
            "region": region.pk,
            "partner": partner.pk,
            "target_amount": "12,000",
            "currency": "THB",
            "priority": "2",
            "opens_on": "2026-11-01",
            "closes_on": "2027-06-30",
            "action-publish": "publish",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    need = Need.objects.get()
    assert need.title == "Twelve months of shelter"
    assert need.target_amount == 1_200_000  # 12,000.00 THB in satang
    assert need.currency == "THB"
    assert need.live
    assert need.revisions.count() == 1


def test_bad_target_re_renders_with_an_error_and_saves_nothing(manager_client):
    add_url = reverse(Need.snippet_viewset.get_url_name("add"))
    response = manager_client.post(
        add_url,
        {
            "title": "Bad target",
            "summary": "Fictional.",
            "cause": make_cause().pk,
            "region": make_region().pk,
            "partner": make_partner().pk,
            "target_amount": "12.5",
            "currency": "JPY",
            "priority": "3",
            "opens_on": "2026-11-01",
        },
    )
    assert response.status_code == 200
    assert "JPY amounts are whole numbers" in response.content.decode()
    assert not Need.objects.exists()


def test_giving_menu_groups_the_needs_screens(manager_client):
    response = manager_client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Giving" in content
    assert reverse(Need.snippet_viewset.get_url_name("list")) in content


def _edit(manager_client, need, **changes):
    return manager_client.post(
        reverse(Need.snippet_viewset.get_url_name("edit"), args=[need.pk]),
        need_edit_data(need, **changes),
    )


def test_a_funded_needs_currency_cannot_be_changed_in_the_admin(manager_client):
    need = make_need(target_amount=100_000, currency="USD")
    make_paid_donation(50_000, preferences=[need_pref(need)])
    ledger.allocate()

    edit_page = manager_client.get(
        reverse(Need.snippet_viewset.get_url_name("edit"), args=[need.pk])
    ).content.decode()
    _edit(manager_client, need, currency="JPY")

    need.refresh_from_db()
    assert need.currency == "USD"
    assert "already holds money in USD" in edit_page


def test_an_unfunded_needs_currency_can_still_be_changed_in_the_admin(manager_client):
    need = make_need(target_amount=100_000, currency="USD")

    response = _edit(manager_client, need, currency="THB")

    assert response.status_code == 302, response.content.decode()[:2000]
    need.refresh_from_db()
    assert need.currency == "THB"


@pytest.mark.parametrize("field", ["cause", "region"])
def test_a_funded_needs_cause_and_region_cannot_be_changed_in_the_admin(manager_client, field):
    need = make_need(target_amount=100_000, currency="USD")
    make_paid_donation(50_000, preferences=[need_pref(need)])
    ledger.allocate()
    other = (make_cause if field == "cause" else make_region)()

    edit_page = manager_client.get(
        reverse(Need.snippet_viewset.get_url_name("edit"), args=[need.pk])
    ).content.decode()
    _edit(manager_client, need, **{field: other.pk})

    need.refresh_from_db()
    assert getattr(need, f"{field}_id") != other.pk
    assert f"already holds money given for its {field}" in edit_page


def test_an_unfunded_needs_cause_and_region_can_still_be_changed_in_the_admin(manager_client):
    need = make_need(target_amount=100_000, currency="USD")
    cause, region = make_cause(), make_region()

    response = _edit(manager_client, need, cause=cause.pk, region=region.pk)

    assert response.status_code == 302, response.content.decode()[:2000]
    need.refresh_from_db()
    assert (need.cause_id, need.region_id) == (cause.pk, region.pk)
