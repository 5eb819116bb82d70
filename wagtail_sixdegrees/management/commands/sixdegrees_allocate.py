"""Allocate paid donations and waiting pool money, printing what it does per need and pool."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ... import money
from ...allocation import ledger, planning
from ...allocation.engine import AccountKind


class Command(BaseCommand):
    help = (
        "Allocate paid donations that are not allocated yet, and move money waiting in "
        "restricted pools into needs that have opened. --dry-run prints the plan only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print the plan; write nothing.")

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        try:
            outcome = ledger.allocate(dry_run=dry_run)
        except ledger.LedgerError as error:
            raise CommandError(error.message) from error
        summary = planning.summarise(outcome.digest)
        if not summary["accounts"]:
            self.stdout.write("Nothing to allocate: every paid donation is already allocated.")
            return
        self.stdout.write(
            f"{'Plan' if dry_run else 'Allocated'}: {summary['donations']} donation(s), "
            f"{summary['postings']} ledger line(s)."
        )
        labels = {
            AccountKind.NEED: "need",
            AccountKind.RESTRICTED: "restricted pool",
            AccountKind.GENERAL: "general pool",
            AccountKind.SHORTFALL: "shortfall",
        }
        for row in summary["accounts"]:
            amount = money.format_money(row["amount"], row["currency"], "en")
            label = row["label"] or ""
            self.stdout.write(f"  {amount:>20}  {labels[AccountKind(row['kind'])]:<16} {label}")
        self.stdout.write("Per currency (new money placed):")
        for currency, amount in summary["new_money"].items():
            self.stdout.write(f"  {money.format_money(amount, currency, 'en'):>20}  {currency}")
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
        else:
            self.stdout.write(self.style.SUCCESS("Written to the ledger."))
