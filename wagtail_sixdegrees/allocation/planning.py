"""What the engine is fed, and its plans in words: reads only, no writes.

The ledger's commands (``ledger.py``) read their inputs here: paid donations and money waiting
in pools as engine items in canonical order, open needs as :class:`~.engine.NeedState` with
their gaps, and a finished plan summarised per account for a preview. Figures come from
``balances.py``, the one reader that aggregates money rows.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Generator, Iterable
from typing import Any

from django.db import connection

from .. import conf
from ..giving.models import Donation, Preference, PreferenceKind
from ..needs.models import Cause, Region
from . import balances, engine
from .balances import Canonical, canonical_ids, canonical_needs
from .engine import Account, AccountKind, AllocationItem, NeedState


def open_need_ids(currencies: Iterable[str] | None = None, on: datetime.date | None = None) -> Any:
    """The open canonical needs (in these currencies) that a run may fill: what it locks."""
    needs = canonical_needs().open(on=on)
    if currencies is not None:
        needs = needs.filter(currency__in=list(currencies))
    return needs.values_list("pk", flat=True)


def open_need_states(on: datetime.date | None = None) -> list[NeedState]:
    """Open needs with their remaining gaps (target minus what they hold), every currency:
    a share aimed at a need in another currency is recognised as such and waits in the
    restricted pool for its own currency (docs/concepts.md#rule-9)."""
    needs = balances.open_need_rows(on=on)
    causes = canonical_ids(Cause, (n["cause_id"] for n in needs))
    regions = canonical_ids(Region, (n["region_id"] for n in needs))
    return [
        NeedState(
            id=n["pk"],
            cause_id=causes.get(n["cause_id"], n["cause_id"]),
            region_id=regions.get(n["region_id"], n["region_id"]),
            currency=n["currency"],
            gap=max(0, n["target_amount"] - n["held"]),
            priority=n["priority"],
            closes_on=n["closes_on"],
            created_at=n["created_at"],
        )
        for n in needs
    ]


def _arrived_at(donation: Donation) -> datetime.datetime:
    return donation.paid_at or donation.created_at


DONATION_COLUMNS = (
    "pk",
    "paid_at",
    "reference",
    "settlement_currency",
    "allow_flexible_use",
)
PREFERENCE_COLUMNS = (
    "donation_id",
    "position",
    "kind",
    "need_id",
    "cause_id",
    "region_id",
    "share_bps",
)


def _psycopg3() -> bool:
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return bool(is_psycopg3)


def _values(rows: Any, chunk_size: int) -> Generator[tuple[Any, ...]]:
    """The rows of a ``values_list`` queryset whose columns need no conversion, streamed.

    On PostgreSQL (psycopg 3) they come in binary format through a server-side cursor: the
    integers, flags, UUIDs and times of a large run are then decoded by psycopg's C loaders,
    not parsed from text (Django's time zone loader is a Python one). Elsewhere, the ORM's
    iterator.
    """
    if connection.vendor != "postgresql" or not _psycopg3():
        yield from rows.iterator(chunk_size=chunk_size)
        return
    sql, params = rows.query.sql_with_params()
    connection.ensure_connection()
    # psycopg's own server-side cursor (Django's binds parameters on the client, which cannot
    # ask for binary rows), wrapped as Django wraps its cursors, so the query is logged.
    raw = connection.connection.cursor(
        name=f"sixdegrees_{uuid.uuid4().hex}",
        binary=True,
        withhold=connection.get_autocommit(),
    )
    wrapped = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    with wrapped(raw) as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(chunk_size):
            yield from chunk


def donation_items(
    donations: Any, canonical: Canonical | None = None, chunk_size: int = 5_000
) -> Generator[AllocationItem]:
    """Engine items for a donation queryset, in canonical order (paid, reference, id).

    This is the hot path of a large run, so it reads plain values, not model instances: the
    donations and their preferences come as two streams in the same order, joined as they go.
    """
    canonical = canonical or Canonical()
    amount_field = conf.allocatable_field()
    ordered = donations.order_by("paid_at", "reference", "pk")
    rows = _values(ordered.values_list(*DONATION_COLUMNS, amount_field), chunk_size)
    preferences = _values(
        Preference.objects.filter(donation__in=ordered.values("pk"))
        .order_by("donation__paid_at", "donation__reference", "donation_id", "position")
        .values_list(*PREFERENCE_COLUMNS),
        chunk_size,
    )
    kinds = {kind.value: kind for kind in engine.PreferenceKind}
    need_kind = PreferenceKind.NEED
    needs, need_place = canonical.needs, canonical.need_place
    causes, regions = canonical.causes, canonical.regions
    make = engine.Preference
    try:
        pending = next(preferences, None)
        for pk, paid_at, reference, currency, flexible, amount in rows:
            chosen = []
            while pending is not None and pending[0] == pk:
                _donation, _position, kind, need_id, cause_id, region_id, share = pending
                if kind == need_kind:
                    # Kept with the need, so a share for a need that closed can follow them.
                    cause_id, region_id = need_place.get(need_id, (None, None))
                    need_id = needs.get(need_id)
                else:
                    cause_id = causes.get(cause_id) if cause_id else None
                    region_id = regions.get(region_id) if region_id else None
                chosen.append(make(kinds[kind], share, need_id, cause_id, region_id))
                pending = next(preferences, None)
            yield AllocationItem(
                pk, amount or 0, currency, paid_at, str(reference), tuple(chosen), flexible
            )
    finally:
        # Closed here, inside the caller's transaction (or savepoint), not whenever the
        # garbage collector gets to them: a server-side cursor closed after its savepoint was
        # rolled back is an error that aborts the enclosing transaction.
        rows.close()
        preferences.close()


def pool_items(currencies: Iterable[str] | None = None) -> list[AllocationItem]:
    """Money waiting in restricted pools, per donation, in canonical order."""
    rows = balances.restricted_holdings(currencies)
    donations = {
        d.pk: d
        for d in Donation.objects.filter(pk__in={r["donation_id"] for r in rows}).only(
            "pk", "paid_at", "created_at", "reference", "allow_flexible_use"
        )
    }
    items = [
        AllocationItem(
            donation_id=row["donation_id"],
            amount=row["total"],
            currency=row["currency"],
            arrived_at=_arrived_at(donations[row["donation_id"]]),
            reference=str(donations[row["donation_id"]].reference),
            allow_flexible_use=donations[row["donation_id"]].allow_flexible_use,
            source=Account.restricted(row["currency"], row["cause_id"], row["region_id"]),
        )
        for row in rows
    ]
    return sorted(items, key=lambda item: item.order_key)


def summarise(digest: engine.PlanDigest) -> dict[str, Any]:
    """A plan in words: per need and pool, per currency, ready for a template or JSON."""
    totals = digest.totals()
    need_titles, cause_names, region_names = balances.account_names(totals)
    accounts = []
    for account, amount in totals.items():
        if amount == 0:
            continue
        if account.need_id is not None:  # a need's account
            label = need_titles.get(account.need_id, "")
        elif account.kind == AccountKind.RESTRICTED:
            label = balances.account_label(account, cause_names, region_names)
        else:
            label = ""
        accounts.append(
            {
                "kind": str(account.kind),
                "currency": account.currency,
                "need_id": account.need_id,
                "cause_id": account.cause_id,
                "region_id": account.region_id,
                "label": label,
                "amount": amount,
            }
        )
    return {
        "accounts": accounts,
        "new_money": digest.total_by_currency(),
        "donations": digest.donation_count,
        "postings": digest.posting_count,
    }
