"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live_server.

Every test in this folder is marked ``browser`` and runs in the PostgreSQL pass. Chromium is
Debian's (``apt-get install -y chromium``); we never download a browser. Outside CI a missing
Chromium skips these tests with the reason; under CI=true that skip fails the run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.factories import PASSWORD, make_superuser
from tests.postgres import free_port

# Playwright's sync API keeps an event loop in the main thread; Django's ORM calls from the test
# body are still synchronous and safe, so tell Django not to refuse them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

HERE = Path(__file__).resolve().parent

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def chromium_executable() -> str | None:
    for candidate in (
        os.environ.get("SIXDEGREES_CHROMIUM"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = chromium_executable()
    if executable is None:
        pytest.skip("Chromium is not installed: apt-get install -y chromium")
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def signed_in_user():
    """Who ``logged_in_page`` signs in (a test module may override it): a superuser."""
    return make_superuser("manager")


@pytest.fixture
def logged_in_page(page, live_server, signed_in_user):
    """A Playwright page signed in to the Wagtail admin as a superuser."""
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


@pytest.fixture
def context(context):
    """Generous timeouts: CI machines have two cores, shared with the server under test."""
    context.set_default_timeout(60_000)
    context.set_default_navigation_timeout(60_000)
    return context


@pytest.fixture
def checkout_server(live_server, settings):
    """The development Checkout server on its own loopback port, delivering signed webhooks
    to the live server; every Stripe call of the package goes to it."""
    from tests.helpers import WEBHOOK_SECRET
    from tests.stripe_fake import devstripe

    port = free_port()
    server = devstripe.serve(port, [(f"{live_server.url}/giving/stripe/webhook/", WEBHOOK_SECRET)])
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "STRIPE_API_BASE": f"http://127.0.0.1:{port}",
    }
    yield server
    server.shutdown()
    server.server_close()
