"""What one gift did, read from the ledger: the content of the donor's impact page.

Everything comes from the donation's own ledger entries (``allocation/ledger.py`` wrote them):
where each part sits now, the rule that put it there in plain words, what has been paid out
from those needs, and the updates and stories about them. Nothing here identifies the donor
beyond what they chose, and nothing identifies a survivor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from .. import money
from ..allocation import balances
from ..allocation.engine import Account, AccountKind, Rule
from ..allocation.models import Disbursement, LedgerEntry
from ..giving.models import Donation, Preference
from ..giving.models.donations import target_label
from ..needs.models import Cause, Need, Region
from .public import consent_lapsed, current_keys, need_facts
from .translations import localised

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def restriction_label(cause: Cause | None, region: Region | None) -> str:
    if cause is not None and region is not None:
        return _("%(cause)s in %(region)s") % {"cause": cause.name, "region": region.name}
    place = cause or region
    return place.name if place is not None else ""


def _explain(rule: str, *, restriction: str, currency: str) -> str:
    """Why money is where it is, in a donor's words (docs/concepts.md#allocation-rules)."""
    texts: dict[str, StrOrPromise] = {  # Rule values are str
        Rule.NEED: _("You chose this need."),
        Rule.OVERFLOW_NEED: _(
            "The need you chose was already fully funded, so this part went to another open "
            "need of the same cause in the same region."
        ),
        Rule.OVERFLOW_POOL: _(
            "The need you chose was already fully funded and no similar need was open, so this "
            "part is set aside for the next need for %(restriction)s."
        ),
        Rule.OVERFLOW_GENERAL: _(
            "The need you chose was already fully funded; as you allowed, this part goes where "
            "it is most needed."
        ),
        Rule.MATCH_NEED: _(
            "You chose %(restriction)s: this part went to a matching open need, the most "
            "urgent first."
        ),
        Rule.WAIT_POOL: _(
            "You chose %(restriction)s. No matching need had room when your gift arrived, so "
            "this part is set aside until one opens. It never leaves %(restriction)s without a "
            "recorded reason and your consent."
        ),
        Rule.CURRENCY_POOL: _(
            "No open need you chose is funded in %(currency)s, so this part is set aside for "
            "one that is. We never convert currencies."
        ),
        Rule.GENERAL: _(
            "You chose “where most needed”: our giving managers allocate this part to the most "
            "urgent needs, and this page will show where it goes."
        ),
        Rule.FROM_POOL: _(
            "This part was set aside until a matching need opened, then moved to this one."
        ),
        Rule.MANUAL: _("A giving manager moved this part here; the reason is recorded."),
        Rule.DONOR_CHOICE: _(
            "The need this part was for closed before reaching its goal; it moved here as you "
            "chose (or, if you did not choose in time, to the next need of the same cause)."
        ),
    }
    text = texts.get(rule)
    return str(text % {"restriction": restriction, "currency": currency}) if text else ""


def _movement_description(entry: LedgerEntry) -> str:
    if entry.account_kind == AccountKind.SHORTFALL:
        return _("Refunded after it had been paid out; we covered it")
    if entry.kind == LedgerEntry.Kind.REVERSE:
        return _("Taken back (refund or dispute)")
    if entry.kind == LedgerEntry.Kind.REALLOCATE:
        return _("Moved in") if entry.amount > 0 else _("Moved out")
    return _("Allocated")


@dataclass
class Part:
    """Where one part of the gift sits now."""

    kind: str
    amount: int
    currency: str
    account: Account | None = None  # where the money sits (a need's source record)
    need: Need | None = None
    cause: Cause | None = None
    region: Region | None = None
    explanations: list[str] = field(default_factory=list)
    disbursements: list[Disbursement] = field(default_factory=list)
    updates: list[Any] = field(default_factory=list)
    stories: list[Any] = field(default_factory=list)
    #: A story once shown for this need is hidden for want of current consent (never which).
    stories_no_longer_shown: bool = False

    @property
    def amount_display(self) -> str:
        return money.format_money(self.amount, self.currency)

    @property
    def label(self) -> str:
        if self.need is not None:
            return self.need.title
        if self.kind == AccountKind.RESTRICTED:
            return _("Set aside for %(restriction)s") % {
                "restriction": restriction_label(self.cause, self.region)
            }
        return _("Where most needed")


@dataclass
class Movement:
    """One line of the gift's ledger, in plain words."""

    created_at: Any
    description: str
    place: str
    amount: int
    currency: str

    @property
    def amount_display(self) -> str:
        return money.format_money(self.amount, self.currency)


@dataclass(frozen=True)
class ChosenTarget:
    """One of the donor's choices as the page lists it."""

    describe: str
    percent_display: str


@dataclass
class GiftImpact:
    donation: Donation
    preferences: list[ChosenTarget]
    parts: list[Part]
    movements: list[Movement]

    @property
    def allocatable(self) -> int | None:
        return self.donation.allocatable_amount

    @property
    def allocatable_display(self) -> str:
        if self.allocatable is None:
            return ""
        return money.format_money(self.allocatable, self.donation.settlement_currency)

    @property
    def fee_display(self) -> str:
        donation = self.donation
        if not donation.fee_amount or not donation.settlement_currency:
            return ""
        return money.format_money(donation.fee_amount, donation.settlement_currency)

    @property
    def awaiting_allocation(self) -> bool:
        return self.donation.is_paid and not self.movements

    @property
    def currencies_differ(self) -> bool:
        donation = self.donation
        return bool(donation.settlement_currency) and (
            donation.settlement_currency != donation.currency
        )


def _place(
    entry: LedgerEntry,
    needs: dict[int, Need],
    causes: dict[int, Cause],
    regions: dict[int, Region],
) -> str:
    """Where an entry's money sits, in the reader's language."""
    if entry.account_kind == AccountKind.NEED:
        need = needs.get(entry.need_id) if entry.need_id is not None else None
        return need.title if need else str(_("A need"))
    if entry.account_kind == AccountKind.RESTRICTED:
        cause = causes.get(entry.cause_id) if entry.cause_id is not None else None
        region = regions.get(entry.region_id) if entry.region_id is not None else None
        return str(
            _("Set aside for %(restriction)s") % {"restriction": restriction_label(cause, region)}
        )
    if entry.account_kind == AccountKind.GENERAL:
        return str(_("Where most needed"))
    return str(_("Covered by us"))


def _chosen(preferences: list[Preference], needs: dict[int, Need]) -> list[ChosenTarget]:
    """The donor's choices in the reader's language (a need by its translation)."""
    chosen = []
    for preference in preferences:
        need = needs.get(preference.need_id) if preference.need_id is not None else None
        chosen.append(
            ChosenTarget(
                describe=target_label(
                    preference.kind, need or preference.need, preference.cause, preference.region
                ),
                percent_display=preference.percent_display,
            )
        )
    return chosen


def gift_impact(donation: Donation) -> GiftImpact:
    """Everything the impact page shows about ``donation``, from its ledger entries.

    A fixed number of queries, whatever the gift's number of lines, needs and updates: the
    donation's ledger lines (its balances are summed from them), its choices, the needs in
    the reader's language with their kept progress, and those needs' payouts, updates and
    stories (``tests/transparency/test_impact_page.py`` counts them)."""
    ledger = balances.donation_ledger(donation)
    entries = ledger.entries
    preferences = list(donation.preferences.select_related("cause", "region").order_by("position"))
    need_ids = {entry.need_id for entry in entries if entry.need_id}
    chosen_ids = {p.need_id for p in preferences if p.need_id is not None}
    facts = need_facts(need_ids | chosen_ids)
    needs = {pk: shown.need for pk, shown in facts.items()}
    cause_ids = {e.cause_id for e in entries if e.cause_id}
    region_ids = {e.region_id for e in entries if e.region_id}
    causes = localised(Cause.objects.filter(pk__in=cause_ids)) if cause_ids else {}
    regions = localised(Region.objects.filter(pk__in=region_ids)) if region_ids else {}
    # Consent is checked on every request: it lapses with the date, without a write.
    consented = current_keys(
        key
        for pk in need_ids
        if pk in facts
        for key in (
            *(story.translation_key for story in facts[pk].stories),
            *facts[pk].published_story_keys,
        )
    )

    rules_by_account: dict[Any, list[str]] = {}
    for entry in entries:
        if entry.amount > 0:
            rules = rules_by_account.setdefault(entry.account, [])
            if entry.rule not in rules:
                rules.append(entry.rule)

    parts = []
    for account, amount in ledger.held:
        cause = causes.get(account.cause_id) if account.cause_id is not None else None
        region = regions.get(account.region_id) if account.region_id is not None else None
        need = needs.get(account.need_id) if account.need_id is not None else None
        if need is not None:
            cause, region = need.cause, need.region
        restriction = restriction_label(cause, region)
        part = Part(
            kind=str(account.kind),
            amount=amount,
            currency=account.currency,
            account=account,
            need=need,
            cause=cause,
            region=region,
            explanations=[
                text
                for rule in rules_by_account.get(account, [])
                if (text := _explain(rule, restriction=restriction, currency=account.currency))
            ],
        )
        if need is not None and account.need_id is not None:
            part.disbursements = facts[account.need_id].disbursements
            part.updates = facts[account.need_id].updates
            part.stories = [
                story
                for story in facts[account.need_id].stories
                if story.translation_key in consented
            ]
            part.stories_no_longer_shown = consent_lapsed(facts[account.need_id], consented)
        parts.append(part)

    return GiftImpact(
        donation=donation,
        preferences=_chosen(preferences, needs),
        parts=parts,
        movements=[
            Movement(
                created_at=entry.created_at,
                description=_movement_description(entry),
                place=_place(entry, needs, causes, regions),
                amount=entry.amount,
                currency=entry.currency,
            )
            for entry in entries
        ],
    )
