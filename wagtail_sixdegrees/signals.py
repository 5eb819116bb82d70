"""Signals: the extension points a site can listen to.

All are sent after the database transaction that caused them has committed, so a receiver never
sees money that might still roll back.
"""

from django.dispatch import Signal

#: A donation became paid. ``sender``: the Donation class; ``donation``: the Donation.
donation_paid = Signal()

#: A donation was refunded in part or in full. ``donation``, ``amount_refunded`` (minor units).
donation_refunded = Signal()

#: A dispute on a paid donation opened or changed status. ``donation``, ``dispute_status``
#: (Stripe's value: ``needs_response``, ``under_review``, ``won``, ``lost``...).
donation_disputed = Signal()

#: An allocation run was committed to the ledger. ``run``: the AllocationRun.
allocation_committed = Signal()

#: A survivor withdrew consent and their story was taken down. ``story``: the page in its
#: original language; ``translations``: every page taken down; ``consent``; ``user``.
story_consent_withdrawn = Signal()

#: A story's consent expired and ``sixdegrees_enforce_consent`` took it down. ``story``: the page
#: in its original language; ``translations``: every page taken down; ``consent``: the record.
story_consent_expired = Signal()
