"""How hard the property tests search: a small profile for every run, a deep one before a release.

    SIXDEGREES_TEST_PROFILE=deep python -m pytest tests/giving/test_convergence.py   # make test-deep
    SIXDEGREES_TEST_PROFILE=deep SIXDEGREES_TEST_DEEP_EXAMPLES=2000 ...   # a shorter deep run

The small profile keeps CI inside its time budget; the deep profile is the release goal (for
example 10,000 event streams for the webhook convergence property, docs/performance.md).
``SIXDEGREES_TEST_DEEP_EXAMPLES`` caps a deep run, to measure on a busy machine and extrapolate.
"""

from __future__ import annotations

import os

ENVIRONMENT_VARIABLE = "SIXDEGREES_TEST_PROFILE"


def deep() -> bool:
    """True when the deep profile is asked for."""
    return os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower() == "deep"


def examples(small: int, deep_count: int) -> int:
    """How many examples a property test generates under the current profile."""
    if not deep():
        return small
    cap = os.environ.get("SIXDEGREES_TEST_DEEP_EXAMPLES", "").strip()
    return int(cap) if cap.isdigit() and int(cap) > 0 else deep_count
