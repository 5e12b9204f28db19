"""Meeting times: local wall times and RRULEs expanded in the region's zone, and reminder offsets like `7d`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

DEFAULT_REMINDERS: tuple[int, ...] = (7 * 24 * 60, 24 * 60, 120)
MAX_REMINDER_MINUTES = 28 * 24 * 60  # below INVITE_AHEAD, so no reminder is due before its invitation
MAX_REMINDERS = 5
HORIZON = timedelta(days=366)  # a series is planned a year ahead; the sweep plans further as time passes
# Positions count from the series' first date, so this is only a guard against runaway iteration; the planning
# horizon is what limits how far ahead dates are made.
MAX_OCCURRENCES = 5000
_OFFSET = re.compile(r"^([0-9]{1,3})\s*([dhmwu])$")
_UNIT_MINUTES = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "u": 60, "m": 1}
_ALLOWED_RULE_PARTS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYSETPOS", "BYMONTH", "WKST"}


class TimeInputError(ValueError):
    """Something about a meeting's time that cannot be used; `code` says what, for a translated message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall time in `zone` as an aware UTC datetime (the earlier one when the clock goes back)."""
    return local.replace(tzinfo=zone).astimezone(UTC)


def to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    """An aware moment as a naive wall time in `zone`."""
    return moment.astimezone(zone).replace(tzinfo=None)


def parse_offsets(items: list[str]) -> list[int]:
    """Reminder offsets such as `7d`, `1d`, `2h`, `10m` (or `2u`) as minutes, largest first, without repeats."""
    minutes: set[int] = set()
    for item in items:
        match = _OFFSET.match(item.strip().lower())
        if match is None:
            raise TimeInputError("bad_reminder")
        value = int(match[1]) * _UNIT_MINUTES[match[2]]
        if not 0 < value <= MAX_REMINDER_MINUTES:
            raise TimeInputError("reminder_range")
        minutes.add(value)
    if len(minutes) > MAX_REMINDERS:
        raise TimeInputError("too_many_reminders")
    return sorted(minutes, reverse=True)


def parse_offset_text(text: str) -> list[int]:
    """Offsets typed in one line, separated by commas or spaces; `geen`/`none` means no reminders."""
    cleaned = text.strip().lower()
    if cleaned in ("geen", "none", "-"):
        return []
    return parse_offsets([part for part in re.split(r"[,\s]+", cleaned) if part])


def offset_label(minutes: int) -> str:
    """`7d`, `2h` or `10m`: the same notation as typed and imported, language-free."""
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def _rule_parts_allowed(parts: dict[str, str]) -> bool:
    """Only known parts, weekly or monthly, and a positive INTERVAL and COUNT where given."""
    return (
        bool(parts)
        and set(parts) <= _ALLOWED_RULE_PARTS
        and parts.get("FREQ") in ("WEEKLY", "MONTHLY")
        # INTERVAL=0 would repeat one date over and over
        and all(_is_positive(parts.get(key, "1")) for key in ("INTERVAL", "COUNT"))
    )


def _is_positive(number: str) -> bool:
    return number.isdigit() and int(number) >= 1


def check_rrule(rule: str, start_local: datetime) -> str:
    """An RRULE (without DTSTART) that dateutil understands and that yields at least one date after the start."""
    cleaned = rule.strip().upper().removeprefix("RRULE:")
    parts = dict(part.partition("=")[::2] for part in cleaned.split(";") if part)
    if not _rule_parts_allowed(parts):
        raise TimeInputError("bad_rrule")
    try:
        first = rrulestr(cleaned, dtstart=start_local).after(start_local, inc=True)
        # Expand a year ahead now, so an impossible rule fails here with its line named, not later in the sweep.
        series(start_local, cleaned, until_local=start_local + timedelta(days=366))
    except (ValueError, TypeError):
        raise TimeInputError("bad_rrule") from None
    if first != start_local:  # also when there is no first date (None)
        raise TimeInputError("bad_rrule")  # the start itself must be a date of the series (RFC 5545)
    return cleaned


def series(
    start_local: datetime, rule: str | None, *, until_local: datetime, limit: int = MAX_OCCURRENCES
) -> list[datetime]:
    """The local start of every occurrence up to `until_local` (at most `limit`), the first included."""
    if not rule:
        return [start_local]
    found: list[datetime] = []
    for moment in rrulestr(rule, dtstart=start_local):
        if moment > until_local or len(found) >= min(limit, MAX_OCCURRENCES):
            break
        found.append(moment)
    return found


def weekly_rule(weeks: int) -> str:
    """Every `weeks` weeks on the start's weekday."""
    return f"FREQ=WEEKLY;INTERVAL={weeks}"


def monthly_rule(day: date) -> str:
    """Monthly on the same n-th weekday as `day`; a fifth weekday becomes the last, which every month has."""
    weekday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[day.weekday()]
    nth = nth_weekday(day)
    return f"FREQ=MONTHLY;BYDAY={-1 if nth == 5 else nth}{weekday}"


def nth_weekday(day: date) -> int:
    """Which of its month's weekdays of this kind `day` is: 1 to 5."""
    return (day.day - 1) // 7 + 1
