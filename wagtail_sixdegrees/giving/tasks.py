"""Background work for giving, through the django_tasks API that Wagtail uses."""

from __future__ import annotations

from django_tasks import task

from . import receipts


@task()
def send_receipt(donation_pk: int) -> bool:
    """Email the receipt of a paid donation (once)."""
    return receipts.send_receipt(donation_pk)
