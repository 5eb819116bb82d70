"""Transparency tests start and end in the default language."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _language_reset():
    """Requests in another language leave it active in the thread (LocaleMiddleware does not
    reset it): every test starts and ends in the default language."""
    translation.deactivate()
    yield
    translation.deactivate()
