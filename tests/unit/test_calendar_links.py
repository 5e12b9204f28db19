"""The calendar links (Google, Outlook), the feed file, the UIDs and the setting that says where feeds live."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.services.calendars import occurrence_uid
from bot.services.ics import (
    MAX_LINK,
    CalendarEvent,
    calendar_file,
    feed_file,
    google_calendar_url,
    outlook_calendar_url,
    series_file,
)
from db.models import Installation


def meeting(**changes: object) -> CalendarEvent:
    values: dict[str, object] = {
        "uid": "occurrence-7-abc@wijkhulp",
        "sequence": 0,
        "start_local": datetime(2026, 12, 15, 19, 0),
        "end_local": datetime(2026, 12, 15, 21, 0),
        "timezone": "Europe/Amsterdam",
        "summary": "Wijkoverleg Noordwest & co; 'ä' <b>",
        "location": "Gezondheidscentrum Caberg, Caberg 12, Maastricht",
        "url": "https://meet.example.org/noordwest?x=1&y=2#z",
        "description": "1. Waarneming rond de feestdagen\n2. Griepprik & logistiek = 100%",
        "cancelled": False,
        "stamp": datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    }
    values.update(changes)
    return CalendarEvent(**values)  # type: ignore[arg-type]


def query(url: str) -> dict[str, str]:
    """The URL's parameters, decoded as the calendar sites decode them."""
    return {key: value for key, [value] in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def test_google_link_has_utc_times_and_every_field_encoded() -> None:
    url = google_calendar_url(meeting())
    assert url.startswith("https://calendar.google.com/calendar/render?action=TEMPLATE&")
    assert " " not in url and "\n" not in url and "<" not in url
    found = query(url)
    assert found["action"] == "TEMPLATE"
    assert found["dates"] == "20261215T180000Z/20261215T200000Z", "19:00 in Amsterdam in winter is 18:00 UTC"
    assert found["text"] == "Wijkoverleg Noordwest & co; 'ä' <b>"
    assert found["location"] == "Gezondheidscentrum Caberg, Caberg 12, Maastricht"
    assert found["details"] == (
        "https://meet.example.org/noordwest?x=1&y=2#z\n\n"
        "1. Waarneming rond de feestdagen\n2. Griepprik & logistiek = 100%"
    )


def test_outlook_link_has_iso_utc_times_and_every_field_encoded() -> None:
    summer = meeting(start_local=datetime(2027, 6, 1, 19, 0), end_local=datetime(2027, 6, 1, 21, 30))
    url = outlook_calendar_url(summer)
    assert url.startswith("https://outlook.live.com/calendar/0/deeplink/compose?path=/calendar/action/compose&rru=")
    found = query(url)
    assert found["rru"] == "addevent" and found["path"] == "/calendar/action/compose"
    assert (found["startdt"], found["enddt"]) == ("2027-06-01T17:00:00Z", "2027-06-01T19:30:00Z"), "summer: +2"
    assert found["subject"] == "Wijkoverleg Noordwest & co; 'ä' <b>"
    assert found["body"].startswith("https://meet.example.org/noordwest?x=1&y=2#z\n\n1. Waarneming")


def test_online_only_uses_the_link_as_the_place() -> None:
    found = query(google_calendar_url(meeting(location=None, description=None)))
    assert found["location"] == "https://meet.example.org/noordwest?x=1&y=2#z"
    assert found["details"] == "https://meet.example.org/noordwest?x=1&y=2#z"
    assert "location" not in query(outlook_calendar_url(meeting(location=None, url=None, description=None)))


@pytest.mark.parametrize("build", [google_calendar_url, outlook_calendar_url])
def test_long_texts_are_shortened_to_fit_a_button_and_the_link_survives(build: object) -> None:
    assert callable(build)
    long = meeting(description="é " * 1000, summary="é" * 200, location="ü" * 300)
    url = build(long)
    assert len(url) <= MAX_LINK
    found = query(url)
    details = found.get("details", found.get("body", ""))
    assert details.startswith("https://meet.example.org/noordwest?x=1&y=2#z") and details.endswith("…")
    assert found["location"].startswith("üüü") and found["location"].endswith("…")
    assert found.get("text", found.get("subject")) == "é" * 200, "the title stays whole while the rest can give"
    emoji = query(build(meeting(summary="🩺" * 200, location="ü" * 300)))
    title = emoji.get("text", emoji.get("subject", ""))
    assert title.startswith("🩺" * 40) and title.endswith("…") and "location" not in emoji
    assert emoji.get("details", emoji.get("body", "")).startswith("https://meet.example.org/noordwest")
    tiny = build(long, 400)
    assert len(tiny) <= 400 and ("dates=" in tiny or "startdt=" in tiny), "the times are never cut"


def test_uids_name_the_installation_and_old_dates_keep_theirs() -> None:
    here = Installation(id=1, uid_id="0123abcd" * 4, legacy_uid_below=10)
    assert occurrence_uid(here, 9) == "occurrence-9@wijkhulp"
    assert occurrence_uid(here, 10) == f"occurrence-10-{'0123abcd' * 4}@wijkhulp"
    there = Installation(id=1, uid_id="f" * 32, legacy_uid_below=0)
    assert occurrence_uid(here, 10) != occurrence_uid(there, 10)


def test_the_feed_holds_every_event_with_its_status_and_the_file_the_same_uid() -> None:
    first = meeting()
    cancelled = meeting(uid="occurrence-8-abc@wijkhulp", sequence=1, cancelled=True)
    calendar = icalendar.Calendar.from_ical(feed_file([first, cancelled], timezone="Europe/Amsterdam", name="W"))
    assert calendar["METHOD"] == "PUBLISH"
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"occurrence-7-abc@wijkhulp", "occurrence-8-abc@wijkhulp"}
    assert str(events["occurrence-8-abc@wijkhulp"]["STATUS"]) == "CANCELLED"
    assert events["occurrence-8-abc@wijkhulp"].decoded("SEQUENCE") == 1
    assert len(calendar.walk("VTIMEZONE")) == 1
    single = icalendar.Calendar.from_ical(calendar_file(first))
    assert str(single.walk("VEVENT")[0]["UID"]) == "occurrence-7-abc@wijkhulp"
    empty = icalendar.Calendar.from_ical(feed_file([], timezone="Europe/Amsterdam", name="W"))
    assert empty.walk("VEVENT") == []


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg,arg-type]


def test_where_the_feeds_live() -> None:
    assert settings().calendar_base_url == ""
    hooked = settings(webhook_url="https://bot.example.org/telegram", webhook_secret="s" * 16)
    assert hooked.calendar_base_url == "https://bot.example.org"
    assert settings(public_base_url="https://cal.example.org/wijkhulp/").calendar_base_url == (
        "https://cal.example.org/wijkhulp"
    )
    assert settings(public_base_url="http://127.0.0.1:8080").calendar_base_url == "http://127.0.0.1:8080"
    for wrong in ("http://bot.example.org", "ftp://x", "https://", "https://x.org/?a=1", "https://a b"):
        with pytest.raises(ValidationError):
            settings(public_base_url=wrong)


def test_a_series_link_repeats_in_google_and_its_file_holds_the_rule_and_exceptions() -> None:
    weekly = meeting(rrule="FREQ=WEEKLY;INTERVAL=2")
    assert query(google_calendar_url(weekly))["recur"] == "RRULE:FREQ=WEEKLY;INTERVAL=2"
    assert "recur" not in query(google_calendar_url(meeting()))
    master = meeting(rrule="FREQ=WEEKLY;INTERVAL=2", exdates=(datetime(2026, 12, 29, 19, 0),))
    moved = meeting(
        recurrence_id=datetime(2027, 1, 12, 19, 0),
        start_local=datetime(2027, 1, 13, 20, 0),
        end_local=datetime(2027, 1, 13, 22, 0),
    )
    parsed = icalendar.Calendar.from_ical(series_file(master, [moved]))
    assert parsed["METHOD"] == "REQUEST"
    first, second = parsed.walk("VEVENT")
    assert str(first["UID"]) == str(second["UID"])
    exdate: Any = first["EXDATE"]
    assert [d.dt.replace(tzinfo=None) for d in exdate.dts] == [datetime(2026, 12, 29, 19, 0)]
    assert second.decoded("RECURRENCE-ID").replace(tzinfo=None) == datetime(2027, 1, 12, 19, 0)
    cancelled = icalendar.Calendar.from_ical(series_file(meeting(rrule="FREQ=WEEKLY", cancelled=True), [moved]))
    assert cancelled["METHOD"] == "CANCEL" and len(list(cancelled.walk("VEVENT"))) == 1
