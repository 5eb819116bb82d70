"""Webhook ingestion throughput against a no-op POST view, on the same server and database.

    .venv/bin/python -m bench.webhooks [--requests 600] [--profile]

Starts a throwaway PostgreSQL cluster (tests/postgres.py) and the Stripe stand-in
(``wagtail_sixdegrees.devstripe``, on loopback), migrates a fresh database, serves the site with
gunicorn (the production WSGI server of docs/integrators/deployment.md: sync workers, each with
a persistent database connection) and POSTs from client processes in interleaved rounds: signed
``charge.dispute.created`` events to ``stripe_webhook`` (verify, store, read the dispute from
the stand-in, apply: every event changes a paid donation and sends a signal) and the same bodies
to a view that does nothing. The ratio of the two throughputs goes into docs/performance.md
under "Webhooks". Goal: at least 0.5. ``--profile`` also profiles the webhook's dispatch path
in-process with pyinstrument and prints where the time goes.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import multiprocessing
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.testapp.settings")
os.environ["SIXDEGREES_TEST_DB"] = "postgres"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from tests.postgres import free_port  # noqa: E402
from tests.stripe_fake import sign  # noqa: E402
from wagtail_sixdegrees import devstripe  # noqa: E402

SECRET = "whsec_sixdegrees_tests"  # noqa: S105 - the test settings' placeholder
GOAL = 0.5


def paid_donations(stand_in: devstripe.DevStripe, count: int) -> list[bytes]:
    """``count`` paid donations whose charges the stand-in knows, and for each the
    ``charge.dispute.created`` event Stripe would send about it."""
    from tests.factories import make_donation

    events = []
    for _ in range(count):
        charge = stand_in._charge(2500, "usd", {}, None)
        make_donation(
            status="paid",
            paid_at=datetime.datetime.now(datetime.UTC),
            stripe_charge_id=charge["id"],
            settlement_currency="USD",
            settlement_amount=2500,
            fee_amount=103,
            net_amount=2397,
        )
        events.append(json.dumps(stand_in.dispute(charge["id"], "needs_response")).encode())
    return events


def post_all(port: int, target: str, bodies: list[bytes], clients: int = 1) -> float:
    """POST every body (freshly signed) from ``clients`` client processes (so the client never
    competes with the server for Python's interpreter lock); return the seconds taken."""
    shares = [(port, target, bodies[number::clients]) for number in range(clients)]
    context = multiprocessing.get_context("fork")
    with context.Pool(clients) as pool:
        pool.apply(time.sleep, (0,))  # workers are up before the clock starts
        started = time.perf_counter()
        pool.starmap(_post_each, shares)
        return time.perf_counter() - started


def _post_each(port: int, target: str, bodies: list[bytes]) -> None:
    # A connection per request, as Stripe's deliveries come (gunicorn's sync workers close
    # each connection after answering anyway).
    for body in bodies:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request(
            "POST",
            target,
            body=body,
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": sign(body.decode(), SECRET),
            },
        )
        response = conn.getresponse()
        response.read()
        conn.close()
        if response.status != 200:
            raise SystemExit(f"{target} answered {response.status}")


def write_figures(lines: list[str]) -> None:
    document = ROOT / "docs" / "performance.md"
    text = document.read_text()
    text = text.replace("No benchmark has been recorded yet.\n", "")
    section = "## Webhooks\n\n" + "\n".join(lines) + "\n"
    if "## Webhooks\n" in text:
        text = re.sub(r"## Webhooks\n.*?(?=\n## |\Z)", section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    document.write_text(text)


def start_gunicorn(database: str, stripe_base: str, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.webhook_site",
        "SIXDEGREES_BENCH_DB": database,
        "SIXDEGREES_STRIPE_API_BASE": stripe_base,
        "PYTHONPATH": str(ROOT),
    }
    log_path = Path(tempfile.mkdtemp(prefix="sixdegrees-bench-")) / "gunicorn.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "django.core.wsgi:get_wsgi_application()",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start:\n" + log_path.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=600, help="webhook events")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--profile", action="store_true", help="profile the dispatch path")
    parser.add_argument("--no-write", action="store_true", help="leave docs/performance.md")
    args = parser.parse_args()

    from django.test.utils import setup_test_environment

    setup_test_environment()
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    settings.ALLOWED_HOSTS = ["*"]

    stripe_port = free_port()
    stripe_server = devstripe.serve(stripe_port, [])
    stripe_base = f"http://127.0.0.1:{stripe_port}"
    stand_in = stripe_server.stripe
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "STRIPE_API_BASE": stripe_base}

    bodies = paid_donations(stand_in, args.requests + 2)
    counted, profiled, bodies = bodies[0], bodies[1], bodies[2:]
    connection.close()  # the server's workers open their own
    server, port = start_gunicorn(database, stripe_base, args.workers)
    try:
        warm = [body.replace(b'"evt_', b'"evt_warm_') for body in bodies[: args.clients * 2]]
        post_all(port, "/noop/", warm * 10, args.clients)
        chunk = len(bodies) // args.rounds
        webhook_seconds = noop_seconds = 0.0
        for number in range(args.rounds):
            part = bodies[number * chunk : (number + 1) * chunk]
            noop_seconds += post_all(port, "/noop/", part, args.clients)
            webhook_seconds += post_all(port, "/giving/stripe/webhook/", part, args.clients)
        sent = chunk * args.rounds
    finally:
        server.terminate()
        server.wait()

    from wagtail_sixdegrees.models import Donation, StripeEvent

    sent_ids = [json.loads(body)["id"] for body in bodies[:sent]]
    processed = StripeEvent.objects.filter(
        processed_at__isnull=False, stripe_id__in=sent_ids
    ).count()
    assert processed == sent, f"only {processed} of {sent} events were processed"
    assert Donation.objects.filter(dispute_status="needs_response").count() >= sent

    queries, statements = count_queries(counted)
    if args.profile:
        profile(profiled)
    stripe_server.shutdown()
    noop_rate, webhook_rate = sent / noop_seconds, sent / webhook_seconds
    ratio = webhook_rate / noop_rate
    lines = [
        "`bench/webhooks.py`: signed `charge.dispute.created` events POSTed over HTTP to",
        "`stripe_webhook` (verify the signature, store the event, read the dispute from the Stripe",
        "stand-in over loopback, lock and update the donation, claim the event, send the signal)",
        "against the same bodies POSTed to a view that does nothing, on the same gunicorn server",
        f"({args.workers} sync workers, each with a persistent database connection; {args.clients}"
        " client processes) and PostgreSQL 15 database, in interleaved rounds.",
        "",
        "| measure | value |",
        "|---------|-------|",
        f"| events processed | {sent} (each opens a dispute on a paid donation) |",
        f"| database round trips per event | {queries} ({statements}) |",
        f"| throughput ratio, webhook / no-op | **{ratio:.2f}** (goal: at least {GOAL}) |",
        f"| recorded | {datetime.date.today().isoformat()} |",
        "",
        "Absolute rates are left out on purpose: they measure the machine, the ratio measures us.",
    ]
    if ratio < GOAL:
        lines += [
            "",
            "The goal is not met. `--profile` (pyinstrument, in-process) shows where a webhook's time",
            "goes: over a third is reading the dispute from Stripe (here the stand-in, over",
            "loopback; real Stripe is slower), which the design requires (an event is applied from",
            "the object as it is now, so duplicates and any order converge); about a third is",
            "Django building and running the donation's locked read and updates; storing the event",
            "and the erased-donor check are the rest. The no-op does none of this. Answering Stripe",
            "before the event is applied (a queue) would raise the ratio, but an event that then",
            "failed would already be acknowledged and never retried; we keep 2xx to mean applied.",
        ]
    if not args.no_write:
        write_figures(lines)
    print(
        f"webhook/no-op throughput ratio: {ratio:.2f} over {sent} events "
        f"({noop_rate:.0f} vs {webhook_rate:.0f} per second); {queries} queries per event"
    )


def count_queries(body: bytes) -> tuple[int, str]:
    """Round trips one (new) event costs, through the test client, and their kinds."""
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = Client().post(
            "/giving/stripe/webhook/",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(body.decode(), SECRET),
        )
    assert response.status_code == 200, response.content
    kinds = [query["sql"].split()[0].upper() for query in captured.captured_queries]
    return len(kinds), ", ".join(kinds)


def profile(body: bytes) -> None:
    """Where one webhook's time goes, in-process (pyinstrument), printed."""
    from django.test import Client
    from pyinstrument import Profiler

    client = Client()
    profiler = Profiler(interval=0.0002)
    with profiler:
        for number in range(200):
            copy = body.replace(b'"evt_', f'"evt_p{number}_'.encode())
            client.post(
                "/giving/stripe/webhook/",
                data=copy,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign(copy.decode(), SECRET),
            )
    print(profiler.output_text(show_all=False, color=False))


if __name__ == "__main__":
    main()
