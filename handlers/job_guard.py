"""Repeating sweeps that outlive a database away for a moment."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot import metrics
from handlers.context import BotContext

log = logging.getLogger(__name__)

JobCallback = Callable[[BotContext], Coroutine[Any, Any, None]]


def database_unavailable(exc: BaseException) -> bool:
    """Busy, restarting or unreachable, rather than a bug (an IntegrityError, a bad query)."""
    if isinstance(exc, OperationalError | InterfaceError):  # "database is locked", "connection is closed"
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, ConnectionError)  # asyncpg while PostgreSQL is down: refused, reset


def guarded(name: str, callback: JobCallback) -> JobCallback:
    """Run a sweep; when the database is busy or restarting, log one line and leave the work to the next run.

    PTB keeps a repeating job scheduled whatever its callback raises, but it hands the exception to the error
    handler with a full traceback, every few seconds while the outage lasts. Every sweep reads what is due
    from the database, so a run that could not reach it loses nothing; other errors still go to the handler.
    """

    @functools.wraps(callback)
    async def run(context: BotContext) -> None:
        started = time.perf_counter()
        try:
            await callback(context)
            metrics.sweep_done(name, context.runtime.clock.now(), time.perf_counter() - started)
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            cause = exc.orig if isinstance(exc, DBAPIError) else exc
            log.warning("job.database_unavailable job=%s error=%s", name, type(cause).__name__)

    return run
