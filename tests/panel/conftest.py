"""Panel fixtures: giving's fake Stripe and webhooks, gifts paid through the real path, and
people in each role."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import panel_user
from tests.giving.conftest import atomic_requests, deliver, give, stripe_api  # noqa: F401
from wagtail_sixdegrees.models import Donation

ROLES = ("anonymous", "editor", "viewer", "manager", "superuser")


@pytest.fixture
def pay(give, stripe_api, deliver):  # noqa: F811 (pytest injects the imported fixtures)
    """Give through the donate form, pay at (fake) Stripe, deliver its webhooks; returns the
    paid donation. Keyword arguments are donate form fields."""

    def pay(**form: Any) -> Donation:
        response = give(**form)
        assert response.status_code == 303, response.content[:500]
        donation = Donation.objects.latest("pk")
        deliver(*stripe_api.pay(donation.stripe_checkout_session_id))
        donation.refresh_from_db()
        assert donation.is_paid
        return donation

    return pay


@pytest.fixture
def login(client):
    """Sign ``client`` in as someone in ``role`` (or nobody, for "anonymous")."""

    def login(role: str):
        client.logout()
        if role == "anonymous":
            return None
        user = panel_user(role)
        client.force_login(user)
        return user

    return login
