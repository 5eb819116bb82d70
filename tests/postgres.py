"""A throwaway PostgreSQL cluster on 127.0.0.1, started by the test run itself.

``start_cluster()`` runs ``initdb`` into a temporary folder and starts ``postgres`` on a free
loopback port with fsync off; ``atexit`` stops it and removes the folder. The cluster's address
is exported through environment variables so that subprocesses (a task worker, a benchmark)
reuse it instead of starting their own.

Used by ``tests/testapp/settings.py`` when ``SIXDEGREES_TEST_DB=postgres`` and by ``bench/``.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ENV_HOST = "SIXDEGREES_PG_HOST"
ENV_PORT = "SIXDEGREES_PG_PORT"
ENV_USER = "SIXDEGREES_PG_USER"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's server binaries are not installed here."""


def _bindir() -> Path:
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for found in (shutil.which("initdb"),):
        if found:
            candidates.append(str(Path(found).resolve().parent))
    for candidate in candidates:
        if (
            candidate
            and (Path(candidate) / "initdb").exists()
            and (Path(candidate) / "pg_ctl").exists()
        ):
            return Path(candidate)
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found; "
        "install them with 'apt-get install -y postgresql'."
    )


def free_port() -> int:
    """A free TCP port on the loopback interface (the cluster's, and the test servers')."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as_owner(args: list[str], run_as: str | None) -> None:
    if run_as:
        command = ["su", run_as, "-s", "/bin/sh", "-c", " ".join(_quote(a) for a in args)]
    else:
        command = args
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed:\n{result.stdout}\n{result.stderr}")


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\"'\"'") + "'"


def start_cluster() -> dict[str, str]:
    """Start a cluster (or reuse the one named in the environment); return connection settings."""
    if os.environ.get(ENV_PORT):
        return {
            "HOST": os.environ.get(ENV_HOST, "127.0.0.1"),
            "PORT": os.environ[ENV_PORT],
            "USER": os.environ.get(ENV_USER, "postgres"),
        }

    bindir = _bindir()
    # PostgreSQL refuses to run as root: hand the folder to the postgres user in that case.
    run_as = "postgres" if os.geteuid() == 0 else None
    workdir = Path(tempfile.mkdtemp(prefix="sixdegrees-pg-"))
    if run_as:
        owner = pwd.getpwnam(run_as)
        os.chown(workdir, owner.pw_uid, owner.pw_gid)
    datadir = workdir / "data"
    port = free_port()

    _run_as_owner(
        [
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ],
        run_as,
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {workdir} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    _run_as_owner(
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(datadir),
            "-l",
            str(workdir / "log"),
            "-w",
            "-o",
            options,
            "start",
        ],
        run_as,
    )

    def stop() -> None:
        try:
            _run_as_owner(
                [str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "-w", "stop"],
                run_as,
            )
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    atexit.register(stop)
    os.environ[ENV_HOST] = "127.0.0.1"
    os.environ[ENV_PORT] = str(port)
    os.environ[ENV_USER] = "postgres"
    return {"HOST": "127.0.0.1", "PORT": str(port), "USER": "postgres"}


def database_settings(name: str = "sixdegrees") -> dict[str, object]:
    """A Django ``DATABASES`` entry for the throwaway cluster."""
    server = start_cluster()
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": server["USER"],
        "PASSWORD": "",
        "HOST": server["HOST"],
        "PORT": server["PORT"],
        "TEST": {"NAME": f"test_{name}"},
    }


@contextlib.contextmanager
def throwaway_database(prefix: str, server: dict[str, Any]) -> Iterator[str]:
    """A new, empty database on the test cluster (``server``: Django's database settings),
    for processes started outside the test's own connection; dropped afterwards."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    params = {
        "host": server["HOST"],
        "port": server["PORT"],
        "user": server["USER"],
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(**params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
