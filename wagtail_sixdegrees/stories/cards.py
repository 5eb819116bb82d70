"""Withdrawal cards: the survivor holds their consent and can take it back without anyone's help.

When consent is recorded (or later) a caseworker issues a card in the survivor's language: a
QR code for a long random link and a short code for typing on a basic phone. Both open one
plain page that takes the story down when its button is pressed.

The secrets exist in clear only in the response that prints the card. The database keeps
keyed digests (HMAC-SHA256 with ``SECRET_KEY`` of the secret's SHA-256, see ``keyed_digest.py``),
so a copy of it (a backup, a leaked dump) cannot withdraw anyone's consent, cannot print a card
again, and cannot be searched for the 60-bit short code by hashing guesses without the key. Issuing a new card revokes the previous one; a revoked card answers
like any unknown link.

Brute force: the link carries 256 random bits; the short code 60 (12 characters of Crockford's
base 32). Even with a thousand live cards, a billion guesses find one with odds of about one in a
million, and the public views are rate limited per client address far below that.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log

from ..keyed_digest import keyed_digest, keyed_digests
from .consent import StoryConsent
from .takedown import TakedownReport, withdraw_consent

logger = logging.getLogger(__name__)

#: Crockford's base 32: digits and capitals without I, L, O and U, which are misread or
#: mistyped (and U avoids accidental words). Typed I/L and O are read as 1 and 0.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 12 x 5 bits = 60 bits
CODE_GROUP = 4  # printed as XXXX-XXXX-XXXX
TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, 256 bits
_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
_TYPING_FIXES = str.maketrans({"O": "0", "I": "1", "L": "1"})

LOG_ISSUED = "wagtail_sixdegrees.withdrawal_card_issued"
LOG_REVOKED = "wagtail_sixdegrees.withdrawal_card_revoked"
LOG_USED = "wagtail_sixdegrees.consent_withdrawn_by_card"


#: Keys card digests apart from every other keyed digest made with ``SECRET_KEY``.
DIGEST_PURPOSE = "wagtail_sixdegrees.withdrawal_card"


def _plain_digest(secret: str) -> str:
    # What cards issued before migration 0023 stored; it now only feeds the keyed digest, so
    # those cards (re-keyed by wrapping their stored digest) and new ones are looked up alike.
    return hashlib.sha256(secret.encode()).hexdigest()


def digest(secret: str) -> str:
    """The keyed digest stored instead of a card's secret (under the current key)."""
    return keyed_digest(DIGEST_PURPOSE, _plain_digest(secret))


def _digests(secret: str) -> list[str]:
    """The secret's digest under the current key and each key still accepted."""
    return keyed_digests(DIGEST_PURPOSE, _plain_digest(secret))


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _position in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """``ABCD-EFGH-JKMN``: groups of four are easier to copy from paper."""
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def normalise_code(typed: str) -> str | None:
    """The code as issued, from what someone typed (any case, dashes, spaces, O for 0),
    or None when it cannot be a code."""
    code = re.sub(r"[\s\-_.]", "", typed).upper().translate(_TYPING_FIXES)
    if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


class WithdrawalCardQuerySet(models.QuerySet["WithdrawalCard"]):
    def active(self) -> WithdrawalCardQuerySet:
        return self.filter(revoked_at__isnull=True)


class WithdrawalCard(models.Model):
    """One printed card. Only digests of its link token and short code are kept."""

    consent = models.ForeignKey(
        StoryConsent,
        verbose_name=_("consent"),
        on_delete=models.CASCADE,
        related_name="withdrawal_cards",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    language = models.CharField(
        _("language"),
        max_length=16,
        help_text=_("The survivor's chosen language for the card and the page it opens."),
    )
    contact = models.TextField(
        _("whom to contact"),
        max_length=300,
        help_text=_(
            "Shown after the story is taken down, in the survivor's language: who she can "
            "talk to, such as their caseworker's office and a phone number."
        ),
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True, editable=False)

    objects = WithdrawalCardQuerySet.as_manager()

    class Meta:
        verbose_name = _("withdrawal card")
        verbose_name_plural = _("withdrawal cards")
        ordering = ["-issued_at", "-pk"]

    def __str__(self) -> str:
        return str(_("Withdrawal card %(pk)s") % {"pk": self.pk})


@dataclass(frozen=True)
class IssuedCard:
    """A card just issued: the only moment its secrets exist in clear."""

    card: WithdrawalCard
    token: str
    code: str

    @property
    def printed_code(self) -> str:
        return format_code(self.code)


def issue_card(consent: StoryConsent, *, language: str, contact: str, user=None) -> IssuedCard:
    """Issue a new card for ``consent``, revoking any card issued before (it stops working)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    code = new_code()
    with transaction.atomic():
        revoke_cards(consent, user=user)
        card = WithdrawalCard.objects.create(
            consent=consent,
            token_hash=digest(token),
            code_hash=digest(code),
            language=language,
            contact=contact.strip(),
            issued_by=user,
        )
        log(consent, LOG_ISSUED, user=user, data={"card": card.pk, "language": language})
    return IssuedCard(card=card, token=token, code=code)


def revoke_cards(consent: StoryConsent, user=None) -> int:
    """Void every active card of ``consent`` (lost, stolen, or replaced). Returns how many."""
    revoked = consent.withdrawal_cards.active().update(revoked_at=timezone.now())
    if revoked:
        log(consent, LOG_REVOKED, user=user, data={"cards": revoked})
    return revoked


def find_card(*, token: str | None = None, code: str | None = None) -> WithdrawalCard | None:
    """The active card a link token or a typed code belongs to; None for anything else
    (unknown, revoked, malformed), so callers answer all of them the same way."""
    if token is not None:
        if not _TOKEN_PATTERN.fullmatch(token):
            return None
        lookup = {"token_hash__in": _digests(token)}
    elif code is not None:
        normalised = normalise_code(code)
        if normalised is None:
            return None
        lookup = {"code_hash__in": _digests(normalised)}
    else:
        return None
    return WithdrawalCard.objects.active().select_related("consent").filter(**lookup).first()


def withdraw_with_card(card: WithdrawalCard) -> TakedownReport:
    """The survivor pressed the button: withdraw consent and take every page down at once,
    then tell the caseworker who recorded consent and the safety reviewers (after commit)."""
    with transaction.atomic():
        # Locked first, so two presses at once log and notify only once.
        consent = StoryConsent.objects.select_for_update().get(pk=card.consent_id)
        first_time = consent.withdrawn_on is None
        report = withdraw_consent(consent)
        if first_time:
            now = timezone.now()
            WithdrawalCard.objects.filter(pk=card.pk).update(used_at=now)
            log(consent, LOG_USED, data={"card": card.pk, "pages": report.unpublished})
            transaction.on_commit(lambda: _enqueue_notice(consent.pk))
    return report


def _enqueue_notice(consent_id: int) -> None:
    from .tasks import notify_withdrawal_by_card

    notify_withdrawal_by_card.enqueue(consent_id)


def withdrawal_notice_recipients(consent: StoryConsent) -> list[str]:
    """The caseworker who recorded consent and every active safety reviewer with an email."""
    from django.contrib.auth import get_user_model

    from .workflow import REVIEWERS_GROUP_NAME

    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    reviewers = users.filter(groups__name=REVIEWERS_GROUP_NAME)
    emails = list(reviewers.values_list("email", flat=True))
    if consent.recorded_by and consent.recorded_by.is_active and consent.recorded_by.email:
        emails.insert(0, consent.recorded_by.email)
    return list(dict.fromkeys(emails))


def build_withdrawal_notice(consent: StoryConsent) -> EmailMessage | None:
    """The staff email after a card was used. It names the story (its title in the original
    language) and links the consent record; it carries nothing about donors."""
    recipients = withdrawal_notice_recipients(consent)
    if not recipients:
        return None
    from django.urls import reverse

    title = consent.story_title
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or ""
    link = base.rstrip("/") + reverse("wagtail_sixdegrees_story_consent:history", args=[consent.pk])
    subject = _("Consent withdrawn with a withdrawal card: %(story)s") % {"story": title}
    body = _(
        "The survivor used the withdrawal card to withdraw consent for the story "
        "“%(story)s” on %(moment)s.\n\n"
        "Every page of the story, in every language, has been taken down and removed from "
        "listings, search, the APIs and need pages. Nothing else needs to be done on the "
        "website. Follow your organisation's care plan; nobody needs to ask the survivor "
        "for a reason.\n\n"
        "Consent record and its history: %(link)s\n"
    ) % {
        "story": title,
        "moment": timezone.localtime(consent.withdrawn_on).strftime("%Y-%m-%d %H:%M"),
        "link": link,
    }
    return EmailMessage(subject=str(subject), body=str(body), to=recipients)
