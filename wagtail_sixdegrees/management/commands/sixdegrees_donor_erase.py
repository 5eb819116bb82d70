"""Erase one donor's personal data; keep amounts, Stripe ids and the ledger."""

from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand, CommandError

from ...transparency.data_rights import DonorNotFound, ErasureRefused, erase_donor, find_donor
from ...transparency.models import DonorErasure


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


class Command(BaseCommand):
    help = (
        "Erase the donor with this email address: their email, name and dedications, and every "
        "copy of them (stored Stripe events, form digests). Amounts, Stripe ids and ledger rows "
        "stay. Records who and when, never the address. Asks for confirmation unless --no-input."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The donor's email address (any case).")
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )
        parser.add_argument(
            "--by", default="", help="Who asked for this (recorded); default: the system user."
        )

    def handle(self, *args, email: str, interactive: bool = True, by: str = "", **options) -> None:
        try:
            donor = find_donor(email)
        except DonorNotFound as missing:
            raise CommandError(
                "No donor has that email address (erased donors have none)."
            ) from missing
        count = donor.donations.count()
        if interactive:
            answer = input(
                f"Erase donor {donor.pk} ({count} donation(s))? Their personal data cannot be "
                "brought back. Type 'yes' to continue: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing was erased.")
        try:
            erasure = erase_donor(donor, via=DonorErasure.Via.COMMAND, label=by or _who())
        except ErasureRefused as refused:
            raise CommandError(refused.message) from refused
        summary = erasure.summary
        self.stdout.write(
            self.style.SUCCESS(
                f"Erased donor {donor.pk}: {summary['donations']} donation(s), "
                f"{summary['recurring_gifts']} monthly gift(s) and {summary['stripe_events']} "
                "stored Stripe event(s) anonymised; amounts and the ledger are unchanged."
            )
        )
