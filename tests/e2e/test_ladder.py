"""The escalation ladder with an injected clock: who is asked in which round, and when."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from db.models import Role
from tests.e2e.requests_helpers import post
from tests.harness import Harness, escalate, running_bot
from tests.support import FakeClock
from tgserver.client import SimUser
from tgserver.server import TelegramServer


def copies(user: SimUser) -> int:
    """Copies of request #1 (normaal or spoed) the user received."""
    return sum(1 for m in user.messages() if re.match(r"^(🆘 SPOED: h|H)ulpvraag #1\n", m.text))


def asked(user: SimUser) -> bool:
    return copies(user) > 0


async def centrum(bot: Harness) -> dict[str, SimUser]:
    """Maasoever (wijk Centrum, partner Jekerkwartier) asks; people around it say how far they go."""
    cast = {
        "rita": ("maasoever", Role.PRAKTIJKMANAGER),
        "paul": ("jekerkwartier", Role.DOKTERSASSISTENT),  # continuity partner
        "vera": ("vrijthof", Role.DOKTERSASSISTENT),  # same wijk, available on Tuesday mornings
        "wim": ("wyck", Role.DOKTERSASSISTENT),  # same wijk, declared nothing
        "xena": ("malberg", Role.DOKTERSASSISTENT),  # adjacent wijk, will go that far
        "yara": ("caberg", Role.DOKTERSASSISTENT),  # adjacent wijk, own wijk only
        "zoe": ("gulpen", Role.DOKTERSASSISTENT),  # far away, whole region
        "sam": (None, Role.MEDISCH_STUDENT),  # the pool may not fill a plain doktersassistent request
    }
    people = {}
    for name, (practice, role) in cast.items():
        user = bot.server.user(first_name=name.capitalize(), language_code="nl")
        await bot.join(user, practice, role)
        people[name] = user
    await people["vera"].send("/beschikbaarheid")
    await people["vera"].press(people["vera"].last(), "▫️ di ochtend")
    await people["xena"].send("/beschikbaarheid")
    await people["xena"].press(people["xena"].last(), "aangrenzende wijken ook")
    await people["zoe"].send("/beschikbaarheid")
    await people["zoe"].press(people["zoe"].last(), "hele regio")
    coordinator = bot.server.user(first_name="Cor", language_code="nl")
    await bot.make_coordinator(coordinator)
    await coordinator.send("/start")
    people["cor"] = coordinator
    return people


async def test_each_round_reaches_exactly_the_right_people_at_the_right_time(bot: Harness) -> None:
    people = await centrum(bot)
    await post(bot, people["rita"], days=("Morgen",), dayparts=("Ochtend",))
    assert "Ronde 1 van 4: partners en wie beschikbaar is in wijk Maastricht Centrum." in people["rita"].last().text
    await bot.dispatch()
    in_round = {name for name, user in people.items() if asked(user)}
    assert in_round == {"paul", "vera"}

    bot.clock.advance(minutes=239)  # normaal waits 240 minutes
    assert await escalate(bot) == 0
    bot.clock.advance(minutes=2)
    assert await escalate(bot) == 1
    assert {name for name, user in people.items() if asked(user)} == {"paul", "vera", "wim"}, "then the wijk"

    bot.clock.advance(minutes=241)
    await escalate(bot)
    assert {name for name, user in people.items() if asked(user)} == {"paul", "vera", "wim", "xena"}

    bot.clock.advance(minutes=241)  # Monday 22:03: round 4 starts inside Zoe's quiet hours
    await escalate(bot)
    assert not asked(people["zoe"]), "normaal requests wait for the end of quiet hours"
    assert "Na de laatste ronde nog open" not in people["cor"].last().text, "no coordinator is woken for normaal"
    bot.clock.current = datetime(2026, 11, 24, 6, 31, tzinfo=UTC)  # Tuesday 07:31 in Amsterdam
    await bot.dispatch()
    assert asked(people["zoe"])
    assert "Na de laatste ronde nog open" in people["cor"].last().text
    assert not asked(people["yara"]) and not asked(people["sam"])
    bot.clock.advance(hours=5)
    assert await escalate(bot) == 0, "there is no fifth round"


async def test_pause_and_days_off_are_respected(bot: Harness) -> None:
    people = await centrum(bot)
    await people["wim"].send("/pauze 30-11")
    assert "Geen hulpvragen tot en met maandag 30 november." in people["wim"].last().text
    await people["vera"].send("/afwezig 24-11")
    assert "1 vrije dag toegevoegd." in people["vera"].last().text
    await post(bot, people["rita"], days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    assert {name for name, user in people.items() if asked(user)} == {"paul"}
    await people["rita"].press(people["rita"].messages()[-1], "Nu breder vragen (#1)")
    await bot.dispatch()
    assert not asked(people["wim"]) and not asked(people["vera"])
    await people["wim"].send("/pauze uit")
    assert people["wim"].last().text == "Pauze beëindigd: hulpvragen komen weer binnen."


async def test_spoed_goes_through_quiet_hours(bot: Harness) -> None:
    people = await centrum(bot)
    bot.clock.current = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)  # Monday 22:00 in Amsterdam
    await post(bot, people["rita"], days=("Morgen",), dayparts=("Ochtend",), urgency="Spoed")
    await bot.dispatch()
    assert asked(people["paul"]) and asked(people["vera"])
    assert "Staat hij om 22:15 nog open" in people["rita"].messages()[-1].text


async def test_a_restart_in_the_middle_of_the_ladder_neither_skips_nor_repeats(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    async with running_bot(tg_server, database_url, clock) as first:
        people = await centrum(first)
        await post(first, people["rita"], days=("Morgen",), dayparts=("Ochtend",))
        await first.dispatch()
    clock.advance(minutes=300)  # the bot was down when round 2 was due
    async with running_bot(tg_server, database_url, clock) as second:
        assert await escalate(second) == 1
        assert await escalate(second) == 0
        counts = {name: copies(user) for name, user in people.items()}
        assert counts == {"rita": 0, "paul": 1, "vera": 1, "wim": 1, "xena": 0, "yara": 0, "zoe": 0, "sam": 0, "cor": 0}


async def test_quiet_hours_roles_and_bad_input(bot: Harness) -> None:
    people = await centrum(bot)
    vera = people["vera"]
    await vera.send("/stilleuren 22:00-06:30")
    assert vera.last().text == "Stille uren: 22:00–06:30. Spoedvragen komen wel door."
    for bad, expected in [
        ("/stilleuren laat", "kan die tijden niet lezen"),
        ("/stilleuren 08:00-08:00", "begin"),
        ("/afwezig 1-1-2020", "Die datum is al voorbij"),
        ("/pauze morgenochtend", "niet lezen"),
    ]:
        await vera.send(bad)
        assert expected in vera.last().text, (bad, vera.last().text)
    await bot.add_role(vera, Role.TRIAGIST)
    await vera.send("/beschikbaarheid")
    await vera.press(vera.last(), "✅ doktersassistent")
    assert "▫️ doktersassistent" in vera.last().button_texts
    await vera.press(vera.last(), "✅ triagist")
    assert "Minstens een van je rollen blijft aan." in (vera.callback_answers[-1].text or "")
    for forged in ("v1:av:t:9:ochtend", "v1:av:r:heelal", "v1:av:l:chirurg", "v1:av:x:2026", "v1:av"):
        await vera.press_data(vera.last(), forged)
    assert all("werkt niet meer" in (a.text or "") for a in vera.callback_answers[-5:])
    # Vera is now lent only as triagist: a doktersassistent request from her wijk passes her by.
    await post(bot, people["rita"], days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    assert not asked(vera) and asked(people["paul"])


async def test_quiet_hours_are_shown_and_can_be_switched_off(bot: Harness) -> None:
    people = await centrum(bot)
    vera, paul = people["vera"], people["paul"]
    await vera.send("/stilleuren")
    assert vera.last().text.startswith("Stille uren: 20:00–07:30 (/stilleuren 21:00-07:00, /stilleuren uit)")
    await vera.send("/stilleuren uit")
    assert vera.last().text.startswith("Stille uren staan uit: elke hulpvraag komt meteen binnen")
    await vera.send("/stilleuren")
    assert vera.last().text.startswith("Stille uren: uit")
    await vera.send("/beschikbaarheid")
    assert "Stille uren: uit" in vera.last().text
    # A normaal request at night: Vera, quiet hours off, has it at once; Paul's wait for 07:30.
    bot.clock.current = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # Monday 23:00 in Amsterdam
    await post(bot, people["rita"], days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    assert asked(vera) and not asked(paul)
    bot.clock.current = datetime(2026, 11, 24, 6, 31, tzinfo=UTC)  # Tuesday 07:31
    await bot.dispatch()
    assert asked(paul)
    await vera.send("/stilleuren aan")
    assert vera.last().text == "Stille uren: 20:00–07:30. Spoedvragen komen wel door."
    member = await bot.member(vera)
    assert member is not None and (member.quiet_start, member.quiet_end) == ("20:00", "07:30")


async def test_the_requesters_status_message_follows_the_ladder_and_the_end(bot: Harness) -> None:
    people = await centrum(bot)
    rita = people["rita"]
    await post(bot, rita, days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    status = rita.last()
    assert status.text.startswith("Hulpvraag #1 is verstuurd naar 2 mensen.")
    assert status.button_texts == ["Nu breder vragen (#1)"]

    bot.clock.advance(minutes=241)
    assert await escalate(bot) == 1
    assert "Ronde 2 van 4: iedereen in wijk Maastricht Centrum." in status.text, "edited in place"
    assert status.text.startswith("Hulpvraag #1 is verstuurd naar 3 mensen.")
    assert rita.last().text == "Hulpvraag #1 staat nog open: ik vraag nu ook iedereen in wijk Maastricht Centrum."

    # "Nu breder vragen" to the last round: the button goes, since there is no wider round left.
    await rita.press(status, "Nu breder vragen (#1)")
    await rita.press(status, "Nu breder vragen (#1)")
    await bot.dispatch()
    assert "Ronde 4 van 4" in status.text and status.buttons == []
    widened = [m for m in rita.messages() if "ik vraag nu ook" in m.text]
    assert len(widened) == 1, "a press of her own is answered where she pressed, not announced"

    # Filled: one line, no button.
    await people["paul"].press(people["paul"].last(), "Ik kan alles")
    await bot.dispatch()
    offer = next(m for m in reversed(rita.messages()) if m.text.startswith("Aanbod voor hulpvraag #1"))
    await rita.press(offer, "Accepteren")
    await bot.dispatch()
    assert status.text == "Hulpvraag #1 is ingevuld. /mijnverzoeken laat zien wie wat invult."


async def test_someone_booked_at_every_time_asked_is_not_asked(bot: Harness) -> None:
    people = await centrum(bot)
    rita, paul, wim = people["rita"], people["paul"], people["wim"]
    await post(bot, rita, days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    await paul.press(paul.last(), "Ik kan alles")
    await bot.dispatch()
    await rita.press(next(m for m in reversed(rita.messages()) if "Aanbod voor" in m.text), "Accepteren")
    # Another practice of the wijk asks for the same morning: Paul is booked then, Wim is free.
    quinn = bot.server.user(first_name="Quinn", language_code="nl")
    await bot.join(quinn, "ceramique", Role.PRAKTIJKMANAGER)
    await post(bot, quinn, days=("Morgen",), dayparts=("Ochtend",))
    status = next(m for m in reversed(quinn.messages()) if m.text.startswith("Hulpvraag #2"))
    await quinn.press(status, "Nu breder vragen (#2)")  # round 2: everyone in the wijk, Paul's practice too
    await bot.dispatch()

    def second(user: SimUser) -> bool:
        return any(m.text.startswith("Hulpvraag #2\n") for m in user.messages())

    assert second(wim) and not second(paul)
    # For a morning and an afternoon he is asked: the afternoon is free (the copy offers what he can take).
    await post(bot, quinn, days=("Morgen",), dayparts=("Hele dag",))
    status = next(m for m in reversed(quinn.messages()) if m.text.startswith("Hulpvraag #3"))
    await quinn.press(status, "Nu breder vragen (#3)")
    await bot.dispatch()
    assert any(m.text.startswith("Hulpvraag #3\n") for m in paul.messages())



async def test_an_evening_request_keeps_partners_first_after_the_night(bot: Harness) -> None:
    people = await centrum(bot)
    bot.clock.current = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # Monday 21:00 in Amsterdam
    await post(bot, people["rita"], days=("25-11",), dayparts=("Ochtend",))  # Wednesday morning, normaal
    told = people["rita"].last().text
    assert told.startswith("Hulpvraag #1 staat klaar voor 1 persoon. Nu al: 0.")
    assert "Na hun stille uren, uiterlijk om 07:30: 1." in told
    await bot.dispatch()
    assert not any(asked(user) for user in people.values()), "everyone's quiet hours hold the copies"

    bot.clock.advance(hours=4, minutes=5)  # 01:05: four hours, but nobody has had the request yet
    assert await escalate(bot) == 0
    bot.clock.current = datetime(2026, 11, 24, 6, 31, tzinfo=UTC)  # Tuesday 07:31
    assert await escalate(bot) == 0
    assert {name for name, user in people.items() if asked(user)} == {"paul"}, "round 1 (the partner) only"

    bot.clock.current = datetime(2026, 11, 24, 10, 29, tzinfo=UTC)  # 11:29: round 1 has had it four hours at 11:30
    assert await escalate(bot) == 0
    bot.clock.advance(minutes=2)
    assert await escalate(bot) == 1
    assert {name for name, user in people.items() if asked(user)} == {"paul", "vera", "wim"}, "then the wijk"


async def test_days_added_at_night_reach_a_waiting_copy_once(bot: Harness) -> None:
    people = await centrum(bot)
    rita, paul = people["rita"], people["paul"]
    bot.clock.current = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # Monday 21:00 in Amsterdam
    request_id = await post(bot, rita, days=("25-11",), dayparts=("Ochtend",))
    status = rita.last()
    await bot.dispatch()
    await rita.send("/mijnverzoeken")
    await rita.press(rita.last(), f"Dagen toevoegen aan #{request_id}")
    await rita.send("26-11")
    await rita.press(rita.last(), "Verder ›")
    await rita.press(rita.last(), "Ochtend")
    await rita.press(rita.last(), "✅ Toevoegen")
    await bot.dispatch()
    assert not asked(paul), "still his night"
    # The status message, edited for the new days, still says who has it and when the others get it.
    assert "donderdag 26" not in status.text and "uiterlijk om 07:30: 1" in status.text
    bot.clock.current = datetime(2026, 11, 24, 6, 31, tzinfo=UTC)  # Tuesday 07:31
    await bot.dispatch()
    assert copies(paul) == 1, "one copy, not one per version"
    assert "woensdag 25 november" in paul.last().text and "donderdag 26 november" in paul.last().text


async def test_the_coordinators_alert_follows_the_request_after_the_last_round(bot: Harness) -> None:
    people = await centrum(bot)
    rita, cor, zoe = people["rita"], people["cor"], people["zoe"]
    await post(bot, rita, days=("Morgen",), dayparts=("Ochtend",), urgency="Spoed")
    await bot.dispatch()
    for _ in range(3):
        bot.clock.advance(minutes=16)  # spoed climbs a round every 15 minutes
        await escalate(bot)
    await bot.dispatch()
    alert = cor.last()
    assert alert.text.startswith("Na de laatste ronde nog open")
    await zoe.press(zoe.last(), "Ik kan alles")
    await bot.dispatch()
    await rita.press(rita.last(), "Accepteren")
    await bot.dispatch()
    assert alert.text.startswith("Alsnog ingevuld: er hoeft niets meer te gebeuren"), "edited, not a new message"
    assert cor.last() is alert
    edits = alert.edited
    await bot.dispatch()
    assert alert.edited == edits, "nothing changed, so nothing edited"

    await zoe.press(zoe.last(), "Terugtrekken")  # the request opens again: so does the alert
    await bot.dispatch()
    assert alert.text.startswith("Na de laatste ronde nog open")
    await rita.send("/mijnverzoeken")
    await rita.press(rita.last(), "Annuleer #1")
    await rita.press(rita.last(), "niet meer nodig")
    await bot.dispatch()
    assert alert.text.startswith("Geannuleerd: er hoeft niets meer te gebeuren")
