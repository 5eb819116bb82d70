"""The suite's one controllable clock.

Every test runs under the ``clock`` fixture (autouse, in tests/conftest.py). By default it is the
real clock. ``SIXDEGREES_TEST_CLOCK`` moves the whole suite to another moment, so a test that
quietly depends on today's date fails in CI instead of on a user's machine months later:

    SIXDEGREES_TEST_CLOCK=+400d        # four hundred days from now
    SIXDEGREES_TEST_CLOCK=2028-02-29   # a leap day (noon UTC)
    SIXDEGREES_TEST_CLOCK=2028-02-29T23:30:00+00:00

A test that needs a particular moment asks the fixture (``clock.move_to(...)``,
``clock.advance(days=3)``) and reads "today" from it (``clock.today()``), never from a literal date
compared with code that reads the wall clock.
"""

from __future__ import annotations

import datetime
import os
import re

import time_machine
from django.utils import timezone

ENVIRONMENT_VARIABLE = "SIXDEGREES_TEST_CLOCK"
_OFFSET = re.compile(r"^\+(?P<days>\d+)d$")


def configured_start(value: str | None = None) -> datetime.datetime | None:
    """The moment the suite starts at, from ``SIXDEGREES_TEST_CLOCK``; None for the real clock."""
    value = os.environ.get(ENVIRONMENT_VARIABLE, "") if value is None else value
    value = value.strip()
    if not value:
        return None
    offset = _OFFSET.match(value)
    if offset:
        return datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=int(offset["days"]))
    if len(value) == 10:
        value += "T12:00:00+00:00"
    moment = datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


class Clock:
    """What a test may do with time: read it, move it, let it run on."""

    def __init__(self, start: datetime.datetime | None) -> None:
        self._traveller: time_machine.travel | None = None
        self._coordinates = None
        if start is not None:
            self._begin(start)

    def _begin(self, moment: datetime.datetime) -> None:
        self._traveller = time_machine.travel(moment, tick=True)
        self._coordinates = self._traveller.start()

    def now(self) -> datetime.datetime:
        return timezone.now()

    def today(self) -> datetime.date:
        """Today in the site's time zone: the date the code under test reads."""
        return timezone.localdate()

    def move_to(self, moment: datetime.datetime | datetime.date) -> None:
        """Jump to ``moment`` (a date means noon UTC that day); time keeps running from there."""
        if not isinstance(moment, datetime.datetime):
            moment = datetime.datetime.combine(moment, datetime.time(12), tzinfo=datetime.UTC)
        if self._coordinates is None:
            self._begin(moment)
        else:
            self._coordinates.move_to(moment)

    def advance(self, **delta: float) -> None:
        """Move forward by a ``timedelta(**delta)``, e.g. ``clock.advance(days=31)``."""
        self.move_to(timezone.now() + datetime.timedelta(**delta))

    def stop(self) -> None:
        if self._traveller is not None:
            self._traveller.stop()
            self._traveller = self._coordinates = None
