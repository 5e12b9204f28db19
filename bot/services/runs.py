"""Runs: each start of the bot is a run with a random id, so that claims of a run known to be gone are free at once.

An outbox row claimed by a process that then died stays claimed; without more knowledge another pass may take it
only after OUTBOX_CLAIM_TIMEOUT_SECONDS, since the claimer might merely be slow. A run is known to be gone when it
stopped cleanly (`end_run`), or when a later run of the same worker started (`start_run`): one worker name runs
once at a time. Without MULTI_WORKER the bot is one process (Telegram gives one poller the updates; webhook mode
without MULTI_WORKER is one process too), so every earlier run has ended when it starts. With MULTI_WORKER each
worker is its own WORKER_NAME; without one a worker gets a name of its own per start, and a run that died is then
known gone only by the claim timeout: a live worker's claims are never taken.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from db.models import BotRun

log = logging.getLogger(__name__)

SINGLE_WORKER = "bot"  # the one process of a bot without MULTI_WORKER
# An ended run's claims were free the moment it ended; a week on, its row says nothing any claim still needs.
KEEP_ENDED = timedelta(days=7)


def new_run_id() -> str:
    """A fresh random run id (made once per start of the process)."""
    return secrets.token_hex(8)


def worker_name(configured: str, *, multi_worker: bool, run_id: str) -> str:
    """The worker this process runs as: WORKER_NAME, else the single bot, else (several workers, no name) a name
    no other start shares, so that no live worker's runs are ever taken to have ended."""
    if configured:
        return configured
    return f"run-{run_id}" if multi_worker else SINGLE_WORKER


async def start_run(session: AsyncSession, *, run_id: str, worker: str, now: datetime) -> int:
    """Record this run; the earlier runs of the same worker have ended (their process is gone). Returns how many
    runs were found still open: each had died without a clean stop."""
    ended = await session.execute(
        update(BotRun)
        .where(BotRun.worker == worker, BotRun.ended_at.is_(None), BotRun.id != run_id)
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    session.add(BotRun(id=run_id, worker=worker, started_at=now))
    count = int(getattr(ended, "rowcount", 0) or 0)
    if count:
        log.info("run.earlier_ended run=%s worker=%s count=%s", run_id, worker, count)
    return count


async def end_run(session: AsyncSession, *, run_id: str, now: datetime) -> None:
    """A clean stop: what this run still had claimed is free for the others at once."""
    await session.execute(update(BotRun).where(BotRun.id == run_id, BotRun.ended_at.is_(None)).values(ended_at=now))


def ended_runs() -> ColumnElement[bool]:
    """Ids of runs known to have ended, for `claimed_by.in_(...)`."""
    return select(BotRun.id).where(BotRun.ended_at.is_not(None)).scalar_subquery()


async def forget_ended(session: AsyncSession, *, now: datetime) -> int:
    """Drop runs that ended more than KEEP_ENDED ago (one row per start would otherwise pile up)."""
    result = await session.execute(delete(BotRun).where(BotRun.ended_at < now - KEEP_ENDED))
    return int(getattr(result, "rowcount", 0) or 0)
