"""The meeting sweep on PTB's JobQueue: the clock only; what is due comes from the database."""

from __future__ import annotations

import logging

from telegram.ext import JobQueue

from bot.config import Settings
from bot.runtime import Runtime
from bot.services.meeting_sweep import SweepReport, sweep
from handlers.context import BotContext
from handlers.job_guard import guarded

log = logging.getLogger(__name__)


async def run_meeting_sweep(runtime: Runtime) -> SweepReport:
    """One pass: plan, invite, remind; the outbox rows commit with the due times they discharge."""
    async with runtime.database.session() as session, session.begin():
        report = await sweep(session, now=runtime.clock.now())
    if report.wrote or report.skipped:
        log.info(
            "meetings.swept invited=%s reminders=%s skipped=%s actions=%s",
            report.invited,
            report.reminders,
            report.skipped,
            report.actions,
        )
    return report


async def meeting_sweep(context: BotContext) -> None:
    """The job: sweep, then send what it queued."""
    if (await run_meeting_sweep(context.runtime)).wrote:
        context.kick_outbox()


def schedule(queue: JobQueue[BotContext], settings: Settings) -> None:
    """On start (so what fell due while the bot was down goes out at once) and every minute."""
    sweep_job = guarded("meetings", meeting_sweep)
    queue.run_repeating(sweep_job, interval=settings.meeting_sweep_seconds, first=1, name="meetings")
