"""``sixdegrees_need_choices``: ask donors where their money goes when a need closes.

Finds needs that closed before reaching their target with money not paid out, emails each
donor whose money waits there once, and applies the default to choices past
``NEED_CHOICE_DAYS``. Idempotent: run it daily (cron); a second run sends and moves nothing
twice.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ...allocation import need_choices


class Command(BaseCommand):
    help = "Email donors whose money waits in a closed need, and apply overdue defaults."

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = need_choices.run()
        self.stdout.write(
            f"{outcome.found} new choice(s), {outcome.emailed} email(s) sent, "
            f"{outcome.defaults} default(s) applied."
        )
