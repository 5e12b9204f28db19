"""The pace several workers share (PostgreSQL): each call takes the next slot, one interval after the one before,
whichever connection takes it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.services.pace import take_slot
from db.session import Database
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="the shared pace is PostgreSQL's (MULTI_WORKER)")


async def test_slots_taken_by_several_connections_are_one_interval_apart(database_url: str) -> None:
    workers = [Database(database_url) for _ in range(3)]
    interval = timedelta(seconds=0.5)

    async def take(database: Database) -> float:
        async with database.session() as session:
            wait = await take_slot(session, interval)
            await session.commit()
        return wait

    try:
        assert await take(workers[0]) == 0.0  # the first call makes the row
        waits = sorted(await asyncio.gather(*(take(workers[i % 3]) for i in range(9))))
        # Nine slots from now on: 0, 0.5, 1.0 ... 4.0 s ahead (less the milliseconds the calls themselves took).
        for index, wait in enumerate(waits):
            assert index * 0.5 - 0.2 <= wait <= index * 0.5 + 0.05, waits
    finally:
        for database in workers:
            await database.dispose()
