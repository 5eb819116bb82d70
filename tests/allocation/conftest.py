"""Allocation tests reuse giving's fake Stripe and signed-webhook fixtures."""

from tests.giving.conftest import deliver, give, stripe_api  # noqa: F401
