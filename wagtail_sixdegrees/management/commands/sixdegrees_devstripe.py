"""Run the development Stripe stand-in (``wagtail_sixdegrees.devstripe``) beside your site.

DEVELOPMENT ONLY: it moves no money and checks no card. It refuses to start unless ``DEBUG`` is
on, or you pass ``--i-know-this-is-not-production`` (a staging box with ``DEBUG`` off). Point
``WAGTAIL_SIXDEGREES["STRIPE_API_BASE"]`` at the address it prints, and every donation your site
takes goes through its test checkout page and comes back as signed webhooks.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from ... import conf, devstripe

NOT_PRODUCTION_FLAG = "--i-know-this-is-not-production"


class Command(BaseCommand):
    help = (
        "Development only: a local Stripe-compatible checkout on 127.0.0.1 that sends signed "
        "webhooks to this site. No money moves. Refuses to run unless DEBUG is on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8421, help="default 8421")
        parser.add_argument(
            "--site",
            default="http://127.0.0.1:8000",
            help="where your site runs (default http://127.0.0.1:8000); webhooks go to its "
            "stripe_webhook URL",
        )
        parser.add_argument(
            "--webhook", default="", help="the full webhook URL, if not under --site"
        )
        parser.add_argument(
            "--secret",
            default="",
            help="the webhook signing secret (default: STRIPE_WEBHOOK_SECRET from the settings)",
        )
        parser.add_argument(
            "--state", default="", help="a JSON file to keep its payments in between runs"
        )
        parser.add_argument(
            NOT_PRODUCTION_FLAG,
            action="store_true",
            dest="not_production",
            help="start even though DEBUG is off (a staging or CI machine, never production)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["not_production"]:
            raise CommandError(
                "sixdegrees_devstripe is for development: it takes pretend payments. DEBUG is "
                f"off, so it did not start. On a machine that is not production, pass "
                f"{NOT_PRODUCTION_FLAG}."
            )
        secrets = [options["secret"]] if options["secret"] else conf.webhook_secrets()
        if not secrets:
            raise CommandError(
                f"No webhook secret: set {conf.SETTINGS_NAME}['STRIPE_WEBHOOK_SECRET'] (any "
                "whsec_... value will do for development) or pass --secret."
            )
        webhook = options["webhook"] or (
            options["site"].rstrip("/") + reverse("wagtail_sixdegrees:stripe_webhook")
        )
        port = options["port"]
        try:
            server = devstripe.serve(port, [(webhook, secrets[0])], options["state"])
        except OSError as error:
            raise CommandError(f"Could not listen on 127.0.0.1:{port}: {error}") from error
        address = f"http://127.0.0.1:{port}"
        self.stdout.write(
            f"Development Stripe stand-in (no money moves) on {address}, "
            f"sending signed webhooks to {webhook}"
        )
        if (conf.get_setting("STRIPE_API_BASE") or "").rstrip("/") != address:
            self.stdout.write(
                self.style.WARNING(
                    f'Your site does not call it yet: set {conf.SETTINGS_NAME}["STRIPE_API_BASE"] '
                    f'= "{address}" and restart the site.'
                )
            )
        try:
            self.wait_until_stopped(server)
        finally:
            server.shutdown()
            server.server_close()

    def wait_until_stopped(self, server: Any) -> None:
        """Serve until Ctrl+C (tests replace this to talk to the running server)."""
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
