"""Public giving views: thin wrappers that parse, call the domain and render."""

from .cancel import cancel_monthly
from .donate import donate
from .health import health
from .thanks import thanks
from .webhook import stripe_webhook

__all__ = ["cancel_monthly", "donate", "health", "stripe_webhook", "thanks"]
