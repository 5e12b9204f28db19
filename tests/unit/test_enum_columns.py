"""Status and kind columns are typed as their enums but stored as the lowercase value strings, as before: rows
written as plain strings (old data, raw SQL) read back as members, and what the models write is the value."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Enum, select, text
from sqlalchemy.exc import StatementError

from bot.services.members import find_member
from bot.services.requests import SlotInput
from db.models import Availability, Base, Daypart, Member, Role
from db.session import Database
from tests.unit.test_races import TOMORROW, add_member, post


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


async def test_a_row_written_as_a_plain_string_reads_back_as_the_member(database: Database) -> None:
    await add_member(database, 1, "caberg", Role.HUISARTS)
    async with database.session() as session, session.begin():
        member = await find_member(session, 1)
        assert member is not None
        params = {"member_id": member.id, "lendable": True}
        await session.execute(
            text("INSERT INTO member_role (member_id, role, lendable) VALUES (:member_id, 'poh-ggz', :lendable)"),
            params,
        )
        await session.execute(
            text("INSERT INTO availability (member_id, weekday, daypart) VALUES (:member_id, 2, 'middag')"), params
        )
    async with database.session() as session:
        member = await find_member(session, 1)
        assert member is not None
        assert member.roles == {Role.HUISARTS, Role.POH_GGZ}
        assert all(type(row.role) is Role for row in member.role_rows)
        available = await session.scalar(select(Availability).where(Availability.member_id == member.id))
        assert available is not None and available.daypart is Daypart.MIDDAG


async def test_what_the_models_write_is_the_lowercase_value(database: Database) -> None:
    await add_member(database, 1, "caberg", Role.PRAKTIJKMANAGER)
    request_id = await post(database, 1, [SlotInput.for_daypart(TOMORROW, Daypart.OCHTEND)])
    async with database.session() as session:
        stored = (
            await session.execute(
                text(
                    "SELECT r.status, r.urgency, s.daypart FROM shortage_request r"
                    " JOIN request_slot s ON s.request_id = r.id WHERE r.id = :id"
                ),
                {"id": request_id},
            )
        ).one()
        roles = (await session.scalars(text("SELECT role FROM member_role"))).all()
    assert tuple(stored) == ("open", "normaal", "ochtend")
    assert all(type(value) is str for value in stored)
    assert roles == ["praktijkmanager"]


async def test_a_string_that_is_not_a_value_is_refused(database: Database) -> None:
    await add_member(database, 1, "caberg", Role.HUISARTS)
    async with database.session() as session, session.begin():
        member = await session.scalar(select(Member).where(Member.telegram_user_id == 1))
        assert member is not None
        session.add(Availability(member_id=member.id, weekday=1, daypart="OCHTEND"))
        with pytest.raises(StatementError):
            await session.flush()


def test_enum_columns_keep_the_plain_varchar_they_replaced() -> None:
    columns = [column for table in Base.metadata.tables.values() for column in table.columns]
    enums = [column for column in columns if isinstance(column.type, Enum)]
    assert len(enums) >= 13
    for column in enums:
        assert isinstance(column.type, Enum)
        assert not column.type.native_enum and not column.type.create_constraint, column
        assert column.type.enums == [str(member) for member in column.type.enum_class or ()], column
