"""Check the ledger's invariants (docs/concepts.md#rule-8). Exit 1 on any violation."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from ...allocation import ledger
from ...allocation.audit import run_audit
from ...giving import rollups


class Command(BaseCommand):
    help = (
        "Check that every donation's ledger entries add up, that no need is disbursed beyond "
        "what it received, that no entry is zero and every entry is in its donation's "
        "settlement currency. Exits 1 with a readable report on any violation."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--rebuild-rollups",
            action="store_true",
            help=(
                "First recompute the Giving dashboard's roll-ups (given per day, ledger "
                "movements per month), the kept balances and the money waiting for "
                "allocation from the donations and the ledger, and reinstall the triggers "
                "that keep them (days for the current TIME_ZONE). Needed after changing "
                "TIME_ZONE or writing ledger rows around the package."
            ),
        )

    def handle(self, *args, **options) -> None:
        if options["rebuild_rollups"]:
            days = rollups.rebuild()
            accounts = ledger.rebuild_balances()
            self.stdout.write(f"Rebuilt {days} day(s) of donations and {accounts} account(s).")
        report = run_audit()
        self.stdout.write(report.text())
        if not report.ok:
            sys.exit(1)
