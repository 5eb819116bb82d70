"""Suite-wide rules: where the database is, what runs where, and no silent skips in CI."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

# Fixtures shared across folders, registered once for the whole suite (plain helpers live in
# tests/helpers.py, data builders in tests/factories.py).
pytest_plugins = ["tests.fixtures.caching", "tests.fixtures.giving", "tests.fixtures.people"]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def using_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL and browser tests belong to the PostgreSQL pass; deselect them elsewhere.

    Deselecting (not skipping) keeps the SQLite pass honest: its summary says how many were
    left for the other pass, and a skip always means something is missing.
    """
    if using_postgres():
        return
    kept, deselected = [], []
    for item in items:
        if item.get_closest_marker("postgres") or item.get_closest_marker("browser"):
            deselected.append(item)
        else:
            kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


class _NoSkipsInCI:
    """Under CI=true a skipped test is a failure: a missing dependency must not hide there."""

    def __init__(self) -> None:
        self.skipped: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and not hasattr(report, "wasxfail"):
            self.skipped.append(report.nodeid)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.skipped and exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.skipped:
            terminalreporter.write_line(
                f"CI=true: {len(self.skipped)} skipped test(s) count as failures:", red=True
            )
            for nodeid in self.skipped:
                terminalreporter.write_line(f"  {nodeid}", red=True)


def _flushes_the_database(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    transactional = bool(
        marker and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))
    )
    fixtures = getattr(item, "fixturenames", ())
    return transactional or "transactional_db" in fixtures or "live_server" in fixtures


class _TransactionalTestsLast:
    """Transactional tests (threads, live_server, browsers) run after all the others.

    pytest-django orders them last, but pytest then regroups tests that share a parametrized
    session fixture (Playwright's browser), which can pull a browser test into the middle of the
    run; its flush empties the tables Wagtail's migrations filled (root page, site, locale) for
    every test after it. So the order is restored once everything else has had its say.
    """

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        items.sort(key=_flushes_the_database)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_TransactionalTestsLast(), "sixdegrees-transactional-last")
    if IN_CI:
        config.pluginmanager.register(_NoSkipsInCI(), "sixdegrees-no-skips-in-ci")


@pytest.fixture(autouse=True)
def clock():
    """The one controllable clock (tests/clock.py): the real one unless SIXDEGREES_TEST_CLOCK
    moves the suite; tests move it with ``clock.move_to`` / ``clock.advance``."""
    from tests.clock import Clock, configured_start

    controlled = Clock(configured_start())
    yield controlled
    controlled.stop()


@pytest.fixture(autouse=True)
def _wagtail_tree_in_transactional_tests(request):
    """Transactional tests (threads, live_server, browsers) start from a flushed database,
    without the rows Wagtail's migrations create; put them back."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction", False):
        return
    request.getfixturevalue("transactional_db")
    from tests.factories import ensure_wagtail_tree

    ensure_wagtail_tree()


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Every test starts and ends with empty caches: the donate form's rate limit counts
    attempts per client address (every test client and browser is 127.0.0.1), and cached
    totals must not leak from one test into the next."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts and ends in the site's default language. Django's LocaleMiddleware
    activates a request's language on the test's own thread and never deactivates it, so a
    request with ``Accept-Language: th`` would otherwise make the next test's lazy messages Thai."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test writes uploads into its own folder, removed with pytest's tmp_path."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
