"""What a load balancer or monitor asks before sending donors to a web process.

Each check answers ``ok`` or the name of the problem, never a secret or an address: the
database answers a query, the cache (the one the rate limit counts in) stores and reads a value,
the task queue's broker answers (for the RQ backend; a database queue is the database), and the
Stripe keys are configured (which mode they are in, not what they are).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.core.cache import caches
from django.db import connection

from .. import conf
from .gateway import key_livemode

logger = logging.getLogger(__name__)

OK = "ok"


def database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def cache() -> str:
    store = caches[conf.get_setting("RATE_LIMIT_CACHE")]
    key, value = f"sixdegrees:health:{uuid.uuid4().hex}", uuid.uuid4().hex
    store.set(key, value, 10)
    found = store.get(key)
    store.delete(key)
    return OK if found == value else "not shared: a value written was not read back"


def queue() -> str:
    from django_tasks import default_task_backend

    queues = getattr(default_task_backend, "queues", None)
    if type(default_task_backend).__module__.startswith("django_tasks_rq"):
        import django_rq

        for name in queues or ():
            django_rq.get_connection(name).ping()
    return OK


def stripe() -> str:
    missing = [
        name
        for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY")
        if not conf.get_setting(name)
    ]
    if not conf.webhook_secrets():
        missing.append("STRIPE_WEBHOOK_SECRET")
    if missing:
        return "not configured: " + ", ".join(missing)
    mode = key_livemode()
    return "ok (live mode)" if mode else "ok (test mode)" if mode is False else "ok"


CHECKS: dict[str, Callable[[], str]] = {
    "database": database,
    "cache": cache,
    "queue": queue,
    "stripe": stripe,
}


def report() -> tuple[bool, dict[str, str]]:
    """``(healthy, {check: answer})``; an exception counts as down, by its type only."""
    answers: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            answers[name] = check()
        except Exception as error:
            logger.warning("Health check %s failed: %s", name, type(error).__name__)
            answers[name] = f"unreachable ({type(error).__name__})"
    return all(answer.startswith(OK) for answer in answers.values()), answers
