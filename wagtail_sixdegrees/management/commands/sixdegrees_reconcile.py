"""Catch up with Stripe after webhooks were missed (an outage, a wrong secret, a firewall).

Lists Stripe's events created since ``--since`` and feeds each through the same processor as
the webhook (already processed ones are skipped), then asks Stripe about every donation still
pending since that date. Safe to run again: nothing is counted twice.
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from ...giving import fulfilment
from ...giving.gateway import StripeError, StripeGateway
from ...giving.models import Donation, StripeEvent
from ...giving.webhooks import HANDLED_EVENT_TYPES, process_event, store_event


def parse_since(value: str) -> datetime.datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since must be an ISO date or date-time, not {value!r}.")
        moment = datetime.datetime.combine(day, datetime.time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return moment


class Command(BaseCommand):
    help = "Replay Stripe events since a date through the webhook processor, and check pending donations."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", required=True, help="ISO date or date-time, e.g. 2026-11-01")

    def handle(self, *args, since: str, **options) -> None:
        moment = parse_since(since)
        gateway = StripeGateway()
        try:
            events = gateway.list_events(moment)
        except StripeError as error:
            raise CommandError(f"Stripe could not list events: {error}") from error
        counts = {"found": len(events), "new": 0, "already processed": 0, "applied": 0, "failed": 0}
        for payload in events:
            if payload.get("type") not in HANDLED_EVENT_TYPES:
                continue
            known = StripeEvent.objects.filter(stripe_id=payload["id"], processed_at__isnull=False)
            if known.exists():
                counts["already processed"] += 1
                continue
            event = store_event(payload)
            counts["new"] += 1
            try:
                event = process_event(event.stripe_id, gateway)
            except Exception as error:  # kept on the event; report and go on
                counts["failed"] += 1
                self.stderr.write(f"  {event.type} {event.stripe_id}: {error}")
                continue
            if event.outcome == StripeEvent.Outcome.APPLIED:
                counts["applied"] += 1
                self.stdout.write(f"  applied {event.type} {event.stripe_id}")
        self.stdout.write(
            "Stripe events since {}: {}".format(
                moment.isoformat(), ", ".join(f"{n} {name}" for name, n in counts.items())
            )
        )

        pending = Donation.objects.filter(
            status=Donation.Status.PENDING, created_at__gte=moment
        ).exclude(stripe_checkout_session_id="")
        checked = settled = 0
        for donation in pending.iterator():
            checked += 1
            try:
                session = gateway.retrieve_checkout_session(donation.stripe_checkout_session_id)
                fulfilment.apply_checkout_session(session, gateway)
            except StripeError as error:
                self.stderr.write(f"  donation {donation.reference}: {error}")
                continue
            donation.refresh_from_db()
            if donation.status != Donation.Status.PENDING:
                settled += 1
                self.stdout.write(f"  donation {donation.reference} is now {donation.status}")
        self.stdout.write(f"Pending donations checked: {checked}, changed: {settled}")
        if counts["failed"]:
            raise CommandError(f"{counts['failed']} event(s) failed; see last_error on them.")
