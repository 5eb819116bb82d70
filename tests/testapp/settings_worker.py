"""The test settings with a real task queue: django-tasks-db on PostgreSQL, for worker tests.

Used only by subprocesses that tests/allocation/test_worker.py starts, against a database of
their own (``SIXDEGREES_WORKER_DB``) on the throwaway cluster.
"""

import os

from .settings import *  # noqa: F403
from .settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DATABASES["default"]["NAME"] = os.environ["SIXDEGREES_WORKER_DB"]
