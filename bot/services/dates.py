"""Reading dates and time ranges as practice managers type them on a phone, in Dutch or English."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, time, timedelta
from typing import Final, Literal

DateErrorCode = Literal[
    "unreadable", "weekday_mismatch", "past", "too_far", "unreadable_time", "end_before_start", "too_short"
]

MONTHS: Final[Mapping[str, int]] = {
    # Dutch
    "jan": 1, "januari": 1, "feb": 2, "febr": 2, "februari": 2, "mrt": 3, "maa": 3, "maart": 3, "apr": 4,
    "april": 4, "mei": 5, "jun": 6, "juni": 6, "jul": 7, "juli": 7, "aug": 8, "augustus": 8, "sep": 9,
    "sept": 9, "september": 9, "okt": 10, "oktober": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
    # English, where it differs
    "january": 1, "february": 2, "mar": 3, "march": 3, "may": 5, "june": 6, "july": 7, "august": 8,
    "oct": 10, "october": 10,
}  # fmt: skip

WEEKDAYS: Final[Mapping[str, int]] = {
    # Dutch
    "ma": 0, "maandag": 0, "di": 1, "din": 1, "dinsdag": 1, "wo": 2, "woe": 2, "woensdag": 2, "do": 3,
    "don": 3, "donderdag": 3, "vr": 4, "vrij": 4, "vrijdag": 4, "za": 5, "zat": 5, "zaterdag": 5, "zo": 6,
    "zon": 6, "zondag": 6,
    # English
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2, "thu": 3, "thur": 3,
    "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip

_RELATIVE_DAYS: Final[Mapping[str, int]] = {"vandaag": 0, "today": 0, "morgen": 1, "tomorrow": 1, "overmorgen": 2}

# Longest names first so that "maart" is not read as "maa" followed by junk.
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY_PREFIX = re.compile(r"([a-z]+)\.?\s+")
_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_NUMERIC = re.compile(r"([0-9]{1,2})([-/.])([0-9]{1,2})(?:\2([0-9]{4}|[0-9]{2}))?")
_NAMED = re.compile(rf"([0-9]{{1,2}})(?:st|nd|rd|th|ste|de|e)?\s*({_MONTH_NAMES})\.?(?:\s+'?([0-9]{{4}}|[0-9]{{2}}))?")
_YEAR_MONTH = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})")
_MONTH_YEAR = re.compile(r"([0-9]{1,2})[-/.]([0-9]{4})")
_MONTH_NAME = re.compile(rf"({_MONTH_NAMES})\.?(?:\s+([0-9]{{4}}))?")
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_LIST_SEPARATOR = re.compile(r"[,;\r\n]|\s+(?:en|and)\s+", re.IGNORECASE)

_CLOCK = r"([0-9]{1,2})(?:(?:[:.]|u|h)([0-9]{2}))?(?:\s*(?:uur|u|h))?"
_TIME_RANGE = re.compile(rf"(?:(?:van|vanaf|from)\s+)?{_CLOCK}\s*(?:-|tot|to|till|until)\s*{_CLOCK}")
# Anything shorter is almost certainly a typo (8:00-8:15) and is not worth a colleague travelling for.
MIN_SHIFT_MINUTES: Final = 30


class DateInputError(ValueError):
    """A date or time that cannot be used; `code` says why, `part` names the failing piece of a list."""

    def __init__(self, code: DateErrorCode, part: str | None = None) -> None:
        super().__init__(code)
        self.code: DateErrorCode = code
        self.part = part


def strip_invisible(text: str) -> str:
    """The text without format characters (zero-width, direction marks) and with compatibility forms folded."""
    # Phones and copy-paste insert these silently; NFKC turns no-break spaces and full-width digits into plain ones.
    visible = "".join(char for char in text if unicodedata.category(char) != "Cf")
    return unicodedata.normalize("NFKC", visible)


def _normalise(text: str) -> str:
    """Lower-case text with commas as spaces, single spaces, plain dashes and no trailing period."""
    cleaned = _DASHES.sub("-", strip_invisible(text)).lower().replace(",", " ")
    return " ".join(cleaned.split()).rstrip(".").strip()


def _build(year: int, month: int, day: int) -> date:
    """The date, or "unreadable" if it does not exist (31-11, 29-2 outside a leap year)."""
    try:
        return date(year, month, day)
    except ValueError:
        raise DateInputError("unreadable") from None


def _resolve(day: int, month: int, year_text: str | None, today: date) -> date:
    """The date with the year as written, as 20xx for two digits, or else the next occurrence from today."""
    if year_text is None:
        year = today.year if (month, day) >= (today.month, today.day) else today.year + 1
    elif len(year_text) == 2:
        year = 2000 + int(year_text)
    else:
        year = int(year_text)
    return _build(year, month, day)


def _parse_day(body: str, today: date) -> date:
    """A date without a weekday: ISO, day-month numbers, or day and month name."""
    if match := _ISO.fullmatch(body):
        return _build(int(match[1]), int(match[2]), int(match[3]))
    if match := _NUMERIC.fullmatch(body):
        return _resolve(int(match[1]), int(match[3]), match[4], today)
    if match := _NAMED.fullmatch(body):
        return _resolve(int(match[1]), MONTHS[match[2]], match[3], today)
    raise DateInputError("unreadable")


def parse_date(text: str, today: date) -> date:
    """The date a person typed, day first, optionally after a weekday that must then match."""
    cleaned = _normalise(text)
    if cleaned in _RELATIVE_DAYS:
        return today + timedelta(days=_RELATIVE_DAYS[cleaned])
    if cleaned in WEEKDAYS:  # "maandag", "ma": the coming one, after today ("vandaag" is today)
        return today + timedelta(days=(WEEKDAYS[cleaned] - today.weekday() - 1) % 7 + 1)
    weekday: int | None = None
    body = cleaned
    prefix = _WEEKDAY_PREFIX.match(cleaned)
    if prefix and prefix[1] in WEEKDAYS:
        weekday = WEEKDAYS[prefix[1]]
        body = cleaned[prefix.end() :]
    day = _parse_day(body, today)
    # A weekday that disagrees means one of the two is mistyped; asking beats guessing which.
    if weekday is not None and day.weekday() != weekday:
        raise DateInputError("weekday_mismatch")
    return day


def parse_month(text: str, today: date) -> date | None:
    """A month as typed (`2027-03`, `3-2027`, `maart`, `mrt 2027`, `march`), as its first day; a name without a
    year is the next such month from today's on. None if it is not a month."""
    body = _normalise(text)
    if match := _YEAR_MONTH.fullmatch(body):
        year, month = int(match[1]), int(match[2])
    elif match := _MONTH_YEAR.fullmatch(body):
        year, month = int(match[2]), int(match[1])
    elif match := _MONTH_NAME.fullmatch(body):
        month = MONTHS[match[1]]
        year = int(match[2]) if match[2] else today.year + (month < today.month)
    else:
        return None
    return date(year, month, 1) if 1 <= month <= 12 and 2000 <= year <= 2100 else None


def example_date(today: date) -> date:
    """A date a week ahead, for the examples in a hint: always a real date, its weekday the right one."""
    return today + timedelta(days=7)


def validate_request_date(day: date, today: date, max_days_ahead: int = 90) -> None:
    """Raise "past" or "too_far" unless the day is from today up to `max_days_ahead` days ahead."""
    if day < today:
        raise DateInputError("past")
    if day > today + timedelta(days=max_days_ahead):
        raise DateInputError("too_far")


def _split_dates(text: str) -> list[str]:
    """The non-empty pieces of a list of dates, a lone weekday joined to the piece after it."""
    pieces = [piece.strip() for piece in _LIST_SEPARATOR.split(text) if piece.strip()]
    parts: list[str] = []
    pending = ""
    for piece in pieces:
        # "Tuesday, 3 December" is one date although the comma also separates dates.
        if _normalise(piece) in WEEKDAYS:
            pending = f"{pending} {piece}".strip()
            continue
        parts.append(f"{pending} {piece}".strip())
        pending = ""
    if pending:
        parts.append(pending)
    return parts


def parse_dates(text: str, today: date) -> list[date]:
    """Every date in a message, sorted and without duplicates; the first unreadable piece raises with its `part`."""
    parts = _split_dates(text)
    if not parts:
        raise DateInputError("unreadable", part=text)
    days: set[date] = set()
    for part in parts:
        try:
            days.add(parse_date(part, today))
        except DateInputError as error:
            error.part = part
            raise
    return sorted(days)


def _clock(hour_text: str, minute_text: str | None) -> time:
    """The time of day, or "unreadable_time" outside 0-23 hours and 0-59 minutes."""
    hour, minute = int(hour_text), int(minute_text or 0)
    if hour > 23 or minute > 59:
        raise DateInputError("unreadable_time")
    return time(hour, minute)


def _minutes(moment: time) -> int:
    """Minutes since midnight."""
    return moment.hour * 60 + moment.minute


def parse_time_range(text: str) -> tuple[time, time]:
    """The start and end of a same-day range such as "8:00-12:30", "8u-12u30" or "van 8 tot 12.30"."""
    match = _TIME_RANGE.fullmatch(_normalise(text))
    if match is None:
        raise DateInputError("unreadable_time")
    start, end = _clock(match[1], match[2]), _clock(match[3], match[4])
    # Night shifts do not exist in GP practices, so an end before the start is a typo, not midnight.
    if end <= start:
        raise DateInputError("end_before_start")
    if _minutes(end) - _minutes(start) < MIN_SHIFT_MINUTES:
        raise DateInputError("too_short")
    return start, end


def next_working_days(after: date, count: int) -> list[date]:
    """The next `count` Monday-to-Friday dates strictly after `after` (public holidays are not skipped)."""
    days: list[date] = []
    day = after
    while len(days) < count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days
