"""The read side of money: the only code that sums ledger entries and disbursements.

Every screen, endpoint, email and check that shows or tests what an account holds asks this
module, so two screens cannot disagree about a figure (a test keeps it the only one:
``tests/allocation/test_balances.py``). Two sources:

* the **kept balances** (:class:`~.models.AccountBalance`), one small row per account, which
  ``ledger.py`` updates in the same transaction as every ledger row and disbursement it writes.
  Pages, the dashboard, public totals, the JSON API and the ledger's own checks under its locks
  read these;
* the **raw ledger**, summed here only for what the kept balances do not hold (one donation's
  money per account, movements in a period) and for the audit, which recomputes every kept
  balance from the ledger and reports any difference (:func:`balance_differences`).

Money attaches to the source record of each translation group (``ledger.py`` writes it there);
readers look needs up by ``translation_key``, so every translation shows the same figures.
"""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypedDict, overload

from django.db import connection, models
from django.db.models import Case, Exists, IntegerField, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import (
    Cast,
    Coalesce,
    Collate,
    Concat,
    Greatest,
    NullIf,
    TruncMonth,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import conf
from ..giving.models import Donation
from ..needs.models import Cause, Need, NeedQuerySet, Region
from . import engine
from .engine import Account, AccountKind
from .models import (
    AccountBalance,
    AccountMonth,
    Disbursement,
    LedgerEntry,
    UnallocatedMoney,
    balance_key,
)

#: Statuses whose money is (still, at least in part) the organisation's to allocate.
ALLOCATABLE_STATUSES = (
    Donation.Status.PAID,
    Donation.Status.PARTIALLY_REFUNDED,
    Donation.Status.REFUNDED,
    Donation.Status.DISPUTED,
)

_BIG = models.BigIntegerField()


def _positive(column: str = "amount", then: object = None) -> Case:
    """``column`` where it is above zero (or ``then`` there: ``Value(1)`` counts), else 0."""
    value = column if then is None else then
    return Case(When(**{f"{column}__gt": 0}, then=value), default=0, output_field=_BIG)


# --- Typed values ---------------------------------------------------------------------------


class OpenNeedRow(TypedDict):
    """An open canonical need as the engine's planner reads it."""

    pk: int
    cause_id: int
    region_id: int
    currency: str
    target_amount: int
    priority: int
    closes_on: datetime.date | None
    created_at: datetime.datetime
    held: int


class RestrictedHolding(TypedDict):
    """One donation's money waiting in one restricted pool."""

    donation_id: int
    currency: str
    cause_id: int | None
    region_id: int | None
    total: int


class DonationSums(TypedDict):
    """One donation's ledger entries summed by kind."""

    donation_id: int
    allocated: int
    moved: int
    reversed: int


class NegativeAccount(TypedDict):
    """A (donation, account) pair whose entries sum below zero."""

    donation_id: int
    account_kind: str
    need_id: int | None
    cause_id: int | None
    region_id: int | None
    currency: str
    total: int


class _Recomputed(TypedDict):
    key: str
    account: Account
    held: int
    raised: int
    disbursed: int


@dataclass(frozen=True)
class NeedProgress:
    """A need's figures, shared by every translation of it."""

    target: int
    raised: int = 0
    allocated: int = 0
    disbursed: int = 0

    @property
    def gap(self) -> int:
        """What is still missing to reach the target (never negative)."""
        return max(self.target - self.allocated, 0)

    @property
    def available(self) -> int:
        """What the need holds and has not paid out yet."""
        return self.allocated - self.disbursed

    @property
    def percent(self) -> int:
        """Whole percent of the target held now, from 0 to 100."""
        if self.target <= 0:
            return 0
        return max(0, min(100, self.allocated * 100 // self.target))


@dataclass(frozen=True)
class AccountTotal:
    """What one account holds now (``held``), with its label in the reader's language."""

    account: Account
    held: int
    raised: int = 0
    disbursed: int = 0
    label: str = ""

    @property
    def kind(self) -> str:
        return str(self.account.kind)

    @property
    def currency(self) -> str:
        return self.account.currency


@dataclass
class PlaceTotals:
    """One cause's or region's money in one currency: in needs, waiting in pools, paid out."""

    in_needs: int = 0
    waiting: int = 0
    disbursed: int = 0


@dataclass
class CurrencyFigures:
    """Everything the ledger holds in one currency, by account kind and by canonical cause
    and region id (a need counts towards its cause and its region)."""

    currency: str
    in_needs: int = 0
    restricted: int = 0
    general: int = 0
    shortfall: int = 0
    disbursed: int = 0
    unallocated: int = 0
    by_cause: dict[int, PlaceTotals] = field(default_factory=dict)
    by_region: dict[int, PlaceTotals] = field(default_factory=dict)


# --- Canonical records ----------------------------------------------------------------------


def canonical_ids(model: type[models.Model], ids: Iterable[int | None]) -> dict[int, int]:
    """Map record ids to the source record (oldest) of their translation group."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = model._default_manager.filter(pk__in=wanted).values_list("pk", "translation_key")
    keys: dict[int, uuid.UUID] = dict(rows)
    sources: dict[uuid.UUID, int] = {}
    for pk, key in (
        model._default_manager.filter(translation_key__in=set(keys.values()))
        .order_by("pk")
        .values_list("pk", "translation_key")
    ):
        sources.setdefault(key, pk)
    return {pk: sources[key] for pk, key in keys.items()}


def canonical_needs() -> NeedQuerySet:
    """Needs that hold money: the source record of each translation group."""
    first = (
        Need.objects.filter(translation_key=OuterRef("translation_key"))
        .order_by("pk")
        .values("pk")[:1]
    )
    return Need.objects.filter(pk=Subquery(first))


class Canonical:
    """Source records of every need, cause and region, loaded once (bounded by needs), for
    the allocation planner.

    Also remembers each need's canonical cause and region, so a share for a need that has
    closed can follow them. (The public totals look these up in SQL instead, in the query that
    reads the balances: :func:`currency_figures`.)
    """

    def __init__(self) -> None:
        self.causes = self._sources(Cause)
        self.regions = self._sources(Region)
        self.needs = self._sources(Need)
        self.need_place = {
            pk: (self.causes.get(cause), self.regions.get(region))
            for pk, cause, region in Need.objects.values_list("pk", "cause_id", "region_id")
        }

    @staticmethod
    def _sources(model: type[models.Model]) -> dict[int, int]:
        first: dict[uuid.UUID, int] = {}
        mapping: dict[int, int] = {}
        for pk, key in model._default_manager.order_by("pk").values_list("pk", "translation_key"):
            mapping[pk] = first.setdefault(key, pk)
        return mapping


# --- Donations waiting for allocation -------------------------------------------------------


def unallocated_donations() -> models.QuerySet[Donation]:
    """Paid donations with a known allocatable amount and no allocation yet, oldest first."""
    amount_field = conf.allocatable_field()
    allocated = LedgerEntry.objects.filter(donation=OuterRef("pk"), kind=LedgerEntry.Kind.ALLOCATE)
    return (
        Donation.objects.filter(status__in=ALLOCATABLE_STATUSES, paid_at__isnull=False)
        .exclude(settlement_currency="")
        .filter(**{f"{amount_field}__gt": 0})
        .exclude(Exists(allocated))
        .order_by("paid_at", "reference")
    )


def unallocated_by_currency() -> dict[str, int]:
    """What paid donations not allocated yet will bring, per settlement currency."""
    return {
        row["settlement_currency"]: row["total"] or 0
        for row in unallocated_donations()
        .order_by()
        .values("settlement_currency")
        .annotate(total=Sum(conf.allocatable_field()))
    }


@dataclass(frozen=True)
class Unallocated:
    """What paid donations not allocated yet bring in one settlement currency: settled gross
    and net, each with the number of donations in it (an amount of zero or less counts as
    none, as :func:`unallocated_donations` leaves such a donation out)."""

    gross: int = 0
    gross_count: int = 0
    net: int = 0
    net_count: int = 0


def recomputed_unallocated() -> dict[str, Unallocated]:
    """Per settlement currency, what paid donations with no allocation yet bring, summed from
    the donations and the ledger (the truth the kept rows are checked against)."""
    allocated = LedgerEntry.objects.filter(donation=OuterRef("pk"), kind=LedgerEntry.Kind.ALLOCATE)

    rows = (
        Donation.objects.filter(status__in=ALLOCATABLE_STATUSES, paid_at__isnull=False)
        .exclude(settlement_currency="")
        .exclude(Exists(allocated))
        .order_by()
        .values_list("settlement_currency")
        .annotate(
            gross=Sum(_positive("settlement_amount")),
            gross_count=Sum(_positive("settlement_amount", Value(1))),
            net=Sum(_positive("net_amount")),
            net_count=Sum(_positive("net_amount", Value(1))),
        )
    )
    return {
        currency: Unallocated(int(gross or 0), int(gc or 0), int(net or 0), int(nc or 0))
        for currency, gross, gc, net, nc in rows
    }


def kept_unallocated() -> dict[str, Unallocated]:
    """The kept rows (:class:`~.models.UnallocatedMoney`), by settlement currency."""
    return {
        currency: Unallocated(gross, gc, net, nc)
        for currency, gross, gc, net, nc in UnallocatedMoney.objects.values_list(
            "currency", "gross", "gross_count", "net", "net_count"
        )
    }


def unallocated_differences() -> list[tuple[str, Unallocated, Unallocated]]:
    """(currency, kept, recomputed) wherever the kept waiting money differs from the donations
    and the ledger; an all-zero row missing on one side is not a difference."""
    kept, truth = kept_unallocated(), recomputed_unallocated()
    return [
        (currency, kept.get(currency, Unallocated()), truth.get(currency, Unallocated()))
        for currency in sorted(set(kept) | set(truth))
        if kept.get(currency, Unallocated()) != truth.get(currency, Unallocated())
    ]


# --- Needs (kept balances) ------------------------------------------------------------------


def _per_need(column: str, need_ids: Iterable[int] | None) -> dict[int, int]:
    """One kept-balance column summed per need id (a need has one row per currency)."""
    rows = AccountBalance.objects.filter(account_kind=AccountKind.NEED)
    if need_ids is not None:
        rows = rows.filter(need_id__in=list(need_ids))
    totals: dict[int, int] = defaultdict(int)
    for need_id, amount in rows.values_list("need_id", column):
        totals[need_id] += amount
    return dict(totals)


def need_balances(need_ids: Iterable[int] | None = None) -> dict[int, int]:
    """What each need holds now, by the need id the money sits on."""
    return _per_need("held", need_ids)


def need_disbursed(need_ids: Iterable[int] | None = None) -> dict[int, int]:
    """What each need has paid out to its partner, by need id."""
    return _per_need("disbursed", need_ids)


def need_available(need: Need) -> int:
    """What a need holds and has not yet paid out."""
    return need_balances([need.pk]).get(need.pk, 0) - need_disbursed([need.pk]).get(need.pk, 0)


def progress(needs: Iterable[Need]) -> dict[uuid.UUID, NeedProgress]:
    """Each need's figures by translation key, from the kept balances. One query."""
    needs = list(needs)
    keys = {need.translation_key for need in needs}
    if not keys:
        return {}
    sums: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0, 0])
    rows = AccountBalance.objects.filter(
        account_kind=AccountKind.NEED, need__translation_key__in=keys
    ).values_list("need__translation_key", "raised", "held", "disbursed")
    for key, raised, held, disbursed in rows:
        row = sums[key]
        row[0] += raised
        row[1] += held
        row[2] += disbursed
    result = {}
    for need in needs:
        raised, held, disbursed = sums.get(need.translation_key, (0, 0, 0))
        result[need.translation_key] = NeedProgress(need.target_amount, raised, held, disbursed)
    return result


def attach_progress(needs: list[Need]) -> None:
    """Set ``raised``, ``allocated``, ``disbursed`` and ``gap`` on loaded needs. One query."""
    figures = progress(needs)
    for need in needs:
        shown = figures[need.translation_key]
        need.raised, need.allocated, need.disbursed = shown.raised, shown.allocated, shown.disbursed
        need.gap = shown.gap


def with_progress(queryset: NeedQuerySet) -> NeedQuerySet:
    """Annotate ``raised``, ``allocated``, ``disbursed`` and ``gap`` in the same query, for
    any number of needs (to filter or order on them): one indexed balance row per need."""

    def kept(column: str) -> Coalesce:
        rows = (
            AccountBalance.objects.filter(
                account_kind=AccountKind.NEED, need__translation_key=OuterRef("translation_key")
            )
            .order_by()
            .values("need__translation_key")
            .annotate(total=Sum(column))
            .values("total")
        )
        return Coalesce(Subquery(rows, output_field=_BIG), Value(0))

    return queryset.annotate(
        raised=kept("raised"), allocated=kept("held"), disbursed=kept("disbursed")
    ).annotate(
        gap=Greatest(models.F("target_amount") - models.F("allocated"), Value(0), output_field=_BIG)
    )


def open_need_rows(on: datetime.date | None = None) -> list[OpenNeedRow]:
    """Open canonical needs as plain values with ``held``, for the engine's gaps."""
    needs = list(
        canonical_needs()
        .open(on=on)
        .order_by("pk")
        .values_list(
            "pk",
            "cause_id",
            "region_id",
            "currency",
            "target_amount",
            "priority",
            "closes_on",
            "created_at",
        )
    )
    held = need_balances([need[0] for need in needs])
    return [
        OpenNeedRow(
            pk=pk,
            cause_id=cause_id,
            region_id=region_id,
            currency=currency,
            target_amount=target_amount,
            priority=priority,
            closes_on=closes_on,
            created_at=created_at,
            held=held.get(pk, 0),
        )
        for pk, cause_id, region_id, currency, target_amount, priority, closes_on, created_at in needs
    ]


# --- Pools and accounts (kept balances) -----------------------------------------------------


def _account(row: AccountBalance | AccountMonth) -> Account:
    return Account(
        AccountKind(row.account_kind),
        row.currency,
        need_id=row.need_id,
        cause_id=row.cause_id,
        region_id=row.region_id,
    )


def account_names(
    accounts: Iterable[Account],
) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """The titles of the needs and the names of the causes and regions that ``accounts`` name,
    by id: one query for each kind named."""
    accounts = list(accounts)
    return (
        names_by_id(Need, {a.need_id for a in accounts}, "title"),
        names_by_id(Cause, {a.cause_id for a in accounts}, "name"),
        names_by_id(Region, {a.region_id for a in accounts}, "name"),
    )


def names_by_id(model: type[models.Model], ids: Iterable[int | None], field: str) -> dict[int, str]:
    """``field`` (a title or name) of the ``model`` rows with these ids, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(model._default_manager.filter(pk__in=wanted).values_list("pk", field))


def account_label(account: Account, causes: dict[int, str], regions: dict[int, str]) -> str:
    """A pool's name for people: the general pool, or a restricted pool's cause · region."""
    if account.kind == AccountKind.RESTRICTED:
        parts = (
            causes.get(account.cause_id) if account.cause_id is not None else None,
            regions.get(account.region_id) if account.region_id is not None else None,
        )
        return " · ".join(str(part) for part in parts if part)
    if account.kind == AccountKind.GENERAL:
        return str(_("Where most needed (general pool)"))
    if account.kind == AccountKind.SHORTFALL:
        return str(_("Shortfall"))
    return ""


def pools(*, positive_only: bool = False) -> list[AccountTotal]:
    """Money in the general and restricted pools (and any shortfall), per currency, labelled."""
    rows = list(
        AccountBalance.objects.exclude(account_kind=AccountKind.NEED)
        .exclude(held=0)
        .order_by("account_kind", "currency", "cause_id", "region_id")
    )
    if positive_only:
        rows = [row for row in rows if row.held > 0]
    _, causes, regions = account_names(_account(row) for row in rows)
    return [
        AccountTotal(
            _account(row), row.held, row.raised, label=account_label(_account(row), causes, regions)
        )
        for row in rows
    ]


def pool_totals() -> dict[str, int]:
    """Money waiting for allocation (general and restricted pools together), per currency,
    summed in SQL (one row per currency, whatever the number of pools)."""
    rows = (
        AccountBalance.objects.filter(
            account_kind__in=(AccountKind.GENERAL, AccountKind.RESTRICTED)
        )
        .order_by()
        .values_list("currency")
        .annotate(total=Sum("held"))
    )
    return {currency: total for currency, total in sorted(rows) if total}


def accounts() -> list[AccountTotal]:
    """Every kept balance, need accounts included, unlabelled (for totals and the dashboard)."""
    # Plain tuples, not model instances: the dashboard reads every account (thousands).
    rows = AccountBalance.objects.order_by("key").values_list(
        "account_kind",
        "currency",
        "need_id",
        "cause_id",
        "region_id",
        "held",
        "raised",
        "disbursed",
    )
    return [
        AccountTotal(Account(AccountKind(kind), currency, need, cause, region), held, raised, paid)
        for kind, currency, need, cause, region, held, raised, paid in rows
    ]


def _source_of(model: type[models.Model], key: str) -> Subquery:
    """The id of the source record (oldest) of the translation group whose key is the outer
    query's ``key``: one indexed lookup."""
    first = model._default_manager.filter(translation_key=OuterRef(key)).order_by("pk").values("pk")
    return Subquery(first[:1], output_field=models.BigIntegerField())


def kept_unallocated_by_currency() -> dict[str, int]:
    """What paid donations not allocated yet will bring, per settlement currency, read from
    the kept rows (:class:`~.models.UnallocatedMoney`): the same figures as
    :func:`unallocated_by_currency`, in one small query."""
    column = "net" if conf.allocatable_field() == "net_amount" else "gross"
    rows = UnallocatedMoney.objects.exclude(**{column: 0}).values_list("currency", column)
    return dict(rows)


def currency_figures() -> list[CurrencyFigures]:
    """Public totals per currency from the kept balances, plus what waits for allocation (the
    kept rows). Two queries: each need's and pool's canonical cause and region are looked up
    in the query that reads the balances."""
    figures: dict[str, CurrencyFigures] = {}

    def of(currency: str) -> CurrencyFigures:
        return figures.setdefault(currency, CurrencyFigures(currency))

    def add(places: dict[int, PlaceTotals], key: int | None, slot: str, amount: int) -> None:
        if key is not None and amount:
            total = places.setdefault(key, PlaceTotals())
            setattr(total, slot, getattr(total, slot) + amount)

    # A need counts at its cause and region, a restricted pool at its own: the translation
    # group of either, mapped to its source record as money is (see canonical_ids).
    rows = (
        AccountBalance.objects.order_by()
        .annotate(
            cause_key=Coalesce(models.F("need__cause__translation_key"), "cause__translation_key"),
            region_key=Coalesce(
                models.F("need__region__translation_key"), "region__translation_key"
            ),
        )
        .annotate(cause_source=_source_of(Cause, "cause_key"))
        .annotate(region_source=_source_of(Region, "region_key"))
        .values_list(
            "account_kind", "currency", "held", "disbursed", "cause_source", "region_source"
        )
    )
    for kind, currency, held, disbursed, cause, region in rows:
        totals = of(currency)
        if kind == AccountKind.SHORTFALL:
            totals.shortfall += held
        elif kind == AccountKind.GENERAL:
            totals.general += held
        elif kind == AccountKind.NEED:
            totals.in_needs += held
            totals.disbursed += disbursed
            for places, key in ((totals.by_cause, cause), (totals.by_region, region)):
                add(places, key, "in_needs", held)
                add(places, key, "disbursed", disbursed)
        else:
            totals.restricted += held
            add(totals.by_cause, cause, "waiting", held)
            add(totals.by_region, region, "waiting", held)
    for currency, amount in kept_unallocated_by_currency().items():
        of(currency).unallocated += amount
    return [figures[currency] for currency in sorted(figures)]


# --- Raw ledger: per donation and per period ------------------------------------------------


def sum_of_entries(entries: models.QuerySet[LedgerEntry]) -> int:
    """The sum of these ledger entries' amounts."""
    return entries.aggregate(total=Sum("amount"))["total"] or 0


def donation_balances(donation: Donation) -> list[tuple[Account, int]]:
    """The donation's money per account, positive balances only, in a stable order."""
    held = donation_account_totals([donation.pk])
    return _held_now({account: total for (_donation, account), total in held.items()})


def _held_now(totals: dict[Account, int]) -> list[tuple[Account, int]]:
    balances = [
        (account, total)
        for account, total in totals.items()
        if total > 0 and account.kind != AccountKind.SHORTFALL
    ]
    return sorted(balances, key=lambda pair: engine.account_sort_key(pair[0]))


@dataclass(frozen=True)
class DonationLedger:
    """One donation's ledger lines, oldest first, and what it holds now per account (positive
    balances only, as :func:`donation_balances` gives them)."""

    entries: list[LedgerEntry]
    held: list[tuple[Account, int]]


def donation_ledger(donation: Donation) -> DonationLedger:
    """A donation's ledger lines and its money per account, summed from those same lines: one
    query (the impact page shows both; a donation has a handful of lines)."""
    entries = list(LedgerEntry.objects.filter(donation=donation).order_by("created_at", "pk"))
    totals: dict[Account, int] = defaultdict(int)
    for entry in entries:
        totals[entry.account] += entry.amount
    return DonationLedger(entries, _held_now(totals))


def donation_account_totals(donation_ids: Iterable[int]) -> dict[tuple[int, Account], int]:
    """Each (donation, account) pair's balance, for the given donations."""
    rows = (
        LedgerEntry.objects.filter(donation_id__in=list(donation_ids))
        .order_by()
        .values_list("donation_id", "account_kind", "currency", "need_id", "cause_id", "region_id")
        .annotate(total=Sum("amount"))
    )
    return {
        (donation_id, Account(AccountKind(kind), currency, need_id, cause_id, region_id)): total
        for donation_id, kind, currency, need_id, cause_id, region_id, total in rows
    }


def donation_kind_totals(donation: Donation) -> tuple[int, int]:
    """What was allocated to the donation and what has been reversed of it (positive)."""
    entries = LedgerEntry.objects.filter(donation=donation)
    return (
        sum_of_entries(entries.filter(kind=LedgerEntry.Kind.ALLOCATE)),
        -sum_of_entries(entries.filter(kind=LedgerEntry.Kind.REVERSE)),
    )


def holders(account: Account, *, flexible_only: bool = False) -> dict[int, int]:
    """The donations whose money is in ``account`` and how much each has there."""
    rows = (
        LedgerEntry.objects.for_account(account)
        .order_by()
        .values("donation_id")
        .annotate(total=Sum("amount"))
        .filter(total__gt=0)
    )
    if flexible_only:
        rows = rows.filter(
            donation_id__in=Donation.objects.filter(allow_flexible_use=True).values("pk")
        )
    return {row["donation_id"]: row["total"] for row in rows}


def restricted_holdings(currencies: Iterable[str] | None = None) -> list[RestrictedHolding]:
    """Money waiting in restricted pools per donation: donation, currency, cause, region."""
    rows = (
        LedgerEntry.objects.filter(account_kind=AccountKind.RESTRICTED)
        .order_by()
        .values("donation_id", "currency", "cause_id", "region_id")
        .annotate(total=Sum("amount"))
        .filter(total__gt=0)
    )
    if currencies is not None:
        rows = rows.filter(currency__in=list(currencies))
    return [
        RestrictedHolding(
            donation_id=row["donation_id"],
            currency=row["currency"],
            cause_id=row["cause_id"],
            region_id=row["region_id"],
            total=row["total"],
        )
        for row in rows
    ]


def donations_holding_need(translation_key: uuid.UUID) -> models.QuerySet[LedgerEntry, int]:
    """Ids of donations whose money sits in the need (any translation) now."""
    return (
        LedgerEntry.objects.filter(
            account_kind=AccountKind.NEED, need__translation_key=translation_key
        )
        .order_by()
        .values("donation_id")
        .annotate(total=Sum("amount"))
        .filter(total__gt=0)
        .values_list("donation_id", flat=True)
    )


def movements_since(start: datetime.datetime) -> list[tuple[Account, int]]:
    """Net movements into each account since ``start`` (the dashboard's "this year")."""
    entries = LedgerEntry.objects.filter(created_at__gte=start).order_by()
    # Two groupings, not one over every column: each stays a small hash aggregate.
    needs = (
        entries.filter(account_kind=AccountKind.NEED)
        .values_list("need_id", "currency")
        .annotate(total=Sum("amount"))
    )
    others = (
        entries.exclude(account_kind=AccountKind.NEED)
        .values_list("account_kind", "currency", "cause_id", "region_id")
        .annotate(total=Sum("amount"))
    )
    moved = [(Account.need(need_id, currency), total) for need_id, currency, total in needs]
    moved += [
        (Account(AccountKind(kind), currency, None, cause_id, region_id), total)
        for kind, currency, cause_id, region_id, total in others
    ]
    return moved


def movements_in_months(first_month: datetime.date) -> list[tuple[Account, int]]:
    """Net movements into each account from ``first_month`` on, read from the kept months
    (:class:`~.models.AccountMonth`, in the site's ``TIME_ZONE``): the same figures as
    :func:`movements_since` from that month's first local midnight, in a few rows per account."""
    rows = (
        AccountMonth.objects.filter(month__gte=first_month)
        .order_by()
        .values_list("account_kind", "currency", "need_id", "cause_id", "region_id")
        .annotate(total=Sum("moved"))
    )
    return [
        (Account(AccountKind(kind), currency, need_id, cause_id, region_id), total)
        for kind, currency, need_id, cause_id, region_id, total in rows
        if total
    ]


# --- The audit: recomputing from the raw ledger ---------------------------------------------


@dataclass(frozen=True)
class KeptBalance:
    """The three figures of one account, as kept or as recomputed."""

    key: str
    account: Account
    held: int = 0
    raised: int = 0
    disbursed: int = 0


def recomputed_balances() -> dict[str, KeptBalance]:
    """Every account's balance summed from the raw ledger and disbursements (the truth)."""
    found: dict[str, _Recomputed] = {}

    def slot(
        kind: str, currency: str, need_id: int | None, cause_id: int | None, region_id: int | None
    ) -> _Recomputed:
        key = balance_key(kind, currency, need_id, cause_id, region_id)
        account = Account(AccountKind(kind), currency, need_id, cause_id, region_id)
        return found.setdefault(
            key, {"key": key, "account": account, "held": 0, "raised": 0, "disbursed": 0}
        )

    rows = (
        LedgerEntry.objects.order_by()
        .values_list("account_kind", "currency", "need_id", "cause_id", "region_id")
        .annotate(held=Sum("amount"), raised=Sum(_positive()))
    )
    for kind, currency, need_id, cause_id, region_id, held, raised in rows:
        row = slot(kind, currency, need_id, cause_id, region_id)
        row["held"] += held or 0
        row["raised"] += raised or 0
    payouts = (
        Disbursement.objects.order_by()
        .values_list("need_id", "currency")
        .annotate(total=Sum("amount"))
    )
    for need_id, currency, total in payouts:
        slot(AccountKind.NEED, currency, need_id, None, None)["disbursed"] += total or 0
    return {key: KeptBalance(**row) for key, row in found.items()}


def kept_balances() -> dict[str, KeptBalance]:
    """Every balance as kept in :class:`~.models.AccountBalance`."""
    return {
        row.key: KeptBalance(row.key, _account(row), row.held, row.raised, row.disbursed)
        for row in AccountBalance.objects.all()
    }


def balance_differences() -> list[tuple[KeptBalance | None, KeptBalance | None]]:
    """(kept, recomputed) for every account where the two disagree; an all-zero account
    missing on either side is not a difference."""
    kept, truth = kept_balances(), recomputed_balances()
    differences = []
    for key in sorted(set(kept) | set(truth)):
        a, b = kept.get(key), truth.get(key)
        figures_a = (a.held, a.raised, a.disbursed) if a else (0, 0, 0)
        figures_b = (b.held, b.raised, b.disbursed) if b else (0, 0, 0)
        if figures_a != figures_b:
            differences.append((a, b))
    return differences


def recomputed_months() -> dict[tuple[str, datetime.date], KeptBalance]:
    """(key, month) -> the account's net movement that month, from the raw ledger (the truth
    the kept months are checked against), months in the site's ``TIME_ZONE``."""
    zone = zoneinfo.ZoneInfo(timezone.get_default_timezone_name())
    rows = (
        LedgerEntry.objects.annotate(month=TruncMonth("created_at", tzinfo=zone))
        .order_by()
        .values_list("account_kind", "currency", "need_id", "cause_id", "region_id", "month")
        .annotate(moved=Sum("amount"))
    )
    found: dict[tuple[str, datetime.date], KeptBalance] = {}
    for kind, currency, need_id, cause_id, region_id, month, moved in rows:
        key = balance_key(kind, currency, need_id, cause_id, region_id)
        day = (
            timezone.localtime(month, zone).date()
            if isinstance(month, datetime.datetime)
            else month
        )
        account = Account(AccountKind(kind), currency, need_id, cause_id, region_id)
        found[(key, day)] = KeptBalance(key, account, held=moved or 0)
    return found


def kept_months() -> dict[tuple[str, datetime.date], KeptBalance]:
    """Every account's kept movement per month (``held`` is what moved)."""
    return {
        (row.key, row.month): KeptBalance(row.key, _account(row), held=row.moved)
        for row in AccountMonth.objects.all()
    }


def month_differences() -> list[tuple[datetime.date, KeptBalance | None, KeptBalance | None]]:
    """(month, kept, recomputed) wherever an account's kept movement in a month differs from
    the ledger's; a zero movement missing on one side is not a difference."""
    kept, truth = kept_months(), recomputed_months()
    differences = []
    for key, month in sorted(set(kept) | set(truth)):
        a, b = kept.get((key, month)), truth.get((key, month))
        if (a.held if a else 0) != (b.held if b else 0):
            differences.append((month, a, b))
    return differences


def donation_sums() -> dict[int, DonationSums]:
    """Per donation: what was allocated, moved (reallocations, which net to zero) and reversed."""

    def by_kind(kind: str) -> Sum:
        return Sum(Case(When(kind=kind, then="amount"), default=0, output_field=IntegerField()))

    rows = (
        LedgerEntry.objects.order_by()
        .values("donation_id")
        .annotate(
            allocated=by_kind(LedgerEntry.Kind.ALLOCATE),
            moved=by_kind(LedgerEntry.Kind.REALLOCATE),
            reversed=by_kind(LedgerEntry.Kind.REVERSE),
        )
    )
    return {
        row["donation_id"]: DonationSums(
            donation_id=row["donation_id"],
            allocated=row["allocated"],
            moved=row["moved"],
            reversed=row["reversed"],
        )
        for row in rows
    }


def negative_donation_accounts(limit: int = 50) -> list[NegativeAccount]:
    """(Donation, account) pairs below zero, which must never happen (shortfall aside)."""
    rows = (
        LedgerEntry.objects.exclude(account_kind=AccountKind.SHORTFALL)
        .order_by()
        .values("donation_id", "account_kind", "need_id", "cause_id", "region_id", "currency")
        .annotate(total=Sum("amount"))
        .filter(total__lt=0)
    )
    return [
        NegativeAccount(
            donation_id=row["donation_id"],
            account_kind=row["account_kind"],
            need_id=row["need_id"],
            cause_id=row["cause_id"],
            region_id=row["region_id"],
            currency=row["currency"],
            total=row["total"],
        )
        for row in rows[:limit]
    ]


def general_by_donation() -> dict[int, int]:
    """Each donation's money in the general pool."""
    return {
        row["donation_id"]: row["total"]
        for row in LedgerEntry.objects.filter(account_kind=AccountKind.GENERAL)
        .order_by()
        .values("donation_id")
        .annotate(total=Sum("amount"))
    }


def recomputed_need_totals() -> tuple[dict[int, int], dict[int, int]]:
    """What each need received and paid out, from the raw ledger and disbursements."""
    received = {
        row["need_id"]: row["total"]
        for row in LedgerEntry.objects.filter(account_kind=AccountKind.NEED)
        .order_by()
        .values("need_id")
        .annotate(total=Sum("amount"))
    }
    paid_out = {
        row["need_id"]: row["total"]
        for row in Disbursement.objects.order_by().values("need_id").annotate(total=Sum("amount"))
    }
    return received, paid_out


__all__ = [
    "ALLOCATABLE_STATUSES",
    "AccountTotal",
    "Canonical",
    "CurrencyFigures",
    "DonationLedger",
    "KeptBalance",
    "NeedProgress",
    "PlaceTotals",
    "Unallocated",
    "account_label",
    "accounts",
    "attach_progress",
    "balance_differences",
    "canonical_ids",
    "canonical_needs",
    "currency_figures",
    "donation_balances",
    "donation_ledger",
    "kept_months",
    "kept_unallocated",
    "kept_unallocated_by_currency",
    "month_differences",
    "movements_in_months",
    "movements_since",
    "names_by_id",
    "need_available",
    "need_balances",
    "need_disbursed",
    "pool_totals",
    "pools",
    "progress",
    "recomputed_balances",
    "recomputed_months",
    "recomputed_unallocated",
    "unallocated_by_currency",
    "unallocated_differences",
    "unallocated_donations",
    "with_progress",
]


# --- Closed needs (docs/concepts.md#need-closes) --------------------------------------------


def need_waiting(need_id: int) -> dict[int, int]:
    """What each donation still has waiting in the need: its money there, less its part of what
    the need paid out (oldest money first, :func:`.engine.waiting_after_disbursements`)."""
    account_rows = AccountBalance.objects.filter(account_kind=AccountKind.NEED, need_id=need_id)
    currency = account_rows.values_list("currency", flat=True).first()
    if currency is None:
        return {}
    held = holders(Account.need(need_id, currency))
    arrival = Donation.objects.filter(pk__in=held).values_list(
        "pk", "paid_at", "created_at", "reference"
    )
    holdings = [
        engine.Holding(pk, held[pk], paid_at or created_at, str(reference))
        for pk, paid_at, created_at, reference in arrival
    ]
    return engine.waiting_after_disbursements(holdings, need_disbursed([need_id]).get(need_id, 0))


def closed_needs_with_waiting_money(today: datetime.date) -> list[Need]:
    """Needs (the source record of each translation group) whose closing day has passed before
    they reached their target, and that still hold money not paid out."""
    rows = AccountBalance.objects.filter(
        account_kind=AccountKind.NEED, need__closes_on__lt=today, held__gt=models.F("disbursed")
    ).values_list("need_id", "held")
    held = dict(rows)
    needs = Need.objects.filter(pk__in=held).order_by("pk")
    return [need for need in needs if held[need.pk] < need.target_amount]


def donor_choice_moves() -> dict[str, int]:
    """Money moved out of closed needs by donors' choices (or their defaults), per currency."""
    rows = (
        LedgerEntry.objects.filter(rule=engine.Rule.DONOR_CHOICE, amount__gt=0)
        .order_by()
        .values_list("currency")
        .annotate(total=Sum("amount"))
    )
    return dict(rows)


# --- The Giving dashboard: chosen and grouped in SQL ----------------------------------------
# What the dashboard shows grows with needs and pools, not with donations; these keep it from
# growing with needs and pools too: each answer is a few grouped rows or a page of them.


@dataclass(frozen=True)
class KindTotal:
    """What the accounts of one kind hold in one currency (pools and shortfall)."""

    kind: str
    currency: str
    held: int


@dataclass(frozen=True)
class RestrictedPool:
    """Restricted pools shown under one label ("cause · region"), in one currency."""

    currency: str
    label: str
    held: int


@dataclass(frozen=True)
class PlaceMovement:
    """Net movement into the accounts of one kind at one cause (or region) in one currency; a
    need's money counts at its need's cause and region, a pool's at its own. ``place`` is the
    cause's or region's name (None for none)."""

    kind: str
    currency: str
    place: str | None
    moved: int


def pool_kind_totals() -> list[KindTotal]:
    """What the general and restricted pools and the shortfall hold, per kind and currency,
    in one grouped query."""
    rows = (
        AccountBalance.objects.exclude(account_kind=AccountKind.NEED)
        .order_by()
        .values_list("account_kind", "currency")
        .annotate(total=Sum("held"))
        .order_by("account_kind", "currency")
    )
    return [KindTotal(kind, currency, total or 0) for kind, currency, total in rows]


def _label_order() -> Collate | models.F:
    """Restricted pool labels in code point order (as Python sorts them) on every database."""
    if connection.vendor == "postgresql":
        return Collate(models.F("label"), "C")
    return models.F("label")


def _pool_label() -> Case:
    """A restricted pool's label in SQL, as :func:`account_label` makes it: "cause · region",
    or whichever of the two names is not empty."""
    return Case(
        When(
            ~models.Q(cause_label="") & ~models.Q(region_label=""),
            then=Concat("cause_label", Value(" · "), "region_label"),
        ),
        When(~models.Q(cause_label=""), then=models.F("cause_label")),
        default=models.F("region_label"),
        output_field=models.CharField(),
    )


class RestrictedPools:
    """Restricted pools grouped by their label in SQL, ordered by currency and label, for a
    paginator: :meth:`count` and a slice each run one query, whatever the number of pools.

    The label joins the cause's and the region's names as :func:`account_label` does, and pools
    with the same label and currency are shown as one (as the dashboard always has)."""

    def _grouped(self, *fields: str) -> models.QuerySet[AccountBalance, tuple[str, str, int]]:
        return (
            AccountBalance.objects.filter(account_kind=AccountKind.RESTRICTED)
            .annotate(
                cause_label=Coalesce(models.F("cause__name"), Value("")),
                region_label=Coalesce(models.F("region__name"), Value("")),
            )
            .annotate(label=_pool_label())
            .order_by()
            .values_list("currency", "label")
            .annotate(total=Sum("held"))
            .exclude(models.Q(total=0))
        )

    def count(self) -> int:
        return self._grouped().count()

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[RestrictedPool]:
        return iter(self[0 : self.count()])

    @overload
    def __getitem__(self, index: int) -> RestrictedPool: ...

    @overload
    def __getitem__(self, index: slice) -> list[RestrictedPool]: ...

    def __getitem__(self, index: int | slice) -> RestrictedPool | list[RestrictedPool]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        rows = self._grouped().order_by("currency", _label_order())[index]
        return [RestrictedPool(currency, label, total) for currency, label, total in rows]


def _movements_by(
    rows: models.QuerySet[LedgerEntry] | models.QuerySet[AccountMonth], amount: str, place: str
) -> list[PlaceMovement]:
    name = Case(
        When(account_kind=AccountKind.NEED, then=models.F(f"need__{place}__name")),
        default=models.F(f"{place}__name"),
        output_field=models.CharField(),
    )
    grouped = (
        rows.exclude(account_kind=AccountKind.SHORTFALL)
        .annotate(place_name=name)
        .order_by()
        .values_list("account_kind", "currency", "place_name")
        .annotate(total=Sum(amount))
    )
    return [
        PlaceMovement(kind, currency, place_name, total or 0)
        for kind, currency, place_name, total in grouped
    ]


def movements_by_place(
    *, first_month: datetime.date | None = None, since: datetime.datetime | None = None
) -> tuple[list[PlaceMovement], list[PlaceMovement]]:
    """Net movements by cause and by region with their names (two grouped queries, a few rows
    per cause or region): from the kept months from ``first_month`` on, or the raw ledger ``since`` a moment
    (the same figures as :func:`movements_in_months` and :func:`movements_since`, grouped)."""
    if first_month is not None:
        months = AccountMonth.objects.filter(month__gte=first_month)
        return _movements_by(months, "moved", "cause"), _movements_by(months, "moved", "region")
    if since is None:
        raise ValueError("give first_month or since")
    entries = LedgerEntry.objects.filter(created_at__gte=since)
    return _movements_by(entries, "amount", "cause"), _movements_by(entries, "amount", "region")


def _needs_holding() -> NeedQuerySet:
    """Canonical needs with ``allocated`` (what the need's kept balances hold) and ``gap``."""
    held = (
        AccountBalance.objects.filter(account_kind=AccountKind.NEED, need_id=OuterRef("pk"))
        .order_by()
        .values("need_id")
        .annotate(total=Sum("held"))
        .values("total")
    )
    return (
        canonical_needs()
        # Cast: PostgreSQL sums bigints as numeric, and the share below must divide integers
        # (5 of 6,000 is 0 per mille, not 0.83), as the dashboard's Python fallback does.
        .annotate(allocated=Coalesce(Cast(Subquery(held), output_field=_BIG), Value(0)))
        .annotate(
            gap=Greatest(
                models.F("target_amount") - models.F("allocated"), Value(0), output_field=_BIG
            )
        )
    )


def needs_closest_to_goal(today: datetime.date, limit: int) -> NeedQuerySet:
    """Open needs not yet funded, the largest share of their target held first (in
    thousandths, rounded down), then the smallest gap: chosen and cut to ``limit`` in SQL."""
    target = NullIf(models.F("target_amount"), Value(0))
    per_mille = models.F("allocated") * Value(1000)
    # Floor division for any sign (SQL's integer division truncates towards zero).
    share = Case(
        When(allocated__gte=0, then=per_mille / target),
        default=Value(0) - ((Value(0) - per_mille + target - Value(1)) / target),
        output_field=_BIG,
    )
    return (
        _needs_holding()
        .open(on=today)
        .filter(models.Q(gap__gt=0))
        .annotate(share=share)
        .order_by(models.F("share").desc(nulls_last=True), models.F("gap"), "pk")[:limit]
    )


def overdue_needs(today: datetime.date, limit: int) -> NeedQuerySet:
    """Published needs past their closing day still short of their target, the longest closed
    first, cut to ``limit`` in SQL."""
    return (
        _needs_holding()
        .filter(models.Q(live=True, closes_on__lt=today, gap__gt=0))
        .order_by("closes_on", "pk")[:limit]
    )
