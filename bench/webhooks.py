"""Webhook ingestion throughput against a no-op POST view, on the same server and database.

    .venv/bin/python -m bench.webhooks [--requests 600] [--profile]

Starts a throwaway PostgreSQL cluster (tests/postgres.py) and the Stripe stand-in
(``wagtail_sixdegrees.devstripe``, on loopback), migrates a fresh database, serves the site with
gunicorn (the production WSGI server of docs/integrators/deployment.md: sync workers, each with
a persistent database connection) and POSTs from client processes in interleaved rounds two
event mixes, each against the same bodies POSTed to a view that does nothing:

* ``dispute``: signed ``charge.dispute.created`` events (verify, store, read the dispute from
  the stand-in, apply: every event changes a paid donation and sends a signal);
* ``checkout``: what a campaign mostly produces, ``checkout.session.completed`` for pending
  donations (verify, store, read the PaymentIntent with its fee from the stand-in, mark paid,
  join the donor's record, send ``donation_paid`` and enqueue the receipt and allocation; the
  tasks go to django-tasks' dummy backend, as a production site hands them to its queue).

The ratios of the throughputs go into docs/performance.md under "Webhooks". Goal: at least
0.5. ``--profile`` also profiles each mix's dispatch path in-process with pyinstrument and
prints where the time goes.
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

# Tasks are handed to a queue, not run inside the webhook (the test settings run them at once).
from django.test.utils import override_settings  # noqa: E402

override_settings(
    TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
).enable()
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


def pending_donations(stand_in: devstripe.DevStripe, count: int) -> list[bytes]:
    """``count`` pending one-off donations with their Checkout Sessions at the stand-in, paid
    there by card, and for each the ``checkout.session.completed`` event Stripe would send."""
    from tests.factories import make_donation
    from wagtail_sixdegrees.giving.checkout import checkout_session_params
    from wagtail_sixdegrees.models import Donation

    events = []
    for _ in range(count):
        donation = make_donation(locale="en", donor_name="Bench Donor")
        params = checkout_session_params(
            donation,
            success_url="http://127.0.0.1/thanks/?session_id={CHECKOUT_SESSION_ID}",
            cancel_url="http://127.0.0.1/",
            organisation="Bench",
        )
        session = stand_in.create_session(params)
        Donation.objects.filter(pk=donation.pk).update(stripe_checkout_session_id=session["id"])
        (completed,) = [
            event
            for event in stand_in.pay(session["id"], "card")
            if event["type"] == "checkout.session.completed"
        ]
        events.append(json.dumps(completed).encode())
    return events


MIXES = {"dispute": paid_donations, "checkout": pending_donations}


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
    parser.add_argument("--requests", type=int, default=600, help="webhook events per mix")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--mix", choices=[*MIXES, "both"], default="both")
    parser.add_argument("--profile", action="store_true", help="profile the dispatch path")
    parser.add_argument("--no-write", action="store_true", help="leave docs/performance.md")
    args = parser.parse_args()
    mixes = list(MIXES) if args.mix == "both" else [args.mix]

    from django.test.utils import setup_test_environment

    setup_test_environment()
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    settings.ALLOWED_HOSTS = ["*"]

    stripe_port = free_port()
    stripe_server = devstripe.serve(stripe_port, [])
    stripe_base = f"http://127.0.0.1:{stripe_port}"
    stand_in = stripe_server.stripe
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "STRIPE_API_BASE": stripe_base}

    bodies, counted, profiled = {}, {}, {}
    for mix in mixes:
        made = MIXES[mix](stand_in, args.requests + 1 + (PROFILED if args.profile else 0))
        counted[mix], bodies[mix] = made[0], made[1 : args.requests + 1]
        profiled[mix] = made[args.requests + 1 :]
    connection.close()  # the server's workers open their own
    load_before = os.getloadavg()
    server, port = start_gunicorn(database, stripe_base, args.workers)
    noop_seconds = dict.fromkeys(mixes, 0.0)
    webhook_seconds = dict.fromkeys(mixes, 0.0)
    per_round: dict[str, list[float]] = {mix: [] for mix in mixes}
    chunk = args.requests // args.rounds
    try:
        first = bodies[mixes[0]]
        warm = [body.replace(b'"evt_', b'"evt_warm_') for body in first[: args.clients * 2]]
        post_all(port, "/noop/", warm * 10, args.clients)
        for number in range(args.rounds):
            for mix in mixes:
                part = bodies[mix][number * chunk : (number + 1) * chunk]
                noop = post_all(port, "/noop/", part, args.clients)
                webhook = post_all(port, "/giving/stripe/webhook/", part, args.clients)
                noop_seconds[mix] += noop
                webhook_seconds[mix] += webhook
                per_round[mix].append(noop / webhook)
        sent = chunk * args.rounds
    finally:
        server.terminate()
        server.wait()
    load_after = os.getloadavg()

    check_applied(bodies, sent)
    queries = {mix: count_queries(counted[mix]) for mix in mixes}
    if args.profile:
        for mix in mixes:
            print(f"--- {mix} ---")
            profile(profiled[mix])
    stripe_server.shutdown()
    ratios = {mix: noop_seconds[mix] / webhook_seconds[mix] for mix in mixes}
    load = f"{load_before[0]:.1f} before, {load_after[0]:.1f} after (1-minute load average)"
    for mix in mixes:
        spread = ", ".join(f"{ratio:.2f}" for ratio in per_round[mix])
        print(
            f"{mix}: webhook/no-op throughput ratio {ratios[mix]:.2f} over {sent} events "
            f"(rounds: {spread}; {sent / noop_seconds[mix]:.0f} vs "
            f"{sent / webhook_seconds[mix]:.0f} per second); "
            f"{queries[mix][0]} queries per event ({queries[mix][1]})"
        )
    print(f"load: {load}")
    if not args.no_write and mixes == list(MIXES):
        write_figures(figures(args, sent, ratios, per_round, queries, load))


def check_applied(bodies: dict[str, list[bytes]], sent: int) -> None:
    from wagtail_sixdegrees.models import Donation, StripeEvent

    for mix, made in bodies.items():
        sent_ids = [json.loads(body)["id"] for body in made[:sent]]
        processed = StripeEvent.objects.filter(
            processed_at__isnull=False, stripe_id__in=sent_ids, outcome="applied"
        ).count()
        assert processed == sent, f"{mix}: only {processed} of {sent} events were applied"
    if "dispute" in bodies:
        assert Donation.objects.filter(dispute_status="needs_response").count() >= sent
    if "checkout" in bodies:
        assert Donation.objects.filter(status="paid", fee_amount__isnull=False).count() >= sent


def figures(args, sent, ratios, per_round, queries, load) -> list[str]:
    def spread(mix: str) -> str:
        return ", ".join(f"{ratio:.2f}" for ratio in per_round[mix])

    return [
        "`bench/webhooks.py`: signed events POSTed over HTTP to `stripe_webhook` against the same",
        f"bodies POSTed to a view that does nothing, on the same gunicorn server ({args.workers}",
        f"sync workers, each with a persistent database connection; {args.clients} client",
        "processes) and PostgreSQL 15 database, in interleaved rounds.",
        "Two mixes: `charge.dispute.created` on paid donations (verify the signature, store the",
        "event, read the dispute from the Stripe stand-in over loopback, write the donation,",
        "claim the event, send the signal) and `checkout.session.completed` on pending ones (the",
        "same, reading the PaymentIntent with its fee; marking paid also joins the donor's",
        "record and hands the receipt and the allocation to the task queue).",
        "",
        "| measure | `charge.dispute.created` | `checkout.session.completed` |",
        "|---------|--------------------------|------------------------------|",
        f"| events applied | {sent} | {sent} |",
        f"| database round trips per event | {queries['dispute'][0]} ({queries['dispute'][1]})"
        f" | {queries['checkout'][0]} ({queries['checkout'][1]}) |",
        f"| throughput ratio, webhook / no-op | **{ratios['dispute']:.2f}**"
        f" | **{ratios['checkout']:.2f}** |",
        f"| ratio per round | {spread('dispute')} | {spread('checkout')} |",
        f"| goal | at least {GOAL} | at least {GOAL} |",
        f"| load during the run | {load} | (same run) |",
        f"| recorded | {datetime.date.today().isoformat()} | |",
        "",
        "Absolute rates are left out on purpose: they measure the machine, the ratio measures us.",
        "Why the goal is not met, and what would meet it: see the next section.",
    ]


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


PROFILED = 200


def profile(bodies: list[bytes]) -> None:
    """Where a webhook's time goes, in-process (pyinstrument: wall time, the stand-in and
    PostgreSQL included), printed with this thread's CPU time per event."""
    from django.test import Client
    from pyinstrument import Profiler

    client = Client()
    profiler = Profiler(interval=0.0002)
    cpu = time.thread_time()
    with profiler:
        for body in bodies:
            response = client.post(
                "/giving/stripe/webhook/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign(body.decode(), SECRET),
            )
            assert response.status_code == 200, response.content
    cpu = (time.thread_time() - cpu) / len(bodies)
    print(profiler.output_text(show_all=False, color=False))
    print(f"CPU time of the serving thread per event (profiler included): {cpu * 1000:.2f} ms")


if __name__ == "__main__":
    main()
