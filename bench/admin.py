"""The Giving dashboard with a million donations, against a plain Wagtail admin page, on PostgreSQL.

    python -m bench.admin [--n 1000000] [--rounds 9] [--no-write]

Generates N donations over the last 400 days in USD, THB and VND (mostly paid; some pending,
failed, disputed or refunded) with one ledger line each (a need, a restricted pool or the
general pool, as allocation would have left them), 2,000 needs and some disbursements, all
through ``COPY``. Then it signs in a superuser and requests, in interleaved rounds through
Django's test client (the whole middleware and template stack), the Giving dashboard, the first
page of the donations, needs-progress and ledger listings, and Wagtail's own user listing as
the plain admin page. Figures go into docs/performance.md under "Admin dashboard": the median
time of each page and its ratio to the plain page measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime
import random
import statistics
import time
import uuid

from bench.allocation import copy_models, make_needs
from bench.report import column_defaults, fresh_database, setup_django, write_section

CURRENCIES = {"USD": (500, 50_000), "THB": (10_000, 500_000), "VND": (50_000, 5_000_000)}
STATUSES = ["paid"] * 90 + ["pending"] * 4 + ["failed"] * 3 + ["disputed", "refunded", "paid"]


def generate(n: int, need_count: int = 2_000, seed: int = 2015) -> None:
    from django.db import connection
    from django.utils import timezone

    from wagtail_sixdegrees.models import Disbursement, Donation, Donor, LedgerEntry

    rnd = random.Random(seed)
    causes, regions, partner, needs = make_needs(
        rnd,
        need_count,
        causes=12,
        regions=20,
        currencies=tuple(CURRENCIES),
        target=(100_000, 5_000_000),
        opened_days_ago=(61, 400),
        closes_in_days=(-60, 365),
    )
    today = timezone.localdate()
    by_currency = {code: [need for need in needs if need.currency == code] for code in CURRENCIES}
    donor = Donor.objects.create(email="bench@example.org")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Donation._meta.db_table]
        )
        first_id = cursor.fetchone()[0]
    now = timezone.now()
    donation_template = column_defaults(Donation)
    entry_template = column_defaults(LedgerEntry)
    donations, entries = [], []
    for index in range(n):
        pk = first_id + index
        currency = rnd.choice(list(CURRENCIES))
        low, high = CURRENCIES[currency]
        amount = rnd.randint(low, high) // 100 * 100
        fee = amount * 3 // 100
        status = rnd.choice(STATUSES)
        paid = status not in ("pending", "failed")
        when = now - datetime.timedelta(seconds=rnd.randint(0, 400 * 86_400))
        donations.append(
            {
                **donation_template,
                "id": pk,
                "reference": uuid.UUID(int=rnd.getrandbits(128), version=4),
                "donor_id": donor.pk,
                "amount": amount,
                "currency": currency,
                "status": status,
                "settlement_currency": currency if paid else "",
                "settlement_amount": amount if paid else None,
                "fee_amount": fee if paid else None,
                "net_amount": amount - fee if paid else None,
                "amount_refunded": amount if status == "refunded" else 0,
                "paid_at": when if paid else None,
                "created_at": when,
                "updated_at": when,
            }
        )
        if not paid or status == "refunded":
            continue
        kind = rnd.choices(["need", "restricted", "general"], [6, 2, 2])[0]
        need = rnd.choice(by_currency[currency]) if kind == "need" else None
        entries.append(
            {
                **entry_template,
                "donation_id": pk,
                "account_kind": kind,
                "need_id": need.pk if need else None,
                "cause_id": rnd.choice(causes).pk if kind == "restricted" else None,
                "region_id": rnd.choice(regions).pk
                if kind == "restricted" and rnd.random() < 0.5
                else None,
                "currency": currency,
                "amount": amount - fee,
                "kind": "allocate",
                "rule": "",
                "transfer": uuid.UUID(int=rnd.getrandbits(128), version=4),
                "actor_label": "automatic",
                "created_at": when,
            }
        )
    copy_models(Donation, donations)
    copy_models(LedgerEntry, entries)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
            [Donation._meta.db_table, first_id + n],
        )
    Disbursement.objects.bulk_create(
        [
            Disbursement(
                need=need,
                partner=partner,
                amount=100,
                currency=need.currency,
                paid_on=today,
                actor_label="bench",
            )
            for need in needs[:200]
        ]
    )
    # The ledger lines above went in by COPY, around ledger.py: balance them as it would have.
    from wagtail_sixdegrees.allocation import ledger

    ledger.rebuild_balances()
    # As autovacuum would have left a live database: statistics and the visibility map.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


PAGES = {
    "plain": ("wagtailusers_users:index", "Wagtail's user listing (plain admin page)"),
    "dashboard": ("sixdegrees_dashboard:index", "Giving dashboard"),
    "donations": ("sixdegrees_donations:index", "Donations, first page"),
    "needs": ("sixdegrees_needs_progress:index", "Needs progress, first page"),
    "ledger": ("sixdegrees_ledger:index", "Ledger, first page"),
}


def measure(rounds: int) -> dict[str, dict[str, float]]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    user = get_user_model().objects.create_superuser("bench", "bench@example.org", "bench")
    client = Client()
    client.force_login(user)
    times: dict[str, list[float]] = {name: [] for name in PAGES}
    queries: dict[str, int] = {}
    for round_number in range(rounds + 1):
        for name, (url_name, _label) in PAGES.items():
            url = reverse(url_name)
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - started
            assert response.status_code == 200, (name, response.status_code)
            if round_number:  # the first round warms caches and connections
                times[name].append(elapsed)
            queries[name] = len(captured.captured_queries)
    plain = statistics.median(times["plain"])
    return {
        name: {
            "median": statistics.median(values),
            "ratio": statistics.median(values) / plain,
            "queries": queries[name],
        }
        for name, values in times.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="donations (default 1,000,000)")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    setup_django("postgres")
    fresh_database()
    started = time.perf_counter()
    generate(args.n)
    print(f"generated {args.n:,} donations in {time.perf_counter() - started:.0f}s")
    results = measure(args.rounds)
    for name, figures in results.items():
        print(
            f"{PAGES[name][1]}: median {figures['median'] * 1000:.0f} ms, "
            f"x{figures['ratio']:.1f} the plain page, {figures['queries']} queries"
        )
    if not args.no_write:
        dashboard = results["dashboard"]
        lines = [
            f"`python -m bench.admin` fills PostgreSQL 15 with {args.n:,} donations over 400 days\n"
            "in USD, THB and VND (a ledger line for each paid one, 2,000 needs, some disbursements),\n"
            "signs in a superuser and requests each page through Django's test client in\n"
            f"{args.rounds} interleaved rounds after a warm-up, against Wagtail's own user listing as\n"
            "the plain admin page measured in the same run.",
            "",
            f"The dashboard: **{dashboard['ratio']:.1f}x** the plain page, median "
            f"**{dashboard['median'] * 1000:.0f} ms** (absolute time\nmeasures this machine too). "
            "It reads the roll-ups kept with the donations (given per currency and\nday) and "
            "the ledger (movements per account and month, grouped by cause and region\nin SQL), "
            "the pools grouped by kind and currency, one page of restricted pools and\nthe "
            "five needs closest to their goal and five overdue, chosen in SQL, plus the\n"
            "donations of the one day the last 30 days start in; none of it grows with the\n"
            "number of donations, needs or pools.",
            "",
            "| page | median | ratio to the plain page | queries |",
            "|------|--------|-------------------------|---------|",
        ]
        for name, figures in results.items():
            lines.append(
                f"| {PAGES[name][1]} | {figures['median'] * 1000:.0f} ms | "
                f"{figures['ratio']:.1f} | {figures['queries']} |"
            )
        lines.append(f"\nRecorded {datetime.date.today().isoformat()}.")
        write_section("Admin dashboard", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
