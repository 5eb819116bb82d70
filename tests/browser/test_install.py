"""The install guide, followed on a site generated fresh (issue 13, item 7).

``wagtail start`` makes a new site; we give its home page the StreamField an existing site has
(rendered with ``{{ page.body }}``, as Wagtail's own demo does), then follow docs/install.md:
the apps, the URLs, the settings read from the environment, ``DonateBlock`` added to that
StreamField with its migration, migrate. A page holding the block is published and a donor gives
through it in Chromium, paying on the Stripe stand-in, with the site's CSRF middleware on. Then
the site's own ``check``, ``makemigrations --check`` and tests must pass.

The site runs in its own process, with this checkout first on its path (in CI: the clean clone,
as installed by ``make``), and its own SQLite database, whatever database this suite uses. Its
interpreter is this suite's, or ``SIXDEGREES_INSTALL_PYTHON``: the Python of another environment
holding the package's dependencies at other versions (Wagtail 7.4 LTS, say), to try them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.postgres import free_port
from tests.stripe_fake import devstripe  # becomes wagtail_sixdegrees.devstripe (issue 13, item 5)

ROOT = Path(__file__).resolve().parents[2]
PYTHON = os.environ.get("SIXDEGREES_INSTALL_PYTHON") or sys.executable
WEBHOOK_SECRET = "whsec_install_test"

#: The StreamField the "existing" site had before installing us, and its template.
EXISTING_MODELS = """from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page


class HomePage(Page):
    body = StreamField([("paragraph", blocks.RichTextBlock())], blank=True)

    content_panels = Page.content_panels + [FieldPanel("body")]
"""
EXISTING_TEMPLATE = """{% extends "base.html" %}
{% block content %}<h1>{{ page.title }}</h1>{{ page.body }}{% endblock %}
"""

#: docs/install.md, "Configure": secrets from the environment.
SETTINGS = """
import os

WAGTAIL_SIXDEGREES = {
    "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
    "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY", ""),
    "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
    "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE") or None,  # the stand-in, in development
    "CURRENCIES": ["USD", "THB", "VND"],
}
"""

PUBLISH_PAGE = """
from home.models import HomePage
from wagtail.rich_text import RichText
page = HomePage.objects.get()
page.body = [
    ("paragraph", RichText("<p>A fictional appeal.</p>")),
    ("donate", {"heading": "Give to fictional needs", "mode": "choose", "frequencies": ["once"]}),
]
page.save_revision().publish()
"""


def site_env(**extra: str) -> dict[str, str]:
    """A clean environment: none of this suite's settings or database leak into the site."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PIP_DISABLE_PIP_VERSION_CHECK")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update(
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="mysite.settings.dev",
        STRIPE_SECRET_KEY="sk_test_install",
        STRIPE_PUBLISHABLE_KEY="pk_test_install",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        **extra,
    )
    return env


def manage(site: Path, *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=site,
        env=site_env(),
        text=True,
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path.name} changed shape: {old!r} not found"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("install")
    wagtail = Path(PYTHON).parent / "wagtail"
    subprocess.run([str(wagtail), "start", "mysite", str(work)], check=True, capture_output=True)

    # The existing site: a home page with a StreamField, rendered by {{ page.body }}.
    (work / "home" / "models.py").write_text(EXISTING_MODELS)
    (work / "home" / "templates" / "home" / "home_page.html").write_text(EXISTING_TEMPLATE)
    manage(work, "makemigrations", "home")
    manage(work, "migrate", "--noinput")

    # docs/install.md: apps (only those the site lacks), URLs, settings.
    settings = work / "mysite" / "settings" / "base.py"
    apps = [
        app
        for app in ("wagtail_sixdegrees", "wagtail.contrib.settings", "wagtail.locales")
        if f'"{app}"' not in settings.read_text()
    ]
    edit(
        settings,
        "INSTALLED_APPS = [\n",
        "INSTALLED_APPS = [\n" + "".join(f'    "{a}",\n' for a in apps),
    )
    settings.write_text(settings.read_text() + SETTINGS)
    edit(
        work / "mysite" / "urls.py",
        "urlpatterns = urlpatterns + [\n",
        'urlpatterns = urlpatterns + [\n    path("giving/", include("wagtail_sixdegrees.urls")),\n',
    )
    # ...and DonateBlock added to the existing StreamField, with its migration.
    models = work / "home" / "models.py"
    edit(
        models,
        "from wagtail.models import Page\n",
        "from wagtail.models import Page\nfrom wagtail_sixdegrees.giving.blocks import DonateBlock\n",
    )
    edit(
        models,
        '[("paragraph", blocks.RichTextBlock())]',
        '[("paragraph", blocks.RichTextBlock()), ("donate", DonateBlock())]',
    )
    manage(work, "makemigrations", "home")
    manage(work, "migrate", "--noinput")

    manage(work, "shell", "-c", PUBLISH_PAGE)
    return work


@pytest.fixture
def running_site(site):
    """The site's development server, with the Stripe stand-in delivering its webhooks."""
    port = free_port()
    stand_in_port = free_port()
    stand_in = devstripe.serve(
        stand_in_port, [(f"http://127.0.0.1:{port}/giving/stripe/webhook/", WEBHOOK_SECRET)]
    )
    log = (site / "runserver.log").open("w")
    server = subprocess.Popen(
        [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=site,
        env=site_env(STRIPE_API_BASE=f"http://127.0.0.1:{stand_in_port}"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(url + "/", timeout=2):  # noqa: S310 (loopback)
                    break
            except OSError:
                assert server.poll() is None, (site / "runserver.log").read_text()
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        stand_in.shutdown()
        stand_in.server_close()


def test_a_donor_gives_through_the_block_on_a_freshly_installed_site(page, running_site):
    page.set_default_timeout(60_000)
    page.goto(running_site + "/")
    expect(page.get_by_role("heading", name="Give to fictional needs")).to_be_visible()
    page.get_by_label("Amount", exact=True).fill("20")
    page.get_by_label("Email").fill("install-donor@example.org")
    page.get_by_role("button", name="Continue to secure payment").click()

    page.wait_for_url("**/checkout/**")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/giving/thanks/**")
    expect(page.get_by_role("heading", name="Thank you for your gift")).to_be_visible()


#: A host's dark theme: its own text, background and link colours; ours must stay readable on it.
DARK_THEME = "html, body { background: #121212; color: #e8e8e8; } a { color: #8ab4f8; }"


def form_contrast_violations(page, theme: str) -> list[tuple[list[str], str]]:
    if theme == "dark":
        page.add_style_tag(content=DARK_THEME)
    button = page.get_by_role("button", name="Continue to secure payment")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(29, 78, 216)"
    expect(page.get_by_label("Leave this empty")).to_be_hidden()
    results = Axe().run(
        page,
        context=".sd-donate",
        options={"runOnly": {"type": "rule", "values": ["color-contrast"]}},
    )
    return [
        (node["target"], node["failureSummary"])
        for violation in results.response["violations"]
        for node in violation["nodes"]
    ]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_block_is_styled_and_readable_in_the_sites_own_layout(page, running_site, theme):
    page.set_default_timeout(60_000)
    page.goto(running_site + "/")  # the site's home page, {{ page.body }}
    assert form_contrast_violations(page, theme) == []

    # Submitted empty: our form page with its errors, inside the site's base template.
    page.get_by_role("button", name="Continue to secure payment").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert form_contrast_violations(page, theme) == []


def test_the_installed_site_passes_its_own_check_migrations_and_tests(site):
    manage(site, "check")
    manage(site, "makemigrations", "--check", "--dry-run")
    manage(site, "test", "--noinput")
