"""Donors' names, email addresses and dedications reach only people allowed to see them: not in
listings, inspect views, search results or exports otherwise."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_donor, make_paid_donation

pytestmark = pytest.mark.django_db

EMAIL = "secret.donor@example.org"
NAME = "Fictional Secret Person"
DEDICATION = "Grandmother Fictional"


@pytest.fixture
def donation():
    donor = make_donor(EMAIL, name=NAME)
    return make_paid_donation(2_500, donor=donor, dedication_kind="memory", dedication=DEDICATION)


def pages(client, donation):
    listing = reverse("sixdegrees_donations:index")
    return {
        "listing": client.get(listing).content.decode(),
        "inspect": client.get(
            reverse("sixdegrees_donations:inspect", args=[donation.pk])
        ).content.decode(),
        "csv": b"".join(client.get(listing + "?export=csv").streaming_content).decode(),
    }


def test_a_viewer_sees_no_name_email_or_dedication_anywhere(client, login_as, donation):
    login_as("viewer")
    for where, content in pages(client, donation).items():
        for secret in (EMAIL, NAME, DEDICATION):
            assert secret not in content, f"{secret} shown in {where}"
    inspect = pages(client, donation)["inspect"]
    assert "You do not have permission to see donors' personal data." in inspect


def test_a_manager_sees_them(client, login_as, donation):
    login_as("manager")
    content = pages(client, donation)
    assert EMAIL in content["listing"] and NAME in content["listing"]
    assert DEDICATION in content["inspect"]
    rows = list(csv.DictReader(io.StringIO(content["csv"])))
    assert (rows[0]["Email"], rows[0]["Name"], rows[0]["Dedicated to"]) == (
        EMAIL,
        NAME,
        DEDICATION,
    )


def test_the_viewers_export_has_no_personal_columns(client, login_as, donation):
    login_as("viewer")
    header = next(csv.reader(io.StringIO(pages(client, donation)["csv"])))
    assert not {"Email", "Name", "Dedication", "Dedicated to"} & set(header)
    assert "Reference" in header


@pytest.mark.parametrize("query", [EMAIL, EMAIL.upper(), "secret.donor", "Secret Person"])
def test_searching_by_email_or_name_finds_nothing_for_a_viewer(client, login_as, donation, query):
    login_as("viewer")
    response = client.get(reverse("sixdegrees_donations:index"), {"q": query})
    assert str(donation.reference)[:8] not in response.content.decode()


@pytest.mark.parametrize("query", [EMAIL, EMAIL.upper(), "secret.donor", "Secret Person"])
def test_searching_by_email_or_name_finds_the_donation_for_a_manager(
    client, login_as, donation, query
):
    make_paid_donation(1_000)  # someone else, not found
    login_as("manager")
    response = client.get(reverse("sixdegrees_donations:index"), {"q": query})
    content = response.content.decode()
    assert str(donation.reference)[:8] in content
    assert "1 donation" in content


def test_the_donor_is_not_even_read_for_people_who_may_not_see_them(client, login_as, donation):
    login_as("viewer")
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("sixdegrees_donations:index"))
        client.get(reverse("sixdegrees_donations:inspect", args=[donation.pk]))
    donor_table = '"wagtail_sixdegrees_donor"'
    assert not [q["sql"] for q in queries.captured_queries if donor_table in q["sql"]]


def test_an_editor_cannot_reach_donors_through_the_panel(client, login_as, donation):
    login_as("editor")
    response = client.get(reverse("sixdegrees_donations:index"), {"q": EMAIL})
    assert response.status_code == 302
    assert EMAIL not in response.content.decode()
