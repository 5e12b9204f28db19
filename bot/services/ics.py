"""iCalendar (RFC 5545) files for one occurrence: METHOD:REQUEST, or METHOD:CANCEL when it is cancelled; and
for a series, one file with its RRULE, EXDATE for cancelled dates and a RECURRENCE-ID event per moved date.

Written by hand rather than with a library so that the tests can read them back with an independent parser.
Times are local with a TZID and a VTIMEZONE, so calendars show 19:00 as 19:00 whatever their own zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

PRODID = "-//Wijkhulp//Wijkbijeenkomsten//NL"


@dataclass(frozen=True)
class CalendarEvent:
    """What a calendar needs of one occurrence."""

    uid: str
    sequence: int
    start_local: datetime
    end_local: datetime
    timezone: str
    summary: str
    location: str | None
    url: str | None
    description: str | None
    cancelled: bool
    stamp: datetime


def escape_text(value: str) -> str:
    """TEXT escaping: backslash, semicolon, comma and newlines."""
    return (
        value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Lines longer than 75 octets are folded with CRLF and a space, never inside a UTF-8 character."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = ""
    limit = 75
    for char in line:
        if len((current + char).encode()) > limit:
            parts.append(current)
            current = char
            limit = 74  # continuation lines start with a space
        else:
            current += char
    parts.append(current)
    return "\r\n ".join(parts)


def _offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def vtimezone(name: str, year: int) -> list[str]:
    """The zone's standard and summer offsets, with the EU rule (last Sunday of March and October) that
    every Dutch region follows; a zone without summer time gets its standard offset only."""
    zone = ZoneInfo(name)
    winter = datetime(year, 1, 15, tzinfo=zone)
    summer = datetime(year, 7, 15, tzinfo=zone)
    std, dst = winter.utcoffset(), summer.utcoffset()
    lines = ["BEGIN:VTIMEZONE", f"TZID:{name}"]
    if std == dst:
        return [
            *lines,
            "BEGIN:STANDARD",
            f"TZOFFSETFROM:{_offset(std)}",
            f"TZOFFSETTO:{_offset(std)}",
            f"TZNAME:{winter.tzname()}",
            "DTSTART:19700101T000000",
            "END:STANDARD",
            "END:VTIMEZONE",
        ]
    return [
        *lines,
        "BEGIN:DAYLIGHT",
        f"TZOFFSETFROM:{_offset(std)}",
        f"TZOFFSETTO:{_offset(dst)}",
        f"TZNAME:{summer.tzname()}",
        "DTSTART:19810329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        f"TZOFFSETFROM:{_offset(dst)}",
        f"TZOFFSETTO:{_offset(std)}",
        f"TZNAME:{winter.tzname()}",
        "DTSTART:19961027T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]


def _event_lines(event: CalendarEvent, stamp: str, *, status: bool = True) -> list[str]:
    """The VEVENT's own properties, after its UID (and RRULE or RECURRENCE-ID)."""
    lines = [
        f"SEQUENCE:{event.sequence}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;TZID={event.timezone}:{event.start_local:%Y%m%dT%H%M%S}",
        f"DTEND;TZID={event.timezone}:{event.end_local:%Y%m%dT%H%M%S}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if status:
        lines.append(f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}")
    lines += [
        # Outlook ignores a REQUEST without an organiser; the address is deliberately undeliverable.
        "ORGANIZER;CN=Wijkhulp:mailto:noreply@wijkhulp.invalid",
        "TRANSP:OPAQUE",
    ]
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    description = "\n\n".join(part for part in (event.description, event.url) if part)
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    return lines


def _head(cancelled: bool, timezone: str, year: int) -> list[str]:
    return [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{'CANCEL' if cancelled else 'REQUEST'}",
        *vtimezone(timezone, year),
    ]


def _finish(lines: list[str]) -> bytes:
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode()


def calendar_file(event: CalendarEvent) -> bytes:
    """The .ics file's bytes (CRLF line ends, folded, UTF-8)."""
    stamp = event.stamp.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = _head(event.cancelled, event.timezone, event.start_local.year)
    lines += ["BEGIN:VEVENT", f"UID:{event.uid}", *_event_lines(event, stamp), "END:VEVENT", "END:VCALENDAR"]
    return _finish(lines)


@dataclass(frozen=True)
class SeriesCalendar:
    """A series as one calendar entry: the first date with the rule, the dates dropped from it (local times,
    as the rule gives them), and the dates moved away from where the rule puts them."""

    master: CalendarEvent  # the first date; `cancelled` when the whole series is
    rrule: str
    cancelled_local: list[datetime]
    moved: list[tuple[datetime, CalendarEvent]]  # (where the rule puts it, the date as it is now)


def series_file(series: SeriesCalendar) -> bytes:
    """The series' .ics file: METHOD:REQUEST with RRULE, EXDATE and RECURRENCE-ID events, all one UID; or
    METHOD:CANCEL of the whole series."""
    master = series.master
    stamp = master.stamp.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    zone = master.timezone
    lines = _head(master.cancelled, zone, master.start_local.year)
    lines += ["BEGIN:VEVENT", f"UID:{master.uid}", f"RRULE:{series.rrule}"]
    if series.cancelled_local:
        dropped = ",".join(f"{moment:%Y%m%dT%H%M%S}" for moment in sorted(series.cancelled_local))
        lines.append(f"EXDATE;TZID={zone}:{dropped}")
    lines += [*_event_lines(master, stamp), "END:VEVENT"]
    if not master.cancelled:
        for original, event in series.moved:
            lines += [
                "BEGIN:VEVENT",
                f"UID:{master.uid}",
                f"RECURRENCE-ID;TZID={zone}:{original:%Y%m%dT%H%M%S}",
                *_event_lines(event, stamp),
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return _finish(lines)
