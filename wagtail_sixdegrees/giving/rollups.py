"""What was given per currency and day, kept by the database with every donation write.

The Giving dashboard shows what was given today, in the last 30 days, this year and per month.
Summing every donation on each request grows with the donations (a million gifts took most of
a second), so :class:`~.models.DonationDay` holds one row per (currency, day) and triggers on
the donation table keep it in the same transaction as every write that changes a donation's
amount, refunded amount, currency or payment time: saves, ``update()``, bulk inserts and
``COPY`` alike, none of which the application could see through signals. On PostgreSQL the
triggers run once per statement over its transition tables (a bulk import adds one aggregate
per day); on SQLite, once per row.

Days are in the zone the triggers were installed for: the site's ``TIME_ZONE`` when the
migration ran. :func:`zone` is the zone readers may use them in; anyone else (a staff member
with their own time zone in Wagtail) is served from the donations themselves. After changing
``TIME_ZONE``, call :func:`rebuild` (``sixdegrees_audit --rebuild-rollups``), which
reinstalls the triggers and recomputes every row; until then the audit reports the difference.

On SQLite the trigger converts times with a function Django registers on its own connections
(``django_datetime_cast_date``), so donations must be written through Django there. A later
migration that rebuilds the donation table on SQLite must call :func:`install_triggers` again.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from typing import Any

from django.db import connection as default_connection
from django.db import transaction
from django.db.models import Count, DateField, F, Sum, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Donation, DonationDay

TRIGGER = "wagtail_sixdegrees_donation_day"
_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-/]+$")
_WATCHED = ("paid_at", "amount", "amount_refunded", "currency", "status")
# A voided offline gift was recorded by mistake: it was never given, so no day counts it.
_VOIDED = Donation.Status.VOIDED.value


def zone() -> str:
    """The zone the kept days are in: the site's ``TIME_ZONE``."""
    return timezone.get_default_timezone_name()


def usable() -> bool:
    """Whether figures for the active time zone can be read from the kept days."""
    return timezone.get_current_timezone_name() == zone()


# --- The triggers ---------------------------------------------------------------------------


def _names(connection: Any) -> tuple[str, str]:
    quote = connection.ops.quote_name
    return quote(Donation._meta.db_table), quote(DonationDay._meta.db_table)


def _upsert(days: str, sign: str, row: str, day: str, only_existing: bool = False) -> str:
    given = f"{row}.amount - {row}.amount_refunded"
    # A deletion only takes from a day that exists: Django's test flush empties tables in no
    # fixed order (DELETE on SQLite), and must not leave negative days behind.
    existing = (
        f" AND EXISTS (SELECT 1 FROM {days} WHERE currency = {row}.currency AND day = {day})"  # noqa: S608
        if only_existing
        else ""
    )
    return (
        f"INSERT INTO {days} (currency, day, given, count) "
        f"SELECT {row}.currency, {day}, {sign}({given}), {sign}1 "
        f"WHERE {row}.paid_at IS NOT NULL AND {row}.status <> '{_VOIDED}'{existing} "
        f"ON CONFLICT (currency, day) DO UPDATE SET given = {days}.given + excluded.given, "
        f"count = {days}.count + excluded.count;"
    )


def trigger_statements(connection: Any, zone_name: str) -> list[str]:
    """The SQL that (re)creates the triggers keeping days in ``zone_name``."""
    if not _ZONE_NAME.match(zone_name):
        raise ValueError(f"Not a time zone name: {zone_name!r}")
    zoneinfo.ZoneInfo(zone_name)  # refuses an unknown zone before anything is written
    donations, days = _names(connection)
    changed = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in _WATCHED)
    if connection.vendor == "postgresql":
        # Statement-level, over the statement's transition tables: a COPY of a million
        # donations adds one aggregate per (currency, day), not a million single-row upserts
        # into the same few rows; an UPDATE that changes no watched column writes nothing.
        def rows(table: str, sign: str) -> str:
            return (
                f"SELECT currency, (paid_at AT TIME ZONE '{zone_name}')::date AS day, "  # noqa: S608 - our own names
                f"{sign}(amount - amount_refunded) AS given, {sign}1 AS count "
                f"FROM {table} WHERE paid_at IS NOT NULL AND status <> '{_VOIDED}'"
            )

        def upsert(source: str, only_existing: bool = False) -> str:
            existing = (
                f"WHERE EXISTS (SELECT 1 FROM {days} AS kept WHERE kept.currency = "  # noqa: S608
                "change.currency AND kept.day = change.day) "
                if only_existing
                else ""
            )
            return (
                f"INSERT INTO {days} (currency, day, given, count) "  # noqa: S608 - our own names
                f"SELECT currency, day, sum(given), sum(count) FROM ({source}) AS change "
                f"{existing}GROUP BY currency, day HAVING sum(given) <> 0 OR sum(count) <> 0 "
                "ORDER BY currency, day "  # rows locked in one order: no deadlocks
                f"ON CONFLICT (currency, day) DO UPDATE SET given = {days}.given + "
                f"excluded.given, count = {days}.count + excluded.count;"
            )

        return [
            *drop_statements(connection),
            *statement_triggers(
                TRIGGER,
                donations,
                on_insert=upsert(rows("new_rows", "")),
                on_delete=upsert(rows("old_rows", "-"), only_existing=True),
                on_update=upsert(rows("old_rows", "-") + " UNION ALL " + rows("new_rows", "")),
            ),
        ]
    if connection.vendor == "sqlite":
        source = connection.timezone_name or "UTC"

        def day(row: str) -> str:
            return f"django_datetime_cast_date({row}.paid_at, '{zone_name}', '{source}')"

        changed = changed.replace("IS DISTINCT FROM", "IS NOT")
        return [
            *drop_statements(connection),
            f"CREATE TRIGGER {TRIGGER}_insert AFTER INSERT ON {donations} FOR EACH ROW "
            f"BEGIN {_upsert(days, '', 'NEW', day('NEW'))} END;",
            f"CREATE TRIGGER {TRIGGER}_delete AFTER DELETE ON {donations} FOR EACH ROW "
            f"BEGIN {_upsert(days, '-', 'OLD', day('OLD'), only_existing=True)} END;",
            f"CREATE TRIGGER {TRIGGER}_change AFTER UPDATE ON {donations} FOR EACH ROW "
            f"WHEN {changed} BEGIN {_upsert(days, '-', 'OLD', day('OLD'))} "
            f"{_upsert(days, '', 'NEW', day('NEW'))} END;",
        ]
    raise NotImplementedError(f"No donation-day triggers for {connection.vendor}")


def statement_triggers(
    trigger: str, table: str, *, on_insert: str, on_delete: str, on_update: str
) -> list[str]:
    """PostgreSQL: a PL/pgSQL function ``trigger`` that runs one of three bodies by operation,
    and the three statement-level triggers on ``table`` that call it, the changed rows given as
    transition tables ``new_rows`` and ``old_rows``."""
    return [
        f"CREATE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {on_insert} "
        f"ELSIF TG_OP = 'DELETE' THEN {on_delete} "
        f"ELSE {on_update} "
        "END IF; RETURN NULL; END $$;",
        f"CREATE TRIGGER {trigger}_insert AFTER INSERT ON {table} "
        f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {trigger}();",
        f"CREATE TRIGGER {trigger}_update AFTER UPDATE ON {table} "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {trigger}();",
        f"CREATE TRIGGER {trigger}_delete AFTER DELETE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {trigger}();",
    ]


def drop_statements(connection: Any) -> list[str]:
    donations, _days = _names(connection)
    return trigger_drops(connection, TRIGGER, donations)


def trigger_drops(connection: Any, trigger: str, table: str) -> list[str]:
    """What removes the triggers named ``trigger`` on ``table``: PostgreSQL's three statement
    triggers and their function (:func:`statement_triggers`), or SQLite's three row triggers."""
    if connection.vendor == "postgresql":
        return [
            *(
                f"DROP TRIGGER IF EXISTS {trigger}_{name} ON {table};"
                for name in ("insert", "update", "delete")
            ),
            f"DROP FUNCTION IF EXISTS {trigger}();",
        ]
    return [f"DROP TRIGGER IF EXISTS {trigger}_{name};" for name in ("insert", "delete", "change")]


def install_triggers(connection: Any = None, zone_name: str | None = None) -> None:
    """(Re)create the triggers for ``zone_name`` (default: the site's ``TIME_ZONE``)."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        for statement in trigger_statements(connection, zone_name or zone()):
            cursor.execute(statement)


# --- The audit: recomputing from the donations ----------------------------------------------


def recomputed_days() -> dict[tuple[str, datetime.date], tuple[int, int]]:
    """(currency, day) -> (given, payments), summed from the donations (the truth)."""
    rows = (
        Donation.objects.filter(paid_at__isnull=False)
        .exclude(status=_VOIDED)
        .annotate(day=TruncDate("paid_at", tzinfo=zoneinfo.ZoneInfo(zone())))
        .order_by()
        .values_list("currency", "day")
        .annotate(given=Sum(F("amount") - F("amount_refunded")), count=Count("pk"))
    )
    return {(currency, day): (given, count) for currency, day, given, count in rows}


def kept_days() -> dict[tuple[str, datetime.date], tuple[int, int]]:
    return {
        (currency, day): (given, count)
        for currency, day, given, count in DonationDay.objects.values_list(
            "currency", "day", "given", "count"
        )
    }


def day_differences() -> list[tuple[str, datetime.date, tuple[int, int], tuple[int, int]]]:
    """(currency, day, kept, recomputed) wherever the two disagree; an all-zero day missing
    on one side is not a difference."""
    kept, truth = kept_days(), recomputed_days()
    return [
        (currency, day, kept.get((currency, day), (0, 0)), truth.get((currency, day), (0, 0)))
        for currency, day in sorted(set(kept) | set(truth))
        if kept.get((currency, day), (0, 0)) != truth.get((currency, day), (0, 0))
    ]


def rebuild() -> int:
    """Reinstall the triggers for the site's ``TIME_ZONE`` and replace every kept day by the
    one recomputed from the donations; returns the number of days."""
    with transaction.atomic():
        # Blocks donation writes until the new rows are in (PostgreSQL; SQLite has one writer).
        if default_connection.vendor == "postgresql":
            with default_connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {_names(default_connection)[0]} IN SHARE MODE")
        install_triggers()
        DonationDay.objects.all().delete()
        truth = recomputed_days()
        DonationDay.objects.bulk_create(
            [
                DonationDay(currency=currency, day=day, given=given, count=count)
                for (currency, day), (given, count) in sorted(truth.items())
            ],
            batch_size=1000,
        )
    return len(truth)


# --- Reading --------------------------------------------------------------------------------


def days_from(
    first: datetime.date, *, also: tuple[datetime.datetime, datetime.datetime] | None = None
) -> list[tuple[str, datetime.date | None, int, int]]:
    """(currency, day, given, payments) for every kept day from ``first`` on, in :func:`zone`;
    days whose payments all moved away are left out. With ``also`` (start, end), the same
    query adds what was paid in that span, per currency, summed from the donations themselves,
    with ``None`` for its day (a part of a day the kept rows cannot split)."""
    days = (
        DonationDay.objects.filter(day__gte=first)
        .exclude(count=0)
        .order_by()
        .values_list("currency", "day", "given", "count")
    )
    if also is not None:
        span = (
            Donation.objects.filter(paid_at__gte=also[0], paid_at__lt=also[1])
            .exclude(status=_VOIDED)
            .order_by()
            .values("currency")
            .annotate(
                part=Value(None, output_field=DateField()),
                given=Sum(F("amount") - F("amount_refunded")),
                count=Count("pk"),
            )
            .values_list("currency", "part", "given", "count")
        )
        days = days.union(span, all=True)
    # Sums of big integers come back as decimals on PostgreSQL: money stays integral.
    return [(currency, day, int(given or 0), int(count)) for currency, day, given, count in days]


__all__ = [
    "day_differences",
    "days_from",
    "install_triggers",
    "rebuild",
    "recomputed_days",
    "usable",
    "zone",
]
