"""Check the ledger's invariants (docs/concepts.md#rule-8). Exit 1 on any violation."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from ...allocation.audit import run_audit


class Command(BaseCommand):
    help = (
        "Check that every donation's ledger entries add up, that no need is disbursed beyond "
        "what it received, that no entry is zero and every entry is in its donation's "
        "settlement currency. Exits 1 with a readable report on any violation."
    )

    def handle(self, *args, **options) -> None:
        report = run_audit()
        self.stdout.write(report.text())
        if not report.ok:
            sys.exit(1)
