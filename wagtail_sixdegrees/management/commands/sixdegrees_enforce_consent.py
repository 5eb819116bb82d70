"""Take down every story whose consent has expired or was withdrawn. Run it daily (or hourly)."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wagtail_sixdegrees.stories.takedown import enforce_consent


class Command(BaseCommand):
    help = (
        "Unpublish every survivor story (and its translations) whose consent has lapsed, "
        "remove it from search, purge caches and send story_consent_expired. Idempotent."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--now",
            help="Act as if it were this ISO 8601 moment (for testing policies); default: now.",
        )

    def handle(self, *args, now: str | None = None, **options) -> None:
        moment = timezone.now()
        if now:
            try:
                moment = datetime.datetime.fromisoformat(now)
            except ValueError as error:
                raise CommandError(f"--now must be an ISO 8601 moment: {error}") from error
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        reports = enforce_consent(moment)
        if not reports:
            self.stdout.write("Nothing to take down: every live story has current consent.")
            return
        for report in reports:
            title = report.consent.story_title or str(report.consent)
            self.stdout.write(
                f"Took down “{title}”: {len(report.unpublished)} page(s) unpublished "
                f"(consent {report.consent.status(timezone.localdate(moment)).label.lower()})."
            )
        count = len(reports)
        self.stdout.write(
            self.style.SUCCESS(f"{count} {'story' if count == 1 else 'stories'} taken down.")
        )
