"""Panel tests reuse giving's fake Stripe and signed-webhook fixtures."""

from tests.giving.conftest import _fresh_cache, deliver, give, stripe_api  # noqa: F401
