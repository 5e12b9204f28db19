"""Meeting times: series in local wall time across DST, reminder offsets, RRULE checks, and the .ics text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot.services.ics import CalendarEvent, calendar_file, escape_text, fold
from bot.services.meeting_times import (
    TimeInputError,
    check_rrule,
    monthly_rule,
    offset_label,
    parse_offset_text,
    parse_offsets,
    series,
    to_utc,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def test_monthly_on_the_nth_weekday_keeps_19_00_local_across_both_changes() -> None:
    start = datetime(2027, 1, 12, 19, 0)  # the second Tuesday of January
    rule = check_rrule(monthly_rule(start.date()), start)
    assert rule == "FREQ=MONTHLY;BYDAY=2TU"
    dates = series(start, rule, until_local=datetime(2027, 12, 31))
    assert [d.day for d in dates] == [12, 9, 9, 13, 11, 8, 13, 10, 14, 12, 9, 14]
    utc_hours = [to_utc(d, AMSTERDAM).hour for d in dates]
    assert utc_hours == [18, 18, 18, 17, 17, 17, 17, 17, 17, 17, 18, 18]
    assert {d.hour for d in dates} == {19}


def test_a_fifth_weekday_becomes_the_last() -> None:
    assert monthly_rule(date(2027, 3, 30)) == "FREQ=MONTHLY;BYDAY=-1TU"


@pytest.mark.parametrize("rule", ["FREQ=DAILY", "FREQ=WEEKLY;BYHOUR=3", "nonsense", "FREQ=WEEKLY;INTERVAL=x"])
def test_rules_outside_weekly_and_monthly_are_refused(rule: str) -> None:
    with pytest.raises(TimeInputError):
        check_rrule(rule, datetime(2027, 1, 1, 19))


def test_offsets() -> None:
    assert parse_offsets(["2h", "7d", "1d", "10m", "2u"]) == [10080, 1440, 120, 10]
    assert parse_offset_text("3d, 1d 1u") == [4320, 1440, 60]
    assert parse_offset_text("geen") == []
    assert [offset_label(m) for m in (10080, 120, 10)] == ["7d", "2h", "10m"]
    for wrong in (["7x"], ["29d"], ["0m"], ["1m", "2m", "3m", "4m", "5m", "6m"]):
        with pytest.raises(TimeInputError):
            parse_offsets(wrong)


def test_ics_reads_back_with_an_independent_parser() -> None:
    summary = "Overleg; wijk, Noordwest \\ é" + "x" * 100
    event = CalendarEvent(
        uid="occurrence-7@wijkhulp",
        sequence=3,
        start_local=datetime(2027, 3, 25, 19, 0),
        end_local=datetime(2027, 3, 25, 21, 0),
        timezone="Europe/Amsterdam",
        summary=summary,
        location="Caberg 12, Maastricht",
        url="https://meet.example.org/a",
        description="Punt 1\nPunt 2",
        cancelled=False,
        stamp=datetime(2027, 1, 1, tzinfo=UTC),
    )
    raw = calendar_file(event)
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    calendar = icalendar.Calendar.from_ical(raw)
    vevent = next(iter(calendar.walk("VEVENT")))
    assert str(vevent["SUMMARY"]) == summary
    assert str(vevent["DESCRIPTION"]) == "Punt 1\nPunt 2\n\nhttps://meet.example.org/a"
    assert vevent.decoded("DTSTART") == datetime(2027, 3, 25, 19, 0, tzinfo=AMSTERDAM)
    assert vevent.decoded("DTSTART").astimezone(UTC).hour == 18
    assert vevent.decoded("SEQUENCE") == 3
    assert escape_text("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"
    assert fold("é" * 50).count("\r\n ") == 1
