"""Fixes from review: day-based reminders across the clock change, links that cannot inject, rules that repeat
nothing, messages shortened only between lines."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.services.meeting_times import TimeInputError, check_rrule
from bot.services.meetings import MeetingError, check_url, reminder_due
from handlers.meetings import fit_message

ZONE = ZoneInfo("Europe/Amsterdam")


def test_a_seven_day_reminder_keeps_the_wall_time_across_the_clock_change() -> None:
    starts = datetime(2027, 4, 1, 17, 0, tzinfo=UTC)  # Thursday 1 April 2027, 19:00 CEST
    due = reminder_due(starts, 7 * 24 * 60, ZONE)
    assert due.astimezone(ZONE).strftime("%Y-%m-%d %H:%M") == "2027-03-25 19:00"  # CET, a week earlier
    assert reminder_due(starts, 120, ZONE) == datetime(2027, 4, 1, 15, 0, tzinfo=UTC)  # 2 hours is 2 hours


@pytest.mark.parametrize(
    "link", ["https://x.nl/a\nBEGIN:VALARM", "https://x.nl/a\rb", "https://x.nl/<b>", "ftp://x.nl"]
)
def test_links_with_control_characters_or_markup_are_refused(link: str) -> None:
    with pytest.raises(MeetingError):
        check_url(link)
    assert check_url("https://meet.example.nl/wijk?id=3&pw=x") == "https://meet.example.nl/wijk?id=3&pw=x"


@pytest.mark.parametrize("rule", ["FREQ=WEEKLY;INTERVAL=0", "FREQ=WEEKLY;COUNT=0", "FREQ=MONTHLY;BYDAY=1WE"])
def test_rules_that_repeat_nothing_or_skip_the_start_are_refused(rule: str) -> None:
    start = datetime(2027, 1, 5, 19, 0)  # a Tuesday
    with pytest.raises(TimeInputError):
        check_rrule(rule, start)
    assert check_rrule("FREQ=WEEKLY;INTERVAL=2", start) == "FREQ=WEEKLY;INTERVAL=2"


def test_a_long_card_is_cut_between_lines_only() -> None:
    text = "<b>Title</b>\n" + "\n".join("&lt;line&gt; " * 40 for _ in range(20))
    cut = fit_message(text, limit=1000)
    assert len(cut) <= 1000 and cut.endswith("\n…") and cut.count("&lt;") == cut.count("&gt;")
    assert fit_message("short") == "short"


def test_a_weekly_series_goes_on_past_sixty_dates() -> None:
    from bot.services.meeting_times import series

    dates = series(datetime(2027, 1, 5, 19, 0), "FREQ=WEEKLY", until_local=datetime(2029, 1, 1))
    assert len(dates) == 104 and dates[-1] == datetime(2028, 12, 26, 19, 0)
