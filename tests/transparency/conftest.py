"""Transparency tests reuse giving's fake Stripe and signed-webhook fixtures."""

import pytest
from django.utils import translation

from tests.giving.conftest import atomic_requests, deliver, give, stripe_api  # noqa: F401


@pytest.fixture(autouse=True)
def _language_reset():
    """Requests in another language leave it active in the thread (LocaleMiddleware does not
    reset it): every test starts and ends in the default language."""
    translation.deactivate()
    yield
    translation.deactivate()
