"""Emailing need updates to the donors who asked for them.

Who: donors who ticked "tell me how my gift is used" on a gift whose money sits in the need now
(a positive ledger balance in it; a gift refunded or moved away no longer counts), who have not
been erased and have an address. What: one email per update and donor, in the donor's language,
however often the update is republished or the task retried. The notice row is written in the
same transaction as the email is sent, under a unique constraint: a concurrent sender waits for
it and then finds the donor already told; a failed send rolls the row back for the next try.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from ..allocation import balances
from ..giving.models import Donation, GivingSettings
from ..giving.receipts import impact_url, sender, site_root_url
from .models import NeedUpdate, NeedUpdateNotice
from .public import needs_in_locale
from .tokens import stop_updates_token
from .translations import locale_for

logger = logging.getLogger(__name__)


def recipients(update: NeedUpdate) -> list[Donation]:
    """For each donor to tell about ``update``: their latest gift whose money is in its need."""
    holding = balances.donations_holding_need(update.need.translation_key)
    donations = (
        Donation.objects.filter(pk__in=holding, wants_updates=True, donor__erased_at__isnull=True)
        .exclude(donor__email="")
        .exclude(donor__update_notices__update_key=update.translation_key)
        .select_related("donor", "site")
        .order_by("donor_id", "-paid_at", "-pk")
    )
    latest: dict[int, Donation] = {}
    for donation in donations:
        latest.setdefault(donation.donor_id, donation)
    return list(latest.values())


def _translation_for(update: NeedUpdate, language: str) -> NeedUpdate:
    """The live translation of ``update`` in ``language``, else the live source."""
    group = NeedUpdate.objects.filter(translation_key=update.translation_key, live=True)
    locale = locale_for(language)
    return (
        (group.filter(locale=locale).first() if locale else None)
        or group.order_by("pk").first()
        or update
    )


def build_notice(update: NeedUpdate, donation: Donation) -> EmailMultiAlternatives:
    """The email telling the donor of ``donation`` about ``update``, in their language."""
    donor = donation.donor
    language = donation.locale or donor.locale or settings.LANGUAGE_CODE
    with translation.override(language):
        shown = _translation_for(update, language)
        need = needs_in_locale([shown.need_id], locale_for(language)).get(shown.need_id)
        root = site_root_url(donation)
        site_settings = GivingSettings.for_site(donation.site) if donation.site_id else None
        stop_url = root + reverse(
            "wagtail_sixdegrees:stop_updates", args=[stop_updates_token(donor)]
        )
        context = {
            "update": shown,
            "need": need or shown.need,
            "donor": donor,
            "organisation": site_settings.organisation
            if site_settings
            else getattr(settings, "WAGTAIL_SITE_NAME", ""),
            "impact_url": impact_url(donation),
            "need_url": root + reverse("wagtail_sixdegrees:need", args=[shown.need_id]),
            "stop_url": stop_url,
        }
        subject = " ".join(
            render_to_string(
                "wagtail_sixdegrees/transparency/email/need_update_subject.txt", context
            ).split()
        )
        text = render_to_string("wagtail_sixdegrees/transparency/email/need_update.txt", context)
        html = render_to_string("wagtail_sixdegrees/transparency/email/need_update.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[donor.email],
        headers={
            # RFC 8058 one-click unsubscribe: mail clients POST to the stop link.
            "List-Unsubscribe": f"<{stop_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        **sender(donation),
    )
    message.attach_alternative(html, "text/html")
    return message


def send_notice(update: NeedUpdate, donation: Donation) -> bool:
    """Tell one donor about one update, unless they were told already. True if sent."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                NeedUpdateNotice.objects.create(
                    update_key=update.translation_key, donor_id=donation.donor_id
                )
        except IntegrityError:
            return False
        build_notice(update, donation).send()
    return True


def notify(update_pk: int) -> int:
    """Email a published update to every donor who should hear about it and has not yet.
    Returns how many emails were sent. Failed sends are retried by running it again."""
    update = NeedUpdate.objects.select_related("need").filter(pk=update_pk).first()
    if (
        update is None
        or not NeedUpdate.objects.filter(translation_key=update.translation_key, live=True).exists()
    ):
        return 0
    sent, failed = 0, 0
    for donation in recipients(update):
        try:
            sent += send_notice(update, donation)
        except Exception:
            failed += 1
            logger.exception("Could not email update %s to donor %s", update.pk, donation.donor_id)
    logger.info("Need update %s: %d emails sent, %d failed", update.pk, sent, failed)
    if failed:
        raise RuntimeError(f"{failed} update email(s) could not be sent; run again to retry")
    return sent
