"""Receipts: a localised email (HTML and text) when a donation is paid, and the signed link
that lets a monthly donor stop their gift without an account."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .impact_links import impact_token
from .models import Donation, GivingSettings, OfflineGift, RecurringGift

logger = logging.getLogger(__name__)

_CANCEL_SALT = "wagtail_sixdegrees.giving.cancel-monthly-gift"


def cancel_token(gift: RecurringGift) -> str:
    """A signed, unguessable token naming one monthly gift (no expiry: it sits in receipts)."""
    return signing.dumps(str(gift.reference), salt=_CANCEL_SALT, compress=False)


def gift_for_token(token: str) -> RecurringGift | None:
    try:
        reference = signing.loads(token, salt=_CANCEL_SALT)
    except signing.BadSignature:
        return None
    return RecurringGift.objects.filter(reference=reference).select_related("donor").first()


def site_root_url(donation: Donation) -> str:
    if donation.site_id and donation.site:
        return donation.site.root_url.rstrip("/")
    return str(getattr(settings, "WAGTAILADMIN_BASE_URL", "")).rstrip("/")


def impact_url(donation: Donation) -> str:
    """The donor's private impact page, with a freshly signed link."""
    path = reverse("wagtail_sixdegrees:gift", args=[impact_token(donation)])
    return f"{site_root_url(donation)}{path}"


def receipt_context(donation: Donation) -> dict:
    site_settings = GivingSettings.for_site(donation.site) if donation.site_id else None
    context = {
        "donation": donation,
        "donor": donation.donor,
        "preferences": list(
            donation.preferences.select_related("need", "cause", "region").order_by("position")
        ),
        "organisation": site_settings.organisation
        if site_settings
        else getattr(settings, "WAGTAIL_SITE_NAME", ""),
        "footer": site_settings.receipt_footer if site_settings else "",
        "cancel_url": None,
        "impact_url": impact_url(donation),
        # An offline gift's receipt says how the money came (bank transfer, cash...).
        "channel": donation.get_channel_display() if donation.is_offline else "",
    }
    gift = donation.recurring_gift
    if gift is not None and gift.is_cancellable:
        path = reverse("wagtail_sixdegrees:cancel_monthly", args=[cancel_token(gift)])
        context["cancel_url"] = f"{site_root_url(donation)}{path}"
    return context


def build_receipt(donation: Donation) -> EmailMultiAlternatives:
    """The receipt email in the donor's language."""
    with translation.override(donation.locale or donation.donor.locale or settings.LANGUAGE_CODE):
        context = receipt_context(donation)
        subject = " ".join(
            render_to_string("wagtail_sixdegrees/giving/email/receipt_subject.txt", context).split()
        )
        text = render_to_string("wagtail_sixdegrees/giving/email/receipt.txt", context)
        html = render_to_string("wagtail_sixdegrees/giving/email/receipt.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[donation.donor.email], **sender(donation)
    )
    message.attach_alternative(html, "text/html")
    return message


def sender(donation: Donation) -> dict:
    """``from_email`` and ``reply_to`` for emails about ``donation``, from the site's settings."""
    site_settings = GivingSettings.for_site(donation.site) if donation.site_id else None
    return {
        "from_email": (site_settings.receipt_from_email if site_settings else "") or None,
        "reply_to": [site_settings.receipt_reply_to]
        if site_settings and site_settings.receipt_reply_to
        else None,
    }


def _offline_receipt_wanted(donation: Donation) -> bool:
    """An offline gift is receipted only if the donor agreed to it, and while it stands."""
    return OfflineGift.objects.filter(
        donation=donation, receipt_consent=True, voided_at__isnull=True
    ).exists()


def send_receipt(donation_pk: int) -> bool:
    """Send the receipt once. False when there is nothing to send (unpaid, sent, erased)."""
    with transaction.atomic():
        donation = (
            Donation.objects.select_for_update(of=("self",), no_key=True)
            .select_related("donor", "site", "recurring_gift")
            .filter(pk=donation_pk)
            .first()
        )
        if (
            donation is None
            or not donation.is_paid
            or donation.receipt_sent_at is not None
            or not donation.donor.email
            or (donation.is_offline and not _offline_receipt_wanted(donation))
        ):
            return False
        build_receipt(donation).send()
        donation.receipt_sent_at = timezone.now()
        donation.save(update_fields=["receipt_sent_at", "updated_at"])
    logger.info("Sent the receipt for donation %s", donation.reference)
    return True
