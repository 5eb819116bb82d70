"""Median server time of a survivor story page against a plain Wagtail page, in one run.

    python -m bench.story_page [--requests 200]

Both pages carry the same body text; the story adds what a story page shows (pseudonym,
region, causes, content warning, a needs callout and its list of needs) and its consent check.
Requests alternate between the pages so that machine noise hits all alike; the story is
measured with the package's default page cache and without it, in the same rounds. The ratio is
written to docs/performance.md under "Story page"; absolute times are printed, not recorded.

The story's address has two segments (index, story) and Wagtail routes one level per segment,
so a second plain page, under a plain parent, is measured too: the ratio against it compares
like with like in depth. The headline ratio stays against the top-level plain page.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Story page"
PARAGRAPHS = [
    "Lan answered an advertisement for work in a restaurant. The work turned out to be "
    "something else, and the wages never came. " * 3,
    "When she was able to leave, a partner shelter gave her a bed, meals and time. "
    "Counsellors helped her sleep again before anyone asked her to plan. " * 3,
    "Today Lan is learning bookkeeping and says the first thing she wants is to be useful "
    "to someone else. " * 3,
]


def build_pages():
    from wagtail.rich_text import RichText

    from tests.factories import (
        approve_safety_review,
        make_cause,
        make_need,
        make_story,
        site_root,
    )
    from tests.testapp.models import PlainPage

    needs = []
    for _number in range(2):
        need = make_need()
        need.save_revision().publish()
        needs.append(need)
    body = [("paragraph", RichText(f"<p>{text}</p>")) for text in PARAGRAPHS]
    body.insert(2, ("needs_callout", {"heading": "", "needs": needs}))
    story = make_story(
        body=body,
        causes=[make_cause(), make_cause()],
        content_warning="This fictional story mentions exploitation.",
    )
    for need in needs:
        story.story_needs.create(need=need)
    story.save_revision()
    story = approve_safety_review(story)
    plain = PlainPage(
        title="A plain page", slug="plain", body="".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    )
    site_root().add_child(instance=plain)
    section = PlainPage(title="A plain section", slug="section", body="")
    site_root().add_child(instance=section)
    nested = PlainPage(title="A plain page", slug="nested", body=plain.body)
    section.add_child(instance=nested)
    return story.url, plain.url, nested.url


def measure(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def write_section(ratio: float, nested_ratio: float, uncached_ratio: float, requests: int) -> None:
    path = ROOT / "docs" / "performance.md"
    text = path.read_text()
    text = text.replace("No benchmark has been recorded yet.\n", "")
    section = (
        f"{SECTION}\n\n"
        "`python -m bench.story_page` renders a survivor story and a plain Wagtail page with the "
        "same body text (SQLite, warm caches, requests alternating) and compares median server "
        "times measured in the same run; the story is measured with the package's default page "
        "cache and without it, in the same rounds.\n\n"
        "| measure | value |\n|---------|-------|\n"
        f"| story page / plain page (median) | **{ratio:.2f}** (goal: at most 1.3) |\n"
        f"| story page / plain page at the same depth (median) | {nested_ratio:.2f} |\n"
        f"| story page without the page cache / plain page (median) | {uncached_ratio:.2f} |\n"
        f"| requests per page | {requests} |\n"
        f"| recorded | {datetime.date.today().isoformat()}, load average "
        f"{os.getloadavg()[0]:.1f} |\n\n"
        "The story page is served from the page cache (`PAGE_CACHE_SECONDS`, 60 by default) "
        "for anonymous visitors, here with `wagtail_sixdegrees.middleware.PageCacheMiddleware` "
        "installed: before Wagtail routes the address, one query reads the display version (one "
        "row, renewed by every committed write a page shows), the story's consent (every "
        "request, never cached), and that the page is still live at the same place with no "
        "view restriction on it or above it; then the stored HTML is sent, with the visitor's "
        "own CSRF token and a new nonce in any donate form. One query against the plain "
        "page's six (`tests/stories/test_page_cache_before_routing.py`). A render that holds "
        "anything else personal (a session read, a form shown again with a donor's input) is "
        "never stored. Without the middleware, the cache is asked after routing and the "
        "consent check, 8 queries (`tests/stories/test_story_page_cache.py`). Without the "
        "cache the story builds 13 queries and renders its blocks and need cards "
        "(`tests/stories/test_story_pages.py`).\n"
    )
    pattern = re.compile(rf"{re.escape(SECTION)}\n.*?(?=\n## |\Z)", re.S)
    text = pattern.sub(section, text) if SECTION in text else text.rstrip() + "\n\n" + section
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.testapp.settings")
    os.environ.setdefault("SIXDEGREES_TEST_DB", "sqlite")
    import tempfile

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="sixdegrees-bench-media-")
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    story_url, plain_url, nested_url = build_pages()
    client = Client()
    for url in (story_url, plain_url, nested_url):  # warm up: templates, renditions, caches
        for _number in range(10):
            measure(client, url)
    story_times, plain_times, nested_times, uncached_times = [], [], [], []
    options = settings.WAGTAIL_SIXDEGREES
    for _number in range(args.requests):
        # The package's default page cache (the test settings turn it off), then without it.
        options["PAGE_CACHE_SECONDS"] = 60
        story_times.append(measure(client, story_url))
        options["PAGE_CACHE_SECONDS"] = 0
        uncached_times.append(measure(client, story_url))
        plain_times.append(measure(client, plain_url))
        nested_times.append(measure(client, nested_url))
    uncached_ratio = statistics.median(uncached_times) / statistics.median(plain_times)
    story_ms = statistics.median(story_times) * 1000
    plain_ms = statistics.median(plain_times) * 1000
    nested_ms = statistics.median(nested_times) * 1000
    ratio = story_ms / plain_ms
    nested_ratio = story_ms / nested_ms
    print(
        f"story page median {story_ms:.2f} ms, plain page median {plain_ms:.2f} ms, "
        f"plain page at the same depth median {nested_ms:.2f} ms"
    )
    print(f"ratio {ratio:.2f} (goal <= 1.3); at the same depth {nested_ratio:.2f}")
    print(f"without the page cache {uncached_ratio:.2f}")
    if not args.no_write:
        write_section(ratio, nested_ratio, uncached_ratio, args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
