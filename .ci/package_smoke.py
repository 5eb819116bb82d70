"""Build the wheel, install it into a fresh venv beside a new `wagtail start` project, add the
app the way the README says, then migrate and check. Fails on the first thing that does not work.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str | Path, cwd: Path | None = None, env: dict | None = None) -> str:
    printable = " ".join(str(a) for a in args)
    print(f"$ {printable}", flush=True)
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, text=True, capture_output=True, check=False
    )
    if result.returncode:
        print(result.stdout[-4000:], result.stderr[-4000:], sep="\n")
        raise SystemExit(f"failed: {printable}")
    return result.stdout


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="sixdegrees-smoke-"))
    run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", work / "dist", ROOT)
    (wheel,) = (work / "dist").glob("wagtail_sixdegrees-*.whl")

    venv.EnvBuilder(with_pip=True).create(work / "venv")
    python = work / "venv" / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", str(wheel))
    run(work / "venv" / "bin" / "wagtail", "start", "smokesite", cwd=work)
    project = work / "smokesite"

    base = project / "smokesite" / "settings" / "base.py"
    settings = base.read_text()
    settings = settings.replace(
        "INSTALLED_APPS = [\n",
        'INSTALLED_APPS = [\n    "wagtail_sixdegrees",\n    "wagtail.contrib.settings",\n'
        '    "wagtail.locales",\n',
        1,
    )
    settings += (
        "\nimport os\n"
        "WAGTAIL_SIXDEGREES = {\n"
        '    "STRIPE_SECRET_KEY": os.environ["STRIPE_SECRET_KEY"],\n'
        '    "STRIPE_PUBLISHABLE_KEY": os.environ["STRIPE_PUBLISHABLE_KEY"],\n'
        '    "STRIPE_WEBHOOK_SECRET": os.environ["STRIPE_WEBHOOK_SECRET"],\n'
        '    "CURRENCIES": ["USD", "THB", "VND"],\n'
        "}\n"
    )
    base.write_text(settings)

    urls = project / "smokesite" / "urls.py"
    text = urls.read_text()
    text, count = re.subn(
        r'(urlpatterns = urlpatterns \+ \[\n)',
        r'\1    path("giving/", include("wagtail_sixdegrees.urls")),\n',
        text,
    )
    assert count == 1, "the generated urls.py changed shape"
    urls.write_text(text)

    env = {
        **os.environ,
        "STRIPE_SECRET_KEY": "sk_test_smoke",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_smoke",
        "STRIPE_WEBHOOK_SECRET": "whsec_smoke",
        "DJANGO_SETTINGS_MODULE": "smokesite.settings.dev",
    }
    run(python, "manage.py", "migrate", "--noinput", cwd=project, env=env)
    run(python, "manage.py", "check", cwd=project, env=env)
    production = {
        **env,
        "DJANGO_SETTINGS_MODULE": "smokesite.settings.production",
        "SECRET_KEY": "smoke-only",
    }
    print(run(python, "manage.py", "check", cwd=project, env=production))
    print("packaging smoke test passed")


if __name__ == "__main__":
    main()
