"""Allocation throughput against a raw COPY of the same ledger rows, on PostgreSQL.

    python -m bench.allocation [--n 100000] [--needs 10000] [--no-scaling] [--no-write]

Generates N paid donations with one to three preferences (needs, causes, regions, cause in a
region, where most needed) over 10,000 needs, then times ``ledger.allocate()``: reading the
donations and their preferences, the engine, and writing the ledger in one transaction. In the
same run it times a raw ``COPY`` of the identical rows into a scratch table. Then it repeats
with 10N donations to show how time scales. Figures go into docs/performance.md under
"Allocation". Goals: at most 3x raw COPY; 10x the data in at most 11x the time.
"""

from __future__ import annotations

import argparse
import datetime
import random
import time
import uuid

from bench.report import column_defaults, fresh_database, setup_django, write_section

RATIO_GOAL = 3.0
SCALING_GOAL = 11.0


def copy_models(model, rows: list[dict]) -> None:
    """Insert plain dicts of column values through COPY (setup only, not measured)."""
    from django.db import connection

    columns = list(rows[0])
    table = model._meta.db_table
    quoted = ", ".join(f'"{c}"' for c in columns)
    with (
        connection.cursor() as cursor,
        cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy,
    ):
        for row in rows:
            copy.write_row([row[c] for c in columns])


def make_needs(
    rnd: random.Random,
    count: int,
    *,
    causes: int = 40,
    regions: int = 25,
    currencies: tuple[str, ...] = ("USD",),
    target: tuple[int, int] = (50_000, 2_000_000),
    opened_days_ago: tuple[int, int] = (30, 30),
    closes_in_days: tuple[int, int] = (1, 365),
) -> tuple[list, list, object, list]:
    """Fictional causes, regions, one partner and ``count`` live needs (setup, not measured).
    Each range is (lowest, highest), drawn per need."""
    from django.utils import timezone
    from wagtail.models import Locale

    from wagtail_sixdegrees.models import Cause, Need, Partner, Region

    locale = Locale.get_default()
    cause_rows = Cause.objects.bulk_create(
        [Cause(name=f"Cause {i}", slug=f"cause-{i}", locale=locale) for i in range(causes)]
    )
    region_rows = Region.objects.bulk_create(
        [Region(name=f"Region {i}", slug=f"region-{i}", locale=locale) for i in range(regions)]
    )
    partner = Partner.objects.create(name="Bench partner")
    today = timezone.localdate()
    needs = Need.objects.bulk_create(
        [
            Need(
                title=f"Need {i}",
                summary="Benchmark.",
                cause=rnd.choice(cause_rows),
                region=rnd.choice(region_rows),
                partner=partner,
                target_amount=rnd.randint(*target),
                currency=rnd.choice(currencies),
                priority=rnd.randint(1, 4),
                opens_on=today - datetime.timedelta(days=rnd.randint(*opened_days_ago)),
                closes_on=today + datetime.timedelta(days=rnd.randint(*closes_in_days)),
                locale=locale,
                live=True,
            )
            for i in range(count)
        ],
        batch_size=2_000,
    )
    return cause_rows, region_rows, partner, needs


def generate(n: int, need_count: int, seed: int = 2015) -> None:
    from django.db import connection
    from django.utils import timezone

    from wagtail_sixdegrees.models import Donation, Donor, Preference

    rnd = random.Random(seed)
    causes, regions, _partner, needs = make_needs(rnd, need_count)
    donor = Donor.objects.create(email="bench@example.org")
    start = timezone.now() - datetime.timedelta(days=60)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Donation._meta.db_table]
        )
        first_id = cursor.fetchone()[0]
    donations, preferences = [], []
    template = column_defaults(Donation)
    for index in range(n):
        pk = first_id + index
        amount = rnd.randint(500, 100_000)
        fee = amount * 29 // 1000 + 30
        paid_at = start + datetime.timedelta(seconds=index)
        donations.append(
            {
                **template,
                "id": pk,
                "reference": uuid.UUID(int=rnd.getrandbits(128), version=4),
                "donor_id": donor.pk,
                "amount": amount,
                "currency": "USD",
                "status": "paid",
                "settlement_currency": "USD",
                "settlement_amount": amount,
                "fee_amount": fee,
                "net_amount": amount - fee,
                "paid_at": paid_at,
                "created_at": paid_at,
                "updated_at": paid_at,
                "allow_flexible_use": rnd.random() < 0.3,
            }
        )
        count = rnd.randint(1, 3)
        shares = sorted(rnd.sample(range(1, 10_000), count - 1))
        bounds = [0, *shares, 10_000]
        for position in range(count):
            kind = rnd.choices(
                ["need", "cause", "region", "cause_region", "general"], [5, 2, 1, 1, 1]
            )[0]
            preferences.append(
                {
                    "donation_id": pk,
                    "position": position,
                    "kind": kind,
                    "need_id": rnd.choice(needs).pk if kind == "need" else None,
                    "cause_id": rnd.choice(causes).pk
                    if kind in ("cause", "cause_region")
                    else None,
                    "region_id": rnd.choice(regions).pk
                    if kind in ("region", "cause_region")
                    else None,
                    "share_bps": bounds[position + 1] - bounds[position],
                }
            )
    copy_models(Donation, donations)
    copy_models(Preference, preferences)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
            [Donation._meta.db_table, first_id + n],
        )
        cursor.execute("ANALYZE")


def time_copy(rows: list[tuple], columns: tuple[str, ...], shape: str, name: str) -> float:
    """Seconds to COPY ``rows`` into a new table ``name`` created as ``shape``, committed."""
    from django.db import connection, transaction

    quoted = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {name} {shape}")
    started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.copy(f"COPY {name} ({quoted}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
    return time.perf_counter() - started


def measure(n: int, need_count: int) -> dict:
    from django.db import connection

    from wagtail_sixdegrees.allocation import ledger
    from wagtail_sixdegrees.allocation.audit import run_audit
    from wagtail_sixdegrees.allocation.models import LedgerEntry

    fresh_database()
    generate(n, need_count)

    started = time.perf_counter()
    outcome = ledger.allocate()
    allocate_seconds = time.perf_counter() - started

    columns = ledger.COPY_COLUMNS
    table = LedgerEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {", ".join(columns)} FROM "{table}" ORDER BY id')
        rows = cursor.fetchall()
    # Two baselines for the same rows: a table shaped like the ledger (its indexes and checks,
    # which any store of these rows pays for) and a bare table (nothing but the columns).
    copy_seconds = time_copy(rows, columns, f'(LIKE "{table}" INCLUDING ALL)', "bench_shaped")
    bare_seconds = time_copy(
        rows, columns, f'(LIKE "{table}" INCLUDING DEFAULTS INCLUDING IDENTITY)', "bench_bare"
    )
    audit_ok = run_audit().ok if n <= 200_000 else None
    return {
        "n": n,
        "rows": outcome.written,
        "allocate_seconds": allocate_seconds,
        "copy_seconds": copy_seconds,
        "ratio": allocate_seconds / copy_seconds,
        "bare_ratio": allocate_seconds / bare_seconds,
        "audit_ok": audit_ok,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="paid donations (default 100,000)")
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--no-scaling", action="store_true", help="skip the 10N run")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    setup_django("postgres")
    base = measure(args.n, args.needs)
    print(
        f"N={base['n']:,}: allocate {base['allocate_seconds']:.2f}s for {base['rows']:,} rows, "
        f"raw COPY {base['copy_seconds']:.2f}s, ratio {base['ratio']:.2f} (goal <= {RATIO_GOAL}); "
        f"against a bare table {base['bare_ratio']:.2f}"
    )
    big = None
    if not args.no_scaling:
        big = measure(args.n * 10, args.needs)
        scaling = big["allocate_seconds"] / base["allocate_seconds"]
        print(
            f"10N={big['n']:,}: allocate {big['allocate_seconds']:.2f}s, ratio {big['ratio']:.2f}; "
            f"time x{scaling:.1f} for x10 data (goal <= {SCALING_GOAL})"
        )
    if not args.no_write:
        lines = [
            "`python -m bench.allocation` generates paid donations with one to three preferences "
            f"over {args.needs:,} needs on PostgreSQL 15 and times `ledger.allocate()` (read the "
            "donations and preferences, run the engine, write the ledger in one transaction) "
            "against a raw `COPY` of the identical ledger rows into a scratch table, in the same run. "
            "The scratch table is shaped like the ledger (same indexes and checks, no foreign keys); "
            "the bare-table figure is shown too.",
            "",
            "| measure | value |",
            "|---------|-------|",
            f"| donations (N) | {base['n']:,} |",
            f"| ledger rows written | {base['rows']:,} |",
            f"| allocation / raw COPY into a table shaped like the ledger | **{base['ratio']:.2f}** (goal: at most {RATIO_GOAL}) |",
            f"| allocation / raw COPY into a bare table (no indexes or checks) | {base['bare_ratio']:.2f} |",
        ]
        if big:
            lines += [
                f"| allocation / raw COPY at 10N ({big['n']:,}) | {big['ratio']:.2f} |",
                f"| time at 10N / time at N | **{big['allocate_seconds'] / base['allocate_seconds']:.1f}** (goal: at most {SCALING_GOAL}) |",
            ]
        lines += [
            f"| audit after the run | {'passes' if base['audit_ok'] else 'FAILS'} |",
            f"| recorded | {datetime.date.today().isoformat()} |",
        ]
        write_section("Allocation", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
