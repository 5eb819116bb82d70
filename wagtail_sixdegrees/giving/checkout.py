"""Starting a gift: the donor, a pending donation with its preferences (and a monthly gift),
then a Stripe Checkout Session, answered with its address.

A double click or a reload posts the same form twice with the same one-time ``submission``
nonce: the second request finds the first one's pending donation and goes to the same
Checkout Session (the Stripe request carries an idempotency key derived from the donation's
reference, so even two requests racing each other get one session).
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.models import Site

from .. import conf
from . import money_log, payment_methods
from .forms import GiftRequest
from .gateway import StripeError, StripeGateway, describe_failure, idempotency_key
from .models import Donation, Donor, Frequency, RecurringGift

logger = logging.getLogger(__name__)

#: Languages Stripe Checkout is translated into (others get "auto": the browser's choice).
CHECKOUT_LOCALES = frozenset(
    [
        "bg",
        "cs",
        "da",
        "de",
        "el",
        "en",
        "es",
        "et",
        "fi",
        "fil",
        "fr",
        "hr",
        "hu",
        "id",
        "it",
        "ja",
        "ko",
        "lt",
        "lv",
        "ms",
        "mt",
        "nb",
        "nl",
        "pl",
        "pt",
        "ro",
        "ru",
        "sk",
        "sl",
        "sv",
        "th",
        "tr",
        "vi",
        "zh",
    ]
)
_LOCALE_ALIASES = {"tl": "fil", "en-gb": "en-GB", "pt-br": "pt-BR", "zh-hans": "zh", "no": "nb"}


class CheckoutUnavailable(Exception):
    """Stripe could not start the checkout; the donation is marked failed."""


def checkout_locale(language: str) -> str:
    code = language.lower()
    if code in _LOCALE_ALIASES:
        return _LOCALE_ALIASES[code]
    code = code.split("-")[0]
    return _LOCALE_ALIASES.get(code, code if code in CHECKOUT_LOCALES else "auto")


def _donor_for(gift: GiftRequest) -> Donor:
    """The donor with this email address, created with the address alone if new.

    Anyone can type anyone's address into the public form, so an unpaid form changes nothing
    about that person: the name and language typed wait on the donation until it is paid.
    """
    return Donor.objects.for_email(gift.email)


def join_donor_record(donation: Donation) -> None:
    """A paid gift joins its donor's record: the language it was given in becomes the donor's,
    and its name becomes the donor's if they had none. Called when the gift is first paid."""
    donor = donation.donor
    changed = []
    name = donation.donor_name or (
        donation.recurring_gift.donor_name if donation.recurring_gift is not None else ""
    )
    if name and not donor.name and not donor.erased_at:
        donor.name = name
        changed.append("name")
    if donation.locale and donor.locale != donation.locale and not donor.erased_at:
        donor.locale = donation.locale
        changed.append("locale")
    if changed:
        donor.save(update_fields=changed)


def _terms(gift: GiftRequest, site: Site | None) -> dict[str, Any]:
    return {
        "site": site,
        "amount": gift.amount,
        "currency": gift.currency,
        "cover_fees": gift.cover_fees,
        "covered_fee_amount": gift.covered_fee_amount,
        "anonymous": gift.anonymous,
        "dedication_kind": gift.dedication_kind,
        "dedication": gift.dedication,
        "allow_flexible_use": gift.allow_flexible_use,
        "wants_updates": gift.wants_updates,
        "locale": gift.locale,
        "donor_name": gift.name,
    }


def _find_resubmitted(gift: GiftRequest, fingerprint: str) -> Donation | None:
    if not gift.submission_key:
        return None
    donation = Donation.objects.filter(
        status=Donation.Status.PENDING,
        submission_key=gift.submission_key,
        submission_fingerprint=fingerprint,
    ).first()
    if donation is None:
        return None
    window = datetime.timedelta(seconds=conf.get_setting("RESUBMISSION_WINDOW"))
    if donation.created_at < timezone.now() - window:
        # Too old to be a double click: let the form start a new gift (the old session expires
        # by itself at Stripe).
        Donation.objects.filter(pk=donation.pk).update(submission_key="")
        return None
    return donation


def _add_preferences(preferences: Any, targets: list) -> None:
    """The rows of a donation's (or a monthly gift's) preferences, in the donor's order."""
    owner = {preferences.field.name: preferences.instance}
    preferences.bulk_create(
        [
            preferences.model(
                **owner, position=position, share_bps=share, **target.preference_fields()
            )
            for position, (target, share) in enumerate(targets)
        ]
    )


def create_pending_donation(gift: GiftRequest, site: Site | None) -> Donation:
    """The donor, a pending donation, its preferences and (monthly) its gift; or the pending
    donation an identical earlier submission of the same form created."""
    fingerprint = gift.fingerprint()
    existing = _find_resubmitted(gift, fingerprint)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            donor = _donor_for(gift)
            recurring_gift = None
            if gift.frequency == Frequency.MONTHLY:
                recurring_gift = RecurringGift.objects.create(donor=donor, **_terms(gift, site))
                _add_preferences(recurring_gift.template_preferences, gift.targets)
            donation = Donation.objects.create(
                donor=donor,
                page=gift.page,
                frequency=gift.frequency,
                recurring_gift=recurring_gift,
                submission_key=gift.submission_key,
                submission_fingerprint=fingerprint if gift.submission_key else "",
                **_terms(gift, site),
            )
            _add_preferences(donation.preferences, gift.targets)
            return donation
    except IntegrityError:
        # The same submission, a moment earlier, in another request.
        existing = _find_resubmitted(gift, fingerprint)
        if existing is None:
            raise
        return existing


def checkout_session_params(
    donation: Donation, *, success_url: str, cancel_url: str, organisation: str
) -> dict[str, Any]:
    """What we send to ``POST /v1/checkout/sessions``, built only from the donation, so a
    retry sends exactly the same request under the same idempotency key."""
    reference = str(donation.reference)
    with translation.override(donation.locale or None):
        if donation.frequency == Frequency.MONTHLY:
            product = _("Monthly gift to %(organisation)s") % {"organisation": organisation}
        else:
            product = _("Gift to %(organisation)s") % {"organisation": organisation}
    price_data: dict[str, Any] = {
        "currency": donation.currency.lower(),
        "unit_amount": donation.amount,
        "product_data": {"name": product[:250]},
    }
    metadata = {"donation": reference}
    params: dict[str, Any] = {
        "line_items": [{"price_data": price_data, "quantity": 1}],
        "client_reference_id": reference,
        "customer_email": donation.donor.email,
        "locale": checkout_locale(donation.locale or "en"),
        "metadata": metadata,
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    methods = payment_methods.methods_for(
        donation.currency, recurring=donation.frequency == Frequency.MONTHLY
    )
    if methods is not None:
        # stripe-python 16's name for the methods to offer (it has no payment_method_types).
        params["allowed_payment_method_types"] = methods
    if donation.frequency == Frequency.MONTHLY:
        gift = donation.recurring_gift
        if gift is None:  # fulfilment creates it before checkout; never reached
            raise ValueError(f"Monthly donation {donation.reference} has no recurring gift")
        price_data["recurring"] = {"interval": "month"}
        params["mode"] = "subscription"
        params["subscription_data"] = {
            "metadata": {**metadata, "recurring_gift": str(gift.reference)},
            "description": product[:500],
        }
    else:
        params["mode"] = "payment"
        params["submit_type"] = "donate"
        params["payment_intent_data"] = {"metadata": metadata, "description": product[:1000]}
    return params


def start_checkout(
    donation: Donation, request: HttpRequest, *, cancel_url: str, organisation: str
) -> str:
    """Create (or find again) the donation's Checkout Session; return its address."""
    if donation.checkout_url:
        return donation.checkout_url
    thanks = request.build_absolute_uri(reverse("wagtail_sixdegrees:thanks"))
    params = checkout_session_params(
        donation,
        # Stripe fills in {CHECKOUT_SESSION_ID}; the braces must reach it unescaped.
        success_url=f"{thanks}?donation={donation.reference}&session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=cancel_url,
        organisation=organisation,
    )
    try:
        session = StripeGateway().create_checkout_session(
            params, key=idempotency_key("checkout", donation.reference)
        )
    except StripeError as error:
        logger.warning(
            "No Checkout Session for donation %s (%s)",
            donation.reference,
            describe_failure(error),
        )
        Donation.objects.filter(pk=donation.pk, status=Donation.Status.PENDING).update(
            status=Donation.Status.FAILED,
            failure_reason=f"Checkout could not start: {type(error).__name__}"[:500],
            updated_at=timezone.now(),
        )
        raise CheckoutUnavailable from error
    Donation.objects.filter(pk=donation.pk).update(
        stripe_checkout_session_id=session["id"],
        checkout_url=session.get("url") or "",
        updated_at=timezone.now(),
    )
    money_log.log(
        "checkout_started", donation=donation, session=session["id"], frequency=donation.frequency
    )
    return session.get("url") or ""
