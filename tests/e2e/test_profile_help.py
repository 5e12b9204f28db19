"""/profiel, /taal, /help, /annuleer, and what the bot does with things it does not understand."""

from __future__ import annotations

import re

import pytest

from db.models import Role
from tests.harness import Harness


async def test_profile_shows_name_practice_wijk_roles_language(bot: Harness) -> None:
    kim = bot.server.user(first_name="Kim", last_name="<Bakker>", language_code="nl")
    await bot.join(kim, "caberg", Role.PRAKTIJKMANAGER)
    await kim.send("/profiel")
    text = kim.last().text
    assert "Naam: Kim <Bakker>" in text
    assert "Waar: Huisartsen Caberg <&> Oud-Caberg (wijk Maastricht Noordwest)" in text
    assert "Rollen: praktijkmanager" in text
    assert "Taal: Nederlands" in text
    assert "Telefoonnummer: niet gedeeld" in text


async def test_profile_for_a_stranger(bot: Harness) -> None:
    stranger = bot.server.user(first_name="Lot", language_code="en")
    await stranger.send("/profile")
    assert "You are not a member yet" in stranger.last().text


async def test_language_switch_changes_answers_and_menu(bot: Harness) -> None:
    mo = bot.server.user(first_name="Mo", language_code="de")
    await bot.join(mo, "vaals", Role.HUISARTS)
    await mo.send("/help")
    assert "Wat je kunt doen" in mo.last().text, "anything but English starts in Dutch"

    await mo.send("/taal")
    await mo.press(mo.last(), "English")
    assert mo.last().text == "Language set to English."
    await mo.send("/help")
    assert "What you can do" in mo.last().text
    # The commands in English too (both spellings work), each one that help names.
    english = mo.last().text
    assert "/request – ask the practices" in english and "/myrequests" in english and "/language" in english
    assert not re.search(r"/(verzoek|mijnverzoeken|taal|profiel|annuleer|bijeenkomsten)\b", english), english
    for command in re.findall(r"(?<![\w/])/([a-z]+)", english):
        await mo.send(f"/{command}")
        assert "I did not understand that" not in mo.last().text, command
        await mo.send("/cancel")
    member = await bot.member(mo)
    assert member is not None and member.language == "en"

    await mo.send("/language")
    await mo.press(mo.last(), "Nederlands")
    assert mo.last().text == "Taal ingesteld op Nederlands."


async def test_stranger_cannot_store_a_language(bot: Harness) -> None:
    nora = bot.server.user(first_name="Nora", language_code="nl")
    await nora.send("/taal")
    await nora.press(nora.last(), "English")
    assert "Word eerst lid" in (nora.callback_answers[-1].text or "")
    assert await bot.member(nora) is None


async def test_help_depends_on_the_role(bot: Harness) -> None:
    otto = bot.server.user(first_name="Otto")
    await bot.join(otto, "gulpen", Role.DOKTERSASSISTENT)
    await otto.send("/help")
    assert "/uitnodiging" not in otto.last().text
    await bot.make_coordinator(otto)
    await otto.send("/help")
    assert "/uitnodiging" in otto.last().text


@pytest.mark.parametrize("text", ["hallo?", "/onbekend", "/verzoek_xyz 1 2 3", "🙂" * 50])
async def test_anything_not_understood_points_to_help(bot: Harness, text: str) -> None:
    pim = bot.server.user(first_name="Pim", language_code="nl")
    await pim.send(text)
    assert pim.last().text == "Dat begreep ik niet. /help laat zien wat je kunt doen."


async def test_cancel_outside_a_conversation(bot: Harness) -> None:
    quinn = bot.server.user(first_name="Quinn", language_code="en")
    await quinn.send("/cancel")
    assert "nothing to cancel" in quinn.last().text


async def test_command_menus_per_language(bot: Harness) -> None:
    dutch = [command.command for command in bot.server.commands(language_code="nl")]
    english = [command.command for command in bot.server.commands(language_code="en")]
    assert dutch[:7] == [
        "verzoek",
        "mijnverzoeken",
        "beschikbaarheid",
        "bijeenkomsten",
        "actiepunten",
        "profiel",
        "taal",
    ]
    assert english[:7] == ["request", "myrequests", "availability", "meetings", "actions", "profile", "language"]


async def test_stale_or_forged_button_gets_a_short_answer(bot: Harness) -> None:
    rosa = bot.server.user(first_name="Rosa", language_code="nl")
    await rosa.send("/taal")
    menu = rosa.last()
    for forged in ("v1:zz:1", "v0:lang:en", "v1:lang:fr", "v1:jy:doesnotexist"):
        await rosa.press_data(menu, forged)
    answers = [answer.text or "" for answer in rosa.callback_answers]
    assert all("werkt niet meer" in answer or "ken ik niet" in answer for answer in answers[:3])
    assert await bot.member(rosa) is None


async def test_a_failing_handler_gets_a_kind_answer(bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    import handlers.general

    def broken(*_args: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(handlers.general, "help_text", broken)
    sam = bot.server.user(first_name="Sam", language_code="nl")
    await sam.send("/help")
    assert sam.last().text.startswith("Sorry, er ging bij ons iets mis")


async def test_phone_is_shared_only_by_choice_and_can_be_withdrawn(bot: Harness) -> None:
    tom = bot.server.user(first_name="Tom", language_code="nl")
    await bot.join(tom, "scharn", Role.POH_GGZ)
    await tom.send("/profiel")
    await tom.press(tom.last(), "Deel mijn telefoonnummer")
    assert tom.keyboard == [["Deel mijn telefoonnummer"]]
    await tom.share_contact("+31 6 12345678")
    assert "alleen getoond aan wie je helpt" in tom.last().text
    assert tom.keyboard == []
    member = await bot.member(tom)
    assert member is not None and member.phone == "+31612345678" and member.share_phone

    await tom.send("/profiel")
    assert "Telefoonnummer: gedeeld" in tom.last().text
    await tom.press(tom.last(), "Stop met delen van mijn telefoonnummer")
    member = await bot.member(tom)
    assert member is not None and member.phone is None and not member.share_phone


async def test_a_stranger_sharing_a_contact_changes_nothing(bot: Harness) -> None:
    uri = bot.server.user(first_name="Uri", language_code="nl")
    await uri.share_contact("+31612345678")
    assert "nog geen lid" in uri.last().text
    assert await bot.member(uri) is None
