"""Allocation listens to giving: paid donations are allocated, refunds and lost disputes reversed.

Connected in ``AppConfig.ready``. The giving signals are sent after their transaction commits,
so the tasks enqueued here always see the payment.
"""

from __future__ import annotations

from typing import Any

from .. import conf, signals
from . import tasks


def on_donation_paid(sender: Any, donation: Any, **kwargs: Any) -> None:
    if conf.get_setting("AUTO_ALLOCATE"):
        tasks.allocate_paid_donation.enqueue(donation.pk)


def on_donation_refunded(sender: Any, donation: Any, **kwargs: Any) -> None:
    tasks.sync_donation_reversals.enqueue(donation.pk)


def on_donation_disputed(
    sender: Any, donation: Any, dispute_status: str = "", **kwargs: Any
) -> None:
    from ..giving.models import Donation

    if dispute_status == Donation.DisputeStatus.LOST:
        tasks.sync_donation_reversals.enqueue(donation.pk)


def connect() -> None:
    signals.donation_paid.connect(on_donation_paid, dispatch_uid="sixdegrees-allocate-paid")
    signals.donation_refunded.connect(
        on_donation_refunded, dispatch_uid="sixdegrees-reverse-refund"
    )
    signals.donation_disputed.connect(
        on_donation_disputed, dispatch_uid="sixdegrees-reverse-dispute"
    )
