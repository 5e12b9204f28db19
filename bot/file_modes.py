"""Files only the bot's user can read: the database, its folder and `.env` hold names, phone numbers and the
token. The bot creates its files private (a umask, and the database file made before SQLite opens it); `run`
warns about files someone else made readable."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from sqlalchemy.engine import URL

from db.session import sqlite_file

log = logging.getLogger(__name__)

# New files 0600, new folders 0700, whatever creates them (the database, exports, a log file).
PRIVATE_UMASK = 0o077


def make_private() -> None:
    """Everything this process creates from now on is readable by its own user only."""
    os.umask(PRIVATE_UMASK)


def readable_by_others(path: Path) -> bool:
    """Whether the group or anyone else may read (or, for a folder, enter) this path."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return False
    return bool(mode & (stat.S_IRWXG | stat.S_IRWXO))


def exposed_files(database_url: URL, env_file: Path = Path(".env")) -> list[Path]:
    """`.env`, the SQLite database, its -wal and -shm files and its folder, where others can read them."""
    candidates = [env_file]
    database = sqlite_file(database_url)
    if database is not None:
        candidates += [database, Path(f"{database}-wal"), Path(f"{database}-shm"), database.parent]
    return [path for path in candidates if readable_by_others(path)]


def warn_if_exposed(database_url: URL, env_file: Path = Path(".env")) -> list[Path]:
    """Log one warning per file others can read, with the command that fixes it."""
    found = exposed_files(database_url, env_file)
    for path in found:
        fix = "chmod 700" if path.is_dir() else "chmod 600"
        log.warning("files.readable_by_others path=%s: only the bot's user should read it (%s %s)", path, fix, path)
    return found
