"""What a reader downloads for a story page with its donate block, on a slow-2G-like network.

    python -m bench.page_weight [--loads 3] [--no-write]

Builds a small story site (tests/browser/reach_site.py: a long story with images, a needs
callout and the donate form), serves it from a live server, and loads the story in Debian's
Chromium with the cache off and the network throttled (300 ms round trips, 250 kbit/s down).
Records the bytes transferred per resource type, the same HTML, CSS and JavaScript gzipped
(the 20 KB budget that tests/browser/test_reach.py asserts), and the median load time, in
docs/performance.md under "Page weight".
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import tempfile

from bench.report import fresh_database, setup_django, write_section

BUDGET = 20 * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=3, help="throttled page loads (median time)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    # Playwright's sync API keeps an event loop in this thread; our ORM calls here are sync.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    setup_django("postgres")
    from django.conf import settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, chromium_executable
    from tests.browser.reach_site import build_story_site
    from tests.browser.weight import SLOW_2G, TEXT_TYPES, measure

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="sixdegrees-bench-media-")
    settings.ALLOWED_HOSTS = ["*"]
    fresh_database()
    site = build_story_site(presets=True)
    server = LiveServerThread("localhost", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    url = f"http://localhost:{server.port}{site['story'].url}"

    executable = chromium_executable()
    if executable is None:
        raise SystemExit("Chromium is not installed: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        weights = []
        for _load in range(args.loads):
            page = browser.new_page()
            weights.append(measure(page, url, SLOW_2G))
            page.close()
        browser.close()
    server.terminate()

    first = weights[0]
    seconds = statistics.median(w.load_seconds for w in weights)
    kinds = sorted(first.by_type, key=lambda kind: (kind not in TEXT_TYPES, kind))
    print(
        f"HTML+CSS+JS: {first.text_bytes:,} bytes transferred, {first.gzipped_text_bytes:,} gzipped (budget {BUDGET:,})"
    )
    print(f"median load under slow 2G: {seconds:.2f}s")
    if not args.no_write:
        rows = "\n".join(
            f"| {kind} | {first.requests[kind]} | {first.by_type[kind]:,} | "
            f"{first.gzipped_by_type[kind]:,} |"
            if kind in TEXT_TYPES
            else f"| {kind} | {first.requests[kind]} | {first.by_type[kind]:,} | (not counted) |"
            for kind in kinds
        )
        write_section(
            "Page weight",
            "`python -m bench.page_weight` loads a survivor story with images, a needs callout and "
            "the donate form in Debian's Chromium, cache off, on a slow-2G-like network "
            "(300 ms round trips, 250 kbit/s down, 50 kbit/s up), and counts the bytes per "
            "resource type through the DevTools protocol.\n\n"
            "| type | requests | bytes transferred | gzipped |\n|------|----------|-------------------|---------|\n"
            f"{rows}\n\n"
            f"| measure | value |\n|---------|-------|\n"
            f"| HTML + CSS + JavaScript, gzipped | **{first.gzipped_text_bytes:,} bytes** (budget: {BUDGET:,}) |\n"
            f"| median load time under that profile ({args.loads} loads) | {seconds:.1f} s |\n"
            f"| recorded | {datetime.date.today().isoformat()} |\n\n"
            "The test server compresses pages but not static files, as a production proxy would; "
            "the gzipped column is what the budget counts. `tests/browser/test_reach.py` asserts it.",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
