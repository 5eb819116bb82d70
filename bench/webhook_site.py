"""The settings bench/webhooks.py serves through gunicorn: the test settings on the benchmark's
database, the stand-in as Stripe, tasks handed to a queue, and bench/webhook_urls.py (a no-op
view beside the package's URLs). ``DJANGO_SETTINGS_MODULE=bench.webhook_site``.
"""

import os

from tests.testapp.settings import *  # noqa: F403
from tests.testapp.settings import DATABASES, WAGTAIL_SIXDEGREES

DATABASES["default"]["NAME"] = os.environ["SIXDEGREES_BENCH_DB"]
DATABASES["default"]["CONN_MAX_AGE"] = None  # one connection per worker, kept
ROOT_URLCONF = "bench.webhook_urls"
# The receipt and the allocation are handed to a queue, as on a production site (the test
# settings run tasks at once, inside the webhook's request).
TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
WAGTAIL_SIXDEGREES = {
    **WAGTAIL_SIXDEGREES,
    "STRIPE_API_BASE": os.environ["SIXDEGREES_STRIPE_API_BASE"],
}
