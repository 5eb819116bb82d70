"""Shared by the benchmarks: where figures go, and the database they run on."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "performance.md"


def write_section(heading: str, body: str) -> None:
    """Replace (or append) the ``## heading`` section of docs/performance.md with ``body``."""
    text = DOCUMENT.read_text()
    text = text.replace("No benchmark has been recorded yet.\n", "")
    section = f"## {heading}\n\n{body.strip()}\n"
    pattern = re.compile(rf"## {re.escape(heading)}\n.*?(?=\n## |\Z)", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _match: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOCUMENT.write_text(text)


def setup_django(database: str = "postgres") -> None:
    """Configure Django with the test settings on SQLite or a throwaway PostgreSQL cluster."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.testapp.settings")
    os.environ["SIXDEGREES_TEST_DB"] = database
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()


def fresh_database() -> None:
    """A new, migrated database (the test database name), dropping any previous one."""
    from django.db import connection

    connection.close()  # a second run drops the database this connection is still in
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)


def column_defaults(model) -> dict:
    """Every column of ``model`` (primary key aside) with its default, or the blank value of a
    NOT NULL column without one: the base of a row written by ``COPY`` (which skips Django)."""
    defaults = {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.has_default():
            defaults[field.column] = field.get_default()
        elif not field.null:
            text = field.get_internal_type() in ("CharField", "URLField", "TextField")
            defaults[field.column] = "" if text else 0
        else:
            defaults[field.column] = None
    return defaults
