"""``sixdegrees_purge_previews``: delete offline gift import previews that were never committed.

A preview keeps every row of the uploaded file as typed, donors' names and email addresses
included, so a preview nobody committed within ``OFFLINE_IMPORT_PREVIEW_HOURS`` is deleted.
Committed imports are kept (their rows no longer hold names or addresses). Idempotent: run it
from the same timer as the allocation sweep.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ...giving import offline


class Command(BaseCommand):
    help = "Delete offline gift import previews older than OFFLINE_IMPORT_PREVIEW_HOURS."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = offline.purge_previews()
        self.stdout.write(f"{deleted} expired import preview(s) deleted.")
