"""The deployment guide's commands are the ones the campaign-spike test runs, so what an
integrator deploys is what was tested."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "integrators" / "deployment.md").read_text()
SPIKE = ROOT / "tests" / "giving" / "test_campaign_spike.py"


def spike_command(method: str) -> list[str | None]:
    """The arguments a ``Deployment`` method of the spike test starts a process with (``None``
    for one computed at run time: a port, a name)."""
    tree = ast.parse(SPIKE.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == method:
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "start":
                    return [
                        arg.value if isinstance(arg, ast.Constant) else None
                        for arg in call.args[1:]
                    ]
    raise AssertionError(f"no {method} in the spike test")


def test_web_processes_run_gunicorn_as_the_spike_test_does():
    arguments = spike_command("start_web")
    assert arguments[:2] == ["-m", "gunicorn"]
    for flag, value in zip(arguments[3::2], arguments[4::2], strict=False):
        if flag != "--bind":
            assert f"{flag} {value}" in GUIDE, flag
    assert "--no-control-socket" in arguments and "--no-control-socket" in GUIDE


def test_workers_run_rqworker_as_the_spike_test_does():
    arguments = spike_command("start_worker")
    assert arguments[:3] == ["-m", "django", "rqworker"]
    assert arguments[6:8] == ["--name", None]  # the guide names each worker by its instance
    assert "manage.py " + " ".join(arguments[2:6]) in GUIDE


def test_the_sweep_the_spike_test_runs_is_on_the_guides_timer():
    assert '"sixdegrees_allocate"' in SPIKE.read_text()
    assert "manage.py sixdegrees_allocate" in GUIDE


def test_the_sweep_also_purges_expired_import_previews():
    assert "ExecStart=/srv/site/.venv/bin/python manage.py sixdegrees_purge_previews" in GUIDE
    assert (
        "manage.py sixdegrees_purge_previews" in GUIDE.split("| process |", 1)[1].split("\n\n")[0]
    )


def test_the_guide_sets_a_web_server_body_limit_above_the_import_limit():
    from wagtail_sixdegrees import conf

    limit = conf.DEFAULTS["OFFLINE_IMPORT_MAX_BYTES"]
    assert "client_max_body_size 3m;" in GUIDE
    assert limit < 3 * 1024 * 1024


def test_the_guides_package_settings_are_the_spike_tests():
    """Every ``"KEY": value`` line of the guide's WAGTAIL_SIXDEGREES block has the spike's value."""
    block = GUIDE.split("WAGTAIL_SIXDEGREES = {", 1)[1].split("\n}", 1)[0]
    shown = {}
    for line in block.splitlines():
        line = line.split("#", 1)[0].strip().rstrip(",")
        if line.startswith('"') and ":" in line:
            key, value = line.split(":", 1)
            shown[ast.literal_eval(key)] = ast.literal_eval(value.strip())
    assert shown, "no settings found in the guide"
    spike = spike_package_settings()
    assert {key: spike.get(key) for key in shown} == shown


def spike_package_settings() -> dict[str, object]:
    """The literal keys of ``WAGTAIL_SIXDEGREES`` in the spike's settings module (read, not
    imported: importing it would point this process's database at the spike's)."""
    tree = ast.parse((ROOT / "tests" / "testapp" / "settings_scale.py").read_text())
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and getattr(node.targets[0], "id", "") == "WAGTAIL_SIXDEGREES"
            and isinstance(node.value, ast.Dict)
        ):
            return {
                key.value: ast.literal_eval(value)
                for key, value in zip(node.value.keys, node.value.values, strict=True)
                if isinstance(key, ast.Constant) and isinstance(value, ast.Constant)
            }
    raise AssertionError("no WAGTAIL_SIXDEGREES dict in settings_scale.py")
