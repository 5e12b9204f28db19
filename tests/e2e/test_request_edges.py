"""Edges found in review: old buttons, double taps, changed days, groups, edits, lost races, finished requests."""

from __future__ import annotations

import re

from sqlalchemy import select

from db.models import Offer, RequestSlot, Role
from tests.e2e.requests_helpers import noordwest, post
from tests.harness import Harness


async def test_a_picker_opened_before_days_were_added_is_not_misread(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob = people.anna, people.bob
    request_id = await post(bot, anna, days=("25-11",), dayparts=("Hele dag",))
    await bot.dispatch()
    await bob.press(bob.last(), "Dagdelen kiezen…")
    picker = bob.last()
    old_press = next(b.callback_data for row in picker.buttons for b in row if b.text == "▫️ wo 25 nov, middag")
    assert old_press is not None
    await anna.send("/mijnverzoeken")
    await anna.press(anna.last(), f"Dagen toevoegen aan #{request_id}")
    await anna.press(anna.last(), re.compile("^Morgen"))
    await anna.press(anna.last(), "Verder ›")
    await anna.press(anna.last(), "Ochtend")
    await anna.press(anna.last(), "✅ Toevoegen")
    await bot.dispatch()
    assert "is gewijzigd; de nieuwe versie staat hieronder" in picker.text or any(
        "is gewijzigd" in m.text for m in bob.messages()
    )
    await bob.press_data(picker, old_press)  # the old picker's button, replayed
    assert "De dagen van deze hulpvraag zijn gewijzigd" in (bob.callback_answers[-1].text or "")
    async with bot.session() as session:
        assert list(await session.scalars(select(Offer.id))) == []


async def test_a_daypart_button_of_an_earlier_day_does_not_fill_the_next_day(bot: Harness) -> None:
    manager = bot.server.user(first_name="Mia")
    await bot.join(manager, "caberg", Role.PRAKTIJKMANAGER)
    await manager.send("/verzoek")
    await manager.press(manager.last(), "doktersassistent")
    await manager.send("25-11, 26-11")
    await manager.press(manager.last(), "Verder ›")
    tuesday_prompt = manager.last()
    afternoon = next(b.callback_data for row in tuesday_prompt.buttons for b in row if b.text == "Middag")
    assert afternoon is not None
    await manager.send("09:00-12:00")
    assert "donderdag 26 november" in manager.last().text
    assert tuesday_prompt.text == "woensdag 25 november: 09:00–12:00", "the answered step is one line"
    assert tuesday_prompt.button_texts == []
    await manager.press_data(tuesday_prompt, afternoon)  # its old button, replayed
    assert "hoort bij een andere stap" in (manager.callback_answers[-1].text or "")
    await manager.press(manager.last(), "Ochtend")
    await manager.press(manager.last(), "Normaal")
    await manager.press(manager.last(), "Geen notitie")
    preview = manager.last().text
    assert "woensdag 25 november 2026, 09:00–12:00" in preview
    assert "donderdag 26 november 2026, ochtend (08:00–12:30)" in preview
    assert "middag" not in preview


async def test_double_taps_are_harmless(bot: Harness) -> None:
    people = await noordwest(bot)
    await post(bot, people.anna)
    await bot.dispatch()
    copy = people.carol.last()
    await people.carol.press(copy, "Kan niet")
    await people.carol.press_data(copy, "v1:oc:1")  # a second tap, on the view from before the first
    assert "Je gaf aan hier niet te kunnen helpen" in people.carol.last().text
    await people.carol.send("/taal")
    menu = people.carol.last()
    await people.carol.press(menu, "English")
    await people.carol.press_data(menu, "v1:lang:en")
    assert people.carol.last().text == "Language set to English."
    assert all("Sorry" not in m.text for m in people.carol.messages())


async def test_the_helper_whose_accept_came_too_late_is_told(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob = people.anna, people.bob
    manager = bot.server.user(first_name="Piet")
    await bot.join(manager, "pottenberg", Role.PRAKTIJKMANAGER)
    first = await post(bot, anna, dayparts=("Ochtend",))
    second = await post(bot, manager, dayparts=("Ochtend",))
    await bot.dispatch()
    for message in [m for m in bob.messages() if m.button_texts[:1] == ["Ik kan alles"]]:
        await bob.press(message, "Ik kan alles")
    await bot.dispatch()
    await anna.press(next(m for m in anna.messages() if m.text.startswith("Aanbod")), "Accepteren")
    await manager.press(next(m for m in manager.messages() if m.text.startswith("Aanbod")), "Accepteren")
    assert "Deze persoon is op dat moment al ingeroosterd" in (manager.callback_answers[-1].text or "")
    await bot.dispatch()
    assert f"Hulpvraag #{second} van Praktijk Pottenberg" in bob.last().text
    # Told what happened: booked elsewhere meanwhile, not that someone else fills it.
    assert "Je aanbod is vervallen: je bent op dat moment nu ingeroosterd voor een andere hulpvraag" in bob.last().text
    assert "iemand anders" not in bob.last().text
    assert first != second


async def test_a_filled_request_that_has_run_its_course_cannot_be_cancelled(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob = people.anna, people.bob
    request_id = await post(bot, anna, dayparts=("Ochtend",))
    await bot.dispatch()
    await bob.press(bob.last(), "Ik kan alles")
    await bot.dispatch()
    await anna.press(anna.last(), "Accepteren")
    await anna.send("/mijnverzoeken")
    old_list = anna.last()
    bot.clock.advance(days=2)
    await anna.send("/mijnverzoeken")
    assert anna.last().buttons == []
    await anna.press(old_list, f"Annuleer #{request_id}")
    assert "staat niet meer open" in (anna.callback_answers[-1].text or "")
    async with bot.session() as session:
        assert list(await session.scalars(select(RequestSlot.filled_offer_id))) == [1]


async def test_personal_commands_in_a_group_point_to_the_private_chat(bot: Harness) -> None:
    people = await noordwest(bot)
    group = bot.server.group(title="Wijk Noordwest", members=[people.anna, people.bob])
    await people.anna.send("/mijnverzoeken", chat=group)
    assert group.last().text == "Gebruik deze opdracht in een privéchat met mij."


async def test_a_pool_student_who_joined_a_practice_opens_a_pool_invite(bot: Harness) -> None:
    student = bot.server.user(first_name="Sem")
    await bot.join(student, None, Role.MEDISCH_STUDENT)
    code = await bot.invite(None, Role.MEDISCH_STUDENT)
    await student.send(f"/start {code}")
    assert "Je bent al lid in deze rol" in student.last().text
