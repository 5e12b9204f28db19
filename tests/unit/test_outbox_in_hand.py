"""A worker that claims more rows while earlier ones are still on their way never takes its own back, however
old their claim (handlers/dispatch.py keeps a window of rows on their way)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.services.outbox import claim_due
from bot.services.requests import SlotInput
from db.models import Daypart, Role
from db.session import Database
from tests.support import FakeClock
from tests.unit.test_races import TOMORROW, add_member, post


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


async def test_rows_in_hand_are_not_taken_back_when_their_claim_grows_old(database: Database) -> None:
    await add_member(database, 1, "caberg", Role.PRAKTIJKMANAGER)
    await add_member(database, 2, "malberg", Role.DOKTERSASSISTENT)
    await post(database, 1, [SlotInput.for_daypart(TOMORROW, Daypart.OCHTEND)])
    now = FakeClock().now()
    async with database.session() as session, session.begin():
        first = await claim_due(session, now=now, limit=10)
    assert first, "the request's copy is due"
    later = now + timedelta(hours=1)  # far past the claim timeout, the rows still on their way
    async with database.session() as session, session.begin():
        again = await claim_due(session, now=later, limit=10, in_hand=[row.id for row in first])
    assert again == [], "a row this worker is still sending was taken back"
    async with database.session() as session, session.begin():  # another worker's view: a stale claim
        taken = await claim_due(session, now=later, limit=10)
    assert sorted(row.id for row in taken) == sorted(row.id for row in first)
