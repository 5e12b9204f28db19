"""Moving and cancelling a date: every invitee is told with a new calendar file, and the reminders follow."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from db.meetings import Meeting, MeetingInvitee
from tests.e2e.meetings_helpers import (
    NOORDWEST,
    calendars,
    cast,
    event,
    invitations,
    occurrences,
    plan,
    reminders,
    sweep,
    texts,
    utc,
)
from tests.harness import Harness

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


async def test_move_then_cancel_tells_everyone_and_moves_the_reminders(bot: Harness) -> None:
    everyone = await cast(bot)
    corrie, bob, frank = everyone.corrie, everyone.people.bob, everyone.people.frank
    await plan(bot, corrie)
    await bot.dispatch()
    await bob.press(invitations(bob)[0], "Ja")
    occurrence = (await occurrences(bot))[0]

    # Someone else's forged presses change nothing.
    for forged in (f"v1:mm:{occurrence.id}", f"v1:mc:{occurrence.id}:y", f"v1:mv:{occurrence.id}"):
        await frank.press_data(frank.messages()[-1], forged)
    assert (await occurrences(bot))[0].sequence == 0

    await corrie.send("/bijeenkomsten")
    await corrie.press(corrie.last(), "15 dec: Wijkoverleg Noordwest")
    await corrie.press(corrie.last(), "Verplaatsen")
    await corrie.send("32-12")
    assert "niet als datum lezen" in corrie.last().text
    await corrie.send("do 17 dec")
    await corrie.send("20:00-22:00")
    assert "verplaatsen naar donderdag 17 december 2026, 20:00–22:00" in corrie.last().text
    await corrie.press(corrie.last(), "✅ Verplaatsen")
    assert any("Verplaatst. 7 genodigden krijgen bericht." in m.text for m in corrie.messages()[-3:])
    await bot.dispatch()
    for name in NOORDWEST:
        person = everyone.get(name)
        [moved] = texts(person, "🔁 Verplaatst")
        assert "Wanneer: donderdag 17 december 2026, 20:00–22:00" in moved.text
        first, second = calendars(person)
        assert event(first)["UID"] == event(second)["UID"]
        assert second["METHOD"] == "REQUEST" and event(second).decoded("SEQUENCE") == 1
        start = event(second).decoded("DTSTART")
        assert start == datetime(2026, 12, 17, 20, 0, tzinfo=AMSTERDAM) and (start.hour, start.minute) == (20, 0)
    assert "Jouw antwoord: Ja" in texts(bob, "🔁 Verplaatst")[0].text, "answers are kept; the notice lets people change"

    # Old due times (7 days and 1 day before 15 December 19:00) pass silently; the new ones are kept.
    for old_due, new_due, count in (
        (utc(2026, 12, 8, 18, 1), utc(2026, 12, 10, 19, 1), 1),
        (utc(2026, 12, 14, 18, 1), utc(2026, 12, 16, 19, 1), 2),
    ):
        bot.clock.current = old_due
        await sweep(bot)
        assert len(reminders(bob)) == count - 1
        bot.clock.current = new_due
        await sweep(bot)
        assert len(reminders(bob)) == count
        assert "donderdag 17 december 2026, 20:00–22:00" in reminders(bob)[-1].text
        assert "Te laat" not in reminders(bob)[-1].text

    await corrie.send("/bijeenkomsten")
    await corrie.press(corrie.last(), "17 dec: Wijkoverleg Noordwest")
    await corrie.press(corrie.last(), "Datum annuleren")
    await corrie.press(corrie.last(), "Ja, annuleer deze datum")
    # Her own notice (she is invited too) may arrive before the confirmation is shown.
    assert any("Geannuleerd. 7 genodigden krijgen bericht." in m.text for m in corrie.messages())
    await corrie.press_data(corrie.last(), f"v1:mc:{occurrence.id}:y")  # a double tap
    await bot.dispatch()
    for name in NOORDWEST:
        person = everyone.get(name)
        assert len(texts(person, "❌ Geannuleerd")) == 1
        cancel = calendars(person)[-1]
        assert cancel["METHOD"] == "CANCEL" and str(event(cancel)["STATUS"]) == "CANCELLED"
        assert event(cancel).decoded("SEQUENCE") == 2
    bot.clock.current = utc(2026, 12, 17, 17, 1)  # the 2-hour reminder would have been due
    await sweep(bot)
    assert len(reminders(bob)) == 2
    assert bot.clock.now() - utc(2026, 12, 17) < timedelta(days=1)


async def test_the_organiser_changes_the_place_and_cancels_a_series_from_the_chat(bot: Harness) -> None:
    everyone = await cast(bot)
    corrie, bob, frank = everyone.corrie, everyone.people.bob, everyone.people.frank
    await plan(bot, corrie, day="di 1 dec", repeat="Elke week", title="Wekelijks overleg")
    await bot.dispatch()
    invited = [o for o in await occurrences(bot) if o.invited_at is not None]
    assert len(invited) > 1, "a weekly series has several dates invited eight weeks ahead"
    assert len(calendars(bob)) == 1, "one calendar file for the series"
    assert len(texts(bob, "📅 Uitnodiging voor een reeks: Elke week")) == 1

    # Someone else's forged presses change nothing.
    first = invited[0]
    for forged in (f"v1:mh:{first.id}", f"v1:me:{first.id}:place", f"v1:mk:{first.id}:y"):
        await frank.press_data(frank.messages()[-1], forged)
    assert all(o.sequence == 0 and o.status.value == "scheduled" for o in await occurrences(bot))

    await corrie.send("/bijeenkomsten")
    await corrie.press(corrie.last(), "1 dec: Wekelijks overleg")
    await corrie.press(corrie.last(), "Wijzigen…")
    assert "Wat wil je wijzigen aan Wekelijks overleg?" in corrie.last().text
    await corrie.press(corrie.last(), "Online link")
    await corrie.send("ftp://example.org")
    assert "https" in corrie.last().text, "checked as when planning"
    await corrie.send("/annuleer")
    await corrie.send("/bijeenkomsten")
    await corrie.press(corrie.last(), "1 dec: Wekelijks overleg")
    await corrie.press(corrie.last(), "Wijzigen…")
    await corrie.press(corrie.last(), "Plaats")
    assert "Waar?" in corrie.last().text
    await corrie.send("Huisartsenpost, Prof. Debyelaan 25, Maastricht")
    preview = corrie.last()
    assert "Nieuwe plaats: Huisartsenpost, Prof. Debyelaan 25, Maastricht" in preview.text
    await corrie.press(preview, "✅ Wijzigen")
    async with bot.session() as session:  # the wijk's people, and Corrie, who is invited as a coordinator
        people = await session.scalar(select(func.count(func.distinct(MeetingInvitee.member_id))))
    assert any(f"Gewijzigd. {people} uitnodigingen zijn bijgewerkt." in m.text for m in corrie.messages()[-3:])
    await bot.dispatch()
    [changed] = texts(bob, "✏️ Gewijzigd: nieuwe plaats")
    assert "Prof. Debyelaan 25" in changed.text, "one message for the whole series, saying what changed"
    series_file = calendars(bob)[-1]
    assert len(calendars(bob)) == 2 and "Debyelaan" in str(event(series_file)["LOCATION"])
    before, after = (event(f).decoded("SEQUENCE") for f in calendars(bob))
    assert after > before, "a higher SEQUENCE: calendars replace the entry"

    await corrie.send("/bijeenkomsten")
    await corrie.press(corrie.last(), "1 dec: Wekelijks overleg")
    await corrie.press(corrie.last(), "Alle data annuleren")
    await corrie.press(corrie.last(), "Ja, alle data annuleren")
    assert f"Geannuleerd, elke datum. {people} uitnodigingen zijn ingetrokken." in corrie.last().text
    await bot.dispatch()
    [cancelled] = texts(bob, "❌ Geannuleerd")
    assert "De reeks gaat niet door" in cancelled.text
    assert calendars(bob)[-1]["METHOD"] == "CANCEL" and len(calendars(bob)) == 3
    assert all(o.status.value == "cancelled" for o in await occurrences(bot) if o.ends_at > bot.clock.now())
    async with bot.session() as session:
        meeting = await session.scalar(select(Meeting))
        assert meeting is not None and meeting.cancelled_at is not None, "no new dates are planned for it"
    await corrie.press_data(corrie.last(), f"v1:mk:{first.id}:y")  # a second tap
    assert "is geannuleerd of voorbij" in (corrie.callback_answers[-1].text or "")


async def test_moving_one_date_of_a_series_updates_the_series_entry(bot: Harness) -> None:
    everyone = await cast(bot)
    corrie, bob = everyone.corrie, everyone.people.bob
    await plan(bot, corrie, day="di 1 dec", repeat="Elke week", title="Wekelijks overleg")
    await bot.dispatch()
    await corrie.send("/bijeenkomsten")
    await corrie.press(corrie.last(), "8 dec: Wekelijks overleg")
    await corrie.press(corrie.last(), "Verplaatsen")
    await corrie.send("wo 9 dec")
    await corrie.send("20:00-22:00")
    await corrie.press(corrie.last(), "✅ Verplaatsen")
    await corrie.send("/bijeenkomsten")
    await corrie.press(corrie.last(), "15 dec: Wekelijks overleg")
    await corrie.press(corrie.last(), "Datum annuleren")
    await corrie.press(corrie.last(), "Ja, annuleer deze datum")
    await bot.dispatch()
    series_file = calendars(bob)[-1]
    events = list(series_file.walk("VEVENT"))
    assert len({str(e["UID"]) for e in events}) == 1, "one entry: the series and its moved date share the UID"
    master = next(e for e in events if "RRULE" in e)
    moved = next(e for e in events if "RECURRENCE-ID" in e)
    assert moved.decoded("RECURRENCE-ID").replace(tzinfo=None) == datetime(2026, 12, 8, 19, 0)
    assert moved.decoded("DTSTART").replace(tzinfo=None) == datetime(2026, 12, 9, 20, 0)
    exdate: Any = master["EXDATE"]
    dropped = [d.dt.replace(tzinfo=None) for d in exdate.dts]
    assert dropped == [datetime(2026, 12, 15, 19, 0)]


async def test_the_audience_of_a_series_changes_from_the_chat(bot: Harness) -> None:
    everyone = await cast(bot)
    corrie, anna, bob = everyone.corrie, everyone.people.anna, everyone.people.bob
    await plan(bot, corrie, day="di 1 dec", repeat="Elke week", title="Wekelijks overleg")
    await bot.dispatch()
    files_before = len(calendars(bob))

    await corrie.send("/bijeenkomsten")
    await corrie.press(corrie.last(), "1 dec: Wekelijks overleg")
    await corrie.press(corrie.last(), "Wijzigen…")
    await corrie.press(corrie.last(), "Wie is uitgenodigd")
    await corrie.press(corrie.last(), "praktijkhouders en praktijkmanagers")
    assert "Nu voor: praktijkhouders en praktijkmanagers" in corrie.last().text
    await corrie.press(corrie.last(), "✅ Wijzigen")
    assert any(
        "Gewijzigd: 0 uitgenodigd, 4 gehoord dat het niet meer voor hen is." in m.text for m in corrie.messages()[-3:]
    )
    await bot.dispatch()
    [gone] = texts(bob, "Niet meer voor jou: Wekelijks overleg")
    assert "praktijkhouders en praktijkmanagers" in gone.text
    withdrawn = calendars(bob)[-1]
    assert len(calendars(bob)) == files_before + 1 and withdrawn["METHOD"] == "CANCEL"
    assert texts(anna, "Niet meer voor jou") == [], "the practice manager stays invited"
    async with bot.session() as session:
        bob_member = await bot.member(bob)
        assert bob_member is not None
        left = await session.scalar(
            select(func.count(MeetingInvitee.id)).where(MeetingInvitee.member_id == bob_member.id)
        )
    assert left == 0

    bot.clock.current = utc(2026, 12, 2, 12)  # the first date has passed: Bob's invitation to it stays history
    await corrie.send("/bijeenkomsten")
    await corrie.press(corrie.last(), "8 dec: Wekelijks overleg")
    await corrie.press(corrie.last(), "Wijzigen…")
    await corrie.press(corrie.last(), "Wie is uitgenodigd")
    await corrie.press(corrie.last(), "iedereen in de wijk")
    await corrie.press(corrie.last(), "✅ Wijzigen")
    said = "Gewijzigd: 4 uitgenodigd, 0 gehoord dat het niet meer voor hen is."
    assert any(said in m.text for m in corrie.messages()[-3:]), "people, not dates"
    await bot.dispatch()
    assert len(texts(bob, "📅 Uitnodiging voor een reeks")) == 2, "invited again: one invitation for the series"
    assert calendars(bob)[-1]["METHOD"] == "REQUEST", "and the series back in the calendar"


async def test_a_change_to_a_series_whose_first_date_was_cancelled_still_reaches_everyone(bot: Harness) -> None:
    everyone = await cast(bot)
    corrie, bob = everyone.corrie, everyone.people.bob
    await plan(bot, corrie, day="di 1 dec", repeat="Elke week", title="Wekelijks overleg")
    await bot.dispatch()
    await corrie.send("/bijeenkomsten")
    await corrie.press(corrie.last(), "1 dec: Wekelijks overleg")
    await corrie.press(corrie.last(), "Datum annuleren")
    await corrie.press(corrie.last(), "Ja, annuleer deze datum")
    await corrie.send("/bijeenkomsten")
    await corrie.press(corrie.last(), "8 dec: Wekelijks overleg")
    await corrie.press(corrie.last(), "Wijzigen…")
    await corrie.press(corrie.last(), "Plaats")
    await corrie.send("Huisartsenpost, Prof. Debyelaan 25, Maastricht")
    await corrie.press(corrie.last(), "✅ Wijzigen")
    await bot.dispatch()
    [changed] = texts(bob, "✏️ Gewijzigd: nieuwe plaats")
    assert "dinsdag 8 december" in changed.text, "shown with the first date that still takes place"
