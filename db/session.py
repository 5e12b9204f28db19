"""Engines and sessions for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.pool import ConnectionPoolEntry

from db.base import Base
from db.sqlite_driver import one_trip_dbapi

# How long a transaction waits for SQLite's write lock before "database is locked" (tests shorten it).
SQLITE_BUSY_TIMEOUT_MS = 5000


class DatabaseUrlError(ValueError):
    """The configured database URL cannot be used."""


def parse_database_url(raw: str) -> URL:
    """Parse a database URL and map the plain driver names to the async drivers the bot uses."""
    try:
        url = make_url(raw)
    except Exception as exc:
        raise DatabaseUrlError(f"cannot parse DATABASE_URL: {type(exc).__name__}") from exc
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+asyncpg")
    raise DatabaseUrlError(f"unsupported database '{backend}': use sqlite or postgresql")


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    """Foreign keys on, WAL so readers don't block the writer, and wait instead of failing when busy."""
    # Let SQLAlchemy's "begin" event issue BEGIN itself (see _begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_MS)}")
    cursor.close()


READS_ONLY = "wijkhulp_reads_only"  # execution option of Database.reader: its transactions never write


def _begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock at the start of every transaction. With the default deferred BEGIN, two
    transactions that both read and then write fail with "database is locked" instead of waiting their turn;
    immediate transactions queue up behind busy_timeout, so a lost race ends in a clear answer, not an error.
    A transaction that only reads (Database.reader) begins deferred: in WAL mode it holds up no writer."""
    if connection.get_execution_options().get(READS_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL; None for PostgreSQL and for an in-memory database."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def create_private_file(path: Path) -> None:
    """Make the SQLite file (and its folder, if new) readable by this user only, before SQLite opens it: SQLite
    gives its -wal and -shm files the mode of the database file, so all three stay private."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def create_engine(raw_url: str) -> AsyncEngine:
    """Create the async engine; for SQLite, make the file, private, and the folder it lives in."""
    url = parse_database_url(raw_url)
    if url.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is not None:
            create_private_file(path)
        # module: aiosqlite with one trip to its thread per statement (db/sqlite_driver.py).
        engine = create_async_engine(url, hide_parameters=True, module=one_trip_dbapi())
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
        return engine
    # hide_parameters: SQL errors end up in logs, and their parameters may hold names.
    return create_async_engine(url, pool_pre_ping=True, hide_parameters=True)


WROTE = "wrote"  # session.info key: this transaction has written something


class TrackedSession(Session):
    """A Session that notes in `info[WROTE]` whether its transaction wrote anything (see `wrote`)."""


@event.listens_for(TrackedSession, "after_flush")
def _flushed(session: Session, _flush: UOWTransaction) -> None:
    session.info[WROTE] = True


@event.listens_for(TrackedSession, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if not state.is_select:  # INSERT, UPDATE, DELETE, or text of which we cannot tell
        state.session.info[WROTE] = True


@event.listens_for(TrackedSession, "after_transaction_end")
def _ended(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction: the next one starts clean
        session.info.pop(WROTE, None)


class ReadingSession(Session):
    """A Session that only reads (Database.reader): a write in it is a bug, refused at once."""


class WriteInReader(RuntimeError):
    """Something tried to write in a session meant for reads only."""


@event.listens_for(ReadingSession, "before_flush")
def _no_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    if session.new or session.dirty or session.deleted:
        raise WriteInReader("a reading session has changes to flush")


@event.listens_for(ReadingSession, "do_orm_execute")
def _no_write(state: ORMExecuteState) -> None:
    if not state.is_select:
        raise WriteInReader("a reading session was given a statement that is not a SELECT")


def wrote(session: AsyncSession) -> bool:
    """Whether the session's current transaction has written, or holds changes it would flush."""
    return bool(session.info.get(WROTE) or session.new or session.dirty or session.deleted)


def upsert(session: AsyncSession, model: type[Base]) -> sqlite.Insert | postgresql.Insert:
    """INSERT for the session's database with its ON CONFLICT clauses (SQLite and PostgreSQL spell them alike)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


class Database:
    """The engine and its session factory; one per process, opened in post_init."""

    def __init__(self, raw_url: str) -> None:
        self.engine = create_engine(raw_url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, sync_session_class=TrackedSession)
        self.readers = async_sessionmaker(
            self.engine.execution_options(**{READS_ONLY: True}),
            expire_on_commit=False,
            sync_session_class=ReadingSession,
        )

    def session(self) -> AsyncSession:
        """A new session; use as `async with db.session() as session, session.begin(): ...`."""
        return self.sessions()

    def reader(self) -> AsyncSession:
        """A session for work that only reads (rendering a message): on SQLite it does not take the write lock,
        so it keeps no writer waiting (and waits for none). A write in it raises WriteInReader."""
        return self.readers()

    async def dispose(self) -> None:
        """Close all pooled connections."""
        await self.engine.dispose()
