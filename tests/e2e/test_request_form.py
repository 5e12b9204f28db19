"""/verzoek: posting a request, every step's bad input, and who it reaches."""

from __future__ import annotations

import re

import pytest

from db.models import Role
from tests.e2e.requests_helpers import noordwest, post
from tests.harness import Harness


async def test_a_request_with_several_days_reaches_exactly_the_right_people(bot: Harness) -> None:
    people = await noordwest(bot)
    anna = people.anna
    await anna.send("/verzoek")
    assert "Wat heb je nodig?" in anna.last().text
    await anna.press(anna.last(), "doktersassistent")
    await anna.press(anna.last(), re.compile("^Morgen"))
    await anna.send("26-11")
    assert "✅ do 26 nov" in anna.last().button_texts
    await anna.press(anna.last(), "Verder ›")
    assert "dinsdag 24 november" in anna.last().text
    await anna.press(anna.last(), "Hele dag")
    assert "donderdag 26 november" in anna.last().text
    await anna.send("13:00-17:00")
    await anna.press(anna.last(), "Normaal")
    await anna.send("Melden bij de balie <achter>, vraag naar Ria.")
    preview = anna.last().text
    assert "dinsdag 24 november 2026, ochtend (08:00–12:30)" in preview
    assert "dinsdag 24 november 2026, middag (13:00–17:30)" in preview
    assert "donderdag 26 november 2026, 13:00–17:00" in preview
    assert "Melden bij de balie <achter>, vraag naar Ria." in preview
    await anna.press(anna.last(), "✅ Versturen")
    sent = anna.last()
    assert "Hulpvraag #1 is verstuurd naar 2 mensen." in sent.text
    # Nobody declared availability and Caberg has no partners, so round 1 reached nobody: round 2 runs.
    assert "Ronde 2 van 4: iedereen in wijk Maastricht Noordwest." in sent.text
    assert "Staat hij om 14:00 nog open, dan vraag ik breder." in sent.text
    assert sent.button_texts == ["Nu breder vragen (#1)"]

    await bot.dispatch()
    for reached in (people.bob, people.carol):
        copy = reached.last()
        assert "Hulpvraag #1" in copy.text
        assert "Van: Huisartsen Caberg <&> Oud-Caberg (wijk Maastricht Noordwest)" in copy.text
        assert "Gezocht: doktersassistent" in copy.text
        assert "Notitie: Melden bij de balie <achter>, vraag naar Ria." in copy.text
        assert copy.button_texts == ["Ik kan alles", "Dagdelen kiezen…", "Kan niet"]
    for not_reached in (people.dirk, people.eva, people.frank, people.gert, people.stien):
        assert "Hulpvraag" not in not_reached.last().text


async def test_any_assistant_reaches_triagists_and_later_the_student_pool(bot: Harness) -> None:
    people = await noordwest(bot)
    everyone = (people.bob, people.carol, people.dirk, people.stien, people.eva, people.frank, people.gert)
    await post(bot, people.anna, role=re.compile("^elke assistent"))
    await bot.dispatch()
    assert [p for p in everyone if "Hulpvraag" in p.last().text] == [people.bob, people.carol, people.dirk]
    await people.anna.press(people.anna.last(), "Nu breder vragen (#1)")
    await bot.dispatch()
    assert [p for p in everyone if "Hulpvraag" in p.last().text] == [
        people.bob,
        people.carol,
        people.dirk,
        people.stien,
    ]


async def test_only_managers_and_gps_post(bot: Harness) -> None:
    people = await noordwest(bot)
    await people.bob.send("/verzoek")
    assert "Alleen praktijkmanagers en huisartsen" in people.bob.last().text
    stranger = bot.server.user(first_name="Zed")
    await stranger.send("/request")
    assert "Alleen praktijkmanagers en huisartsen" in stranger.last().text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("gisteren?", "kan “gisteren?” niet lezen als datum"),
        ("20-11-2026", "Die datum is al voorbij"),
        ("1-6-2027", "meer dan 90 dagen vooruit"),
        ("31-11", "kan “31-11” niet lezen"),
        ("di 26 nov", "De weekdag klopt niet"),
    ],
)
async def test_bad_dates_are_explained_and_the_step_stays(bot: Harness, typed: str, expected: str) -> None:
    manager = bot.server.user(first_name="Mia")
    await bot.join(manager, "caberg", Role.PRAKTIJKMANAGER)
    await manager.send("/verzoek")
    await manager.press(manager.last(), "doktersassistent")
    await manager.send(typed)
    assert expected in manager.last().text
    await manager.send("27-11")
    assert "✅ vr 27 nov" in manager.last().button_texts


async def test_bad_input_at_every_other_step(bot: Harness) -> None:
    manager = bot.server.user(first_name="Mia")
    await bot.join(manager, "caberg", Role.PRAKTIJKMANAGER)
    await manager.send("/verzoek")
    roles = manager.last()
    await manager.send("een assistent graag")
    assert "Tik een van de rollen hierboven aan, of typ hem" in manager.last().text
    await manager.press(roles, "doktersassistent")
    days = manager.last()
    await manager.press(days, "Verder ›")
    assert "Kies eerst minstens één dag" in (manager.callback_answers[-1].text or "")
    await manager.send("27-11")
    await manager.press(manager.last(), "Verder ›")
    dayparts = manager.last()
    for typed, expected in [
        ("12:30-08:00", "eindtijd ligt voor de begintijd"),
        ("8-8.15", "korter dan een half uur"),
        ("vanmiddag", "kan die tijden niet lezen"),
    ]:
        await manager.send(typed)
        assert expected in manager.last().text
    await manager.press(dayparts, "Ochtend")
    await manager.press(manager.last(), "Spoed")
    assert "Spoed is alleen voor vandaag en morgen" in (manager.callback_answers[-1].text or "")
    await manager.press(manager.last(), "Normaal")
    await manager.send("x" * 501)
    assert "langer dan 500 tekens" in manager.last().text
    await manager.send("Patiënt J. de Vries 12-03-1954 moet gezien worden")
    assert "lijkt op patiëntgegevens" in manager.last().text
    await manager.send("BSN 111222333")
    assert "lijkt op patiëntgegevens" in manager.last().text
    await manager.send("Graag om 8 uur melden")
    assert "Controleer je hulpvraag" in manager.last().text


async def test_change_a_step_from_the_preview_and_cancel(bot: Harness) -> None:
    manager = bot.server.user(first_name="Mia")
    await bot.join(manager, "caberg", Role.PRAKTIJKMANAGER)
    await manager.send("/verzoek")
    await manager.press(manager.last(), "doktersassistent")
    await manager.press(manager.last(), re.compile("^Vandaag"))
    await manager.press(manager.last(), "Verder ›")
    await manager.press(manager.last(), "Middag")
    await manager.press(manager.last(), "Spoed")
    await manager.press(manager.last(), "Geen notitie")
    await manager.press(manager.last(), "Wijzig wat")
    await manager.press(manager.last(), "triagist")
    assert "Gezocht: triagist" in manager.last().text
    assert "Urgentie: Spoed" in manager.last().text
    await manager.press(manager.last(), "Annuleren")
    assert manager.last().text == "Hulpvraag geannuleerd; er is niets verstuurd."


async def test_cancel_command_leaves_the_conversation(bot: Harness) -> None:
    manager = bot.server.user(first_name="Mia")
    await bot.join(manager, "caberg", Role.PRAKTIJKMANAGER)
    await manager.send("/verzoek")
    await manager.send("/annuleer")
    assert manager.last().text == "Hulpvraag geannuleerd; er is niets verstuurd."
    await manager.send("27-11")
    assert "Dat begreep ik niet" in manager.last().text


async def test_a_restart_in_the_middle_of_the_form_loses_nothing(
    tg_server: object, database_url: str, clock: object
) -> None:
    from tests.harness import running_bot
    from tests.support import FakeClock
    from tgserver.server import TelegramServer

    assert isinstance(tg_server, TelegramServer) and isinstance(clock, FakeClock)
    async with running_bot(tg_server, database_url, clock) as first:
        manager = tg_server.user(first_name="Mia")
        await first.join(manager, "caberg", Role.PRAKTIJKMANAGER)
        await manager.send("/verzoek")
        await manager.press(manager.last(), "doktersassistent")
        await manager.send("27-11")
    async with running_bot(tg_server, database_url, clock):
        await manager.press(manager.last(), "Verder ›")
        assert "vrijdag 27 november" in manager.last().text


async def test_roles_day_parts_and_weekdays_can_be_typed(bot: Harness) -> None:
    manager = bot.server.user(first_name="Mia")
    await bot.join(manager, "caberg", Role.PRAKTIJKMANAGER)
    await manager.send("/verzoek")
    await manager.send("POH-S")
    assert manager.messages()[-2].text == "Wat: POH-S"
    assert manager.last().text.startswith("Welke dagen? (2/5)")
    await manager.send("vrijdag")
    assert any(label.startswith("✅ vr ") for label in manager.last().button_texts)
    await manager.press(manager.last(), "Verder ›")
    await manager.send("hele dag")
    assert manager.last().text.startswith("Hoe dringend? (4/5)")


async def test_one_live_day_picker_and_answered_steps_collapse_into_one_line(bot: Harness) -> None:
    people = await noordwest(bot)
    anna = people.anna
    await anna.send("/verzoek")
    role_prompt = anna.last()
    await anna.press(role_prompt, "doktersassistent")
    assert role_prompt.text == "Wat: doktersassistent" and role_prompt.button_texts == []
    first_picker = anna.last()
    await anna.press(first_picker, re.compile("^Morgen"))
    await anna.send("26-11")
    second_picker = anna.last()
    assert first_picker.deleted, "typing a date does not leave a second live picker above"
    assert "✅ do 26 nov" in second_picker.button_texts and "✅ Morgen (di 24 nov)" in second_picker.button_texts
    await anna.send("vrijdag")
    third_picker = anna.last()
    assert second_picker.deleted and "✅ vr 27 nov" in third_picker.button_texts
    live = [m for m in anna.messages(include_deleted=False) if "Verder ›" in m.button_texts]
    assert live == [third_picker]
    await anna.press(third_picker, "Verder ›")
    assert third_picker.text == "Dagen: di 24 nov, do 26 nov, vr 27 nov" and third_picker.button_texts == []
    tuesday = anna.last()
    await anna.press(tuesday, "Ochtend")
    assert tuesday.text == "dinsdag 24 november: ochtend"
    thursday = anna.last()
    await anna.press(thursday, "Hele dag")
    assert thursday.text == "donderdag 26 november: ochtend, middag"
    friday = anna.last()
    await anna.send("middag")  # typed: its question collapses just the same
    assert friday.text == "vrijdag 27 november: middag" and friday.button_texts == []
    urgency = anna.last()
    await anna.press(urgency, "Normaal")
    assert urgency.text == "Urgentie: Normaal"
    note = anna.last()
    await anna.press(note, "Geen notitie")
    assert note.text == "Notitie: geen."
    assert "Versturen" in " ".join(anna.last().button_texts)
