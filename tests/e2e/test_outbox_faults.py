"""The fan-out survives Telegram's faults and the bot's restarts: every recipient gets it exactly once."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select, update

from db.models import OutboxMessage, OutboxStatus
from handlers.context import DISPATCHER_KEY
from tests.e2e.requests_helpers import Noordwest, noordwest, post
from tests.harness import Harness, running_bot
from tests.support import FakeClock
from tgserver.client import SimUser
from tgserver.server import TelegramServer

ANY_ASSISTANT = re.compile("^elke assistent")


def copies(user: SimUser, request_id: int) -> int:
    return sum(1 for m in user.messages() if m.text.startswith(f"Hulpvraag #{request_id}\n"))


def reached(people: Noordwest) -> list[SimUser]:
    """Round 2 of an "any assistant" request from Caberg (nobody declared availability for round 1)."""
    return [people.bob, people.carol, people.dirk]


async def statuses(bot: Harness) -> list[str]:
    async with bot.session() as session:
        return list(await session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


async def test_a_429_storm_5xx_and_dropped_connections_lose_nothing_and_double_nothing(bot: Harness) -> None:
    people = await noordwest(bot)
    server = bot.server
    server.inject_fault("sendMessage", "429", times=3, retry_after=7, chat_id=people.bob.id)
    server.inject_fault("sendMessage", "429", times=2, retry_after=30, chat_id=people.carol.id)
    server.inject_fault("sendMessage", "drop", times=1, chat_id=people.carol.id)
    server.inject_fault("sendMessage", "500", times=2, chat_id=people.dirk.id)
    server.inject_fault("sendMessage", "502", times=1, chat_id=people.dirk.id)
    request_id = await post(bot, people.anna, role=ANY_ASSISTANT)

    for _round in range(8):
        await bot.dispatch()
        bot.clock.advance(minutes=1)
    for person in reached(people):
        assert copies(person, request_id) == 1, person
    assert server.faults_served == 9
    assert set(await statuses(bot)) == {OutboxStatus.SENT}
    await bot.dispatch()
    assert all(copies(person, request_id) == 1 for person in reached(people))


async def test_a_429_is_retried_only_after_retry_after(bot: Harness) -> None:
    people = await noordwest(bot)
    bot.server.inject_fault("sendMessage", "429", times=1, retry_after=60, chat_id=people.bob.id)
    request_id = await post(bot, people.anna)
    await bot.dispatch()
    assert copies(people.bob, request_id) == 0 and copies(people.carol, request_id) == 1
    bot.clock.advance(seconds=59)
    await bot.dispatch()
    assert copies(people.bob, request_id) == 0
    bot.clock.advance(seconds=2)
    await bot.dispatch()
    assert copies(people.bob, request_id) == 1


async def test_a_blocked_recipient_is_given_up_and_the_others_still_get_it(bot: Harness) -> None:
    people = await noordwest(bot)
    await people.carol.block()
    bot.server.expect_refusals(1)  # the 403 for Carol is what this test is about
    request_id = await post(bot, people.anna)
    await bot.dispatch()
    assert copies(people.bob, request_id) == 1
    assert sorted(await statuses(bot)) == [OutboxStatus.FAILED, OutboxStatus.SENT]


async def test_stopped_between_save_and_send(tg_server: TelegramServer, database_url: str, clock: FakeClock) -> None:
    async with running_bot(tg_server, database_url, clock) as first:
        people = await noordwest(first)
        # The bot dies right after the commit: nothing is sent before it is gone.
        first.app.bot_data.pop(DISPATCHER_KEY)
        request_id = await post(first, people.anna, role=ANY_ASSISTANT)
        assert all(copies(person, request_id) == 0 for person in reached(people))
    async with running_bot(tg_server, database_url, clock) as second:
        await second.dispatch()
        await second.dispatch()
        for person in reached(people):
            assert copies(person, request_id) == 1, person


async def test_stopped_after_claiming_before_sending(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    async with running_bot(tg_server, database_url, clock) as first:
        people = await noordwest(first)
        first.app.bot_data.pop(DISPATCHER_KEY)
        request_id = await post(first, people.anna, role=ANY_ASSISTANT)
        # A worker claimed every row and died before sending any.
        async with first.session() as session:
            await session.execute(update(OutboxMessage).values(status=OutboxStatus.SENDING, claimed_at=clock.now()))
    async with running_bot(tg_server, database_url, clock) as second:
        await second.dispatch()
        assert all(copies(person, request_id) == 0 for person in reached(people)), "a live claim is respected"
        clock.advance(minutes=3)  # past the claim timeout: the claim is taken to be dead
        await second.dispatch()
        for person in reached(people):
            assert copies(person, request_id) == 1, person


async def test_a_long_429_flood_still_delivers(bot: Harness) -> None:
    people = await noordwest(bot)
    bot.server.inject_fault("sendMessage", "429", times=15, retry_after=3, chat_id=people.bob.id)
    request_id = await post(bot, people.anna)
    for _round in range(20):
        await bot.dispatch()
        bot.clock.advance(seconds=5)
    assert copies(people.bob, request_id) == 1


async def test_a_reply_that_meets_a_429_arrives_after_retry_after(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """A person's reply is not the outbox's: nothing would send it later, so the rate limiter waits out
    retry_after and sends it again (this costs the test Telegram's second)."""
    caplog.set_level(logging.INFO, "bot.rate_limiter")
    people = await noordwest(bot)
    bot.server.inject_fault("sendMessage", "429", times=1, retry_after=1, chat_id=people.anna.id)
    await people.anna.send("/help")
    assert "/verzoek" in people.anna.last().text
    assert bot.server.faults_served == 1
    assert "reply.rate_limited endpoint=sendMessage" in caplog.text
    assert "Traceback" not in caplog.text
