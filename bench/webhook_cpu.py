"""CPU time per webhook event, by part, in-process (the figures of docs/performance.md's
"Webhooks: where the time goes").

    MIX=dispute .venv/bin/python -m bench.webhook_cpu    # or MIX=checkout

Same setup as bench/webhooks.py (throwaway PostgreSQL, the stand-in on loopback), but the events
go through Django's test client in this process, and each part's ``time.thread_time`` (CPU of
the serving thread only: waiting for PostgreSQL or the stand-in is not counted) is summed over
300 events. The stand-in's threads are reported apart.
"""

from __future__ import annotations

import collections
import functools
import logging
import os
import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.backends import utils as db_utils
from django.test import Client
from django.test.utils import setup_test_environment

import bench.webhooks as bench

EVENTS = 300
spent: collections.Counter[str] = collections.Counter()


def timed(owner: Any, name: str, label: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] += time.thread_time() - started

    setattr(owner, name, wrapper)


def main() -> None:
    from wagtail_sixdegrees.giving import gateway, webhooks
    from wagtail_sixdegrees.giving.views import webhook as view

    mix = os.environ.get("MIX", "dispute")
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    settings.ALLOWED_HOSTS = ["*"]
    port = bench.free_port()
    server = bench.devstripe.serve(port, [])
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "STRIPE_API_BASE": f"http://127.0.0.1:{port}",
    }
    bodies = bench.MIXES[mix](server.stripe, EVENTS + 30)
    timed(view, "verify_event", "verifying the signature")
    timed(view, "store_event", "storing the event")
    timed(webhooks, "_prepare", "preparing (reading the donation and Stripe)")
    for name in ("retrieve_dispute", "retrieve_payment_intent"):
        timed(gateway.StripeGateway, name, "reading Stripe (stripe-python, requests)")
    timed(db_utils.CursorWrapper, "execute", "executing SQL (driver)")
    client = Client()

    def post(body: bytes, signature: str | None = None) -> int:
        return client.post(
            "/giving/stripe/webhook/",
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature or bench.sign(body.decode(), bench.SECRET),
        ).status_code

    for body in bodies[:30]:  # warm up
        assert post(body) == 200
    spent.clear()
    thread, process = time.thread_time(), time.process_time()
    for body in bodies[30:]:
        assert post(body) == 200
    thread = (time.thread_time() - thread) / EVENTS * 1000
    process = (time.process_time() - process) / EVENTS * 1000
    print(f"{mix}: serving thread {thread:.2f} ms per event; stand-in {process - thread:.2f} ms")
    for label, seconds in spent.most_common():
        print(f"  {label}: {seconds / EVENTS * 1000:.2f} ms")
    logging.disable(logging.WARNING)
    refused = time.thread_time()
    for body in bodies[30:]:
        post(body, signature="t=1,v1=00")
    refused = (time.thread_time() - refused) / EVENTS * 1000
    print(f"  a refused request through the same stack, for scale: {refused:.2f} ms")
    server.shutdown()


if __name__ == "__main__":
    main()
