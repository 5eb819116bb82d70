"""Allocation runs from the panel: preview (nothing written), read the plan, commit."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import cause_pref, general_pref, make_cause, make_need, make_paid_donation
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.models import AllocationRun, LedgerEntry, Need

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(login_as):
    return login_as("manager")


@pytest.fixture
def waiting_for_a_new_need():
    """Shelter money waiting in its restricted pool, then a shelter need opening."""
    shelter = make_cause("Shelter")
    make_paid_donation(10_000, preferences=[cause_pref(shelter)])
    make_paid_donation(4_000, preferences=[general_pref()])
    ledger.allocate()
    need = make_need(title="Beds for the winter", cause=shelter, target_amount=50_000)
    return need


def held(need: Need) -> int:
    return Need.objects.with_progress().get(pk=need.pk).allocated


def test_preview_writes_nothing_and_shows_the_plan_by_need_and_pool(
    client, manager, waiting_for_a_new_need
):
    lines = LedgerEntry.objects.count()

    response = client.post(reverse("sixdegrees_runs:add"))

    run = AllocationRun.objects.get()
    assert response["Location"] == reverse("sixdegrees_runs:inspect", args=[run.pk])
    assert LedgerEntry.objects.count() == lines
    assert run.status == AllocationRun.Status.PREVIEW
    assert run.created_by_label == manager.get_username()
    page = client.get(response["Location"]).content.decode()
    assert "Beds for the winter" in page
    assert "+$100.00" in page  # into the need
    assert "-$100.00" in page  # out of the shelter pool
    assert "Restricted pools" in page
    assert "Commit this run" in page


def test_committing_writes_the_plan_and_the_need_progresses(
    client, manager, waiting_for_a_new_need
):
    need = waiting_for_a_new_need
    client.post(reverse("sixdegrees_runs:add"))
    run = AllocationRun.objects.get()
    assert held(need) == 0

    response = client.post(reverse("sixdegrees_runs:commit", args=[run.pk]), follow=True)

    run.refresh_from_db()
    assert run.status == AllocationRun.Status.COMMITTED
    assert run.committed_by_label == manager.get_username()
    assert held(need) == 10_000
    assert f"Run {run.pk} is committed: 2 ledger lines written." in response.content.decode()
    listing = client.get(reverse("sixdegrees_runs:index")).content.decode()
    assert manager.get_username() in listing


def test_a_preview_that_no_longer_matches_is_refused_and_writes_nothing(
    client, manager, waiting_for_a_new_need
):
    need = waiting_for_a_new_need
    client.post(reverse("sixdegrees_runs:add"))
    run = AllocationRun.objects.get()
    make_paid_donation(2_000, preferences=[general_pref()])  # arrives after the preview
    lines = LedgerEntry.objects.count()

    response = client.post(reverse("sixdegrees_runs:commit", args=[run.pk]), follow=True)

    assert "so it was not committed. Make a new preview" in response.content.decode()
    assert LedgerEntry.objects.count() == lines
    assert held(need) == 0
    run.refresh_from_db()
    assert run.status == AllocationRun.Status.STALE
    assert (
        "Make a new preview"
        in client.get(reverse("sixdegrees_runs:inspect", args=[run.pk])).content.decode()
    )


def test_committing_twice_writes_once(client, manager, waiting_for_a_new_need):
    client.post(reverse("sixdegrees_runs:add"))
    run = AllocationRun.objects.get()
    client.post(reverse("sixdegrees_runs:commit", args=[run.pk]))
    lines = LedgerEntry.objects.count()
    client.post(reverse("sixdegrees_runs:commit", args=[run.pk]))
    assert LedgerEntry.objects.count() == lines


def test_nothing_to_allocate_says_so_and_offers_no_commit(client, manager):
    response = client.post(reverse("sixdegrees_runs:add"), follow=True)
    content = response.content.decode()
    assert "Nothing to allocate" in content
    assert "Commit this run" not in content


def test_commit_only_answers_post(client, manager, waiting_for_a_new_need):
    run = ledger.preview_run()
    response = client.get(reverse("sixdegrees_runs:commit", args=[run.pk]))
    assert response.status_code == 405
    run.refresh_from_db()
    assert run.status == AllocationRun.Status.PREVIEW


def test_a_viewer_reads_the_plan_without_a_commit_button(client, login_as, waiting_for_a_new_need):
    run = ledger.preview_run()
    login_as("viewer")
    page = client.get(reverse("sixdegrees_runs:inspect", args=[run.pk])).content.decode()
    assert "Beds for the winter" in page
    assert "Commit this run" not in page
    listing = client.get(reverse("sixdegrees_runs:index")).content.decode()
    assert "Preview allocation" not in listing
