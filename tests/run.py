"""Run the whole test suite: a SQLite pass, then a PostgreSQL pass on a throwaway cluster.

    python -m tests.run                 # both passes (what `make test` and CI run)
    python -m tests.run --only sqlite   # the fast pass
    python -m tests.run -- -k money     # anything after -- goes to pytest

The PostgreSQL pass also runs the tests marked ``postgres`` and ``browser``. Under CI=true a
pass that cannot run is a failure, and so is a pass that collects no tests (pytest's exit
code 5): an empty pass means a broken selection, not success.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
NO_TESTS_COLLECTED = 5


def postgres_available() -> str | None:
    """None when a cluster can be started here, else the reason it cannot."""
    from tests.postgres import PostgresUnavailable, _bindir

    try:
        _bindir()
    except PostgresUnavailable as missing:
        return str(missing)
    return None


def run_pass(name: str, env_overrides: dict[str, str], pytest_args: list[str]) -> int:
    env = {**os.environ, **env_overrides}
    print(f"\n=== {name} pass: pytest {' '.join(pytest_args)}", flush=True)
    started = time.monotonic()
    code = subprocess.call([sys.executable, "-m", "pytest", *pytest_args], env=env)
    print(f"=== {name} pass finished with exit code {code} in {time.monotonic() - started:.0f}s")
    if code == NO_TESTS_COLLECTED:
        print(f"=== {name} pass collected no tests: treating that as a failure.")
        return 1
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="run a single pass")
    parser.add_argument("pytest_args", nargs="*", help="arguments for pytest (after --)")
    args = parser.parse_args(argv)

    results: dict[str, int] = {}
    if args.only in (None, "sqlite"):
        results["sqlite"] = run_pass("SQLite", {"SIXDEGREES_TEST_DB": "sqlite"}, args.pytest_args)
    if args.only in (None, "postgres"):
        missing = postgres_available()
        if missing is None:
            results["postgres"] = run_pass(
                "PostgreSQL", {"SIXDEGREES_TEST_DB": "postgres"}, args.pytest_args
            )
        elif IN_CI or args.only == "postgres":
            print(f"\n=== PostgreSQL pass cannot run: {missing}")
            results["postgres"] = 1
        else:
            print(f"\n=== PostgreSQL pass NOT RUN (allowed outside CI only): {missing}")

    print(
        "\n=== summary: "
        + ", ".join(
            f"{name}: {'ok' if code == 0 else f'FAILED ({code})'}" for name, code in results.items()
        )
    )
    return 0 if results and all(code == 0 for code in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
