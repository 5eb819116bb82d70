"""The audit page: the checks' result, each problem explained for finance."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import general_pref, make_need, make_paid_donation, need_pref
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.models import Disbursement

pytestmark = pytest.mark.django_db


def test_a_clean_ledger_passes_and_notes_money_waiting(client, login_as):
    make_paid_donation(2_500, preferences=[general_pref()])
    ledger.allocate()
    login_as("viewer")
    content = client.get(reverse("sixdegrees_audit:index")).content.decode()
    assert "Every check passed for 1 donation and 0 needs." in content
    assert "$24.25 waiting in the general pool" not in content  # no fee: the whole gift
    assert "$25.00 waiting in the general pool" in content


def test_a_violation_is_explained_with_what_to_do(client, login_as):
    need = make_need(title="Shelter beds", target_amount=10_000)
    make_paid_donation(2_000, preferences=[need_pref(need)])
    ledger.allocate()
    # Written around the ledger's checks, as a careless script might.
    Disbursement.objects.create(
        need=need, partner=need.partner, amount=5_000, currency="USD", paid_on=timezone.localdate()
    )
    login_as("viewer")
    content = client.get(reverse("sixdegrees_audit:index")).content.decode()
    # Written around the ledger, so the kept balance disagrees with it too.
    assert "2 checks failed." in content
    assert "Need Shelter beds has disbursed $50.00 but holds only $20.00." in content
    assert "rebuild the balances" in content
    assert "reverse any that did not happen" in content
