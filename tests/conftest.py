"""Fixtures: a fresh database per test (SQLite by default, PostgreSQL when asked), the clock, the running bot.

Set WIJKHULP_TEST_POSTGRES_URL (an admin URL such as postgresql://postgres@127.0.0.1:5432/postgres) to run
the whole suite against PostgreSQL; each test then gets its own database, cloned from a migrated template.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from hypothesis import settings
from sqlalchemy.engine import make_url

from tests.support import FakeClock, seed_network

# Property tests: CI replays the same examples on every run (derandomized, with the `@example`s of every case that
# ever failed), so a red run always means a change; `./dev test` on a workstation keeps exploring new ones.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

POSTGRES_URL = os.environ.get("WIJKHULP_TEST_POSTGRES_URL", "")


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    parsed = make_url(POSTGRES_URL)
    connection = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database or "postgres",
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database with the example network, made once per test run."""
    if POSTGRES_URL:
        name = f"wh_template_{uuid.uuid4().hex[:8]}"
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        asyncio.run(seed_network(_with_database(POSTGRES_URL, name)))
        yield name
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        asyncio.run(seed_network(f"sqlite:///{path}"))
        yield str(path)


@pytest.fixture
async def database_url(template_database: str, tmp_path: Path) -> AsyncIterator[str]:
    """This test's own copy of the template database."""
    if POSTGRES_URL:
        name = f"wh_test_{uuid.uuid4().hex[:12]}"
        await _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
        yield _with_database(POSTGRES_URL, name)
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path / "wijkhulp.sqlite3"
        shutil.copyfile(template_database, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def clock() -> FakeClock:
    """The injected clock, Monday 23 November 2026, 10:00 in Amsterdam."""
    return FakeClock()
