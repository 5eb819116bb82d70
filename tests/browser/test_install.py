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
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.postgres import free_port

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

INSTALL_GUIDE = ROOT / "docs" / "install.md"


def guide(step: int) -> list[str]:
    """The code blocks of step ``step`` of docs/install.md, exactly as an integrator reads them."""
    text = INSTALL_GUIDE.read_text()
    section = re.search(rf"^## {step}\. .*?(?=^## |\Z)", text, re.S | re.M)
    assert section, f"docs/install.md has no step {step}"
    return re.findall(r"```\w*\n(.*?)```", section.group(0), re.S)


def guide_line(step: int, needle: str) -> str:
    """The one line of step ``step`` holding ``needle``, without its indentation."""
    lines = [line.strip() for block in guide(step) for line in block.splitlines()]
    found = [line for line in lines if needle in line]
    assert len(found) == 1, f"step {step} of docs/install.md: {needle!r} in {found}"
    return found[0]


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

    # docs/install.md, step 2: our app in the list, then the lines that add what is missing.
    settings = work / "mysite" / "settings" / "base.py"
    apps_block = guide(2)[0]
    edit(settings, "INSTALLED_APPS = [\n", 'INSTALLED_APPS = [\n    "wagtail_sixdegrees",\n')
    assert '"wagtail_sixdegrees",' in apps_block
    settings.write_text(settings.read_text() + "\n" + apps_block.split("]\n", 1)[1])
    # Step 3: the URLs, before Wagtail's catch-all.
    edit(
        work / "mysite" / "urls.py",
        "urlpatterns = urlpatterns + [\n",
        f"urlpatterns = urlpatterns + [\n    {guide_line(3, 'wagtail_sixdegrees.urls')}\n",
    )
    # Step 4: the settings block, verbatim.
    settings.write_text(settings.read_text() + "\n" + guide(4)[0])
    # Step 5: DonateBlock added to the existing StreamField, with its migration.
    models = work / "home" / "models.py"
    edit(
        models,
        "from wagtail.models import Page\n",
        f"from wagtail.models import Page\n{guide_line(5, 'import DonateBlock')}\n",
    )
    edit(
        models,
        '[("paragraph", blocks.RichTextBlock())]',
        f'[("paragraph", blocks.RichTextBlock()), {guide_line(5, "DonateBlock()").rstrip(",")}]',
    )
    manage(work, "makemigrations", "home")
    # Step 6: migrate and check.
    manage(work, "migrate", "--noinput")
    manage(work, "check")
    # Step 7: the grants for the site's own Editors and Moderators.
    manage(work, "shell", "-c", guide(7)[0])
    # Step 10: the stand-in's development settings (on free ports, see running_site).
    dev = work / "mysite" / "settings" / "dev.py"
    dev.write_text(dev.read_text() + "\n" + guide(10)[0])

    manage(work, "shell", "-c", PUBLISH_PAGE)
    return work


def wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    for _ in range(120):
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            assert process.poll() is None, log.read_text()
            time.sleep(0.5)
    raise AssertionError(f"{url} never answered:\n{log.read_text()}")


@pytest.fixture
def running_site(site):
    """Step 10 of docs/install.md: the site's development server and, beside it, the Stripe
    stand-in started by its management command (on free ports instead of 8000 and 8421)."""
    port, stand_in_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    dev = site / "mysite" / "settings" / "dev.py"
    guided = dev.read_text()
    dev.write_text(guided.replace("http://127.0.0.1:8421", f"http://127.0.0.1:{stand_in_port}"))
    assert guide_line(10, "sixdegrees_devstripe").startswith(
        "python manage.py sixdegrees_devstripe --port 8421 --site http://127.0.0.1:8000"
    )
    processes = []
    try:
        for name, args in (
            ("stand-in", ["sixdegrees_devstripe", "--port", str(stand_in_port), "--site", url]),
            ("runserver", ["runserver", f"127.0.0.1:{port}", "--noreload"]),
        ):
            log = site / f"{name}.log"
            with log.open("w") as output:
                process = subprocess.Popen(
                    [PYTHON, "manage.py", *args],
                    cwd=site,
                    env=site_env(),
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            processes.append(process)
            port_of = stand_in_port if name == "stand-in" else port
            wait_for(f"http://127.0.0.1:{port_of}/", process, log)
        yield url
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        dev.write_text(guided)


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
