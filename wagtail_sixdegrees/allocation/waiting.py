"""Money waiting for allocation per settlement currency, kept with every donation write.

The public totals show "received, not yet allocated": what paid donations with no allocation
yet will bring (:func:`.balances.unallocated_by_currency`). Asked of the donations, that is an
anti-join of every paid donation against the ledger, which grows with the donations; so
:class:`~.models.UnallocatedMoney` keeps it, one row per settlement currency, with both the
net and the gross amount (``ALLOCATE_FROM`` chooses which is read) and how many donations each
holds. Two writers keep it exact:

* **triggers on the donation table** (installed here) add a donation when it becomes paid and
  counted and follow every change of its status, payment time, settlement currency, settled
  gross or net, on every path (saves, ``update()``, bulk inserts, ``COPY``, offline gift
  imports), none of which the application could see through signals. A donation that already
  has an allocation counts for nothing, whatever changes. On PostgreSQL they run once per
  statement over its transition tables; on SQLite, once per row;
* **the allocation writer** (``allocation/ledger.py``) takes a donation off in the same
  transaction as its first allocation (one statement per batch): the ledger itself has no
  trigger, it is written by ``COPY`` and must stay fast.

A donation counts when its status is one of :data:`.balances.ALLOCATABLE_STATUSES`, it has a
payment time and a settlement currency, it has no ``allocate`` ledger line, and its amount
(gross or net) is above zero; the same rule as :func:`.balances.unallocated_donations`.

Locking (PostgreSQL): the rows are the first step of :data:`.ledger.LOCK_ORDER`. An allocating
transaction locks them before it reads which donations to allocate; a trigger that would
change a row locks it (in currency order) and only then decides, in a new statement (a new
snapshot), whether each donation is still unallocated. So a payment written while a run
allocates its donation waits for the run and then sees it allocated, and a run that waited
for a payment sees the payment's final amounts: neither counts a donation twice or loses one.

A later migration that rebuilds the donation table (SQLite) or the ledger must call
:func:`install_triggers` again; :func:`rebuild` (``sixdegrees_audit --rebuild-rollups``)
reinstalls them and recomputes every row.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connection as default_connection

from ..giving.models import Donation
from ..giving.rollups import statement_triggers, trigger_drops
from .models import LedgerEntry, UnallocatedMoney

TRIGGER = "wagtail_sixdegrees_waiting"
#: Statuses whose money is the organisation's to allocate (as balances.ALLOCATABLE_STATUSES).
_COUNTED = ("paid", "partially_refunded", "refunded", "disputed")
#: The donation columns whose change can change what a donation brings.
_WATCHED = ("status", "paid_at", "settlement_currency", "settlement_amount", "net_amount")
#: The kept columns, in the order every statement here lists them.
COLUMNS = ("gross", "gross_count", "net", "net_count")


def _names(connection: Any) -> tuple[str, str, str]:
    quote = connection.ops.quote_name
    return (
        quote(Donation._meta.db_table),
        quote(UnallocatedMoney._meta.db_table),
        quote(LedgerEntry._meta.db_table),
    )


def counted(row: str) -> str:
    """SQL: the donation ``row`` is paid and counted (its allocation aside)."""
    statuses = ", ".join(f"'{status}'" for status in _COUNTED)
    return (
        f"{row}.status IN ({statuses}) AND {row}.paid_at IS NOT NULL "
        f"AND {row}.settlement_currency <> ''"
    )


def figures(row: str, sign: str = "") -> list[str]:
    """SQL: the four kept figures (in :data:`COLUMNS` order) donation ``row`` brings, with
    ``sign`` '-' to take them off."""
    return [
        f"{sign}(CASE WHEN {row}.settlement_amount > 0 THEN {row}.settlement_amount ELSE 0 END)",
        f"{sign}(CASE WHEN {row}.settlement_amount > 0 THEN 1 ELSE 0 END)",
        f"{sign}(CASE WHEN {row}.net_amount > 0 THEN {row}.net_amount ELSE 0 END)",
        f"{sign}(CASE WHEN {row}.net_amount > 0 THEN 1 ELSE 0 END)",
    ]


def _allocated(ledger: str, donation_id: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM {ledger} WHERE {ledger}.donation_id = {donation_id} "  # noqa: S608 - our own names
        "AND kind = 'allocate')"
    )


def trigger_statements(connection: Any) -> list[str]:
    """The SQL that (re)creates the triggers on the donation table."""
    donations, kept, ledger = _names(connection)
    columns = ", ".join(COLUMNS)
    if connection.vendor == "postgresql":

        def rows(table: str, sign: str) -> str:
            return (
                f"SELECT r.id, r.settlement_currency AS currency, {', '.join(figures('r', sign))} "  # noqa: S608 - our own names
                f"FROM {table} AS r WHERE {counted('r')}"
            )

        def change(source: str) -> str:
            # Per donation and currency, what changed; donations already allocated (in this
            # statement's snapshot: an allocation is never undone) change nothing.
            sums = ", ".join(f"sum(c{i}) AS {name}" for i, name in enumerate(COLUMNS, start=1))
            differs = " OR ".join(f"sum(c{i}) <> 0" for i in range(1, len(COLUMNS) + 1))
            return (
                f"SELECT id, currency, {sums} FROM ({source}) AS c(id, currency, c1, c2, c3, c4) "  # noqa: S608
                f"WHERE NOT {_allocated(ledger, 'c.id')} GROUP BY id, currency HAVING {differs}"
            )

        def keep(source: str, insert: bool) -> str:
            changed = change(source)
            if insert:
                # Creates missing rows and locks every row to change, in currency order.
                lock = (
                    f"INSERT INTO {kept} (currency, {columns}) "  # noqa: S608 - our own names
                    f"SELECT DISTINCT currency, 0, 0, 0, 0 FROM ({changed}) AS d "
                    "ORDER BY currency ON CONFLICT (currency) DO UPDATE SET gross = "
                    f"{kept}.gross;"
                )
            else:  # a deletion only takes from rows that exist (the test flush, any order)
                lock = (
                    f"PERFORM 1 FROM {kept} WHERE currency IN (SELECT currency FROM "  # noqa: S608
                    f"({changed}) AS d) ORDER BY currency FOR UPDATE;"
                )
            sums = ", ".join(f"sum({c}) AS {c}" for c in COLUMNS)
            updates = ", ".join(f"{c} = {kept}.{c} + d.{c}" for c in COLUMNS)
            # A new statement, so a new snapshot: an allocation that committed while this
            # waited for the lock is seen, and its donations are left alone.
            apply = (
                f"UPDATE {kept} SET {updates} FROM (SELECT currency, {sums} FROM ({changed}) "  # noqa: S608
                f"AS changed GROUP BY currency) AS d WHERE {kept}.currency = d.currency;"
            )
            return f"{lock} {apply}"

        return [
            *drop_statements(connection),
            *statement_triggers(
                TRIGGER,
                donations,
                on_insert=keep(rows("new_rows", ""), True),
                on_delete=keep(rows("old_rows", "-"), False),
                on_update=keep(rows("old_rows", "-") + " UNION ALL " + rows("new_rows", ""), True),
            ),
        ]
    if connection.vendor == "sqlite":
        added = ", ".join(f"{c} = {kept}.{c} + excluded.{c}" for c in COLUMNS) + ";"

        def upsert(row: str, sign: str) -> str:
            return (
                f"INSERT INTO {kept} (currency, {columns}) "
                f"SELECT {row}.settlement_currency, {', '.join(figures(row, sign))} "
                f"WHERE {counted(row)} AND NOT {_allocated(ledger, f'{row}.id')} "
                f"ON CONFLICT (currency) DO UPDATE SET {added}"
            )

        takes = ", ".join(
            f"{c} = {kept}.{c} - {expr}" for c, expr in zip(COLUMNS, figures("OLD"), strict=True)
        )
        changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in _WATCHED)
        return [
            *drop_statements(connection),
            f"CREATE TRIGGER {TRIGGER}_insert AFTER INSERT ON {donations} FOR EACH ROW "
            f"BEGIN {upsert('NEW', '')} END;",
            # A deletion only takes from a row that exists (Django's test flush, any order).
            f"CREATE TRIGGER {TRIGGER}_delete AFTER DELETE ON {donations} FOR EACH ROW "  # noqa: S608
            f"WHEN {counted('OLD')} AND NOT {_allocated(ledger, 'OLD.id')} "
            f"BEGIN UPDATE {kept} SET {takes} WHERE currency = OLD.settlement_currency; END;",
            f"CREATE TRIGGER {TRIGGER}_change AFTER UPDATE ON {donations} FOR EACH ROW "
            f"WHEN {changed} BEGIN {upsert('OLD', '-')} {upsert('NEW', '')} END;",
        ]
    raise NotImplementedError(f"No waiting-money triggers for {connection.vendor}")


def drop_statements(connection: Any) -> list[str]:
    donations, _kept, _ledger = _names(connection)
    return trigger_drops(connection, TRIGGER, donations)


def install_triggers(connection: Any = None) -> None:
    """(Re)create the triggers that keep the waiting money with every donation write."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        for statement in trigger_statements(connection):
            cursor.execute(statement)


def lock_rows(connection: Any = None) -> None:
    """Lock every kept row, in currency order (step 0 of :data:`.ledger.LOCK_ORDER`;
    PostgreSQL only: SQLite has one writer)."""
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return
    _donations, kept, _ledger = _names(connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT currency FROM {kept} ORDER BY currency FOR UPDATE")  # noqa: S608


def take_off(donation_ids: list[int], connection: Any = None) -> None:
    """Take what these donations brought off the kept rows: they have just been allocated for
    the first time, in the caller's transaction, under the rows' lock. One statement."""
    if not donation_ids:
        return
    connection = connection or default_connection
    donations, kept, _ledger = _names(connection)
    sums = ", ".join(
        f"sum({expr}) AS {name}" for name, expr in zip(COLUMNS, figures("r"), strict=True)
    )
    updates = ", ".join(f"{c} = {kept}.{c} - d.{c}" for c in COLUMNS)
    parameter: object
    if connection.vendor == "postgresql":
        wanted, parameter = "r.id = ANY(%s)", list(donation_ids)
    else:  # one parameter, whatever the batch (SQLite limits parameters per statement)
        wanted, parameter = "r.id IN (SELECT value FROM json_each(%s))", json.dumps(donation_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {kept} SET {updates} FROM (SELECT r.settlement_currency AS currency, {sums} "  # noqa: S608 - our own names
            f"FROM {donations} AS r WHERE {wanted} AND {counted('r')} "
            f"GROUP BY r.settlement_currency) AS d WHERE {kept}.currency = d.currency",
            [parameter],
        )


__all__ = [
    "COLUMNS",
    "counted",
    "drop_statements",
    "figures",
    "install_triggers",
    "lock_rows",
    "take_off",
]
