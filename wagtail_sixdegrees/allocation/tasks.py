"""Background work for allocation, through the django_tasks API Wagtail itself uses."""

from __future__ import annotations

from django_tasks import task

from ..giving import money_log
from ..giving.models import Donation


@task()
def allocate_paid_donation(donation_id: int) -> int:
    """Allocate one newly paid donation (its need, cause, region and general shares).

    Returns the number of ledger rows written: 0 when it was already allocated, so running it
    twice, or alongside a manager's run, changes nothing.
    """
    from .ledger import allocate

    entries = allocate([donation_id], include_pools=False).entries
    _log("allocated", donation_id, entries)
    return len(entries)


@task()
def sync_donation_reversals(donation_id: int) -> int:
    """Reverse a refunded or lost-in-dispute donation's share of the ledger (docs/concepts.md#rule-7)."""
    from .ledger import allocate, sync_reversals

    donation = Donation.objects.get(pk=donation_id)
    # A refund may arrive before the donation was allocated: allocate first, then reverse.
    _log("allocated", donation_id, allocate([donation_id], include_pools=False).entries)
    entries = sync_reversals(donation)
    _log("reversed", donation_id, entries)
    return len(entries)


def _log(action: str, donation_id: int, entries: list) -> None:
    """A money line per donation, with the ledger lines written and their sum."""
    if not entries:
        return
    reference = Donation.objects.filter(pk=donation_id).values_list("reference", flat=True).first()
    money_log.log(
        action,
        donation=reference,
        entries=len(entries),
        amount=sum(entry.amount for entry in entries),
        currency=entries[0].currency,
    )
