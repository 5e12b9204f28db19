"""Runs: which worker a process runs as, and which earlier runs a start ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.runs import SINGLE_WORKER, end_run, forget_ended, start_run, worker_name
from db.models import BotRun
from db.session import Database

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def session(database_url: str) -> AsyncIterator[AsyncSession]:
    database = Database(database_url)
    async with database.session() as opened, opened.begin():
        yield opened
    await database.dispose()


def test_without_a_worker_name_several_workers_never_share_one() -> None:
    """MULTI_WORKER without WORKER_NAME: each start is a worker of its own, so a restart ends no other worker's run
    (the claim timeout covers a worker that died); one bot without MULTI_WORKER is always the same worker."""
    assert worker_name("", multi_worker=False, run_id="abc") == SINGLE_WORKER
    assert worker_name("", multi_worker=True, run_id="abc") == "run-abc"
    assert worker_name("", multi_worker=True, run_id="def") != worker_name("", multi_worker=True, run_id="abc")
    assert worker_name("web-2", multi_worker=True, run_id="abc") == "web-2"


async def test_a_start_ends_only_the_earlier_runs_of_its_own_worker(session: AsyncSession) -> None:
    await start_run(session, run_id="a1", worker="web-1", now=NOW)
    await start_run(session, run_id="b1", worker="web-2", now=NOW)
    await session.flush()
    assert await start_run(session, run_id="a2", worker="web-1", now=NOW) == 1
    await end_run(session, run_id="b1", now=NOW)
    await session.flush()
    ended = {run.id: run.ended_at for run in await session.scalars(select(BotRun))}
    assert ended == {"a1": NOW, "a2": None, "b1": NOW}


async def test_ended_runs_are_forgotten_after_a_week_open_ones_never(session: AsyncSession) -> None:
    await start_run(session, run_id="old", worker="web-1", now=NOW)
    await start_run(session, run_id="live", worker="web-2", now=NOW)
    await session.flush()
    await end_run(session, run_id="old", now=NOW)
    await session.flush()
    assert await forget_ended(session, now=NOW + timedelta(days=6)) == 0
    assert await forget_ended(session, now=NOW + timedelta(days=8)) == 1
    assert list(await session.scalars(select(BotRun.id))) == ["live"]
