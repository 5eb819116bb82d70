"""Our migrations apply on the Wagtail LTS (7.4) as on Wagtail 8.

Wagtail 8 added ``WAGTAIL_PAGE_MODEL`` and the ``wagtailcore.0098_apitoken`` migration; a
migration that names either directly fails on 7.4 sites before it runs (``makemigrations`` and
``migrate`` crash on the missing setting). Generated migrations name both, so this reads ours.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import wagtail_sixdegrees

MIGRATIONS = sorted((Path(wagtail_sixdegrees.__file__).parent / "migrations").glob("0*.py"))


@pytest.mark.parametrize("migration", MIGRATIONS, ids=lambda path: path.stem)
def test_migration_names_nothing_only_wagtail_8_has(migration):
    source = migration.read_text()
    assert "settings.WAGTAIL_PAGE_MODEL" not in source, "use getattr(settings, ..., default)"
    assert "0098_apitoken" not in source
