"""The one-trip SQLite cursor (db/sqlite_driver.py): the same results and errors as the stock adapter, in one
call to aiosqlite's thread per statement."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from db.session import create_engine
from db.sqlite_driver import OneTripCursor


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    made = create_engine(f"sqlite:///{tmp_path / 'one-trip.db'}")
    async with made.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)")
    yield made
    await made.dispose()


async def test_rows_counts_and_ids_come_back(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        added = await connection.execute(text("INSERT INTO item (name) VALUES ('a')"))
        assert added.lastrowid == 1
        await connection.execute(text("INSERT INTO item (name) VALUES (:name)"), [{"name": "b"}, {"name": "c"}])
        changed = await connection.execute(text("UPDATE item SET name = name || '!' WHERE id > 1"))
        assert changed.rowcount == 2
        rows = (await connection.execute(text("SELECT id, name FROM item ORDER BY id"))).all()
    assert [tuple(row) for row in rows] == [(1, "a"), (2, "b!"), (3, "c!")]
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT name FROM item WHERE id = 9"))).first() is None


async def test_the_cursor_in_use_is_the_one_trip_cursor(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.driver_connection, aiosqlite.Connection)
        assert isinstance(raw.dbapi_connection.cursor(), OneTripCursor)  # type: ignore[union-attr]


async def test_sqlite_errors_arrive_as_sqlalchemy_errors_and_change_nothing(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO item (name) VALUES ('a')"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO item (name) VALUES ('b')"))
            await connection.execute(text("INSERT INTO item (name) VALUES ('a')"))
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM item"))).scalar_one() == 1


async def test_one_statement_is_one_call_on_the_database_thread(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    stock: Any = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(fn, "__name__", repr(fn)))
        return await stock(self, fn, *args, **kwargs)

    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))  # the transaction's BEGIN is not the statement's
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        rows = (await connection.execute(text("SELECT id FROM item"))).all()
        await connection.execute(insert(_item_table()).values(name="x"))
        during = list(calls)  # (leaving the block rolls back: one more call, not a statement's)
    assert rows == []
    assert during == ["_run", "_run"]


def _item_table() -> Any:
    from sqlalchemy import Column, Integer, MetaData, String, Table

    return Table("item", MetaData(), Column("id", Integer, primary_key=True), Column("name", String))


async def test_fetchmany_and_partitions_without_a_size(engine: AsyncEngine) -> None:
    """Result.fetchmany() and partitions() with no size ask the cursor's arraysize (DBAPI's default: 1)."""
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO item (name) VALUES ('a'), ('b'), ('c')"))
        result = await connection.execute(text("SELECT id FROM item ORDER BY id"))
        assert [tuple(row) for row in result.fetchmany()] == [(1,)]
        result = await connection.execute(text("SELECT id FROM item ORDER BY id"))
        assert [len(part) for part in result.partitions()] == [1, 1, 1]
