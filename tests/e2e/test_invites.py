"""A coordinator makes an invitation in the chat; nobody else can, not even with forged buttons."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from db.models import Invite, Role
from tests.harness import Harness


async def invite_count(bot: Harness) -> int:
    async with bot.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Invite)) or 0)


async def test_coordinator_makes_an_invite_that_works(bot: Harness) -> None:
    coordinator = bot.server.user(first_name="Tess", language_code="nl")
    await bot.make_coordinator(coordinator)
    await coordinator.send("/uitnodiging")
    await coordinator.press(coordinator.last(), "Maastricht Noordwest")
    assert coordinator.last().text == "Uitnodiging, wijk Maastricht Noordwest: voor welke praktijk?"
    await coordinator.press(coordinator.last(), "Huisartsen Caberg <&> Oud-Caberg")
    await coordinator.press(coordinator.last(), "doktersassistent")
    text = coordinator.last().text
    assert "Uitnodiging voor Huisartsen Caberg <&> Oud-Caberg als doktersassistent" in text
    assert "geldig tot maandag 7 december 2026, 10:00" in text
    match = re.search(r"https://t\.me/(\w+)\?start=([\w-]+)", text)
    assert match is not None and match.group(1) == bot.server.bot_username

    newcomer = bot.server.user(first_name="Uma", language_code="nl")
    await newcomer.send(f"/start {match.group(2)}")
    await newcomer.press(newcomer.last(), "Ja, aanmelden")
    member = await bot.member(newcomer)
    assert member is not None and member.practice is not None and member.practice.code == "caberg"


async def test_coordinator_invites_a_student_and_can_go_back(bot: Harness) -> None:
    coordinator = bot.server.user(first_name="Vera", language_code="en")
    await bot.make_coordinator(coordinator)
    await coordinator.send("/invite")
    await coordinator.press(coordinator.last(), "Meerssen")
    await coordinator.press(coordinator.last(), "« Back to the wijken")
    await coordinator.press(coordinator.last(), "medical student (regional pool)")
    assert coordinator.last().text.startswith(
        "Invitation for the student pool of Maastricht-Heuvelland as medical student (regional pool):"
    )


async def test_others_cannot_invite_not_even_with_forged_buttons(bot: Harness) -> None:
    manager = bot.server.user(first_name="Wim", language_code="nl")
    await bot.join(manager, "wyck", Role.PRAKTIJKMANAGER)
    before = await invite_count(bot)
    await manager.send("/uitnodiging")
    assert manager.last().text == "Alleen een regionale coördinator kan uitnodigingen maken."
    await manager.send("/taal")
    for forged in ("v1:ir:1:huisarts", "v1:ir:0:medisch-student", "v1:iw:1", "v1:ip:1", "v1:ib"):
        await manager.press_data(manager.last(), forged)
    assert all("niet meer" in (answer.text or "") for answer in manager.callback_answers[-5:])
    assert await invite_count(bot) == before


async def test_coordinator_cannot_forge_an_inconsistent_invite(bot: Harness) -> None:
    coordinator = bot.server.user(first_name="Xavi", language_code="nl")
    await bot.make_coordinator(coordinator)
    before = await invite_count(bot)
    await coordinator.send("/uitnodiging")
    menu = coordinator.last()
    for forged in (
        "v1:ir:0:huisarts",
        "v1:ir:1:medisch-student",
        "v1:ir:1:coordinator",
        "v1:ir:99999:huisarts",
        "v1:iw:99999",
        "v1:ip:abc",
    ):
        await coordinator.press_data(menu, forged)
    assert await invite_count(bot) == before
