"""One harness for concurrency tests: threads released together, each with its own database
connection (PostgreSQL tests; SQLite serialises writers)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def run_concurrently(fn: Callable[[int], T], n: int, *, timeout: float = 60) -> list[T]:
    """Call ``fn(0)`` ... ``fn(n - 1)`` in ``n`` threads that start at the same moment (a
    barrier), and return their results in that order. The first exception a thread raised is
    raised here; a thread still running after ``timeout`` seconds fails the test (a deadlock)."""
    barrier = threading.Barrier(n)
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = fn(index)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    stuck = sum(thread.is_alive() for thread in threads)
    assert stuck == 0, f"{stuck} of {n} threads are still running (deadlock?)"
    if errors:
        raise errors[0]
    return [results[index] for index in range(n)]
