"""Files only the bot's user can read: the SQLite database, its -wal and -shm files and its folder are created
private, and `run` warns about `.env` or a database someone made readable to others."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.file_modes import make_private, warn_if_exposed
from db.session import create_engine, parse_database_url


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would leave new files readable by everyone (022, the usual default)."""
    before = os.umask(0o022)
    yield
    os.umask(before)


@pytest.mark.usefixtures("open_umask")
async def test_the_database_its_wal_and_shm_and_its_folder_are_private(tmp_path: Path) -> None:
    database = tmp_path / "data" / "wijkhulp.sqlite3"
    engine = create_engine(f"sqlite:///{database}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
            await connection.execute(text("INSERT INTO t VALUES (1)"))
        wal, shm = Path(f"{database}-wal"), Path(f"{database}-shm")
        # WAL mode: both files are there while a connection is open (mode() fails on a missing file).
        assert (mode(database), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
        assert mode(database.parent) == 0o700
    finally:
        await engine.dispose()


@pytest.mark.usefixtures("open_umask")
def test_make_private_sets_the_umask_for_everything_made_later(tmp_path: Path) -> None:
    make_private()
    (tmp_path / "export.csv").write_text("x")
    (tmp_path / "folder").mkdir()
    assert mode(tmp_path / "export.csv") == 0o600
    assert mode(tmp_path / "folder") == 0o700


def test_run_warns_about_a_readable_env_and_database_and_names_the_fix(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env, database = tmp_path / ".env", tmp_path / "wijkhulp.sqlite3"
    env.write_text("TELEGRAM_BOT_TOKEN=123:abc\n")
    database.write_text("")
    env.chmod(0o644)
    database.chmod(0o640)
    tmp_path.chmod(0o700)
    url = parse_database_url(f"sqlite:///{database}")
    with caplog.at_level(logging.WARNING, "bot.file_modes"):
        found = warn_if_exposed(url, env)
    assert found == [env, database]
    assert f"chmod 600 {env}" in caplog.text and f"chmod 600 {database}" in caplog.text
    assert "TELEGRAM_BOT_TOKEN" not in caplog.text and "123:abc" not in caplog.text

    env.chmod(0o600)
    database.chmod(0o600)
    assert warn_if_exposed(url, env) == []
