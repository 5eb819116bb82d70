"""Commit subjects fit in 72 characters (CONTRIBUTING.md, "Commits").

Checks every commit after ``ENFORCED_AFTER``, the last commit before the rule was checked by
machine; older history stays as it was written (rewriting landed history would break every
clone). Run by ``make lint`` and ``.ci/run`` from a git checkout.
"""

from __future__ import annotations

import subprocess
import sys

ENFORCED_AFTER = "1a2fe2a"
LIMIT = 72


def main() -> int:
    log = subprocess.run(
        ["git", "log", "--format=%h%x00%s", f"{ENFORCED_AFTER}..HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    long = [line.split("\0", 1) for line in log.splitlines() if line]
    long = [(sha, subject) for sha, subject in long if len(subject) > LIMIT]
    for sha, subject in long:
        print(f"{sha}: subject is {len(subject)} characters (at most {LIMIT}): {subject}")
    return 1 if long else 0


if __name__ == "__main__":
    sys.exit(main())
