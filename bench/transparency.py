"""Impact page and public totals against a plain Wagtail page, in one run.

    python -m bench.transparency [--donations 2000] [--requests 100] [--database sqlite] [--no-write]

Builds 40 needs in two currencies, N paid and allocated donations with one to three
preferences, a payout per need and an update per need. Then, alternating requests so that
machine noise hits all alike, it measures median server times of: a donor's impact page (a
gift split three ways), the totals page with its figures cached, and a plain Wagtail page with
the same amount of text. It also times computing the totals from the ledger against reading
them from the cache, and counts SQL queries. Ratios go into docs/performance.md under
"Transparency"; absolute times are printed only.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time

from bench.report import fresh_database, setup_django, write_section

SECTION = "Transparency"
#: Different donors' impact pages requested in turn.
GIFTS = 20


def build(donations: int, seed: int = 2015) -> dict:
    from django.core.cache import cache
    from django.urls import reverse
    from django.utils import timezone

    from tests.factories import (
        cause_pref,
        general_pref,
        make_cause,
        make_need,
        make_need_update,
        make_paid_donation,
        make_region,
        need_pref,
        site_root,
    )
    from tests.testapp.models import PlainPage
    from wagtail_sixdegrees.allocation import ledger
    from wagtail_sixdegrees.models import TransparencyPage

    rnd = random.Random(seed)
    causes = [make_cause() for _ in range(6)]
    regions = [make_region() for _ in range(4)]
    needs = [
        make_need(
            cause=causes[i % 6],
            region=regions[i % 4],
            currency="USD" if i % 3 else "THB",
            target_amount=10_000_000,
        )
        for i in range(40)
    ]
    usd = [need for need in needs if need.currency == "USD"]
    for _ in range(donations):
        picks = rnd.sample(usd, 2)
        preferences = rnd.choice(
            [
                [need_pref(picks[0])],
                [need_pref(picks[0], 5_000), need_pref(picks[1], 5_000)],
                [
                    need_pref(picks[0], 4_000),
                    cause_pref(rnd.choice(causes), 4_000),
                    general_pref(2_000),
                ],
            ]
        )
        make_paid_donation(rnd.randrange(1_000, 50_000), "USD", fee=50, preferences=preferences)
    ledger.allocate()
    for need in usd:
        ledger.record_disbursement(need, 1_000, paid_on=timezone.localdate(), actor=None)
        make_need_update(need, text="A fictional progress note. " * 20)
    followed = make_paid_donation(
        30_000,
        "USD",
        preferences=[need_pref(usd[0], 4_000), cause_pref(causes[1], 4_000), general_pref(2_000)],
    )
    # More donors' gifts, each split three ways: the impact page is measured over all of them in
    # turn, so nothing kept for one donor's page can serve the next request.
    others = [
        make_paid_donation(
            rnd.randrange(1_000, 50_000),
            "USD",
            preferences=[
                need_pref(rnd.choice(usd), 4_000),
                cause_pref(rnd.choice(causes), 4_000),
                general_pref(2_000),
            ],
        )
        for _ in range(GIFTS - 1)
    ]
    ledger.allocate([followed.pk, *(gift.pk for gift in others)])
    totals = TransparencyPage(title="Where gifts go", slug="totals")
    site_root().add_child(instance=totals)
    plain = PlainPage(title="A plain page", slug="plain", body="<p>Plain text.</p>" * 40)
    site_root().add_child(instance=plain)
    cache.clear()
    return {
        "donations": [followed, *others],
        "totals": totals.url,
        "plain": plain.url,
        "need": reverse("wagtail_sixdegrees:need", args=[usd[0].pk]),
    }


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def run(donations: int, requests: int) -> dict:
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tests.factories import impact_path
    from wagtail_sixdegrees.transparency import totals as totals_module

    pages = build(donations)
    impact_urls = [impact_path(gift) for gift in pages["donations"]]
    urls = {
        "impact": impact_urls[0],
        "totals": pages["totals"],
        "totals_uncached": pages["totals"],
        "need": pages["need"],
        "need_uncached": pages["need"],
        "plain": pages["plain"],
    }
    options = settings.WAGTAIL_SIXDEGREES

    def cache_seconds(seconds: int) -> None:
        # The package's default (60) for the impact and need pages; the test settings turn it
        # off.
        options["PAGE_CACHE_SECONDS"] = seconds

    def get(name: str, url: str):
        # Without the page cache, and with the totals' figures computed, for "uncached" rows.
        cache_seconds(0 if name.endswith("_uncached") else 60)
        if name == "totals_uncached":
            cache.delete(totals_module.cache_key())
        return client.get(url)

    client = Client()
    queries = {}
    for name, url in urls.items():
        for _ in range(5):  # warm up templates and caches
            assert get(name, url).status_code == 200, (name, url)
        with CaptureQueriesContext(connection) as captured:
            get(name, url)
        queries[name] = len(captured)
    cache_seconds(0)
    with CaptureQueriesContext(connection) as captured:
        client.get(urls["impact"])
    queries["impact_uncached"] = len(captured)
    cache_seconds(60)
    for url in impact_urls:
        client.get(url)
    times: dict[str, list[float]] = {name: [] for name in (*urls, "impact_uncached")}
    for round_number in range(requests):
        impact_url = impact_urls[round_number % len(impact_urls)]
        for name, url in (*urls.items(), ("impact_uncached", impact_url)):
            if name == "impact_uncached":
                cache_seconds(0)
            elif name == "totals_uncached":
                cache.delete(totals_module.cache_key())
            if name != "impact_uncached":
                cache_seconds(0 if name.endswith("_uncached") else 60)
            started = time.perf_counter()
            client.get(impact_url if name == "impact" else url)
            times[name].append(time.perf_counter() - started)
    cache_seconds(0)

    cold, warm = [], []
    for _ in range(max(10, requests // 10)):
        cache.clear()
        started = time.perf_counter()
        totals_module.public_totals()
        cold.append(time.perf_counter() - started)
        started = time.perf_counter()
        totals_module.public_totals()
        warm.append(time.perf_counter() - started)
    medians = {name: median_ms(samples) for name, samples in times.items()}
    return {
        "medians": medians,
        "queries": queries,
        "impact_ratio": medians["impact"] / medians["plain"],
        "impact_uncached_ratio": medians["impact_uncached"] / medians["plain"],
        "totals_ratio": medians["totals"] / medians["plain"],
        "totals_uncached_ratio": medians["totals_uncached"] / medians["plain"],
        "need_ratio": medians["need"] / medians["plain"],
        "need_uncached_ratio": medians["need_uncached"] / medians["plain"],
        "cache_speedup": median_ms(cold) / median_ms(warm),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donations", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    setup_django(args.database)
    from django.conf import settings

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="sixdegrees-bench-media-")
    fresh_database()
    result = run(args.donations, args.requests)
    for name, value in result["medians"].items():
        print(f"{name}: median {value:.2f} ms, {result['queries'][name]} queries")
    print(
        f"impact / plain {result['impact_ratio']:.2f} (without the cache "
        f"{result['impact_uncached_ratio']:.2f}), totals (cached) / plain "
        f"{result['totals_ratio']:.2f}, totals computed / cached {result['cache_speedup']:.1f}"
    )
    print(
        f"need page / plain {result['need_ratio']:.2f} (page cache off: "
        f"{result['need_uncached_ratio']:.2f}), totals uncached / plain "
        f"{result['totals_uncached_ratio']:.2f}"
    )
    if not args.no_write:
        write_section(
            SECTION,
            f"""
`python -m bench.transparency` ({args.database}, {args.donations:,} paid and allocated gifts over
40 needs in two currencies, a payout and an update per need) measures median server times of
donors' impact pages ({GIFTS} different gifts, each split three ways, requested in turn), with the
package's default `PAGE_CACHE_SECONDS` and without it, the totals page with its figures cached
and computed on each request, a need's page (with its gift form) with the page cache on and off,
and a plain Wagtail page, with requests alternating, in one run; and computing the totals from
the ledger against reading them from the cache.

| measure | value |
|---------|-------|
| impact page / plain page (median) | **{result["impact_ratio"]:.2f}** |
| impact page without the cache / plain page (median) | **{result["impact_uncached_ratio"]:.2f}** |
| totals page, cached / plain page (median) | **{result["totals_ratio"]:.2f}** |
| totals page, figures computed on each request / plain page (median) | **{result["totals_uncached_ratio"]:.2f}** (goal: at most 2) |
| need page / plain page (median, page cache on) | **{result["need_ratio"]:.2f}** (goal: at most 1.5) |
| need page without the page cache / plain page (median) | {result["need_uncached_ratio"]:.2f} |
| totals computed from the ledger / read from the cache | **{result["cache_speedup"]:.0f}x** |
| SQL queries: impact page (without the cache), totals page (cached, uncached), need page (cached, uncached), plain page | {result["queries"]["impact"]} ({result["queries"]["impact_uncached"]}), {result["queries"]["totals"]}, {result["queries"]["totals_uncached"]}, {result["queries"]["need"]}, {result["queries"]["need_uncached"]}, {result["queries"]["plain"]} |
| requests per page | {args.requests} |
| recorded | {datetime.date.today().isoformat()}, load average {os.getloadavg()[0]:.1f} |

An impact page is personal, so it is never cached as a whole; what it shows about each need
(the need in the reader's language with its progress, payouts and updates) is the same for
every donor, and is reused for `PAGE_CACHE_SECONDS` under the display version. Its query count
does not grow with the ledger, the needs or the updates (`tests/transparency/test_impact_page.py`);
the cached totals cost one query for the cache key plus the names of causes and regions. A
need page from the page cache costs one query for its check (need live, display version, the
consent of the stories it names); its gift form is stored with markers where each visitor's own
CSRF token and a new one-time nonce go (`tests/transparency/test_need_page_cache.py`).
""",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
