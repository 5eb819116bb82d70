"""Donors' data rights: everything we hold about a donor as JSON, and erasure.

Export. The donor, every paid donation and every monthly gift with a paid donation, with all
their stored fields, preferences, the ledger lines of their money, the update emails sent to
them, the Stripe events we stored that mention them, and any earlier erasure records. Staff
names on ledger lines are left out: they are other people's data. Unpaid forms are left out
too: anyone can type anyone's address into the public form, so only a paid gift joins a
donor's record.

Erasure. First every monthly gift still running is cancelled at Stripe (if Stripe cannot be
reached, erasure is refused and nothing is erased): an erased donor must not go on being
charged, and a renewal would bring their address back. Then the donor's email and name, every dedication, every copy of them (the personal parts
of stored Stripe event payloads, the digest of the submitted form, offline gifts' payment
references and void reasons, import rows) are removed; amounts, Stripe ids, fingerprints,
preferences and ledger rows stay, so the books and the audit still balance. A
``DonorErasure`` row records when, by whom and how, never what was erased.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..allocation.models import LedgerEntry
from ..giving import fulfilment, offline, sign_in
from ..giving.gateway import StripeError, StripeGateway
from ..giving.models import Donation, Donor, RecurringGift, StripeEvent
from ..giving.privacy import ERASED, PERSONAL_KEYS, scrub  # noqa: F401 (part of this API)
from .models import DonorErasure, NeedUpdate, NeedUpdateNotice

EXPORT_FORMAT = "wagtail-sixdegrees donor export"
EXPORT_VERSION = 1
#: Who recorded or voided an offline gift: other people's data, left out of an export.
OFFLINE_STAFF_FIELDS = (
    "recorded_by",
    "recorded_by_label",
    "voided_by",
    "voided_by_label",
    "donation",
)
#: Shorter names are too likely to occur inside unrelated text to be searched for.
MIN_NEEDLE_LENGTH = 3


class DonorNotFound(Exception):
    pass


class ErasureRefused(Exception):
    """Erasure did not happen (nothing was erased); ``message`` says why and what to do."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = str(message)


def find_donor(email: str) -> Donor:
    """The donor with this address (case-insensitive); erased donors have none."""
    donor = Donor.objects.with_email(email).first() if email and email.strip() else None
    if donor is None:
        raise DonorNotFound(email)
    return donor


# --- Export -----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    return value


def row(instance: models.Model, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """Every stored column of ``instance`` (foreign keys as ids), as JSON-ready values."""
    skipped = set(exclude)
    return {
        field.attname: _plain(getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
        if field.name not in skipped and field.attname not in skipped
    }


def paid_donations(donor: Donor) -> models.QuerySet:
    """The donations that joined the donor's record: those that were paid (refunded and
    disputed ones included). Unpaid forms may have been posted by anyone with the address."""
    return donor.donations.filter(paid_at__isnull=False)


def paid_recurring_gifts(donor: Donor) -> models.QuerySet:
    """The monthly gifts with at least one paid donation."""
    return donor.recurring_gifts.filter(
        pk__in=Donation.objects.filter(donor=donor, paid_at__isnull=False).values(
            "recurring_gift_id"
        )
    )


def _stripe_ids(donor: Donor, *, paid_only: bool = False) -> tuple[set[str], set[str]]:
    """(object ids, charge ids) of everything Stripe knows about this donor's gifts (only the
    paid ones with ``paid_only``)."""
    objects: set[str] = set()
    charges: set[str] = set()
    donations = paid_donations(donor) if paid_only else donor.donations.all()
    gifts = paid_recurring_gifts(donor) if paid_only else donor.recurring_gifts.all()
    for values in donations.values_list(
        "stripe_checkout_session_id",
        "stripe_payment_intent_id",
        "stripe_charge_id",
        "stripe_invoice_id",
        "stripe_customer_id",
        "dispute_id",
    ):
        objects.update(value for value in values if value)
        if values[2]:
            charges.add(values[2])
    for values in gifts.values_list("stripe_subscription_id", "stripe_customer_id"):
        objects.update(value for value in values if value)
    return objects, charges


def events_mentioning(donor: Donor, *, paid_only: bool = False) -> models.QuerySet:
    """Stored Stripe events about the donor's payments, or containing their address.

    With ``paid_only`` (the export), events about unpaid forms are left out even when they
    carry the address: whoever posted such a form need not be the address's owner.
    """
    objects, charges = _stripe_ids(donor, paid_only=paid_only)
    about = Q(object_id__in=objects) | Q(charge_id__in=charges)
    if donor.email:
        about |= Q(payload__icontains=donor.email)
    events = StripeEvent.objects.filter(about)
    if paid_only:
        unpaid, _ = _stripe_ids(donor)
        events = events.exclude(object_id__in=unpaid - objects)
    return events.order_by("received_at", "pk")


def export_donor(donor: Donor) -> dict[str, Any]:
    """Everything we hold about ``donor``, as JSON-ready data. Amounts are minor units."""
    donations = list(paid_donations(donor).select_related("offline").order_by("created_at", "pk"))
    entries: dict[int, list[dict[str, Any]]] = {}
    for entry in LedgerEntry.objects.filter(donation__donor=donor).select_related("need"):
        line = row(entry, exclude=["actor", "actor_label", "run"])
        line["need_title"] = entry.need.title if entry.need is not None else None
        entries.setdefault(entry.donation_id, []).append(line)
    titles = dict(
        NeedUpdate.objects.filter(
            translation_key__in=donor.update_notices.values("update_key")
        ).values_list("translation_key", "title")
    )
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "donor": row(donor),
        "donations": [
            {
                **row(donation),
                "preferences": [
                    row(p, exclude=["id", "donation"]) for p in donation.preferences.all()
                ],
                "ledger": entries.get(donation.pk, []),
                # How an offline gift was received (staff names left out, as on ledger lines).
                "offline": row(donation.offline, exclude=OFFLINE_STAFF_FIELDS)
                if hasattr(donation, "offline")
                else None,
            }
            for donation in donations
        ],
        "recurring_gifts": [
            {
                **row(gift),
                "preferences": [
                    row(p, exclude=["id", "recurring_gift"])
                    for p in gift.template_preferences.all()
                ],
                "changes": [row(change, exclude=["id", "gift"]) for change in gift.changes.all()],
            }
            for gift in paid_recurring_gifts(donor).order_by("created", "pk")
        ],
        "update_emails": [
            {
                "update": str(notice.update_key),
                "title": titles.get(notice.update_key, ""),
                "sent_at": _plain(notice.sent_at),
            }
            for notice in donor.update_notices.order_by("sent_at", "pk")
        ],
        "stripe_events": [row(event) for event in events_mentioning(donor, paid_only=True)],
        "need_choices": [
            row(choice, exclude=["id", "donor"]) for choice in donor.need_choices.order_by("pk")
        ],
        "erasures": [
            row(erasure, exclude=["erased_by", "erased_by_label"])
            for erasure in donor.erasures.all()
        ],
    }


# --- Erasure ----------------------------------------------------------------------------------


def _needles(donor: Donor) -> list[str]:
    texts = [donor.email, donor.name]
    texts += list(donor.donations.exclude(dedication="").values_list("dedication", flat=True))
    texts += list(donor.recurring_gifts.exclude(dedication="").values_list("dedication", flat=True))
    texts += list(donor.donations.exclude(donor_name="").values_list("donor_name", flat=True))
    texts += list(donor.recurring_gifts.exclude(donor_name="").values_list("donor_name", flat=True))
    return sorted(
        {text.strip().lower() for text in texts if len(text.strip()) >= MIN_NEEDLE_LENGTH},
        key=len,
        reverse=True,
    )


def running_gifts(donor: Donor) -> models.QuerySet:
    """The donor's monthly gifts that Stripe may still charge."""
    return donor.recurring_gifts.exclude(
        status__in=[RecurringGift.Status.CANCELLED, RecurringGift.Status.EXPIRED]
    ).exclude(stripe_subscription_id="")


def cancel_running_gifts(donor: Donor, gateway: StripeGateway | None = None) -> int:
    """Cancel every running monthly gift of ``donor`` at Stripe and record it; returns how many.
    Raises ``ErasureRefused`` (naming the gifts still running) if Stripe cannot cancel one."""
    gifts = list(running_gifts(donor))
    gateway = gateway or StripeGateway()
    for gift in gifts:
        try:
            subscription = gateway.cancel_subscription(gift.stripe_subscription_id)
        except StripeError as error:
            still = ", ".join(g.stripe_subscription_id for g in running_gifts(donor))
            raise ErasureRefused(
                _(
                    "Nothing was erased: Stripe could not cancel this donor's monthly gift "
                    "(%(error)s). Cancel these subscriptions in Stripe, then erase again: "
                    "%(subscriptions)s."
                )
                % {"error": type(error).__name__, "subscriptions": still}
            ) from error
        fulfilment.apply_subscription(subscription, gateway)
    return len(gifts)


def erase_donor(
    donor: Donor, *, user: Any = None, via: str = DonorErasure.Via.ADMIN, label: str = ""
) -> DonorErasure:
    """Cancel ``donor``'s running monthly gifts at Stripe, then erase their personal data
    everywhere we hold it; keep the money rows. Raises ``ErasureRefused`` (nothing erased)
    if a gift cannot be cancelled."""
    # Stripe first, outside the transaction: no row stays locked while Stripe answers.
    cancelled = cancel_running_gifts(donor)
    with transaction.atomic():
        donor = Donor.objects.select_for_update().get(pk=donor.pk)
        needles = _needles(donor)
        events = 0
        for event in events_mentioning(donor).only("pk", "payload", "last_error"):
            StripeEvent.objects.filter(pk=event.pk).update(
                payload=scrub(event.payload, needles),
                last_error=scrub(event.last_error, needles),
            )
            events += 1
        donations = Donation.objects.filter(donor=donor).update(
            dedication="",
            dedication_kind="",
            donor_name="",
            anonymous=True,
            submission_fingerprint="",
            updated_at=timezone.now(),
        )
        gifts = RecurringGift.objects.filter(donor=donor).update(
            dedication="", dedication_kind="", donor_name="", anonymous=True
        )
        offline_data = offline.erase_offline_data(donor, needles)
        sign_in.forget(donor.email)  # the emailed sign-in links keep the address
        donor.erase()
        who = user if getattr(user, "is_authenticated", False) else None
        return DonorErasure.objects.create(
            donor=donor,
            erased_by=who,
            erased_by_label=label or (who.get_username() if who else ""),
            via=via,
            summary={
                "donations": donations,
                "recurring_gifts": gifts,
                "cancelled_gifts": cancelled,
                "stripe_events": events,
                "update_emails": NeedUpdateNotice.objects.filter(donor=donor).count(),
                "offline_gifts": offline_data.gifts,
                "import_previews": offline_data.previews,
            },
        )
