"""Run Alembic migrations from code, sharing the application's async engine."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at db/migrations; with a connection, env.py uses that one."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


# Held while migrating on PostgreSQL, so that workers starting together migrate one after the other: the first
# does the work, the others find the schema current. A constant of our own ("wijkhulp" in ASCII, as a number).
MIGRATION_LOCK = 0x77696A6B68756C70


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """Bring the schema up to date (Alembic's connection-sharing recipe for asyncio), once at a time."""

    def _upgrade(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":  # released with the transaction
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        command.upgrade(alembic_config(connection), "head")

    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)

