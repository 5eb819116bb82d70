"""Scale-out: the same tasks run unchanged on a real worker process (django-tasks-db on PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.postgres import throwaway_database

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_database():
    with throwaway_database("sixdegrees_worker", settings.DATABASES["default"]) as name:
        yield name


def run(args: list[str], database: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.testapp.settings_worker",
        "SIXDEGREES_TEST_DB": "postgres",
        "SIXDEGREES_WORKER_DB": database,
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_paid_donations_are_allocated_by_a_separate_worker_process(worker_database):
    run(["-m", "django", "migrate", "--noinput", "-v", "0"], worker_database)

    paid = json.loads(
        run(["-m", "tests.allocation.worker_scenario", "pay"], worker_database).splitlines()[-1]
    )
    # With a real queue nothing happens in the web process: the work waits for a worker.
    assert paid["entries_before_worker"] == 0
    assert paid["queued"] >= 3

    run(
        ["-m", "django", "db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v", "0"],
        worker_database,
    )

    done = json.loads(
        run(["-m", "tests.allocation.worker_scenario", "verify"], worker_database).splitlines()[-1]
    )
    assert set(done["task_statuses"]) == {"SUCCESSFUL"}
    assert "allocate_paid_donation" in done["task_names"]
    assert done["ledger_total"] == (10_000 - 300) + (15_000 - 300) + (20_000 - 300)
    assert done["need_allocated"] == 30_000  # filled to its target; the rest waits in its pool
    assert done["audit_ok"] is True
