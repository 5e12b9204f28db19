"""A year's schedule by import: invitations as for meetings made in the chat; re-import is idempotent; a bad file
is refused whole with its lines named; a changed entry moves the date and tells the invitees."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.services.meeting_import import MeetingImportReport, import_meetings, parse_meetings, region_wijken
from bot.services.members import resolve_region
from bot.services.network import NetworkFileError
from db.meetings import Meeting
from tests.e2e.meetings_helpers import calendars, cast, event, invitations, texts
from tests.harness import Harness

SCHEDULE = """\
- key: nw-2026-12
  wijk: noordwest
  title: Wijkoverleg Noordwest
  start: 2026-12-15T19:00
  end: 2026-12-15T21:00
  location: Gezondheidscentrum Caberg, Maastricht
  agenda: Waarneming rond de feestdagen
  reminders: [7d, 1d, 2h, 10m]
- key: regio-2027
  region: true
  title: Regio-avond praktijkhouders
  start: 2027-01-14T19:30
  end: 2027-01-14T21:30
  url: https://meet.example.org/regio
  audience: managers
  rrule: FREQ=MONTHLY;BYDAY=2TH;COUNT=6
"""

BROKEN = """\
- key: ok
  wijk: noordwest
  title: Goed
  start: 2027-02-01T19:00
  end: 2027-02-01T20:00
  location: Ergens
- key: nergens
  wijk: nergens
  title: Onbekende wijk
  start: 2027-02-01T19:00
  end: 2027-02-01T20:00
  url: https://x.example.org
- key: slecht
  wijken: [noordwest]
  title: Slechte regel
  start: 2027-02-01T19:00
  end: 2027-02-01T18:00
  rrule: FREQ=DAILY
  locatie: typo
"""


async def import_text(bot: Harness, text: str) -> MeetingImportReport:
    async with bot.session() as session:
        region = await resolve_region(session, None)
        today = bot.clock.now().date()
        meetings = parse_meetings(text, await region_wijken(session, region), today)
        return await import_meetings(session, now=bot.clock.now(), region=region, meetings=meetings)


async def meeting_count(bot: Harness) -> int:
    async with bot.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Meeting)) or 0)


async def test_import_invites_reimport_changes_nothing_and_a_bad_file_nothing_at_all(bot: Harness) -> None:
    everyone = await cast(bot)
    people = everyone.people
    with pytest.raises(NetworkFileError) as refused:
        await import_text(bot, BROKEN)
    problems = [(p.line, p.message.format(**p.params)) for p in refused.value.problems]
    assert (7, "meeting 'nergens': unknown wijk 'nergens'") in problems
    assert (13, "meeting 'slecht': unknown field 'locatie'") in problems
    assert all(line in (7, 13) for line, _message in problems), problems
    assert await meeting_count(bot) == 0

    report = await import_text(bot, SCHEDULE)
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    await bot.dispatch()
    assert [len(invitations(getattr(people, n))) for n in ("anna", "gert", "bob", "frank")] == [2, 2, 1, 0]
    regio = next(m for m in invitations(people.gert) if "Regio-avond" in m.text)
    assert "Voor: de hele regio" in regio.text and "Online: https://meet.example.org/regio" in regio.text
    sent = len(bob_messages := people.bob.messages())

    again = await import_text(bot, SCHEDULE)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    await bot.dispatch()
    assert len(people.bob.messages()) == sent and bob_messages == people.bob.messages()[:sent]

    moved = await import_text(bot, SCHEDULE.replace("2026-12-15T19:00", "2026-12-15T19:30"))
    assert moved.updated == 1
    await bot.dispatch()
    [notice] = texts(people.bob, "🔁 Verplaatst")
    assert "dinsdag 15 december 2026, 19:30–21:00" in notice.text
    assert event(calendars(people.bob)[-1]).decoded("SEQUENCE") == 1


async def test_reimport_with_new_details_keeps_reminders_that_did_not_move(bot: Harness) -> None:
    from db.meetings import DueStatus, MeetingReminder

    await cast(bot)
    await import_text(bot, SCHEDULE)
    await bot.dispatch()

    async def reminders() -> dict[int, tuple[str, object]]:
        async with bot.session() as session:
            rows = await session.scalars(select(MeetingReminder).order_by(MeetingReminder.id))
            return {row.id: (row.status, row.due_at) for row in rows}

    async with bot.session() as session:  # as if the first reminder had gone out already
        first = await session.scalar(select(MeetingReminder).order_by(MeetingReminder.id).limit(1))
        assert first is not None
        first.status = DueStatus.DONE
    before = await reminders()
    await import_text(bot, SCHEDULE.replace("Waarneming rond de feestdagen", "Waarneming en griepvaccinatie"))
    assert await reminders() == before, "a new agenda moves no reminder and resets none"
    await import_text(bot, SCHEDULE.replace("reminders: [7d, 1d, 2h, 10m]", "reminders: [7d, 1d]"))
    after = await reminders()
    statuses = sorted(status for status, _due in after.values())
    assert statuses.count("cancelled") == 2, "the dropped 2h and 10m reminders are cancelled"
    assert all(after[key] == before[key] for key in after if after[key][0] != "cancelled")
