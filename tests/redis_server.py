"""A throwaway Redis on 127.0.0.1, started by the test that needs it (like tests/postgres.py).

``start_redis()`` runs Debian's ``redis-server`` on a free loopback port with persistence off and
a temporary working folder; the returned ``RedisServer.stop()`` (also registered with ``atexit``)
shuts it down and removes the folder.
"""

from __future__ import annotations

import atexit
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.postgres import free_port


class RedisUnavailable(RuntimeError):
    """Debian's redis-server is not installed here."""


@dataclass
class RedisServer:
    port: int
    workdir: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if not found:
        raise RedisUnavailable(
            "redis-server was not found; install it with 'apt-get install -y redis-server'."
        )
    return found


def start_redis() -> RedisServer:
    """Start redis-server in the foreground of a child process and wait until it answers."""
    binary = redis_binary()
    workdir = Path(tempfile.mkdtemp(prefix="sixdegrees-redis-"))
    port = free_port()
    with (workdir / "log").open("w") as log:
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = RedisServer(port, workdir, process)
    atexit.register(server.stop)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"redis-server did not answer on port {port}")
