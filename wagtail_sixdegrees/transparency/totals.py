"""Public totals: what was raised, where it is, and what was paid out, per currency.

Every figure is an aggregate of the ledger (and of paid gifts not allocated yet); currencies are
never added together. Figures are cached under a key made of the newest ledger row, the newest
disbursement and the latest payment: any committed write changes the key, so a stale total can
never be served after a commit, and nothing has to remember to clear the cache. Names are looked
up after the cache, in the reader's language.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Sum

from .. import conf
from ..allocation import ledger
from ..allocation.engine import AccountKind
from ..allocation.models import Disbursement, LedgerEntry
from ..giving.models import Donation
from ..needs.models import Cause, Region
from .translations import active_locale, localised

CACHE_PREFIX = "sixdegrees:totals:v1"


@dataclass
class Row:
    """Totals of one cause or region, in one currency."""

    key: int
    in_needs: int = 0
    waiting: int = 0
    disbursed: int = 0
    name: str = ""
    slug: str = ""

    @property
    def raised(self) -> int:
        return self.in_needs + self.waiting


@dataclass
class CurrencyTotals:
    """Totals in one currency. ``raised`` = ``in_needs`` + ``waiting`` + ``unallocated``."""

    currency: str
    in_needs: int = 0
    restricted: int = 0
    general: int = 0
    unallocated: int = 0
    disbursed: int = 0
    by_cause: list[Row] = field(default_factory=list)
    by_region: list[Row] = field(default_factory=list)

    @property
    def waiting(self) -> int:
        """Set aside in pools: for a cause or region with no open need yet, or for where
        it is most needed."""
        return self.restricted + self.general

    @property
    def raised(self) -> int:
        return self.in_needs + self.waiting + self.unallocated


def cache_key() -> str:
    """Changes with every committed ledger row, disbursement or payment. One query."""
    ledger_table = connection.ops.quote_name(LedgerEntry._meta.db_table)
    payouts_table = connection.ops.quote_name(Disbursement._meta.db_table)
    donations_table = connection.ops.quote_name(Donation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {ledger_table}), (SELECT MAX(id) FROM {payouts_table}), "  # noqa: S608 (table names from our own models)
            f"(SELECT MAX(paid_at) FROM {donations_table})"
        )
        latest_entry, latest_payout, latest_payment = cursor.fetchone()
    stamp = str(latest_payment or "").replace(" ", "T")
    return f"{CACHE_PREFIX}:{latest_entry or 0}:{latest_payout or 0}:{stamp}"


def _compute() -> dict[str, dict[str, Any]]:
    """The figures as plain data (cacheable): per currency, totals and per canonical cause
    and region id."""
    canonical = ledger.Canonical()
    figures: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "in_needs": 0,
            "restricted": 0,
            "general": 0,
            "unallocated": 0,
            "disbursed": 0,
            "cause": defaultdict(lambda: [0, 0, 0]),
            "region": defaultdict(lambda: [0, 0, 0]),
        }
    )
    rows = (
        LedgerEntry.objects.exclude(account_kind=AccountKind.SHORTFALL)
        .order_by()
        .values("account_kind", "currency", "need_id", "cause_id", "region_id")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        totals = figures[row["currency"]]
        amount = row["total"]
        if row["account_kind"] == AccountKind.NEED:
            totals["in_needs"] += amount
            cause, region = canonical.need_place.get(row["need_id"], (None, None))
            slot = 0
        elif row["account_kind"] == AccountKind.RESTRICTED:
            totals["restricted"] += amount
            cause = canonical.causes.get(row["cause_id"]) if row["cause_id"] else None
            region = canonical.regions.get(row["region_id"]) if row["region_id"] else None
            slot = 1
        else:
            totals["general"] += amount
            continue
        if cause is not None:
            totals["cause"][cause][slot] += amount
        if region is not None:
            totals["region"][region][slot] += amount

    for row in (
        Disbursement.objects.order_by().values("currency", "need_id").annotate(total=Sum("amount"))
    ):
        totals = figures[row["currency"]]
        totals["disbursed"] += row["total"]
        cause, region = canonical.need_place.get(row["need_id"], (None, None))
        if cause is not None:
            totals["cause"][cause][2] += row["total"]
        if region is not None:
            totals["region"][region][2] += row["total"]

    amount_field = (
        "settlement_amount" if conf.get_setting("ALLOCATE_FROM") == "gross" else "net_amount"
    )
    for row in (
        ledger.unallocated_donations()
        .order_by()
        .values("settlement_currency")
        .annotate(total=Sum(amount_field))
    ):
        figures[row["settlement_currency"]]["unallocated"] += row["total"] or 0

    return {
        currency: {
            **{key: value for key, value in totals.items() if key not in ("cause", "region")},
            "cause": {key: list(value) for key, value in totals["cause"].items() if any(value)},
            "region": {key: list(value) for key, value in totals["region"].items() if any(value)},
        }
        for currency, totals in sorted(figures.items())
    }


def _figures() -> dict[str, dict[str, Any]]:
    key = cache_key()
    figures = cache.get(key)
    if figures is None:
        figures = _compute()
        cache.set(key, figures, int(conf.get_setting("TOTALS_CACHE_SECONDS")))
    return figures


def _rows(values: dict[int, list[int]], names: dict[int, Any]) -> list[Row]:
    rows = []
    for key, (in_needs, waiting, disbursed) in values.items():
        record = names.get(key)
        rows.append(
            Row(
                key=key,
                in_needs=in_needs,
                waiting=waiting,
                disbursed=disbursed,
                name=record.name if record else "",
                slug=record.slug if record else "",
            )
        )
    return sorted(rows, key=lambda row: (-row.raised, row.name))


def public_totals(currency: str | None = None) -> list[CurrencyTotals]:
    """Totals per currency (only ``currency`` if given), with cause and region rows named in
    the reader's language. Cached figures, then at most three small queries for the names."""
    chosen = {
        code: figures
        for code, figures in _figures().items()
        if (not currency or code == currency)
        and any(figures[key] for key in ("in_needs", "restricted", "general", "unallocated"))
    }
    cause_ids = {key for figures in chosen.values() for key in figures["cause"]}
    region_ids = {key for figures in chosen.values() for key in figures["region"]}
    locale = active_locale() if cause_ids or region_ids else None
    causes = localised(Cause.objects.filter(pk__in=cause_ids), locale) if cause_ids else {}
    regions = localised(Region.objects.filter(pk__in=region_ids), locale) if region_ids else {}
    return [
        CurrencyTotals(
            currency=code,
            in_needs=figures["in_needs"],
            restricted=figures["restricted"],
            general=figures["general"],
            unallocated=figures["unallocated"],
            disbursed=figures["disbursed"],
            by_cause=_rows(figures["cause"], causes),
            by_region=_rows(figures["region"], regions),
        )
        for code, figures in chosen.items()
    ]
