"""The running bot handles different people side by side, each chat in order, and confirms nothing to Telegram
before it is in the inbox (bot/update_order.py), through its real Updater against the test server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import delete, func, select
from telegram import Update

from db.models import HandledUpdate, ReceivedUpdate, Role
from handlers import once
from handlers.context import BotApplication
from tests.e2e.requests_helpers import noordwest
from tests.harness import Harness, running_bot
from tests.support import FakeClock
from tgserver.server import TelegramServer


class Gate:
    """Holds chosen updates at the door of the Application's process_update until released."""

    def __init__(self, bot: Harness, held_user: int) -> None:
        self.held_user = held_user
        self.release = asyncio.Event()
        self.order: list[tuple[int, str]] = []  # (user id, text) as handling began
        self._process: Callable[[object], Awaitable[None]] = bot.app.process_update
        bot.app.process_update = self.process  # type: ignore[method-assign]

    async def process(self, update: object) -> None:
        if isinstance(update, Update) and update.effective_user and update.message:
            self.order.append((update.effective_user.id, update.message.text or ""))
            if update.effective_user.id == self.held_user and update.message.text == "/help":
                await self.release.wait()
        await self._process(update)


async def test_one_person_waiting_does_not_hold_up_another_nor_their_own_order(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob = people.anna, people.bob
    gate = Gate(bot, anna.id)
    anna_help = asyncio.create_task(anna.send("/help"))  # held at the gate
    try:
        await bot.server.world.wait_until(lambda: (anna.id, "/help") in gate.order, 10)
        anna_next = asyncio.create_task(anna.send("/profiel"))  # hers too: must wait for her /help
        await bob.send("/help")  # answered while Anna's update is still being handled
        assert "Wat je kunt doen" in bob.last().text
        assert not anna_help.done()
        assert (anna.id, "/profiel") not in gate.order, "Anna's second update started before her first was done"
        async with bot.session() as session:  # Telegram may have forgotten it: the inbox has not
            inbox = list(await session.scalars(select(ReceivedUpdate.payload)))
        assert [u["message"]["text"] for u in inbox if u["message"]["from"]["id"] == anna.id] == ["/help", "/profiel"]
    finally:
        gate.release.set()
    await asyncio.wait_for(asyncio.gather(anna_help, anna_next), 30)
    mine = [text for user, text in gate.order if user == anna.id]
    assert mine == ["/help", "/profiel"]
    assert "Wat je kunt doen" in anna.messages()[-2].text
    async with bot.session() as session:
        assert await session.scalar(select(func.count()).select_from(ReceivedUpdate)) == 0, "handled, so gone"


async def test_what_a_crash_left_in_the_inbox_is_handled_at_the_next_start_and_only_once(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    async with running_bot(tg_server, database_url, clock) as first:
        anna = tg_server.user(first_name="Anna")
        await first.join(anna, "caberg", Role.PRAKTIJKMANAGER)
        update_id = await anna.send("/help")
        answers = len(anna.messages())
        async with first.session() as session:  # as if the bot died after taking it, before handling it
            await session.execute(delete(HandledUpdate).where(HandledUpdate.update_id == update_id))
            session.add(
                ReceivedUpdate(
                    update_id=update_id, payload=tg_server.world.history[update_id], received_at=clock.now()
                )
            )

    async with running_bot(tg_server, database_url, clock) as second:
        await second.app.wait_processed(update_id)  # from the inbox, before anything new
        assert len(anna.messages()) == answers + 1
        assert "Wat je kunt doen" in anna.last().text
        async with second.session() as session:
            assert await session.scalar(select(func.count()).select_from(ReceivedUpdate)) == 0
        # Telegram had not heard the confirmation either, and sends it again: not handled a second time.
        second.app.done.pop(update_id, None)
        tg_server.world.redeliver(update_id)
        await second.app.wait_processed(update_id)
        assert len(anna.messages()) == answers + 1


async def test_updates_that_end_while_one_is_recorded_are_recorded_together(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = await noordwest(bot)
    groups: list[list[int]] = []
    first_in = asyncio.Event()
    release = asyncio.Event()
    record = once.finish_updates

    async def held_first(application: BotApplication, update_ids: list[int]) -> None:
        groups.append(list(update_ids))
        if len(groups) == 1:
            first_in.set()
            await release.wait()
        await record(application, update_ids)

    monkeypatch.setattr(once, "finish_updates", held_first)
    anna_help = asyncio.create_task(people.anna.send("/help"))
    await asyncio.wait_for(first_in.wait(), 10)
    others = [people.bob, people.carol, people.dirk]
    sent = [asyncio.create_task(person.send("/help")) for person in others]
    # Answered while Anna's end is being recorded; their ends wait for the next group.
    await bot.server.world.wait_until(lambda: all("Wat je kunt doen" in p.last().text for p in others), 10)
    await bot.server.world.wait_until(lambda: bot.app.finish_line.waiting == len(others), 10)
    assert not anna_help.done() and not any(task.done() for task in sent), "none is through before it is recorded"
    release.set()
    ids = await asyncio.wait_for(asyncio.gather(anna_help, *sent), 30)
    # The three that ended meanwhile share one transaction.
    assert [sorted(group) for group in groups] == [[ids[0]], sorted(ids[1:])]
    async with bot.session() as session:
        handled = set(await session.scalars(select(HandledUpdate.update_id).where(HandledUpdate.finished)))
        assert set(ids) <= handled
        assert await session.scalar(select(func.count()).select_from(ReceivedUpdate)) == 0, "handled, so gone"
