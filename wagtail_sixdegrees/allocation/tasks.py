"""Background work for allocation, through the django_tasks API Wagtail itself uses."""

from __future__ import annotations

from django_tasks import task

from ..giving.models import Donation


@task()
def allocate_paid_donation(donation_id: int) -> int:
    """Allocate one newly paid donation (its need, cause, region and general shares).

    Returns the number of ledger rows written: 0 when it was already allocated, so running it
    twice, or alongside a manager's run, changes nothing.
    """
    from .ledger import allocate

    return len(allocate([donation_id], include_pools=False).entries)


@task()
def sync_donation_reversals(donation_id: int) -> int:
    """Reverse a refunded or lost-in-dispute donation's share of the ledger (docs/concepts.md#rule-7)."""
    from .ledger import allocate, sync_reversals

    donation = Donation.objects.get(pk=donation_id)
    # A refund may arrive before the donation was allocated: allocate first, then reverse.
    allocate([donation_id], include_pools=False)
    return len(sync_reversals(donation))
