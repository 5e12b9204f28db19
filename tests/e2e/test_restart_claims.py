"""Rows claimed by a run known to be gone go out at once after a restart; a live worker's claims are left alone.

Each start of the bot is a run (bot/services/runs.py). A restart ends the earlier runs of the same worker, so what
they had claimed is not held up for the claim timeout; another worker's run is not ended by it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import app.wiring
from bot.services import outbox
from db.models import BotRun, OutboxMessage, OutboxStatus
from handlers.context import DISPATCHER_KEY, RUNTIME_KEY
from handlers.dispatch import Dispatcher, end_run_quietly
from tests.e2e.requests_helpers import Noordwest, noordwest, post
from tests.harness import Harness, running_bot
from tests.support import FakeClock
from tgserver.client import SimUser
from tgserver.server import TelegramServer

ANY_ASSISTANT = re.compile("^elke assistent")


def copies(user: SimUser, request_id: int) -> int:
    return sum(1 for m in user.messages() if m.text.startswith(f"Hulpvraag #{request_id}\n"))


def reached(people: Noordwest) -> list[SimUser]:
    """Round 2 of an "any assistant" request from Caberg."""
    return [people.bob, people.carol, people.dirk]


async def claim_everything(bot: Harness, run_id: str) -> int:
    """What a worker of run `run_id` does before sending: claim every due row."""
    async with bot.session() as session:
        return len(await outbox.claim_due(session, now=bot.clock.now(), limit=100, run_id=run_id))


async def posted_and_claimed(bot: Harness, run_id: str) -> tuple[Noordwest, int]:
    """A request whose copies are claimed by `run_id` and not sent."""
    people = await noordwest(bot)
    bot.app.bot_data.pop(DISPATCHER_KEY)  # from here this bot sends nothing by itself
    request_id = await post(bot, people.anna, role=ANY_ASSISTANT)
    assert await claim_everything(bot, run_id) >= 3
    return people, request_id


@pytest.mark.parametrize("worker", ["", "worker-a"])
async def test_killed_after_claiming_its_rows_go_out_at_once_after_the_restart(
    tg_server: TelegramServer,
    database_url: str,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    worker: str,
) -> None:
    async def killed(*_args: Any) -> None:
        """SIGKILL: no clean stop is recorded."""

    monkeypatch.setattr(app.wiring, "end_run_quietly", killed)
    async with running_bot(tg_server, database_url, clock, worker_name=worker) as first:
        first_run = first.app.bot_data[RUNTIME_KEY].run_id
        people, request_id = await posted_and_claimed(first, first_run)
    monkeypatch.undo()
    caplog.set_level(logging.INFO)
    # Back at once: the claims are seconds old, far from the claim timeout.
    async with running_bot(tg_server, database_url, clock, worker_name=worker) as second:
        await second.dispatch()
        for person in reached(people):
            assert copies(person, request_id) == 1, person
        async with second.session() as session:
            run = await session.get(BotRun, first_run)
            assert run is not None and run.ended_at == clock.now(), "ended by the restart, not by a clean stop"
            sent = set(await session.scalars(select(OutboxMessage.status)))
        assert sent == {OutboxStatus.SENT}
    assert "run.earlier_ended" in caplog.text and "outbox.resend_unknown_fate" in caplog.text


async def test_a_clean_stop_frees_its_claims_for_the_next_run(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    async with running_bot(tg_server, database_url, clock) as first:
        people, request_id = await posted_and_claimed(first, first.app.bot_data[RUNTIME_KEY].run_id)
    async with running_bot(tg_server, database_url, clock) as second:
        await second.dispatch()
        assert all(copies(person, request_id) == 1 for person in reached(people))


async def test_a_live_other_workers_claims_are_not_taken(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    # Worker b is running (its run has not ended) and has claimed the copies; worker a restarts meanwhile.
    async with running_bot(tg_server, database_url, clock, worker_name="worker-a") as first:
        async with first.session() as session:
            session.add(BotRun(id="b-live", worker="worker-b", started_at=clock.now()))
        people, request_id = await posted_and_claimed(first, "b-live")
    async with running_bot(tg_server, database_url, clock, worker_name="worker-a") as second:
        await second.dispatch()
        assert all(copies(person, request_id) == 0 for person in reached(people)), "a live worker's claim stands"
        async with second.session() as session:
            other = await session.get(BotRun, "b-live")
            assert other is not None and other.ended_at is None
        clock.advance(minutes=3)  # worker b died without a restart: only the claim timeout frees its rows
        await second.dispatch()
        for person in reached(people):
            assert copies(person, request_id) == 1, person


async def test_a_stop_with_outcomes_not_recorded_does_not_end_its_run(bot: Harness) -> None:
    """Telegram has a message the database could not record yet: its row must not be free to be sent again at
    once, so the run is not ended (the claim timeout applies), unless the outcome is written at the stop."""
    runtime, dispatcher = bot.app.bot_data[RUNTIME_KEY], bot.app.bot_data[DISPATCHER_KEY]
    assert isinstance(dispatcher, Dispatcher)

    async def still_away(_session: AsyncSession) -> None:
        raise OSError("database away")

    dispatcher._unsaved.append(still_away)
    await end_run_quietly(runtime, dispatcher)
    async with bot.session() as session:
        run = await session.get(BotRun, runtime.run_id)
        assert run is not None and run.ended_at is None
    dispatcher._unsaved.clear()
    await end_run_quietly(runtime, dispatcher)
    async with bot.session() as session:
        run = await session.get(BotRun, runtime.run_id)
        assert run is not None and run.ended_at is not None
