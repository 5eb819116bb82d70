"""The test settings in the deployment shape of docs/integrators/deployment.md.

PostgreSQL (a database of its own on the throwaway cluster, ``SIXDEGREES_SCALE_DB``), Redis as
the shared cache and the task broker (``SIXDEGREES_REDIS_URL``), django-tasks' RQ backend, and
Stripe at the stand-in named by ``SIXDEGREES_STRIPE_API_BASE``. Used only by the processes that
tests/giving/test_campaign_spike.py starts: gunicorn web processes, RQ workers, the stand-in and
the commands it runs.
"""

import os

import django

from .settings import *  # noqa: F403
from .settings import DATABASES, INSTALLED_APPS, WAGTAIL_SIXDEGREES

REDIS_URL = os.environ["SIXDEGREES_REDIS_URL"]

INSTALLED_APPS = [*INSTALLED_APPS, "django_rq", "django_tasks_rq"]
DATABASES["default"]["NAME"] = os.environ["SIXDEGREES_SCALE_DB"]
# One connection per worker process, kept between requests, as a production server does.
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
}
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300}}
TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}

WAGTAIL_SIXDEGREES = {
    **WAGTAIL_SIXDEGREES,
    "STRIPE_API_BASE": os.environ["SIXDEGREES_STRIPE_API_BASE"],
    # The load balancer in front of the web processes sets X-Forwarded-For.
    "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
    "TRUSTED_PROXY_COUNT": 1,
    # Sized for a televised appeal: the per-client limit still stops a card tester.
    "RATE_LIMIT_GLOBAL_ATTEMPTS": 100_000,
}

# Receipts are sent by the workers; nowhere to send them here.
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"}
    },
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "wagtail_sixdegrees": {"handlers": ["stderr"], "level": "INFO"},
        # A 500's traceback, in the process's log (DEBUG is off).
        "django.request": {"handlers": ["stderr"], "level": "ERROR"},
    },
}
