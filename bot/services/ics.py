"""iCalendar (RFC 5545) files for one occurrence: METHOD:REQUEST, or METHOD:CANCEL when it is cancelled; for a
series, one entry with its RRULE, EXDATE for cancelled dates and a RECURRENCE-ID event per moved date.

Written by hand rather than with a library so that the tests can read them back with an independent parser.
Times are local with a TZID and a VTIMEZONE, so calendars show 19:00 as 19:00 whatever their own zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
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
    # A series' entry: its rule and the dates dropped from it (local, as the rule makes them); or one moved date of
    # a series, named by where the rule puts it.
    rrule: str | None = None
    exdates: tuple[datetime, ...] = ()
    recurrence_id: datetime | None = None


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


def _stamp(moment: datetime) -> str:
    """A UTC DATE-TIME, `20261215T180000Z`."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def event_lines(event: CalendarEvent) -> list[str]:
    """One VEVENT, unfolded."""
    lines = ["BEGIN:VEVENT", f"UID:{event.uid}"]
    if event.rrule:
        lines.append(f"RRULE:{event.rrule}")
    if event.exdates:
        dropped = ",".join(f"{moment:%Y%m%dT%H%M%S}" for moment in sorted(event.exdates))
        lines.append(f"EXDATE;TZID={event.timezone}:{dropped}")
    if event.recurrence_id is not None:
        lines.append(f"RECURRENCE-ID;TZID={event.timezone}:{event.recurrence_id:%Y%m%dT%H%M%S}")
    lines += [
        f"SEQUENCE:{event.sequence}",
        f"DTSTAMP:{_stamp(event.stamp)}",
        f"DTSTART;TZID={event.timezone}:{event.start_local:%Y%m%dT%H%M%S}",
        f"DTEND;TZID={event.timezone}:{event.end_local:%Y%m%dT%H%M%S}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
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
    return [*lines, "END:VEVENT"]


def _calendar(head: list[str], events: list[CalendarEvent], fallback_zone: str, year: int) -> bytes:
    """A VCALENDAR around the events, with one VTIMEZONE per zone they use; CRLF, folded, UTF-8."""
    zones = sorted({event.timezone for event in events} or {fallback_zone})
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", *head]
    for zone in zones:
        lines += vtimezone(zone, year)
    for event in events:
        lines += event_lines(event)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode()


def calendar_file(event: CalendarEvent) -> bytes:
    """The .ics file's bytes for one occurrence: METHOD:REQUEST, or CANCEL once it is cancelled."""
    method = f"METHOD:{'CANCEL' if event.cancelled else 'REQUEST'}"
    return _calendar([method], [event], event.timezone, event.start_local.year)


def series_file(master: CalendarEvent, moved: list[CalendarEvent]) -> bytes:
    """A series' .ics file: its entry (with RRULE and EXDATE) and its moved dates (RECURRENCE-ID), one UID;
    METHOD:CANCEL of the whole entry once the series is cancelled."""
    if master.cancelled:
        return _calendar(["METHOD:CANCEL"], [master], master.timezone, master.start_local.year)
    return _calendar(["METHOD:REQUEST"], [master, *moved], master.timezone, master.start_local.year)


def feed_file(events: list[CalendarEvent], *, timezone: str, name: str) -> bytes:
    """A subscription feed: METHOD:PUBLISH, every event with its own UID and SEQUENCE (cancelled ones as
    STATUS:CANCELLED, so subscribed calendars drop them), and a hint to look again every hour."""
    head = [
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"X-WR-TIMEZONE:{timezone}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    year = min((event.start_local.year for event in events), default=datetime.now(UTC).year)
    return _calendar(head, events, timezone, year)


# Telegram documents no limit for a button's URL; browsers and both calendar sites handle 2000 characters safely.
MAX_LINK = 2000
GOOGLE = "https://calendar.google.com/calendar/render?action=TEMPLATE"
OUTLOOK = "https://outlook.live.com/calendar/0/deeplink/compose?path=/calendar/action/compose&rru=addevent"


def _utc(local: datetime, timezone: str) -> datetime:
    """A naive local wall time in `timezone` as an aware UTC moment."""
    return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def _details(event: CalendarEvent) -> str:
    """The link first (it must survive shortening), then the agenda."""
    return "\n\n".join(part for part in (event.url, event.description) if part)


def _query(params: list[tuple[str, str]]) -> str:
    """`&key=value` pairs, every value percent-encoded as UTF-8 (spaces as %20, which both sites read)."""
    return "".join(f"&{key}={quote(value, safe='')}" for key, value in params)


def _fitted(base: str, params: list[tuple[str, str]], steps: list[tuple[str, int]], limit: int) -> str:
    """The URL within `limit`: each step cuts one field (ending in "…") to no shorter than its floor, in order,
    until it fits; empty fields are left out."""
    values = dict(params)

    def url() -> str:
        return base + _query([(key, value) for key, value in values.items() if value])

    for key, floor in steps:
        if len(url()) <= limit:
            break
        text = values[key]
        low, high = min(floor, len(text)), len(text)  # the longest prefix that fits, not below the floor
        while low < high:
            middle = (low + high + 1) // 2
            values[key] = text[:middle].rstrip() + "…"
            if len(url()) <= limit:
                low = middle
            else:
                high = middle - 1
        values[key] = (text[:low].rstrip() + "…" if low < len(text) else text) if low else ""
    return url()


def _steps(body: str, title: str, event: CalendarEvent) -> list[tuple[str, int]]:
    """What gives way to Telegram's button: the agenda (not the online link before it), the place, most of the
    title, then the link, then the rest of the title; the times never."""
    link = len(event.url or "")
    return [(body, link), ("location", 0), (title, 40), (body, 0), (title, 0)]


def google_calendar_url(event: CalendarEvent, limit: int = MAX_LINK) -> str:
    """Google Calendar's "add event" page, times in UTC (`20261215T180000Z/20261215T200000Z`)."""
    start, end = _utc(event.start_local, event.timezone), _utc(event.end_local, event.timezone)
    params = [
        ("text", event.summary),
        ("dates", f"{_stamp(start)}/{_stamp(end)}"),
        ("details", _details(event)),
        ("location", event.location or event.url or ""),
    ]
    if event.rrule:  # a series: Google's template link repeats it
        params.append(("recur", f"RRULE:{event.rrule}"))
    return _fitted(GOOGLE, params, _steps("details", "text", event), limit)


def outlook_calendar_url(event: CalendarEvent, limit: int = MAX_LINK) -> str:
    """Outlook on the web's "new event" page, times as ISO 8601 in UTC (`2026-12-15T18:00:00Z`)."""
    start, end = _utc(event.start_local, event.timezone), _utc(event.end_local, event.timezone)
    params = [
        ("subject", event.summary),
        ("startdt", start.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("enddt", end.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("body", _details(event)),
        ("location", event.location or event.url or ""),
    ]
    return _fitted(OUTLOOK, params, _steps("body", "subject", event), limit)
