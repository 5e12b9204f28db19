"""Dates and times as typed on a phone: every accepted form, every error code, New Year and leap years."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from bot.services.dates import (
    DateInputError,
    example_date,
    next_working_days,
    parse_date,
    parse_dates,
    parse_month,
    parse_time_range,
    validate_request_date,
)

# Saturday 23 November 2024: 3 December 2024 is a Tuesday.
TODAY = date(2024, 11, 23)
DEC_3 = date(2024, 12, 3)


def error_code(text: str, today: date = TODAY) -> str:
    with pytest.raises(DateInputError) as caught:
        parse_date(text, today)
    return caught.value.code


@pytest.mark.parametrize(
    "text",
    [
        "3-12",
        "3/12",
        "3.12",
        "03-12",
        "03/12",
        "03.12",
        "3-12-2024",
        "3/12/2024",
        "3.12.2024",
        "03-12-24",
        "2024-12-03",
        "3 dec",
        "3 Dec",
        "3 DEC",
        "3 dec.",
        "3dec",
        "3 december",
        "3 December 2024",
        "3 dec 2024",
        "3 dec. 2024",
        "3 dec '24",
        "di 3 dec",
        "di. 3 dec",
        "di, 3 dec",
        "Di 3 Dec",
        "din 3 dec",
        "dinsdag 3 december",
        "Dinsdag 3 December 2024",
        "di 3-12",
        "di 3/12/2024",
        "di 2024-12-03",
        "tue 3 dec",
        "tues 3 dec",
        "Tuesday 3 December 2024",
        "Tuesday 3 December 2024.",
        "  dinsdag   3 december  ",
        "3e december",
        "3rd dec",
        "3–12",
        "3-12\u200b",
        "\u200fdi 3 dec\u200f",
        "dinsdag\u00a03\u00a0december",
        "３-１２",
    ],
)
def test_accepted_forms(text: str) -> None:
    assert parse_date(text, TODAY) == DEC_3


@pytest.mark.parametrize(
    ("name", "month"),
    [
        ("jan", 1),
        ("januari", 1),
        ("january", 1),
        ("feb", 2),
        ("februari", 2),
        ("february", 2),
        ("mrt", 3),
        ("maa", 3),
        ("mar", 3),
        ("maart", 3),
        ("march", 3),
        ("apr", 4),
        ("april", 4),
        ("mei", 5),
        ("may", 5),
        ("jun", 6),
        ("juni", 6),
        ("june", 6),
        ("jul", 7),
        ("juli", 7),
        ("july", 7),
        ("aug", 8),
        ("augustus", 8),
        ("august", 8),
        ("sep", 9),
        ("sept", 9),
        ("september", 9),
        ("okt", 10),
        ("oct", 10),
        ("oktober", 10),
        ("october", 10),
        ("nov", 11),
        ("november", 11),
        ("dec", 12),
        ("december", 12),
    ],
)
def test_month_names(name: str, month: int) -> None:
    assert parse_date(f"10 {name} 2025", TODAY) == date(2025, month, 10)
    assert parse_date(f"10 {name.capitalize()}", TODAY).month == month


@pytest.mark.parametrize(
    ("name", "day"),
    [
        ("ma", date(2024, 12, 2)),
        ("maandag", date(2024, 12, 2)),
        ("mon", date(2024, 12, 2)),
        ("monday", date(2024, 12, 2)),
        ("di", date(2024, 12, 3)),
        ("dinsdag", date(2024, 12, 3)),
        ("tue", date(2024, 12, 3)),
        ("tuesday", date(2024, 12, 3)),
        ("wo", date(2024, 12, 4)),
        ("woensdag", date(2024, 12, 4)),
        ("wed", date(2024, 12, 4)),
        ("wednesday", date(2024, 12, 4)),
        ("do", date(2024, 12, 5)),
        ("donderdag", date(2024, 12, 5)),
        ("thu", date(2024, 12, 5)),
        ("thursday", date(2024, 12, 5)),
        ("vr", date(2024, 12, 6)),
        ("vrijdag", date(2024, 12, 6)),
        ("fri", date(2024, 12, 6)),
        ("friday", date(2024, 12, 6)),
        ("za", date(2024, 12, 7)),
        ("zaterdag", date(2024, 12, 7)),
        ("sat", date(2024, 12, 7)),
        ("saturday", date(2024, 12, 7)),
        ("zo", date(2024, 12, 8)),
        ("zondag", date(2024, 12, 8)),
        ("sun", date(2024, 12, 8)),
        ("sunday", date(2024, 12, 8)),
    ],
)
def test_weekday_names(name: str, day: date) -> None:
    written = f"{name} {day.day}-{day.month}"
    assert parse_date(written, TODAY) == day
    assert parse_date(written.upper(), TODAY) == day
    assert error_code(f"{name} {day.day + 1}-{day.month}") == "weekday_mismatch"


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("vandaag", 0),
        ("Vandaag", 0),
        ("today", 0),
        ("TODAY.", 0),
        ("morgen", 1),
        ("tomorrow", 1),
        ("overmorgen", 2),
        (" Overmorgen ", 2),
    ],
)
def test_relative_words(text: str, offset: int) -> None:
    assert parse_date(text, TODAY) == TODAY + timedelta(days=offset)


def test_relative_words_cross_new_year() -> None:
    assert parse_date("morgen", date(2026, 12, 31)) == date(2027, 1, 1)
    assert parse_date("overmorgen", date(2026, 12, 31)) == date(2027, 1, 2)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("3-1", date(2026, 11, 23), date(2027, 1, 3)),
        ("23-11", date(2026, 11, 23), date(2026, 11, 23)),
        ("22-11", date(2026, 11, 23), date(2027, 11, 22)),
        ("24-11", date(2026, 11, 23), date(2026, 11, 24)),
        ("1 jan", date(2026, 12, 31), date(2027, 1, 1)),
        ("31 dec", date(2026, 12, 31), date(2026, 12, 31)),
        ("31-12", date(2027, 1, 1), date(2027, 12, 31)),
        ("2-1", date(2027, 1, 1), date(2027, 1, 2)),
        ("vr 1 jan", date(2026, 12, 28), date(2027, 1, 1)),
        ("3-1-2026", date(2026, 11, 23), date(2026, 1, 3)),
    ],
)
def test_year_is_the_next_occurrence(text: str, today: date, expected: date) -> None:
    assert parse_date(text, today) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("29-2", date(2027, 11, 23), date(2028, 2, 29)),
        ("29-2", date(2028, 1, 10), date(2028, 2, 29)),
        ("29 feb 2028", date(2027, 11, 23), date(2028, 2, 29)),
        ("29-02-28", date(2027, 11, 23), date(2028, 2, 29)),
        ("2000-02-29", date(2027, 11, 23), date(2000, 2, 29)),
    ],
)
def test_leap_days(text: str, today: date, expected: date) -> None:
    assert parse_date(text, today) == expected


@pytest.mark.parametrize(
    ("text", "today"),
    [
        ("29-2", date(2026, 1, 10)),
        ("29-2-2027", date(2026, 1, 10)),
        ("29 februari 2026", date(2026, 1, 10)),
        ("1900-02-29", date(2026, 1, 10)),
        ("29-2", date(2028, 3, 1)),
    ],
)
def test_leap_day_outside_a_leap_year_is_unreadable(text: str, today: date) -> None:
    assert error_code(text, today) == "unreadable"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        ".",
        "31-11",
        "32-12",
        "0-12",
        "3-0",
        "3-13",
        "31 nov",
        "31 april",
        "12-31",
        "12/31",
        "dec 3",
        "december 3",
        "3 decembre",
        "3-12-202",
        "3-12-20266",
        "3-12/2024",
        "3--12",
        "2024-13-01",
        "2024/12/03",
        "3",
        "drie december",
        "volgende week",
        "gisteren",
        "morgen 3 dec",
        "xx 3 dec",
        "3 dec 2024 08:00",
        "😀",
        "\u200b",
        "٣-١٢",
    ],
)
def test_unreadable(text: str) -> None:
    assert error_code(text) == "unreadable"


@pytest.mark.parametrize(
    "text",
    ["ma 3 dec", "wo 3-12", "Monday 3 December 2024", "zondag 3 december", "do 3-12-2024", "tue 2024-12-04"],
)
def test_weekday_mismatch(text: str) -> None:
    assert error_code(text) == "weekday_mismatch"


def test_impossible_date_beats_weekday_mismatch() -> None:
    assert error_code("di 31-11") == "unreadable"


def test_error_is_a_value_error_with_a_code_only() -> None:
    with pytest.raises(ValueError, match=r"^unreadable$") as caught:
        parse_date("nonsense", TODAY)
    assert isinstance(caught.value, DateInputError)
    assert caught.value.part is None


@pytest.mark.parametrize(
    ("day", "max_days_ahead"),
    [
        (TODAY, 90),
        (TODAY + timedelta(days=1), 90),
        (TODAY + timedelta(days=90), 90),
        (TODAY + timedelta(days=7), 7),
        (TODAY, 0),
    ],
)
def test_request_date_allowed(day: date, max_days_ahead: int) -> None:
    validate_request_date(day, TODAY, max_days_ahead)


@pytest.mark.parametrize(
    ("day", "max_days_ahead", "code"),
    [
        (TODAY - timedelta(days=1), 90, "past"),
        (date(2023, 12, 3), 90, "past"),
        (TODAY + timedelta(days=91), 90, "too_far"),
        (TODAY + timedelta(days=8), 7, "too_far"),
        (TODAY + timedelta(days=1), 0, "too_far"),
    ],
)
def test_request_date_refused(day: date, max_days_ahead: int, code: str) -> None:
    with pytest.raises(DateInputError) as caught:
        validate_request_date(day, TODAY, max_days_ahead)
    assert caught.value.code == code


def test_request_date_default_is_ninety_days() -> None:
    validate_request_date(TODAY + timedelta(days=90), TODAY)
    with pytest.raises(DateInputError):
        validate_request_date(TODAY + timedelta(days=91), TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3-12", [DEC_3]),
        ("3-12, 4-12", [DEC_3, date(2024, 12, 4)]),
        ("4-12;3-12", [DEC_3, date(2024, 12, 4)]),
        ("3 dec en 4 dec", [DEC_3, date(2024, 12, 4)]),
        ("3 dec EN 4 dec", [DEC_3, date(2024, 12, 4)]),
        ("3 dec and 4 dec", [DEC_3, date(2024, 12, 4)]),
        ("3-12\n4-12\r\n5-12", [DEC_3, date(2024, 12, 4), date(2024, 12, 5)]),
        ("di 3 dec, wo 4 dec en do 5 dec", [DEC_3, date(2024, 12, 4), date(2024, 12, 5)]),
        ("5-12, 3-12, 3 december, di 3-12", [DEC_3, date(2024, 12, 5)]),
        ("3-1, 30-12", [date(2024, 12, 30), date(2025, 1, 3)]),
        ("Tuesday, 3 December 2024", [DEC_3]),
        ("dinsdag, 3 december, woensdag, 4 december", [DEC_3, date(2024, 12, 4)]),
        ("3-12,,4-12,", [DEC_3, date(2024, 12, 4)]),
        ("vandaag en morgen", [TODAY, TODAY + timedelta(days=1)]),
    ],
)
def test_parse_dates(text: str, expected: list[date]) -> None:
    assert parse_dates(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "part", "code"),
    [
        ("3-12, 31-11, 32-12", "31-11", "unreadable"),
        ("3-12; ma 4-12", "ma 4-12", "weekday_mismatch"),
        ("3 dec en volgende week", "volgende week", "unreadable"),
        ("3-12, dinsdagavond", "dinsdagavond", "unreadable"),
        ("", "", "unreadable"),
        (" , ; ", " , ; ", "unreadable"),
    ],
)
def test_parse_dates_names_the_failing_part(text: str, part: str, code: str) -> None:
    with pytest.raises(DateInputError) as caught:
        parse_dates(text, TODAY)
    assert caught.value.code == code
    assert caught.value.part == part


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("08:00-12:30", time(8), time(12, 30)),
        ("8:00 - 12:30", time(8), time(12, 30)),
        ("8-12", time(8), time(12)),
        ("8 - 12", time(8), time(12)),
        ("8.30-12.30", time(8, 30), time(12, 30)),
        ("08.00–12.30", time(8), time(12, 30)),
        ("08.00—12.30", time(8), time(12, 30)),
        ("08.00 – 12.30", time(8), time(12, 30)),
        ("8u-12u30", time(8), time(12, 30)),
        ("8u30-12u", time(8, 30), time(12)),
        ("8 uur - 12 uur", time(8), time(12)),
        ("8h30-12h30", time(8, 30), time(12, 30)),
        ("van 8:00 tot 12:30", time(8), time(12, 30)),
        ("Van 8 tot 12.30", time(8), time(12, 30)),
        ("vanaf 13:00 tot 17:00", time(13), time(17)),
        ("8:00 tot 12:30", time(8), time(12, 30)),
        ("8:00 to 12:30", time(8), time(12, 30)),
        ("from 8:00 to 12:30", time(8), time(12, 30)),
        ("8:00 until 12:30.", time(8), time(12, 30)),
        ("  0:00-23:59  ", time(0), time(23, 59)),
        ("13:00-13:30", time(13), time(13, 30)),
        ("08:00-\u200b12:30", time(8), time(12, 30)),
    ],
)
def test_time_ranges(text: str, start: time, end: time) -> None:
    assert parse_time_range(text) == (start, end)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("24:00-25:00", "unreadable_time"),
        ("8:00-24:00", "unreadable_time"),
        ("8:60-12:00", "unreadable_time"),
        ("8:00-12:75", "unreadable_time"),
        ("8:5-12:30", "unreadable_time"),
        ("8:00", "unreadable_time"),
        ("ochtend", "unreadable_time"),
        ("", "unreadable_time"),
        ("8:00-", "unreadable_time"),
        ("800-1230", "unreadable_time"),
        ("8:00-12:30-14:00", "unreadable_time"),
        ("-8-12", "unreadable_time"),
        ("😀-😀", "unreadable_time"),
        ("12:30-08:00", "end_before_start"),
        ("8:00-8:00", "end_before_start"),
        ("17-9", "end_before_start"),
        ("8:00-8:29", "too_short"),
        ("12:00-12:15", "too_short"),
        ("23:45-23:59", "too_short"),
    ],
)
def test_time_range_errors(text: str, code: str) -> None:
    with pytest.raises(DateInputError) as caught:
        parse_time_range(text)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("after", "count", "expected"),
    [
        (date(2024, 11, 22), 3, [date(2024, 11, 25), date(2024, 11, 26), date(2024, 11, 27)]),
        (date(2024, 11, 23), 1, [date(2024, 11, 25)]),
        (date(2024, 11, 24), 1, [date(2024, 11, 25)]),
        (date(2024, 11, 25), 1, [date(2024, 11, 26)]),
        (date(2024, 12, 30), 3, [date(2024, 12, 31), date(2025, 1, 1), date(2025, 1, 2)]),
        (date(2024, 11, 25), 0, []),
        (date(2024, 11, 25), -1, []),
    ],
)
def test_next_working_days(after: date, count: int, expected: list[date]) -> None:
    assert next_working_days(after, count) == expected


def test_next_working_days_are_weekdays_in_order() -> None:
    days = next_working_days(date(2024, 2, 27), 20)
    assert len(days) == 20
    assert all(day.weekday() < 5 for day in days)
    assert days == sorted(set(days))
    assert date(2024, 2, 29) in days


def test_a_weekday_alone_is_the_coming_one() -> None:
    for text in ("dinsdag", "di", "Tuesday"):
        day = parse_date(text, TODAY)
        assert day.weekday() == 1 and TODAY < day <= TODAY + timedelta(days=7), text
    assert parse_date(["ma", "di", "wo", "do", "vr", "za", "zo"][TODAY.weekday()], TODAY) == TODAY + timedelta(days=7)


def test_the_hints_example_is_a_real_date_with_its_own_weekday() -> None:
    for offset in range(14):
        today = TODAY + timedelta(days=offset)
        example = example_date(today)
        named = f"{['ma', 'di', 'wo', 'do', 'vr', 'za', 'zo'][example.weekday()]} {example.day}-{example.month}"
        assert parse_date(named, today) == example


@pytest.mark.parametrize(
    ("typed", "month"),
    [
        ("2025-03", date(2025, 3, 1)),
        ("2025/3", date(2025, 3, 1)),
        ("3-2025", date(2025, 3, 1)),
        ("maart", date(2025, 3, 1)),  # the next March
        ("Mrt. 2026", date(2026, 3, 1)),
        ("march", date(2025, 3, 1)),
        ("november", date(2024, 11, 1)),  # this month counts as the next one
        ("oktober", date(2025, 10, 1)),  # past this year: next year
        ("  December  ", date(2024, 12, 1)),
    ],
)
def test_a_month_as_typed(typed: str, month: date) -> None:
    assert parse_month(typed, TODAY) == month


@pytest.mark.parametrize("typed", ["2025-13", "0-2025", "13-2025", "1999-05", "volgende week", "15 maart", "", "mrtx"])
def test_what_is_not_a_month(typed: str) -> None:
    assert parse_month(typed, TODAY) is None
