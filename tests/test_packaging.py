"""The wheel carries everything a site needs: code, migrations, templates, static, catalogues."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import wagtail_sixdegrees

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "wagtail_sixdegrees"


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("wagtail_sixdegrees-*.whl")
    assert wagtail_sixdegrees.__version__.replace("-", "_") in wheel.name
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _package_files(pattern: str) -> set[str]:
    return {
        str(path.relative_to(ROOT)).replace("\\", "/")
        for path in PACKAGE.rglob(pattern)
        if "__pycache__" not in path.parts
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    "pattern", ["*.py", "*.html", "*.txt", "*.css", "*.js", "*.svg", "*.po", "*.mo", "py.typed"]
)
def test_wheel_contains_every_package_file(wheel_names, pattern):
    missing = _package_files(pattern) - wheel_names
    assert not missing, f"not in the wheel: {sorted(missing)}"


@pytest.mark.slow
def test_wheel_ships_migrations_templates_static_and_catalogues(wheel_names):
    for folder in (
        "migrations/",
        "templates/wagtail_sixdegrees/",
        "static/wagtail_sixdegrees/",
        "locale/",
    ):
        assert any(name.startswith(f"wagtail_sixdegrees/{folder}") for name in wheel_names), folder
    assert "wagtail_sixdegrees/py.typed" in wheel_names
    assert any(name.endswith("/LC_MESSAGES/django.mo") for name in wheel_names)


@pytest.mark.slow
def test_wheel_leaves_out_tests_and_the_example_site(wheel_names):
    assert not any(name.startswith(("tests/", "example_site/", "docs/")) for name in wheel_names)


def _tox_cells() -> set[tuple[str, str]]:
    """(Django, Wagtail) versions of every test cell in tox.ini's env_list, e.g. ("6.0", "7.4")."""
    import configparser
    import re

    tox = configparser.ConfigParser()
    tox.read(ROOT / "tox.ini")
    cells = re.findall(r"django(\d)(\d+)-wagtail(\d)(\d+)", tox["tox"]["env_list"])
    return {(f"{d1}.{d2}", f"{w1}.{w2}") for d1, d2, w1, w2 in cells}


@pytest.mark.slow
def test_classifiers_claim_exactly_the_versions_tox_tests_and_majors_are_capped():
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    classifiers = project["classifiers"]
    claimed_django = {
        c.rsplit(" ", 1)[1] for c in classifiers if c.startswith("Framework :: Django :: ")
    }
    claimed_wagtail = {
        c.rsplit(" ", 1)[1] for c in classifiers if c.startswith("Framework :: Wagtail :: ")
    }
    cells = _tox_cells()

    assert claimed_django == {django for django, _wagtail in cells}
    assert claimed_wagtail == {wagtail.split(".")[0] for _django, wagtail in cells}
    tox_pythons = set(re.findall(r"py3(\d+)-django", (ROOT / "tox.ini").read_text()))
    claimed_pythons = {
        c.rsplit(".", 1)[1]
        for c in classifiers
        if c.startswith("Programming Language :: Python :: 3.")
    }
    assert claimed_pythons == tox_pythons
    requirements = {r.split(">=")[0].split("<")[0]: r for r in project["dependencies"]}
    assert "<" in requirements["Django"] and "<" in requirements["wagtail"]
