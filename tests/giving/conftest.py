"""Old import path of giving's plain helpers, kept while other branches still import from it;
new code imports from tests.helpers (the fixtures are in tests/fixtures/giving.py)."""

from tests.helpers import WEBHOOK_SECRET, donate_data, open_transactions, post_event

__all__ = ["WEBHOOK_SECRET", "donate_data", "open_transactions", "post_event"]
