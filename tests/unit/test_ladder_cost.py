"""A ladder round costs what it asks, not what the region holds: its people are chosen in SQL, and only they
are loaded (bot/services/ladder.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event

from bot.services.ladder import Waits, escalate
from bot.services.requests import SlotInput
from db.base import Base
from db.models import Daypart, Role
from db.session import Database
from tests.support import FakeClock
from tests.unit.test_races import TOMORROW, ZONE, add_member, post

MORE = 45


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


async def rounds_loading(db: Database, author: int) -> list[int]:
    """Post a request and climb every round; the members each step loaded."""
    loaded: list[int] = []

    def counted(target: object, context: object) -> None:
        if type(target).__name__ == "Member":
            loaded[-1] += 1

    event.listen(Base, "load", counted, propagate=True)
    try:
        loaded.append(0)
        request_id = await post(db, author, [SlotInput.for_daypart(TOMORROW, Daypart.OCHTEND)])
        for round_no in (1, 2, 3):
            loaded.append(0)
            async with db.session() as session, session.begin():
                await escalate(
                    session,
                    now=FakeClock().now(),
                    zone=ZONE,
                    request_id=request_id,
                    waits=Waits.from_minutes(15, 240),
                    expected_round=round_no,
                )
    finally:
        event.remove(Base, "load", counted)
    return loaded


async def test_people_who_cannot_help_are_not_even_loaded(database: Database) -> None:
    await add_member(database, 1, "caberg", Role.PRAKTIJKMANAGER)
    await add_member(database, 2, "malberg", Role.DOKTERSASSISTENT)
    few = await rounds_loading(database, 1)
    # 45 more in the region who cannot fill the request (POH-S), in the wijk and beyond.
    for index in range(MORE):
        await add_member(database, 100 + index, ("daalhof", "malberg", "maasoever")[index % 3], Role.POH_S)
    many = await rounds_loading(database, 1)
    assert many == few, f"members loaded per round: {few} with few people in the region, {many} with {MORE} more"
