"""Giving > Need choices: what donors chose when a need closed, filterable by need and state,
paged, with donors shown only to people who may see personal data; reached from the need's row
in Needs progress."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.allocation.test_need_choices import World
from tests.factories import make_donor, make_need, make_paid_donation, need_pref
from wagtail_sixdegrees.allocation import ledger, need_choices
from wagtail_sixdegrees.models import NeedChoice
from wagtail_sixdegrees.panel.filters import NeedChoiceState

pytestmark = pytest.mark.django_db

LISTING = reverse("sixdegrees_need_choices:index")


@pytest.fixture
def decided(clock):
    """Three donors asked about one closed need: Ada chose another need, the erased donor got
    the default, Ben has not answered yet."""
    world = World(clock)
    world.close()
    need_choices.run()
    need_choices.decide(world.choice(world.ada), "need", world.alternative)
    need_choices.decide(world.choice(world.gone), need_choices.DEFAULT_OPTION, by_default=True)
    return world


def rows(response) -> list[NeedChoice]:
    return list(response.context["object_list"])


def csv_text(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_the_listing_shows_each_choice_with_its_state_and_money(client, login_as, decided):
    login_as("manager")
    response = client.get(LISTING)
    assert response.status_code == 200
    states = {NeedChoiceState.of(choice) for choice in rows(response)}
    assert states == {"asked", "chosen", "defaulted"}
    page = response.content.decode()
    assert decided.closing.title in page
    assert decided.alternative.title in page  # where Ada's money went
    assert "Asked, no answer yet" in page and "Default applied" in page
    assert "ada@example.org" in page and "Erased donor" in page


@pytest.mark.parametrize(
    ("state", "donor"), [("asked", "ben"), ("chosen", "ada"), ("defaulted", "gone")]
)
def test_the_listing_filters_by_state(client, login_as, decided, state, donor):
    login_as("manager")
    response = client.get(LISTING, {"state": state})
    assert [choice.donor_id for choice in rows(response)] == [getattr(decided, donor).pk]


def test_the_listing_filters_by_need(client, login_as, decided, clock):
    # A second need of the cause closes with Cy's money in it.
    today = clock.today()
    need = make_need(
        cause=decided.cause, region=decided.region, target_amount=50_000, opens_on=today
    )
    make_paid_donation(700, donor=make_donor("cy@example.org"), preferences=[need_pref(need)])
    ledger.allocate()
    type(need).objects.filter(pk=need.pk).update(closes_on=today)
    clock.advance(days=1)
    need_choices.find()
    assert NeedChoice.objects.filter(need=need).count() == 1
    login_as("manager")
    response = client.get(LISTING, {"need": need.pk})
    assert [choice.need_id for choice in rows(response)] == [need.pk]
    response = client.get(LISTING, {"need": decided.closing.pk})
    assert len(rows(response)) == 3
    assert {choice.need_id for choice in rows(response)} == {decided.closing.pk}


def test_a_viewer_sees_the_choices_without_any_donor(client, login_as, decided):
    login_as("viewer")
    response = client.get(LISTING)
    page = response.content.decode()
    assert len(rows(response)) == 3
    assert "ada@example.org" not in page and "ben@example.org" not in page
    assert "Erased donor" not in page
    export = csv_text(client.get(LISTING, {"export": "csv"}))
    assert decided.closing.title in export and "ada@example.org" not in export


def test_a_manager_export_names_the_donor(client, login_as, decided):
    login_as("manager")
    export = csv_text(client.get(LISTING, {"export": "csv"}))
    assert "ada@example.org" in export


def test_the_listing_is_paged(client, login_as, decided):
    from wagtail_sixdegrees.panel.viewsets import NeedChoiceViewSet

    login_as("manager")
    assert NeedChoiceViewSet.list_per_page == 50
    response = client.get(LISTING)
    assert response.context["paginator"].per_page == 50


def test_the_need_row_in_needs_progress_links_to_its_choices(client, login_as, decided):
    login_as("viewer")
    page = client.get(reverse("sixdegrees_needs_progress:index")).content.decode()
    link = f"{LISTING}?need={decided.closing.pk}"
    assert link in page
    # Only needs with choices get the link.
    assert f"{LISTING}?need={decided.alternative.pk}" not in page
    assert client.get(link).status_code == 200


@pytest.mark.parametrize("role", ["manager", "viewer"])
def test_the_listing_reads_the_same_number_of_queries_for_more_rows(
    client, login_as, decided, role
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login_as(role)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LISTING).status_code == 200
        return len(captured)

    few = queries()
    template = decided.choice(decided.ben)
    for number in range(12):
        NeedChoice.objects.create(
            donor=make_donor(f"more-{number}@example.org"),
            need=template.need,
            currency=template.currency,
            amount=100,
            deadline=template.deadline,
        )
    assert queries() == few
