"""Donors choose where their money goes when a need closes (docs/concepts.md#need-closes).

A need whose closing day has passed before it reached its target, still holding money it has
not paid out, leaves that money waiting. Each donor whose money waits there gets one
:class:`~wagtail_sixdegrees.giving.models.NeedChoice`, one email (when they have an address and
were not erased) and a prompt in *My giving*: another open need of the same cause (in the same
region, where the gift named one), the next need of the cause (its restricted pool, which the
next allocation fills matching needs from), or where most needed. With no answer within
``NEED_CHOICE_DAYS`` the default applies: the cause's restricted pool, so the money never leaves
its restriction without the donor's word. Each decision is one reallocation through
:func:`.ledger.move_for_donor_choice`, with the donor's choice as its reason.

:func:`run` does it all and is idempotent: a choice row exists once per donor and need (a
unique constraint), is emailed once (``notified_at``, set in the transaction that sends) and
decided once (``decided_at``, set in the transaction that moves the money, under a row lock).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import conf, money
from ..giving.models import Donation, NeedChoice, Preference, PreferenceKind
from ..giving.models.need_choices import choice_for_token, choice_token
from ..giving.receipts import sender, site_root_url
from ..needs.models import Cause, Need, Region
from ..needs.translations import in_language, supported_language
from . import balances, ledger
from .engine import Account
from .models import LedgerEntry

logger = logging.getLogger(__name__)


class ChoiceRefused(Exception):
    """The choice cannot be made (already decided, or the need offered is no longer open)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- finding who must choose ----------------------------------------------------------------


def _donations_by_donor(waiting: dict[int, int]) -> dict[int, list[int]]:
    donors: dict[int, list[int]] = {}
    rows = Donation.objects.filter(pk__in=waiting).values_list("pk", "donor_id")
    for donation_id, donor_id in rows:
        donors.setdefault(donor_id, []).append(donation_id)
    return donors


def _named_region(need: Need, donation_ids: list[int]) -> bool:
    """Whether the gifts named a region (a need or a region is a place; a cause alone is not)."""
    positions = set(
        LedgerEntry.objects.filter(
            donation_id__in=donation_ids, need=need, amount__gt=0, kind=LedgerEntry.Kind.ALLOCATE
        ).values_list("donation_id", "preference_position")
    )
    kinds = {
        kind
        for donation_id, position, kind in Preference.objects.filter(
            donation_id__in=donation_ids
        ).values_list("donation_id", "position", "kind")
        if (donation_id, position) in positions
    }
    return not kinds or kinds != {PreferenceKind.CAUSE}


def find(today: datetime.date | None = None) -> int:
    """Write a choice for each donor with money waiting in a need that closed. Returns how many
    are new (a donor and need already written are left alone)."""
    today = today or timezone.localdate()
    days = int(conf.get_setting("NEED_CHOICE_DAYS"))
    # A need an editor opened again keeps its money: questions not yet answered are withdrawn
    # (their links stop working); if it closes again, its donors are asked again.
    NeedChoice.objects.filter(
        decided_at__isnull=True, need__in=Need.objects.open(today).values("pk")
    ).delete()
    created = 0
    for need in balances.closed_needs_with_waiting_money(today):
        waiting = balances.need_waiting(need.pk)
        known = set(NeedChoice.objects.filter(need=need).values_list("donor_id", flat=True))
        for donor_id, donation_ids in _donations_by_donor(waiting).items():
            if donor_id in known:
                continue
            try:
                with transaction.atomic():
                    NeedChoice.objects.create(
                        donor_id=donor_id,
                        need=need,
                        currency=need.currency,
                        amount=sum(waiting[pk] for pk in donation_ids),
                        same_region=_named_region(need, donation_ids),
                        deadline=timezone.now() + datetime.timedelta(days=days),
                    )
            except IntegrityError:  # another run wrote it first
                continue
            created += 1
    return created


# --- what a donor may choose ----------------------------------------------------------------


def open_alternatives(choice: NeedChoice) -> list[Need]:
    """Open needs of the closed need's cause (and region, where the gift named one), in its
    currency, with room left, in fill order."""
    closed = choice.need
    needs = (
        Need.objects.open()
        .filter(
            pk__in=balances.canonical_needs().values("pk"),
            currency=closed.currency,
            cause__translation_key=closed.cause.translation_key,
        )
        .exclude(pk=closed.pk)
        .select_related("cause", "region")
    )
    if choice.same_region:
        needs = needs.filter(region__translation_key=closed.region.translation_key)
    ordered = needs.in_fill_order()
    held = balances.need_balances([need.pk for need in ordered])
    return [need for need in ordered if need.target_amount > held.get(need.pk, 0)]


def _pool(choice: NeedChoice) -> Account:
    closed = choice.need
    causes = balances.canonical_ids(Cause, [closed.cause_id])
    regions = balances.canonical_ids(Region, [closed.region_id])
    return Account.restricted(
        closed.currency,
        causes[closed.cause_id],
        regions[closed.region_id] if choice.same_region else None,
    )


def _reason(choice: NeedChoice, option: str, need: Need | None, *, by_default: bool) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        where = {
            NeedChoice.Option.NEED: _("to %(need)s") % {"need": need.title if need else ""},
            NeedChoice.Option.POOL: _("to the next need of its cause"),
            NeedChoice.Option.GENERAL: _("to where most needed"),
        }[NeedChoice.Option(option)]
        if by_default:
            return _(
                "%(need)s closed; the donor did not choose within %(days)d days, so the default "
                "applies: %(where)s."
            ) % {
                "need": choice.need.title,
                "days": int(conf.get_setting("NEED_CHOICE_DAYS")),
                "where": where,
            }
        return _("%(need)s closed; the donor chose: %(where)s.") % {
            "need": choice.need.title,
            "where": where,
        }


def decide(
    choice: NeedChoice, option: str, need: Need | None = None, *, by_default: bool = False
) -> NeedChoice:
    """Record the decision and move the donor's waiting money, once.

    Raises :class:`ChoiceRefused` if the choice was already decided or ``need`` is not one the
    donor may choose; nothing is moved then.
    """
    if option not in NeedChoice.Option.values:
        raise ChoiceRefused(_("Choose one of the options."))
    with transaction.atomic():
        # Only the choice's own row: the need's row is locked later, in the ledger's order.
        choice = (
            NeedChoice.objects.select_for_update(of=("self",))
            .select_related("need__cause", "need__region")
            .get(pk=choice.pk)
        )
        if choice.is_decided:
            raise ChoiceRefused(_("You have already chosen; your money has moved."))
        pool = _pool(choice)
        if option == NeedChoice.Option.NEED:
            allowed = {n.pk: n for n in open_alternatives(choice)}
            if need is None or need.pk not in allowed:
                raise ChoiceRefused(_("That need is no longer open. Please choose again."))
            target = Account.need(need.pk, need.currency)
        elif option == NeedChoice.Option.POOL:
            need, target = None, pool
        else:
            need, target = None, Account.general(choice.currency)
        donation_ids = list(
            Donation.objects.filter(donor_id=choice.donor_id).values_list("pk", flat=True)
        )
        entries = ledger.move_for_donor_choice(
            donation_ids,
            choice.need,
            target,
            overflow=pool,
            reason=_reason(choice, option, need, by_default=by_default),
        )
        choice.option = option
        choice.chosen_need = need
        choice.by_default = by_default
        choice.decided_at = timezone.now()
        choice.moved = sum(entry.amount for entry in entries if entry.amount > 0)
        choice.save(update_fields=["option", "chosen_need", "by_default", "decided_at", "moved"])
    return choice


DEFAULT_OPTION = NeedChoice.Option.POOL


def apply_defaults(now: datetime.datetime | None = None) -> int:
    """Decide every choice whose deadline has passed with the default. Returns how many."""
    now = now or timezone.now()
    applied = 0
    for choice in NeedChoice.objects.filter(decided_at__isnull=True, deadline__lte=now):
        try:
            decide(choice, DEFAULT_OPTION, by_default=True)
        except ChoiceRefused:  # decided a moment ago by the donor
            continue
        applied += 1
    return applied


# --- telling donors -------------------------------------------------------------------------


def _latest_donation(choice: NeedChoice) -> Donation | None:
    return (
        Donation.objects.filter(donor_id=choice.donor_id, paid_at__isnull=False)
        .select_related("site")
        .order_by("-paid_at", "-pk")
        .first()
    )


def choice_language(choice: NeedChoice) -> str | None:
    """The donor's language: their record's, else that of their latest paid gift; None when
    neither is one of the site's languages."""
    donation = _latest_donation(choice)
    for code in (choice.donor.locale, donation.locale if donation else ""):
        language = supported_language(code)
        if language:
            return language
    return None


def names_in(choice: NeedChoice, alternatives: list[Need], language: str | None) -> dict[str, Any]:
    """The titles and names a choice shows, in ``language``: each need's live translation,
    each cause's and region's translation, else the source's. ``alternatives`` become
    (need, title, region name) triples; the need's primary key stays the source's, which is
    what a choice is made with."""
    needs = in_language([choice.need, choice.chosen_need, *alternatives], language)
    causes = in_language([choice.need.cause], language)
    regions = in_language([need.region for need in alternatives], language)
    return {
        "need_title": needs[choice.need.pk].title,
        "chosen_title": needs[choice.chosen_need.pk].title if choice.chosen_need else "",
        "cause_name": causes[choice.need.cause.pk].name,
        "alternatives": [
            (need, needs[need.pk].title, regions[need.region.pk].name) for need in alternatives
        ],
    }


def build_email(choice: NeedChoice) -> EmailMessage:
    """The one email asking the donor to choose, in their language."""
    donor = choice.donor
    donation = _latest_donation(choice)
    root = site_root_url(donation) if donation else ""
    language = choice_language(choice) or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            **names_in(choice, [], language),
            "donor": donor,
            "choice": choice,
            "amount": money.format_money(choice.amount, choice.currency),
            "choice_url": root
            + reverse("wagtail_sixdegrees:need_choice", args=[choice_token(choice)]),
            "my_giving_url": root + reverse("wagtail_sixdegrees:my_giving"),
            "days": int(conf.get_setting("NEED_CHOICE_DAYS")),
            "deadline": timezone.localdate(choice.deadline),
        }
        subject = " ".join(
            render_to_string(
                "wagtail_sixdegrees/giving/email/need_choice_subject.txt", context
            ).split()
        )
        body = render_to_string("wagtail_sixdegrees/giving/email/need_choice.txt", context)
    return EmailMessage(
        subject=subject, body=body, to=[donor.email], **(sender(donation) if donation else {})
    )


def notify() -> int:
    """Email every undecided choice whose donor has not been told and can be. Returns how many.

    A failed send rolls its row back (the donor is asked on the next run) and does not stop
    the others; the run then fails, so a scheduler reports it.
    """
    sent, failed = 0, 0
    pending = NeedChoice.objects.filter(
        notified_at__isnull=True, decided_at__isnull=True, donor__erased_at__isnull=True
    ).exclude(donor__email="")
    for pk in pending.values_list("pk", flat=True):
        try:
            sent += _notify_one(pk)
        except Exception:
            failed += 1
            logger.exception("Could not email need choice %s", pk)
    if failed:
        raise RuntimeError(f"{failed} need choice email(s) could not be sent; run again to retry")
    return sent


def _notify_one(pk: int) -> bool:
    with transaction.atomic():
        choice = (
            NeedChoice.objects.select_for_update(of=("self",))
            .select_related("donor", "need")
            .filter(pk=pk, notified_at__isnull=True)
            .first()
        )
        if choice is None:
            return False
        build_email(choice).send()
        choice.notified_at = timezone.now()
        choice.save(update_fields=["notified_at"])
    return True


@dataclass
class Outcome:
    found: int
    emailed: int
    defaults: int


def run() -> Outcome:
    """Find new choices, apply the defaults that are due, email the rest (idempotent). A failed
    email raises after the others, so defaults never wait on a mail server."""
    found = find()
    defaults = apply_defaults()
    return Outcome(found=found, emailed=notify(), defaults=defaults)


__all__ = [
    "DEFAULT_OPTION",
    "ChoiceRefused",
    "apply_defaults",
    "choice_for_token",
    "choice_language",
    "choice_token",
    "decide",
    "find",
    "names_in",
    "notify",
    "open_alternatives",
    "run",
]
