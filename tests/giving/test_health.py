"""The health endpoint: what a load balancer asks, answered without secrets."""

from __future__ import annotations

import sys
import types

import pytest
from django.urls import reverse

from wagtail_sixdegrees.giving import health

pytestmark = pytest.mark.django_db


def test_healthy_site_answers_200_with_each_check(client):
    response = client.get(reverse("wagtail_sixdegrees:health"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "cache": "ok",
            "queue": "ok",
            "stripe": "ok (test mode)",
        },
    }
    assert "no-store" in response["Cache-Control"]


def test_answer_contains_no_secret(client, settings):
    body = client.get(reverse("wagtail_sixdegrees:health")).content.decode()

    for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_PUBLISHABLE_KEY"):
        assert settings.WAGTAIL_SIXDEGREES[name] not in body
    assert settings.SECRET_KEY not in body


def test_unreachable_cache_answers_503_naming_only_the_failure(client, settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # a closed port: nothing listens on the discard service
            "LOCATION": "redis://127.0.0.1:9/0",
        },
    }

    response = client.get(reverse("wagtail_sixdegrees:health"))

    assert response.status_code == 503
    answer = response.json()
    assert answer["status"] == "unavailable"
    assert answer["checks"]["cache"].startswith("unreachable (")
    assert answer["checks"]["database"] == "ok"
    assert "127.0.0.1" not in response.content.decode()


def test_missing_stripe_keys_answer_503(client, settings):
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "STRIPE_SECRET_KEY": "",
        "STRIPE_WEBHOOK_SECRET": "",
    }

    response = client.get(reverse("wagtail_sixdegrees:health"))

    assert response.status_code == 503
    assert response.json()["checks"]["stripe"] == (
        "not configured: STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET"
    )


def test_health_refuses_post(client):
    assert client.post(reverse("wagtail_sixdegrees:health")).status_code == 405


def test_every_check_is_reported():
    healthy, answers = health.report()
    assert healthy
    assert set(answers) == {"database", "cache", "queue", "stripe"}


class _UnreachableDatabase:
    """A connection whose server has gone: what Django raises when PostgreSQL is down."""

    def cursor(self):
        from django.db import OperationalError

        raise OperationalError('connection to server at "10.9.8.7", port 5432 failed')


class _UnreachableBroker:
    def ping(self):
        raise ConnectionError("Error 111 connecting to 10.9.8.7:6379. Connection refused.")


def test_unreachable_database_answers_503_naming_only_the_failure(client, monkeypatch):
    monkeypatch.setattr(health, "connection", _UnreachableDatabase())

    response = client.get(reverse("wagtail_sixdegrees:health"))

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == "unreachable (OperationalError)"
    assert checks["cache"] == "ok"
    assert "10.9.8.7" not in response.content.decode()


def test_unreachable_task_broker_answers_503(client, monkeypatch):
    import django_tasks

    class RQBackend:  # stands in for django_tasks_rq's backend, as configured for RQ
        __module__ = "django_tasks_rq.backend"
        queues = ["default"]

    # django-rq as the RQ backend uses it, whose Redis has gone (the [scale] extra may not be
    # installed where this runs: the check imports django_rq only for an RQ backend).
    django_rq = types.ModuleType("django_rq")
    django_rq.get_connection = lambda name: _UnreachableBroker()
    monkeypatch.setitem(sys.modules, "django_rq", django_rq)
    monkeypatch.setattr(django_tasks, "default_task_backend", RQBackend())

    response = client.get(reverse("wagtail_sixdegrees:health"))

    assert response.status_code == 503
    assert response.json()["checks"]["queue"] == "unreachable (ConnectionError)"
    assert "10.9.8.7" not in response.content.decode()
