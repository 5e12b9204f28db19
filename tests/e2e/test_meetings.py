"""Planning a meeting in the chat, the invitations with their calendar files, answering and changing one's mind."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from db.models import Region, Role
from tests.e2e.meetings_helpers import (
    ELSEWHERE,
    NOORDWEST,
    calendars,
    cast,
    event,
    invitations,
    occurrences,
    plan,
)
from tests.harness import Harness

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


async def test_plan_in_chat_invites_the_wijk_with_a_calendar_file(bot: Harness) -> None:
    everyone = await cast(bot)
    await plan(bot, everyone.corrie)
    await bot.dispatch()
    for name in NOORDWEST:
        person = everyone.get(name)
        [invite] = invitations(person)
        assert "Wijkoverleg Noordwest" in invite.text
        assert "Wanneer: dinsdag 15 december 2026, 19:00–21:00" in invite.text
        assert "Waar: Gezondheidscentrum Caberg, Caberg 12, Maastricht" in invite.text
        assert "Online: https://meet.example.org/noordwest" in invite.text
        assert "2. Griepprik & logistiek" in invite.text
        assert invite.button_texts == ["Ja", "Nee", "Misschien", "➕ Google Agenda", "➕ Outlook"]
        [calendar] = calendars(person)
        assert calendar["METHOD"] == "REQUEST"
        vevent = event(calendar)
        start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
        assert vevent["DTSTART"].params["TZID"] == "Europe/Amsterdam"
        assert (start.hour, start.minute, end.hour) == (19, 0, 21)
        assert start.astimezone(AMSTERDAM) == datetime(2026, 12, 15, 19, 0, tzinfo=AMSTERDAM)
        assert vevent.decoded("SEQUENCE") == 0
        assert str(vevent["LOCATION"]) == "Gezondheidscentrum Caberg, Caberg 12, Maastricht"
        assert "Griepprik & logistiek" in str(vevent["DESCRIPTION"])
        assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Amsterdam"]
    uids = {str(event(calendars(everyone.get(name))[0])["UID"]) for name in NOORDWEST}
    assert len(uids) == 1, "one occurrence, one UID for everyone"
    for name in ELSEWHERE:
        assert invitations(everyone.get(name)) == []
    # The organiser is a coordinator without a practice: she is down as coming to what she organises, and gets
    # its calendar file after the confirmation that ends her form, not an invitation asking whether she comes.
    assert invitations(everyone.corrie) == []
    assert len(calendars(everyone.corrie)) == 1
    planned = next(i for i, m in enumerate(everyone.corrie.messages()) if m.text.startswith("Gepland:"))
    assert everyone.corrie.messages()[-1].document is not None and planned == len(everyone.corrie.messages()) - 2
    assert "Jij staat erbij als aanwezig" in everyone.corrie.messages()[planned].text
    [invite] = invitations(everyone.people.bob)
    assert "Organisator: Corrie, voor je vragen" in invite.text
    assert "👥 Ja 1 · Nee 0 · Misschien 0\nJouw antwoord: nog niet beantwoord" in invite.text


async def test_wrong_input_is_explained_and_keeps_the_step(bot: Harness) -> None:
    everyone = await cast(bot)
    corrie = everyone.corrie
    await everyone.people.bob.send("/bijeenkomst")
    assert "Alleen de regiocoördinator" in everyone.people.bob.last().text
    await corrie.send("/bijeenkomst")
    await corrie.press(corrie.last(), "Verder ›")
    assert "Kies minstens één wijk" in (corrie.callback_answers[-1].text or "")
    await corrie.press(corrie.last(), "Maastricht Noordwest")
    await corrie.press(corrie.last(), "Verder ›")
    await corrie.send("x" * 201)
    assert "te lang" in corrie.last().text
    await corrie.send("Overleg")
    for wrong, expected in (("31-2", "niet als datum lezen"), ("1-1-2020", "verleden"), ("zo 16 dec", "weekdag")):
        await corrie.send(wrong)
        assert expected in corrie.last().text, corrie.last().text
    await corrie.send("15-12")
    await corrie.send("21:00-19:00")
    assert "eindtijd ligt voor de begintijd" in corrie.last().text
    await corrie.send("19:00-21:00")
    await corrie.press(corrie.last(), "Alleen online")
    await corrie.press(corrie.last(), "Geen link")
    assert "plaats, een onlinelink of allebei" in (corrie.callback_answers[-1].text or "")
    await corrie.send("meet.example.org")
    assert "geen webadres" in corrie.last().text
    await corrie.send("https://meet.example.org/x")
    await corrie.send("Casus: Jan Jansen, geboren 12-03-1956, BSN 111222333")
    assert "patiëntgegevens" in corrie.last().text
    await corrie.press(corrie.messages()[-2], "Geen agenda")
    await corrie.send("zomaar")
    assert "gebruik de knoppen" in corrie.last().text.lower()
    await corrie.send("/annuleer")
    assert "Gestopt" in corrie.last().text
    assert await occurrences(bot) == []


async def test_answer_and_change_of_mind_and_what_the_organiser_sees(bot: Harness) -> None:
    everyone = await cast(bot)
    bob, carol, frank, corrie = everyone.people.bob, everyone.people.carol, everyone.people.frank, everyone.corrie
    await plan(bot, corrie)
    await bot.dispatch()
    [invite] = invitations(bob)
    await bob.press(invite, "Ja")
    assert bob.callback_answers[-1].text == "Opgeslagen: Ja"
    shown = next(m for m in bob.messages() if m.message_id == invite.message_id)
    assert "Jouw antwoord: Ja" in shown.text and shown.button_texts[:3] == ["✅ Ja", "Nee", "Misschien"]
    await bob.press(shown, "Nee")
    shown = next(m for m in bob.messages() if m.message_id == invite.message_id)
    assert "Jouw antwoord: Nee" in shown.text and shown.button_texts[:3] == ["Ja", "✅ Nee", "Misschien"]
    await carol.press(invitations(carol)[0], "Misschien")

    # Someone from another wijk replays the button: answered, nothing changes.
    occurrence = (await occurrences(bot))[0]
    await frank.send("/help")
    await frank.press_data(frank.last(), f"v1:mr:{occurrence.id}:y")
    assert "niet uitgenodigd" in (frank.callback_answers[-1].text or "")

    await bob.send("/bijeenkomsten")
    assert "Jouw antwoord: Nee" in bob.last().text and "Nog niet" not in bob.last().text
    await corrie.send("/bijeenkomsten")
    assert "Ja 1 · Nee 1 · Misschien 1 · nog niet beantwoord 4" in corrie.last().text
    await corrie.press(corrie.last(), "15 dec: Wijkoverleg Noordwest")
    assert "Nee (1): Bob" in corrie.last().text and "Misschien (1): Carol" in corrie.last().text
    assert corrie.last().button_texts[-3:] == ["Verplaatsen", "Datum annuleren", "Wijzigen…"]
    # A member who is not the organiser sees the card without the answers of others.
    await bob.press(bob.last(), "15 dec: Wijkoverleg Noordwest")
    assert "Antwoorden" not in bob.last().text and "Verplaatsen" not in bob.last().button_texts


async def test_people_who_join_later_get_the_upcoming_meetings(bot: Harness) -> None:
    everyone = await cast(bot)
    await plan(bot, everyone.corrie)
    await bot.dispatch()
    newcomer = bot.server.user(first_name="Nina", language_code="nl")
    await bot.join(newcomer, "pottenberg", Role.POH_S)
    await bot.dispatch()
    assert len(invitations(newcomer)) == 1 and len(calendars(newcomer)) == 1
    elsewhere = bot.server.user(first_name="Otto", language_code="nl")
    await bot.join(elsewhere, "wyck", Role.POH_S)
    await bot.dispatch()
    assert invitations(elsewhere) == []


async def test_managers_only_and_practice_managers_planning_when_the_region_allows(bot: Harness) -> None:
    everyone = await cast(bot)
    anna = everyone.people.anna
    await anna.send("/bijeenkomst")
    assert "Alleen de regiocoördinator" in anna.last().text
    async with bot.session() as session:
        await session.execute(update(Region).values(meetings_by_managers=True))
    # Her own wijk is the only choice, so the wijk step is skipped.
    await plan(bot, anna, wijken=(), audience="praktijkhouders en praktijkmanagers", place=None)
    await bot.dispatch()
    invited = {name for name in NOORDWEST if invitations(everyone.get(name))}
    assert invited == {"gert"}, "the GP; not the assistants, and Anna organises it (down as coming)"
    assert len(calendars(anna)) == 1
    assert invitations(everyone.corrie) == []
    await anna.send("/help")
    assert "/bijeenkomst – plan een bijeenkomst van je wijk" in anna.last().text
    occurrence = (await occurrences(bot))[0]
    assert occurrence.starts_at - bot.clock.now() < timedelta(days=30)
