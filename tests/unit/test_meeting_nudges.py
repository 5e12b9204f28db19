"""When the one automatic reminder to those who have not answered is due: three days before at 10:00 local, or
half-way when invited later, never at night, never too close to the start."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.services.meeting_nudges import is_daytime, next_daytime, nudge_time

AMS = ZoneInfo("Europe/Amsterdam")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_three_days_before_at_ten_in_winter_and_in_summer() -> None:
    invited = utc(2026, 11, 1, 12)
    assert nudge_time(utc(2026, 12, 15, 18), invited, AMS) == utc(2026, 12, 12, 9)  # CET
    assert nudge_time(utc(2027, 6, 15, 17), utc(2027, 5, 1, 12), AMS) == utc(2027, 6, 12, 8)  # CEST


def test_across_the_clock_change_it_is_still_ten_local() -> None:
    # Wednesday 31 March 2027, 19:00 CEST; three days before is Sunday 28 March, the day the clocks go forward.
    assert nudge_time(utc(2027, 3, 31, 17), utc(2027, 3, 1, 12), AMS) == utc(2027, 3, 28, 8)


def test_invited_late_it_is_half_way_and_out_of_the_night() -> None:
    starts = utc(2026, 12, 15, 18)  # Tuesday 19:00
    assert nudge_time(starts, utc(2026, 12, 13, 20), AMS) == utc(2026, 12, 14, 19)  # Monday 20:00
    # Invited Monday 09:00: half-way is Tuesday 02:00, at night, so Tuesday 08:00.
    assert nudge_time(starts, utc(2026, 12, 14, 8), AMS) == utc(2026, 12, 15, 7)


def test_no_reminder_when_it_would_come_too_close_to_the_start() -> None:
    # A Monday 09:00 meeting invited on Sunday evening: half-way is at night, 08:00 is an hour before the start.
    assert nudge_time(utc(2026, 12, 14, 8), utc(2026, 12, 13, 19), AMS) is None


def test_daytime_is_eight_to_nine_local() -> None:
    assert not is_daytime(utc(2026, 12, 12, 6, 59), AMS) and is_daytime(utc(2026, 12, 12, 7), AMS)
    assert is_daytime(utc(2026, 12, 12, 19, 59), AMS) and not is_daytime(utc(2026, 12, 12, 20), AMS)
    assert next_daytime(utc(2026, 12, 12, 21), AMS) == utc(2026, 12, 13, 7)
    assert next_daytime(utc(2026, 12, 12, 3), AMS) == utc(2026, 12, 12, 7)
    assert next_daytime(utc(2026, 12, 12, 12), AMS) == utc(2026, 12, 12, 12)
