"""The Alembic migrations build exactly the schema the models describe (tables, columns, indexes), and keep the
data they change usable."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncSession

import db.availability
import db.meetings  # noqa: F401 - every model module, so that Base.metadata is whole
from bot.services.calendars import installation, occurrence_uid
from bot.services.invites import InviteStatus, check_invite, code_hash
from db.migrate import alembic_config, upgrade_to_head
from db.models import Base
from db.session import create_engine
from tests.conftest import POSTGRES_URL, _admin, _with_database


async def test_the_migrated_schema_is_the_models_schema(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'schema.sqlite3'}")
    try:
        await upgrade_to_head(engine)

        def differences(connection: Connection) -> list[object]:
            return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await engine.dispose()


async def test_links_handed_out_before_codes_were_hashed_still_work(tmp_path: Path) -> None:
    """0009 replaces each stored code by its hash: the database keeps no usable code, and the link works."""
    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    try:

        def to(revision: str) -> Callable[[Connection], None]:
            return lambda connection: command.upgrade(alembic_config(connection), revision)

        async with engine.begin() as connection:
            await connection.run_sync(to("0008"))
            await connection.execute(
                text(
                    "INSERT INTO region (id, code, name, timezone, locale, student_roles) "
                    "VALUES (1, 'mh', 'Maas', 'Europe/Amsterdam', 'nl', '[]')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO invite (code, region_id, role, max_uses, use_count, expires_at, created_at) "
                    "VALUES ('old-link-code', 1, 'medisch-student', 1, 0, :later, :now)"
                ),
                {"later": now + timedelta(days=3), "now": now},
            )
            await connection.run_sync(to("head"))
            stored = (await connection.execute(text("SELECT code_hash FROM invite"))).scalar_one()
        assert stored == code_hash("old-link-code") and "old-link-code" not in stored
        async with AsyncSession(engine) as session:
            check = await check_invite(session, "old-link-code", now)
        assert check.status is InviteStatus.VALID
    finally:
        await engine.dispose()


async def test_dates_sent_before_0018_keep_their_uid_and_new_ones_name_the_installation(tmp_path: Path) -> None:
    """0018 makes the installation's id once; calendars already hold the old UIDs of existing dates, so those
    keep them, and every later date's UID carries the id."""
    engine = create_engine(f"sqlite:///{tmp_path / 'uids.sqlite3'}")
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "0017"))
            await connection.execute(
                text(
                    "INSERT INTO region (id, code, name, timezone, locale, student_roles) "
                    "VALUES (1, 'mh', 'Maas', 'Europe/Amsterdam', 'nl', '[]')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO meeting (id, region_id, whole_region, title, audience, timezone, start_local, "
                    "duration_minutes, reminder_minutes, created_at) "
                    "VALUES (1, 1, 1, 'Overleg', 'all', 'Europe/Amsterdam', '2026-12-15 19:00:00', 60, '[]', :now)"
                ),
                {"now": now},
            )
            await connection.execute(
                text(
                    "INSERT INTO meeting_occurrence (id, meeting_id, position, start_local, starts_at, ends_at, "
                    "status, sequence, invite_at) VALUES (5, 1, 0, '2026-12-15 19:00:00', :now, :now, "
                    "'scheduled', 0, :now)"
                ),
                {"now": now},
            )
            await connection.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
        async with AsyncSession(engine) as session:
            found = await installation(session)
            assert re.fullmatch(r"[0-9a-f]{32}", found.uid_id) and found.legacy_uid_below == 6
            assert occurrence_uid(found, 5) == "occurrence-5@wijkhulp"
            assert occurrence_uid(found, 6) == f"occurrence-6-{found.uid_id}@wijkhulp"
    finally:
        await engine.dispose()


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only: set WIJKHULP_TEST_POSTGRES_URL")
async def test_workers_starting_together_migrate_one_after_the_other() -> None:
    """Three workers migrate a new PostgreSQL database at once: the advisory lock lets the first do it and the
    others find the schema current (without it, their CREATE TABLEs collide)."""
    name = f"wijkhulp_migrate_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"')
    engines = [create_engine(_with_database(POSTGRES_URL, name)) for _ in range(3)]
    try:
        await asyncio.gather(*(upgrade_to_head(engine) for engine in engines))

        def differences(connection: Connection) -> list[object]:
            return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

        async with engines[0].connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        for engine in engines:
            await engine.dispose()
        await _admin(f'DROP DATABASE "{name}"')
