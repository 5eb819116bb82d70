"""The Giving dashboard's figures: what it asks of the database.

Every figure is per currency (amounts in different currencies are never added together) and
comes from a handful of queries, whatever the number of donations, needs and pools: the days
kept with the donations (today, the last 30 days, this year and the months), and from
``allocation/balances.py`` this year's movements grouped by cause and by region, the pools
grouped by kind and currency, one page of restricted pools, and the five needs closest to
their goal and the five overdue, chosen in SQL; plus one for the donations needing attention.

"Given" means what donors paid, less what was refunded, in the currency they paid in, on the
day the payment was made. Cause, region and pool figures come from the ledger, so they are in
the currency Stripe settled in.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import overload

from django.core.paginator import Page, Paginator
from django.db.models import BigIntegerField, Case, Count, F, Q, Sum, Value, When
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import money
from ..allocation import balances
from ..allocation.engine import Account
from ..allocation.models import AccountKind, AllocationRun
from ..giving import rollups
from ..giving.models import Donation
from ..needs.models import Cause, Need, Region
from . import names

#: Statuses a giving manager should look at.
ATTENTION_STATUSES = (Donation.Status.PENDING, Donation.Status.DISPUTED, Donation.Status.FAILED)
MONTHS = 12
LIST_LENGTH = 5


def _given() -> CombinedExpression:
    return F("amount") - F("amount_refunded")


def _sum_when(condition: Q, amount: CombinedExpression) -> Sum:
    return Sum(Case(When(condition, then=amount), default=Value(0), output_field=BigIntegerField()))


def month_starts(today: datetime.date, count: int = MONTHS) -> list[datetime.date]:
    """The first days of the ``count`` months ending with ``today``'s, oldest first."""
    starts = []
    year, month = today.year, today.month
    for _index in range(count):
        starts.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass
class GivenTotals:
    """What was given in one currency over the dashboard's periods."""

    currency: str
    today: int = 0
    last_30_days: int = 0
    this_year: int = 0
    count_30_days: int = 0
    #: (first day of the month, amount), oldest first.
    months: list[tuple[datetime.date, int]] = field(default_factory=list)

    def display(self, amount: int) -> str:
        return money.format_money(amount, self.currency)

    @property
    def today_display(self) -> str:
        return self.display(self.today)

    @property
    def last_30_days_display(self) -> str:
        return self.display(self.last_30_days)

    @property
    def this_year_display(self) -> str:
        return self.display(self.this_year)


def giving_totals(now: datetime.datetime | None = None, months: int = MONTHS) -> list[GivenTotals]:
    """Given today, in the last 30 days, this calendar year and per month, per currency.

    Read from the days kept with the donations (``giving/rollups.py``) when the active time
    zone is theirs: whole days from the kept rows, plus the donations of the one day the last
    30 days begin in the middle of. Otherwise (a staff member with their own time zone) summed
    from the donations, with the same result."""
    now = now or timezone.now()
    if not rollups.usable():
        return giving_totals_from_donations(now, months)
    today = timezone.localdate(now)
    starts = month_starts(today, months)
    thirty_start = now - datetime.timedelta(days=30)
    year_start = datetime.date(today.year, 1, 1)
    # The last 30 days start partway through a day: its whole days come from the kept rows,
    # the rest of the first day from the donations themselves.
    first_whole = timezone.localdate(thirty_start)
    if _local_midnight(first_whole) < thirty_start:
        first_whole += datetime.timedelta(days=1)
    totals: dict[str, GivenTotals] = {}
    by_month: dict[str, dict[datetime.date, int]] = defaultdict(dict)
    rows = rollups.days_from(
        min(starts[0], first_whole), also=(thirty_start, _local_midnight(first_whole))
    )
    for currency, day, given, count in rows:
        entry = totals.setdefault(currency, GivenTotals(currency))
        if day is None:  # the part of the first day that is within the last 30 days
            entry.last_30_days += given
            entry.count_30_days += count
            continue
        if day >= today:
            entry.today += given
        if day >= first_whole:
            entry.last_30_days += given
            entry.count_30_days += count
        month = day.replace(day=1)
        if month >= starts[0]:
            by_month[currency][month] = by_month[currency].get(month, 0) + given
            if month >= year_start:
                entry.this_year += given
    for currency, entry in totals.items():
        entry.months = [(start, by_month[currency].get(start, 0)) for start in starts]
    return sorted(totals.values(), key=lambda entry: entry.currency)


def giving_totals_from_donations(
    now: datetime.datetime | None = None, months: int = MONTHS
) -> list[GivenTotals]:
    """:func:`giving_totals` summed from every donation of the period, in any time zone (and
    the truth the kept days are checked against in tests)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    starts = month_starts(today, months)
    today_start = _local_midnight(today)
    thirty_start = now - datetime.timedelta(days=30)
    window_start = min(_local_midnight(starts[0]), thirty_start)
    year_start = datetime.date(today.year, 1, 1)
    rows = (
        Donation.objects.filter(paid_at__gte=window_start)
        .exclude(status=Donation.Status.VOIDED)  # recorded by mistake: never given
        .annotate(month=TruncMonth("paid_at"))
        .order_by()
        .values("currency", "month")
        .annotate(
            given=Sum(_given()),
            today=_sum_when(Q(paid_at__gte=today_start), _given()),
            last_30_days=_sum_when(Q(paid_at__gte=thirty_start), _given()),
            count_30_days=Count("pk", filter=Q(paid_at__gte=thirty_start)),
        )
    )
    totals: dict[str, GivenTotals] = {}
    by_month: dict[str, dict[datetime.date, int]] = defaultdict(dict)
    for row in rows:
        currency = row["currency"]
        entry = totals.setdefault(currency, GivenTotals(currency))
        month = timezone.localtime(row["month"]).date() if row["month"] else None
        entry.today += row["today"] or 0
        entry.last_30_days += row["last_30_days"] or 0
        entry.count_30_days += row["count_30_days"] or 0
        if month is not None and month >= starts[0]:
            by_month[currency][month] = row["given"] or 0
            if month >= year_start:
                entry.this_year += row["given"] or 0
    for currency, entry in totals.items():
        entry.months = [(start, by_month[currency].get(start, 0)) for start in starts]
    return sorted(totals.values(), key=lambda entry: entry.currency)


# --- Where money went: causes, regions, pools -------------------------------------------------


@dataclass
class PlaceRow:
    """One line of the dashboard's "where money went" lists: a place, a currency, an amount."""

    label: str
    currency: str
    amount: int
    url: str = ""

    @property
    def amount_display(self) -> str:
        return money.format_money(self.amount, self.currency)


def _sorted(rows: dict[tuple[str, str], int]) -> list[PlaceRow]:
    return [
        PlaceRow(label, currency, amount)
        for (currency, label), amount in sorted(rows.items(), key=lambda item: item[0])
        if amount
    ]


@dataclass
class Places:
    """Where money went this year (by cause and region) and what waits in the general pool
    and the shortfall now. Restricted pools are many: see :func:`restricted_pools`."""

    by_cause: list[PlaceRow]
    by_region: list[PlaceRow]
    general: list[PlaceRow]
    shortfall: list[PlaceRow]


@dataclass
class AccountFigures:
    """One account's balance now (kept with the ledger) and its net movement this year."""

    account: Account
    total: int = 0
    this_year: int = 0


@dataclass
class LedgerTotals:
    """Every account's figures, as asked of ``allocation/balances.py``: pools, need balances
    and this year's movements. The dashboard reads grouped figures instead (:func:`places`);
    these, one row per account, are what the grouped ones are checked against in tests."""

    rows: list[AccountFigures]

    @property
    def need_balances(self) -> dict[int, int]:
        return {
            row.account.need_id: row.total for row in self.rows if row.account.need_id is not None
        }


def _year_start(now: datetime.datetime) -> datetime.datetime:
    return _local_midnight(datetime.date(timezone.localdate(now).year, 1, 1))


def ledger_totals(now: datetime.datetime | None = None) -> LedgerTotals:
    now = now or timezone.now()
    year_start = _year_start(now)
    rows: dict[Account, AccountFigures] = {}

    def row(account: Account) -> AccountFigures:
        return rows.setdefault(account, AccountFigures(account))

    for total in balances.accounts():
        row(total.account).total += total.held
    if rollups.usable():  # the kept months are in the site's zone, not a staff member's
        moved_this_year = balances.movements_in_months(year_start.date())
    else:
        moved_this_year = balances.movements_since(year_start)
    for account, moved in moved_this_year:
        row(account).this_year += moved
    return LedgerTotals(list(rows.values()))


def _general_label() -> str:
    return balances.account_label(Account.general(""), {}, {})


def places(now: datetime.datetime | None = None) -> Places:
    """This year's net movements into causes and regions, and the general pool and shortfall
    now: grouped in SQL (``allocation/balances.py``), a few rows per currency and place."""
    now = now or timezone.now()
    year_start = _year_start(now)
    if rollups.usable():  # the kept months are in the site's zone, not a staff member's
        moved_by_cause, moved_by_region = balances.movements_by_place(first_month=year_start.date())
    else:
        moved_by_cause, moved_by_region = balances.movements_by_place(since=year_start)
    general_label = _general_label()

    def by_place(moved: list[balances.PlaceMovement], anywhere: str) -> list[PlaceRow]:
        rows: dict[tuple[str, str], int] = defaultdict(int)
        for row in moved:
            label = general_label if row.kind == AccountKind.GENERAL else row.place or anywhere
            rows[(row.currency, label)] += row.moved
        return _sorted(rows)

    general: dict[tuple[str, str], int] = defaultdict(int)
    shortfall: dict[tuple[str, str], int] = defaultdict(int)
    for total in balances.pool_kind_totals():
        if total.kind == AccountKind.GENERAL:
            general[(total.currency, general_label)] += total.held
        elif total.kind == AccountKind.SHORTFALL:
            shortfall[(total.currency, str(_("Shortfall")))] += -total.held
    return Places(
        by_cause=by_place(moved_by_cause, str(_("Any cause"))),
        by_region=by_place(moved_by_region, str(_("Any region"))),
        general=_sorted(general),
        shortfall=_sorted(shortfall),
    )


def places_from_accounts(
    totals: LedgerTotals | None = None, needs: list[Need] | None = None
) -> Places:
    """:func:`places` worked out from every account's row in Python: what the grouped figures
    are checked against in tests (``tests/allocation/test_balances.py``)."""
    totals = totals or ledger_totals()
    if needs is None:
        needs = needs_with_balances(totals)
    need_places = {need.pk: (need.cause_id, need.region_id) for need in needs}

    def place(account: Account) -> tuple[int | None, int | None]:
        if account.need_id is not None:
            return need_places.get(account.need_id, (None, None))
        return account.cause_id, account.region_id

    causes = balances.names_by_id(Cause, {place(row.account)[0] for row in totals.rows}, "name")
    regions = balances.names_by_id(Region, {place(row.account)[1] for row in totals.rows}, "name")
    general_label = _general_label()
    by_cause: dict[tuple[str, str], int] = defaultdict(int)
    by_region: dict[tuple[str, str], int] = defaultdict(int)
    general: dict[tuple[str, str], int] = defaultdict(int)
    shortfall: dict[tuple[str, str], int] = defaultdict(int)
    for row in totals.rows:
        kind, currency = row.account.kind, row.account.currency
        cause, region = place(row.account)
        if kind == AccountKind.SHORTFALL:
            shortfall[(currency, str(_("Shortfall")))] += -row.total
            continue
        if kind == AccountKind.GENERAL:
            general[(currency, general_label)] += row.total
            cause_label = region_label = general_label
        else:
            cause_label = (causes.get(cause) if cause else None) or str(_("Any cause"))
            region_label = (regions.get(region) if region else None) or str(_("Any region"))
        by_cause[(currency, cause_label)] += row.this_year
        by_region[(currency, region_label)] += row.this_year
    return Places(
        by_cause=_sorted(by_cause),
        by_region=_sorted(by_region),
        general=_sorted(general),
        shortfall=_sorted(shortfall),
    )


def restricted_pools_from_accounts(totals: LedgerTotals | None = None) -> list[PlaceRow]:
    """Every restricted pool's row worked out in Python, merged by label and sorted: what
    :func:`restricted_pools` pages through, checked against in tests."""
    totals = totals or ledger_totals()
    accounts = [row for row in totals.rows if row.account.kind == AccountKind.RESTRICTED]
    causes = balances.names_by_id(Cause, {row.account.cause_id for row in accounts}, "name")
    regions = balances.names_by_id(Region, {row.account.region_id for row in accounts}, "name")
    restricted: dict[tuple[str, str], int] = defaultdict(int)
    for row in accounts:
        label = balances.account_label(row.account, causes, regions)
        restricted[(row.account.currency, label)] += row.total
    return _sorted(restricted)


#: Restricted pools shown on one page of the dashboard.
POOLS_PER_PAGE = 10


class _PoolRows:
    """:class:`~..allocation.balances.RestrictedPools` as the dashboard's rows, for a paginator
    (only the rows of the page shown are read and formatted)."""

    def __init__(self) -> None:
        self.pools = balances.RestrictedPools()

    def count(self) -> int:
        return self.pools.count()

    def __len__(self) -> int:
        return self.pools.count()

    def __iter__(self) -> Iterator[PlaceRow]:
        return iter(self[0 : self.count()])

    @overload
    def __getitem__(self, index: int) -> PlaceRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[PlaceRow]: ...

    def __getitem__(self, index: int | slice) -> PlaceRow | list[PlaceRow]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        return [PlaceRow(row.label, row.currency, row.held) for row in self.pools[index]]


def restricted_pools(
    number: int | str | None = 1, per_page: int = POOLS_PER_PAGE
) -> Page[PlaceRow]:
    """One page of the restricted pools (merged by label, by currency and label), as
    :class:`PlaceRow`: two queries (the count and the page), whatever the number of pools;
    an unknown page number shows the first page, one past the end the last."""
    return Paginator(_PoolRows(), per_page).get_page(number)


def pool_totals() -> list[PlaceRow]:
    """Money waiting for allocation (general and restricted pools together), per currency."""
    return [PlaceRow("", currency, amount) for currency, amount in balances.pool_totals().items()]


# --- Needs ------------------------------------------------------------------------------------


#: What the dashboard's need lists read of a need.
NEED_FIELDS = (
    "pk",
    "title",
    "target_amount",
    "currency",
    "opens_on",
    "closes_on",
    "live",
    "cause_id",
    "region_id",
)


def needs_with_balances(totals: LedgerTotals | None = None) -> list[Need]:
    """Every need that can hold money (one per translation group) with ``allocated`` and
    ``gap`` set from the ledger totals, in one query whatever the number of needs."""
    held = (totals or ledger_totals()).need_balances
    needs = list(balances.canonical_needs().only(*NEED_FIELDS))
    for need in needs:
        need.allocated = held.get(need.pk, 0)
        need.gap = max(0, need.target_amount - need.allocated)
    return needs


def needs_closest_to_goal(needs: list[Need] | None = None, limit: int = LIST_LENGTH) -> list[Need]:
    """Open needs not yet funded, the nearest to their target (as a share of it) first: chosen
    in SQL (five rows, whatever the number of needs), or from ``needs`` when given (loaded
    with :func:`needs_with_balances`; what the SQL is checked against in tests)."""
    today = timezone.localdate()
    if needs is None:
        return list(balances.needs_closest_to_goal(today, limit).only(*NEED_FIELDS))
    candidates = [need for need in needs if need.is_open(today) and need.gap > 0]
    candidates.sort(
        key=lambda need: (-(need.allocated * 1000 // need.target_amount), need.gap, need.pk)
    )
    return candidates[:limit]


def overdue_needs(needs: list[Need] | None = None, limit: int = LIST_LENGTH) -> list[Need]:
    """Published needs past their closing date that are still short of their target: chosen
    in SQL, or from ``needs`` when given (as :func:`needs_closest_to_goal`)."""
    today = timezone.localdate()
    if needs is None:
        return list(balances.overdue_needs(today, limit).only(*NEED_FIELDS))
    late = [
        need
        for need in needs
        if need.live and need.closes_on is not None and need.closes_on < today and need.gap > 0
    ]
    late.sort(key=lambda need: (need.closes_on, need.pk))
    return late[:limit]


def attention_counts() -> dict[str, int]:
    """How many donations are pending, disputed and failed."""
    counts = dict(
        Donation.objects.filter(status__in=ATTENTION_STATUSES)
        .order_by()
        .values_list("status")
        .annotate(count=Count("*"))  # COUNT(*): the status index alone can answer
    )
    return {status: counts.get(status, 0) for status in ATTENTION_STATUSES}


@dataclass
class Attention:
    status: str
    label: str
    count: int
    url: str


def mismatched_payments_count() -> int:
    """Donations a Stripe payment named without matching them (never applied, money moved)."""
    return Donation.objects.exclude(payment_mismatch="").count()


def attention(counts: dict[str, int], mismatched: int = 0) -> list[Attention]:
    """The dashboard's "needs your attention" links; ``mismatched`` adds the payments that did
    not match their donation (the full dashboard asks, the home panel keeps its query budget)."""
    index = names.url(names.DONATIONS)
    items = [
        Attention(status, str(Donation.Status(status).label), count, f"{index}?status={status}")
        for status, count in counts.items()
    ]
    if mismatched:
        items.append(
            Attention(
                "payment_mismatch",
                str(_("Payments that did not match")),
                mismatched,
                f"{index}?payment_mismatch=true",
            )
        )
    return items


def last_committed_run() -> AllocationRun | None:
    return (
        AllocationRun.objects.filter(status=AllocationRun.Status.COMMITTED)
        .order_by("-committed_at", "-pk")
        .first()
    )
