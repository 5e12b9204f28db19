"""The Alembic migrations build exactly the schema the models describe (tables, columns, indexes)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

import db.availability
import db.meetings  # noqa: F401 - every model module, so that Base.metadata is whole
from db.migrate import upgrade_to_head
from db.models import Base
from db.session import create_engine


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
