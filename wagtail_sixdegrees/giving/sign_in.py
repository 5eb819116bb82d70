"""The emailed *My giving* link: single-use, short-lived, and only ever sent to a known donor.

The token is 256 random bits; only its SHA-256 digest is stored (``DonorSignInLink``), so the
database cannot sign anyone in. Redeeming marks it used in one conditional UPDATE, so two tabs
(or a scanner racing a person) cannot both use it. Asking for a link answers the same way
whether or not the address is known: the caller never learns which. The view only enqueues
:func:`send_link` (``tasks.send_sign_in_link``) for every address, so the request does the
same work, and takes the same time, whether the address gave or not.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .. import conf
from .donor_session import normalise_email
from .models import Donation, Donor, DonorSignInLink


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def known_donor(email: str) -> Donor | None:
    """The donor with this address who has at least one paid gift (anyone can type anyone's
    address into the donate form, so an unpaid form makes nobody a donor)."""
    donor = Donor.objects.with_email(email).first()
    if donor is None or not Donation.objects.filter(donor=donor, paid_at__isnull=False).exists():
        return None
    return donor


def send_link(email: str, origin: str, language: str | None = None) -> bool:
    """Email a sign-in link if ``email`` belongs to a donor; True if one was sent. Callers
    must answer the same either way. ``origin`` is the scheme and host the donor asked from
    (``https://example.org``); ``language`` theirs, for a donor whose language we do not
    know."""
    donor = known_donor(email)
    if donor is None:
        return False
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    DonorSignInLink.objects.create(
        digest=_digest(token),
        email=normalise_email(donor.email),
        created_at=now,
        expires_at=now
        + datetime.timedelta(minutes=int(conf.get_setting("DONOR_LINK_MAX_AGE_MINUTES"))),
    )
    url = origin + reverse("wagtail_sixdegrees:my_giving_link", args=[token])
    with translation.override(donor.locale or language or settings.LANGUAGE_CODE):
        context = {
            "url": url,
            "donor": donor,
            "minutes": conf.get_setting("DONOR_LINK_MAX_AGE_MINUTES"),
        }
        subject = " ".join(
            render_to_string("wagtail_sixdegrees/giving/email/sign_in_subject.txt", context).split()
        )
        body = render_to_string("wagtail_sixdegrees/giving/email/sign_in.txt", context)
    EmailMessage(subject=subject, body=body, to=[donor.email]).send()
    return True


def usable_link(token: str) -> DonorSignInLink | None:
    """The link if it exists, is unused and has not expired (reading it uses nothing up)."""
    if not token or len(token) > 100:
        return None
    return DonorSignInLink.objects.filter(
        digest=_digest(token), used_at__isnull=True, expires_at__gt=timezone.now()
    ).first()


def redeem(token: str) -> str | None:
    """Use the link once: the donor's address, or ``None`` if it is unknown, used or expired."""
    link = usable_link(token)
    if link is None:
        return None
    claimed = DonorSignInLink.objects.filter(
        pk=link.pk, used_at__isnull=True, expires_at__gt=timezone.now()
    ).update(used_at=timezone.now())
    return link.email if claimed else None


def forget(email: str) -> int:
    """Delete every link sent to ``email`` (erasure keeps no address)."""
    return DonorSignInLink.objects.filter(email__iexact=email).delete()[0]
