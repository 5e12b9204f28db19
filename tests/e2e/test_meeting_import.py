"""A year's schedule by import: invitations as for meetings made in the chat; re-import is idempotent; a bad file
is refused whole with the line of each offending field named; a changed entry moves the date and tells the
invitees; an entry all in the past is refused unless allowed; a meeting left out is listed, or cancelled when
asked, with notices through the usual cancel path."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.services.meeting_import import MeetingImportReport, import_meetings, parse_meetings, region_wijken
from bot.services.members import resolve_region
from bot.services.network import NetworkFileError
from db.meetings import Meeting
from tests.e2e.meetings_helpers import calendars, cast, event, invitations, occurrences, texts
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


async def import_text(
    bot: Harness, text: str, *, allow_past: bool = False, cancel_missing: bool = False
) -> MeetingImportReport:
    async with bot.session() as session:
        region = await resolve_region(session, None)
        today = bot.clock.now().date()
        meetings = parse_meetings(text, await region_wijken(session, region), today)
        return await import_meetings(
            session,
            now=bot.clock.now(),
            region=region,
            meetings=meetings,
            allow_past=allow_past,
            cancel_missing=cancel_missing,
        )


def problems_of(refused: pytest.ExceptionInfo[NetworkFileError]) -> list[tuple[int | None, str]]:
    return [(p.line, p.message.format(**p.params)) for p in refused.value.problems]


async def meeting_count(bot: Harness) -> int:
    async with bot.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Meeting)) or 0)


async def test_import_invites_reimport_changes_nothing_and_a_bad_file_nothing_at_all(bot: Harness) -> None:
    everyone = await cast(bot)
    people = everyone.people
    with pytest.raises(NetworkFileError) as refused:
        await import_text(bot, BROKEN)
    assert sorted(problems_of(refused)) == [
        (8, "meeting 'nergens': unknown wijk 'nergens'"),  # the line of `wijk:`, not of the entry
        (18, "meeting 'slecht': 'rrule' is not a weekly or monthly RRULE"),
        (19, "meeting 'slecht': unknown field 'locatie'"),
    ]
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


FIELDS_WRONG = """\
- key: lang
  wijk: noordwest
  title: Overleg
  start: 2027-02-01T19:00
  end: 2027-02-01T20:00
  location: Ergens
  agenda: "{agenda}"
- key: link
  wijk: noordwest
  title: Overleg
  start: 2027-02-01T19:00
  end: 2027-02-01T23:59
  url: ftp://example.org
  reminders: [7d, 3x]
  audience: iedereen
- key: duur
  wijk: noordwest
  title: Overleg
  start: 2027-02-01T19:00
  end: 2027-02-01T19:05
  location: Ergens
- key: duur
  wijk: noordwest
  title: Dubbel
  start: 2027-02-01T19:00
  end: 2027-02-01T21:00
  location: Ergens
""".format(agenda="x" * 2001)


async def test_each_problem_names_the_line_of_its_field(bot: Harness) -> None:
    await cast(bot)
    with pytest.raises(NetworkFileError) as refused:
        await import_text(bot, FIELDS_WRONG)
    assert sorted(problems_of(refused)) == [
        (7, "meeting 'lang': a text is too long"),
        (13, "meeting 'link': 'url' must be a web address (https://...)"),
        (14, "meeting 'link': reminders are written like 7d, 1d, 2h or 10m"),
        (15, "meeting 'link': 'audience' must be all or managers"),
        (20, "meeting 'duur': 'end' must be 15 minutes to 12 hours after 'start'"),
        (22, "duplicate meeting key 'duur'"),
    ]
    assert await meeting_count(bot) == 0


TYPO_YEAR = """\
- key: nw-dec
  wijk: noordwest
  title: Wijkoverleg december
  start: 2025-12-15T19:00
  end: 2025-12-15T21:00
  location: Caberg
- key: nw-jan
  wijk: noordwest
  title: Wijkoverleg januari
  start: 2027-01-12T19:00
  end: 2027-01-12T21:00
  location: Caberg
"""


async def test_an_entry_all_in_the_past_is_refused_unless_allowed(bot: Harness) -> None:
    people = (await cast(bot)).people
    with pytest.raises(NetworkFileError) as refused:
        await import_text(bot, TYPO_YEAR)
    assert problems_of(refused) == [
        (4, "meeting 'nw-dec': all its dates are in the past (check the year; --allow-past imports it anyway)")
    ]
    assert await meeting_count(bot) == 0, "refused whole: not even the good entry"

    report = await import_text(bot, TYPO_YEAR, allow_past=True)
    assert report.created == 2
    assert [(w.line, w.message.format(**w.params)) for w in report.warnings] == [
        (4, "meeting 'nw-dec': all its dates are in the past; imported without dates, nobody is invited")
    ]
    await bot.dispatch()
    assert ["januari" in m.text for m in invitations(people.bob)] == [True], "the past entry invites nobody"

    # Re-importing the year's file later: an unchanged past entry is history, not a problem.
    again = await import_text(bot, TYPO_YEAR)
    assert (again.unchanged, again.warnings) == (2, [])
    with pytest.raises(NetworkFileError):
        await import_text(bot, TYPO_YEAR.replace("Wijkoverleg december", "Wijkoverleg dec"))


async def test_a_series_begun_already_plans_its_dates_ahead_and_says_how_many_passed(bot: Harness) -> None:
    await cast(bot)
    begun = """\
- key: wekelijks
  wijk: noordwest
  title: Weekoverleg
  start: 2026-11-02T19:00
  end: 2026-11-02T20:00
  location: Caberg
  rrule: FREQ=WEEKLY;COUNT=6
"""
    report = await import_text(bot, begun)
    assert [(w.line, w.message.format(**w.params)) for w in report.warnings] == [
        (4, "meeting 'wekelijks': dates in the past, left out: 3")
    ]
    assert [o.start_local.day for o in await occurrences(bot)] == [23, 30, 7]


async def test_a_meeting_left_out_is_listed_and_cancelled_only_when_asked(bot: Harness) -> None:
    people = (await cast(bot)).people
    await import_text(bot, SCHEDULE)
    await bot.dispatch()
    assert len(invitations(people.gert)) == 2
    only_december = SCHEDULE.split("- key: regio-2027")[0]

    listed = await import_text(bot, only_december)
    assert (listed.unchanged, listed.cancelled_dates) == (1, 0)
    assert [(m.key, m.title, m.upcoming) for m in listed.missing] == [("regio-2027", "Regio-avond praktijkhouders", 6)]
    await bot.dispatch()
    assert texts(people.gert, "❌") == [], "listing tells nobody anything"

    cancelled = await import_text(bot, only_december, cancel_missing=True)
    assert (cancelled.cancelled_dates, cancelled.told) == (6, 2)  # the two invited to 14 January (managers)
    await bot.dispatch()
    [notice] = texts(people.gert, "❌")
    assert "Regio-avond praktijkhouders" in notice.text and "De reeks gaat niet door" in notice.text
    assert calendars(people.gert)[-1]["METHOD"] == "CANCEL"
    assert all(o.status == "cancelled" for o in await occurrences(bot) if o.start_local.year == 2027)
    assert (await import_text(bot, only_december)).missing == [], "cancelled: not listed again"

    with pytest.raises(NetworkFileError) as refused:
        await import_text(bot, SCHEDULE)
    assert problems_of(refused) == [
        (
            9,
            "meeting 'regio-2027' was cancelled when it was left out of a file; give it a new key to plan it again",
        )
    ]
