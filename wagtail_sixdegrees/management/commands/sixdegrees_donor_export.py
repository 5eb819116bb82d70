"""Write everything held about one donor as JSON (a subject access request)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from ...transparency.data_rights import DonorNotFound, export_donor, find_donor


class Command(BaseCommand):
    help = (
        "Write everything held about the donor with this email address as JSON: the donor, "
        "donations, preferences, monthly gifts, ledger lines, update emails and stored Stripe "
        "events. To stdout, or to --output."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The donor's email address (any case).")
        parser.add_argument("--output", "-o", help="Write to this file instead of stdout.")

    def handle(self, *args, email: str, output: str | None = None, **options) -> None:
        try:
            donor = find_donor(email)
        except DonorNotFound as missing:
            raise CommandError(
                "No donor has that email address (erased donors have none)."
            ) from missing
        text = json.dumps(export_donor(donor), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
        if output:
            Path(output).write_text(text + "\n", encoding="utf-8")
            self.stderr.write(f"Wrote the data of donor {donor.pk} to {output}.")
        else:
            self.stdout.write(text)
