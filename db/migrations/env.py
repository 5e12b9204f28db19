"""Alembic environment: migrations run on a connection handed over by db.migrate, or on DATABASE_URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from db.models import Base

target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    """Run the migrations on one connection; batch mode lets SQLite alter tables."""
    # Custom types (UTCDateTime, defined in db.base) are written into new migrations as db.models.UTCDateTime,
    # the module the migration template imports and the existing migrations use.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        user_module_prefix="db.models.",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_settings() -> None:
    """Used by the `alembic` command line itself (e.g. `alembic revision --autogenerate`)."""
    from bot.config import Settings
    from db.session import create_engine

    engine = create_engine(Settings().database_url)
    async with engine.begin() as connection:
        await connection.run_sync(run_on)
    await engine.dispose()


shared = context.config.attributes.get("connection")
if shared is not None:
    run_on(shared)
else:
    asyncio.run(run_from_settings())
