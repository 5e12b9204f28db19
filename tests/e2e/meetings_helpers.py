"""Meetings in tests: the coordinator, planning through /bijeenkomst, running the sweep, reading .ics files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import icalendar
from sqlalchemy import select

from db.meetings import MeetingOccurrence
from handlers.context import RUNTIME_KEY
from handlers.meeting_jobs import run_meeting_sweep
from tests.e2e.requests_helpers import Noordwest, noordwest
from tests.harness import Harness
from tgserver.client import SimUser
from tgserver.state import ChatMessage

NOORDWEST = ("anna", "bob", "carol", "dirk", "eva", "gert")  # members of practices in wijk Noordwest
ELSEWHERE = ("frank", "stien")  # another wijk; the student pool


@dataclass
class Cast:
    """The coordinator and the people of the request tests."""

    corrie: SimUser
    people: Noordwest

    def get(self, name: str) -> SimUser:
        return self.corrie if name == "corrie" else getattr(self.people, name)


async def cast(bot: Harness) -> Cast:
    """Everyone joins; Corrie is the regional coordinator."""
    people = await noordwest(bot)
    corrie = bot.server.user(first_name="Corrie", language_code="nl")
    await bot.make_coordinator(corrie)
    await corrie.send("/help")  # so the bot knows her name
    return Cast(corrie, people)


async def plan(
    bot: Harness,
    organiser: SimUser,
    *,
    wijken: tuple[str, ...] = ("Maastricht Noordwest",),
    title: str = "Wijkoverleg Noordwest",
    day: str = "di 15 dec",
    times: str = "19:00-21:00",
    place: str | None = "Gezondheidscentrum Caberg, Caberg 12, Maastricht",
    link: str | None = "https://meet.example.org/noordwest",
    agenda: str | None = "1. Waarneming rond de feestdagen\n2. Griepprik & logistiek",
    audience: str = "iedereen in de wijk",
    repeat: str | re.Pattern[str] = "Eenmalig",
    reminders: str = "7 d, 1 d, 2 u van tevoren",
) -> None:
    """Go through /bijeenkomst the way a coordinator does."""
    await organiser.send("/bijeenkomst")
    for wijk in wijken:
        await organiser.press(organiser.last(), wijk)
    if wijken:
        await organiser.press(organiser.last(), "Verder ›")
    await organiser.send(title)
    await organiser.send(day)
    await organiser.send(times)
    if place is None:
        await organiser.press(organiser.last(), "Alleen online")
    else:
        await organiser.send(place)
    if link is None:
        await organiser.press(organiser.last(), "Geen link")
    else:
        await organiser.send(link)
    if agenda is None:
        await organiser.press(organiser.last(), "Geen agenda")
    else:
        await organiser.send(agenda)
    await organiser.press(organiser.last(), audience)
    await organiser.press(organiser.last(), repeat)
    if any(ch.isdigit() for ch in reminders) and "van tevoren" not in reminders:
        await organiser.send(reminders)
    else:
        await organiser.press(organiser.last(), reminders)
    await organiser.press(organiser.last(), "✅ Plannen en uitnodigen")
    # The outbox is kicked at the commit, so her own invitation may arrive before the confirmation.
    assert any(m.text.startswith("Gepland:") for m in organiser.messages()[-3:]), organiser.last().text


async def sweep(bot: Harness) -> None:
    """One pass of the meeting sweep, then the outbox."""
    await run_meeting_sweep(bot.app.bot_data[RUNTIME_KEY])
    await bot.dispatch()


def texts(user: SimUser, start: str) -> list[ChatMessage]:
    """The bot's messages to this user that start with `start`."""
    return [m for m in user.messages() if m.text.startswith(start)]


def invitations(user: SimUser) -> list[ChatMessage]:
    return texts(user, "📅 Uitnodiging")


def reminders(user: SimUser) -> list[ChatMessage]:
    return texts(user, "⏰ Herinnering")


def calendars(user: SimUser) -> list[icalendar.Calendar]:
    """Every .ics file the user got, parsed by the independent icalendar library."""
    found = []
    for message in user.messages():
        if message.document is not None and message.document.filename.endswith(".ics"):
            found.append(icalendar.Calendar.from_ical(message.document.content))
    return found


def event(calendar: icalendar.Calendar) -> icalendar.Component:
    """The one VEVENT of a file."""
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


async def occurrences(bot: Harness) -> list[MeetingOccurrence]:
    async with bot.session() as session:
        return list(await session.scalars(select(MeetingOccurrence).order_by(MeetingOccurrence.starts_at)))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
