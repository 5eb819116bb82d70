"""Public totals: what was raised, where it is, and what was paid out, per currency.

Every figure comes from the balances kept with the ledger (``allocation/balances.py``) and from
the money kept as waiting for allocation (paid gifts not allocated yet, ``allocation/waiting.py``):
two queries; currencies are never added together. Figures are cached under a key made of the newest ledger row, the newest
disbursement and the latest payment: any committed write changes the key, so a stale total can
never be served after a commit, and nothing has to remember to clear the cache. Names are looked
up after the cache, in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection

from .. import conf
from ..allocation import balances
from ..allocation.models import Disbursement, LedgerEntry
from ..giving.models import Donation, OfflineGift
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
    # Offline gifts are paid on the day received (often before the latest payment) and may be
    # voided before allocation: their newest record and their voids count too.
    offline_table = connection.ops.quote_name(OfflineGift._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {ledger_table}), (SELECT MAX(id) FROM {payouts_table}), "  # noqa: S608 (table names from our own models)
            f"(SELECT MAX(paid_at) FROM {donations_table}), "
            f"(SELECT MAX(id) FROM {offline_table}), (SELECT COUNT(voided_at) FROM {offline_table})"
        )
        latest_entry, latest_payout, latest_payment, latest_offline, voids = cursor.fetchone()
    stamp = str(latest_payment or "").replace(" ", "T")
    offline = f":{latest_offline or 0}.{voids or 0}"
    return f"{CACHE_PREFIX}:{latest_entry or 0}:{latest_payout or 0}:{stamp}{offline}"


def _compute() -> dict[str, dict[str, Any]]:
    """The figures as plain data (cacheable): per currency, totals and per canonical cause
    and region id, as ``allocation/balances.py`` reads them from the kept balances."""
    return {
        figures.currency: {
            "in_needs": figures.in_needs,
            "restricted": figures.restricted,
            "general": figures.general,
            "unallocated": figures.unallocated,
            "disbursed": figures.disbursed,
            "cause": {
                key: [row.in_needs, row.waiting, row.disbursed]
                for key, row in figures.by_cause.items()
                if row.in_needs or row.waiting or row.disbursed
            },
            "region": {
                key: [row.in_needs, row.waiting, row.disbursed]
                for key, row in figures.by_region.items()
                if row.in_needs or row.waiting or row.disbursed
            },
        }
        for figures in balances.currency_figures()
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
