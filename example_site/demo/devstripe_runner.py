"""Start the package's development Stripe stand-in next to `manage.py runserver` (development
only; integrators run it with `manage.py sixdegrees_devstripe` instead)."""

from __future__ import annotations

import sys

from django.conf import settings

from wagtail_sixdegrees import devstripe


def runserver_address() -> str:
    """The host:port runserver was given (``127.0.0.1:8000`` by default)."""
    for argument in sys.argv[2:]:
        if not argument.startswith("-"):
            return argument if ":" in argument else f"127.0.0.1:{argument}"
    return "127.0.0.1:8000"


def start_devstripe() -> None:
    secret = settings.WAGTAIL_SIXDEGREES["STRIPE_WEBHOOK_SECRET"]
    webhook = f"http://{runserver_address()}/giving/stripe/webhook/"
    try:
        devstripe.serve(settings.DEVSTRIPE_PORT, [(webhook, secret)], settings.DEVSTRIPE_STATE)
    except OSError as error:  # already running (another runserver): use that one
        print(f"devstripe not started: {error}", file=sys.stderr)
        return
    print(
        f"Development checkout (no real payments) on http://127.0.0.1:{settings.DEVSTRIPE_PORT}, "
        f"sending webhooks to {webhook}",
        file=sys.stderr,
    )
