"""Joining through an invite link, as a person does it in Telegram."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.services.invites import code_hash
from db.models import Invite, Role
from tests.harness import Harness, running_bot
from tests.support import FakeClock
from tgserver.server import TelegramServer


async def use_count(bot: Harness, code: str) -> int:
    async with bot.session() as session:
        invite = await session.scalar(select(Invite).where(Invite.code_hash == code_hash(code)))
        assert invite is not None
        return invite.use_count


async def test_start_without_code_explains_how_to_join(bot: Harness) -> None:
    stranger = bot.server.user(first_name="Sanne", language_code="nl")
    await stranger.send("/start")
    text = stranger.last().text
    assert "helpt huisartsenpraktijken" in text
    assert "uitnodigingslink" in text
    assert await bot.member(stranger) is None


async def test_join_with_a_good_code_escapes_the_practice_name(bot: Harness) -> None:
    anna = bot.server.user(first_name="Anna", last_name="Jansen", language_code="nl")
    code = await bot.invite("caberg", Role.HUISARTS)
    await anna.send(f"/start {code}")
    greeting = anna.last()
    assert "Welkom, Anna Jansen!" in greeting.text
    assert "Huisartsen Caberg <&> Oud-Caberg (wijk Maastricht Noordwest)" in greeting.text
    assert "als huisarts" in greeting.text
    assert "Zet nooit patiëntgegevens in deze chat" in greeting.text
    assert await bot.member(anna) is None, "nothing is stored before the person confirms"

    await anna.press(greeting, "Ja, aanmelden")
    assert anna.messages()[-2].text.startswith("Je bent nu lid: huisarts bij Huisartsen Caberg <&> Oud-Caberg")
    assert "/profiel" in anna.last().text
    member = await bot.member(anna)
    assert member is not None and member.practice is not None
    assert member.practice.code == "caberg"
    assert member.roles == {Role.HUISARTS}
    assert member.display_name == "Anna Jansen"
    assert await use_count(bot, code) == 1


async def test_decline_changes_nothing_and_keeps_the_link(bot: Harness) -> None:
    ben = bot.server.user(first_name="Ben", language_code="nl")
    code = await bot.invite("wyck", Role.DOKTERSASSISTENT)
    await ben.send(f"/start {code}")
    await ben.press(ben.last(), "Nee, bedankt")
    assert "je bent geen lid geworden" in ben.last().text
    assert ben.last().buttons == []
    assert await bot.member(ben) is None
    assert await use_count(bot, code) == 0


async def test_unknown_code_says_how_to_get_a_new_one(bot: Harness) -> None:
    eva = bot.server.user(first_name="Eva", language_code="nl")
    await eva.send("/start notarealcode123")
    assert "Deze uitnodigingscode ken ik niet" in eva.last().text
    # Only a coordinator makes invitations: a practice manager can only ask for one.
    assert "Vraag de regionale coördinator (of je praktijkmanager" in eva.last().text
    await eva.send("/help")
    assert "uitnodigingslink van de regionale coördinator" in eva.last().text
    assert await bot.member(eva) is None


async def test_expired_code(bot: Harness) -> None:
    eva = bot.server.user(first_name="Eva", language_code="en")
    code = await bot.invite("wyck", Role.TRIAGIST, expires_days=1)
    bot.clock.advance(days=1, minutes=1)
    await eva.send(f"/start {code}")
    assert "This invitation has expired" in eva.last().text
    assert await bot.member(eva) is None


async def test_used_up_code_also_when_the_race_is_lost_after_opening(bot: Harness) -> None:
    bob = bot.server.user(first_name="Bob", language_code="nl")
    carol = bot.server.user(first_name="Carol", language_code="nl")
    code = await bot.invite("heer", Role.POH_S)
    await carol.send(f"/start {code}")
    opened = carol.last()
    await bob.send(f"/start {code}")
    await bob.press(bob.last(), "Ja, aanmelden")
    assert (await bot.member(bob)) is not None

    await carol.press(opened, "Ja, aanmelden")
    assert "Deze uitnodiging is al gebruikt" in carol.last().text
    assert await bot.member(carol) is None
    await carol.send(f"/start {code}")
    assert "Deze uitnodiging is al gebruikt" in carol.last().text
    assert await use_count(bot, code) == 1


async def test_multi_use_code_and_a_second_role(bot: Harness) -> None:
    code = await bot.invite("heugem", Role.DOKTERSASSISTENT, uses=2)
    first, second = bot.server.user(first_name="Fien"), bot.server.user(first_name="Gijs")
    for person in (first, second):
        await person.send(f"/start {code}")
        await person.press(person.last(), "Ja, aanmelden")
    assert await use_count(bot, code) == 2

    await bot.join(first, "heugem", Role.TRIAGIST)
    member = await bot.member(first)
    assert member is not None and member.roles == {Role.DOKTERSASSISTENT, Role.TRIAGIST}


async def test_member_of_another_practice_is_told_and_nothing_changes(bot: Harness) -> None:
    hans = bot.server.user(first_name="Hans")
    await bot.join(hans, "amby", Role.HUISARTS)
    code = await bot.invite("limmel", Role.HUISARTS)
    await hans.send(f"/start {code}")
    assert "Je bent al lid van Huisartsenpraktijk Amby" in hans.last().text
    assert await use_count(bot, code) == 0


async def test_known_member_gets_the_menu(bot: Harness) -> None:
    iris = bot.server.user(first_name="Iris")
    await bot.join(iris, "bunde", Role.PRAKTIJKMANAGER)
    await iris.send("/start")
    assert "Wat je kunt doen" in iris.last().text


async def test_student_joins_the_pool(bot: Harness) -> None:
    jan = bot.server.user(first_name="Jan", language_code="en")
    await bot.join(jan, None, Role.MEDISCH_STUDENT)
    member = await bot.member(jan)
    assert member is not None and member.practice is None and member.roles == {Role.MEDISCH_STUDENT}
    await jan.send("/profile")
    assert "student pool of Maastricht-Heuvelland" in jan.last().text


async def test_the_database_keeps_only_a_hash_of_each_code(bot: Harness) -> None:
    code = await bot.invite("caberg", Role.HUISARTS)
    async with bot.session() as session:
        stored = list(await session.scalars(select(Invite.code_hash)))
    assert stored == [code_hash(code)]
    assert all(code not in value for value in stored)


TOO_MANY = "te veel verkeerde uitnodigingscodes"


async def test_wrong_codes_are_limited_per_person_and_logged_without_the_code(
    tg_server: TelegramServer, database_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(tg_server, database_url, clock, code_failures_per_person=3) as bot:
        mallory = bot.server.user(first_name="Mallory", language_code="nl")
        good = await bot.invite("caberg", Role.HUISARTS)
        for attempt in range(3):
            await mallory.send(f"/start guess{attempt}xyz")
            assert "Deze uitnodigingscode ken ik niet" in mallory.last().text
        await mallory.send(f"/start {good}")  # even a good code: the fourth try in the window is refused
        assert TOO_MANY in mallory.last().text
        # A forged join button is a code tried too.
        await mallory.press_data(mallory.last(), f"v1:jy:{good}")
        assert TOO_MANY in (mallory.callback_answers[-1].text or "")
        assert await bot.member(mallory) is None
        assert "invite.code_unknown user=" in caplog.text and "failures_user=3" in caplog.text
        assert "guess" not in caplog.text and good not in caplog.text

        clock.advance(minutes=16)
        await mallory.send(f"/start {good}")
        assert "Wil je meedoen?" in mallory.last().text


async def test_wrong_codes_from_many_accounts_are_limited_together(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    async with running_bot(tg_server, database_url, clock, code_failures_overall=4) as bot:
        good = await bot.invite("caberg", Role.HUISARTS)
        for number in range(4):
            sybil = bot.server.user(first_name=f"Sybil{number}", language_code="nl")
            await sybil.send(f"/start guess{number}xyz")
            assert "Deze uitnodigingscode ken ik niet" in sybil.last().text
        newcomer = bot.server.user(first_name="Nina", language_code="nl")
        await newcomer.send(f"/start {good}")
        assert TOO_MANY in newcomer.last().text, "during an attack everyone waits a quarter of an hour"
        clock.advance(minutes=16)
        await newcomer.send(f"/start {good}")
        assert "Wil je meedoen?" in newcomer.last().text
