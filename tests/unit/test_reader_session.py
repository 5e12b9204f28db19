"""Database.reader: a transaction that only reads takes no write lock on SQLite (so a writer recording what
Telegram answered never waits behind a message being rendered), and a write in it is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from db import session as db_session
from db.migrate import upgrade_to_head
from db.models import Region
from db.session import Database, WriteInReader


async def test_a_reading_transaction_keeps_no_writer_waiting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_session, "SQLITE_BUSY_TIMEOUT_MS", 200)  # a writer that had to wait would fail
    database = Database(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    try:
        await upgrade_to_head(database.engine)
        async with database.reader() as reader, reader.begin():
            assert await reader.scalar(select(func.count()).select_from(Region)) == 0
            async with database.session() as writer, writer.begin():  # while the reader's transaction is open
                writer.add(Region(code="mh", name="Maas", timezone="Europe/Amsterdam", locale="nl"))
            # The reader keeps its snapshot; the write is there for everyone else.
            assert await reader.scalar(select(func.count()).select_from(Region)) == 0
        async with database.reader() as reader, reader.begin():
            assert await reader.scalar(select(func.count()).select_from(Region)) == 1
    finally:
        await database.dispose()


async def test_a_write_in_a_reading_session_is_refused(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    try:
        await upgrade_to_head(database.engine)
        with pytest.raises(WriteInReader):
            async with database.reader() as reader, reader.begin():
                reader.add(Region(code="mh", name="Maas", timezone="Europe/Amsterdam", locale="nl"))
                await reader.flush()
        async with database.session() as session:
            assert await session.scalar(select(func.count()).select_from(Region)) == 0
    finally:
        await database.dispose()
