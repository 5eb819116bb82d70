"""The suite's one controllable clock: what SIXDEGREES_TEST_CLOCK means, and moving it."""

from __future__ import annotations

import datetime

from django.utils import timezone

from tests.clock import configured_start


def test_unset_clock_is_the_real_one():
    assert configured_start("") is None


def test_offset_in_days_moves_from_now():
    moved = configured_start("+400d")
    expected = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=400)
    assert abs(moved - expected) < datetime.timedelta(minutes=5)


def test_a_bare_date_means_noon_utc_that_day():
    assert configured_start("2028-02-29") == datetime.datetime(2028, 2, 29, 12, tzinfo=datetime.UTC)


def test_moving_the_clock_moves_what_the_code_reads(clock):
    clock.move_to(datetime.date(2031, 7, 4))
    assert timezone.localdate() == clock.today() == datetime.date(2031, 7, 4)
    clock.advance(days=31)
    assert clock.today() == datetime.date(2031, 8, 4)
