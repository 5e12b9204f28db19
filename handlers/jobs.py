"""PTB's JobQueue as a clock only: every sweep reads what is due from the database."""

from __future__ import annotations

import logging

from bot.config import Settings
from bot.runtime import Runtime
from bot.services.requests import close_past_requests, load_request, refresh_recipients
from handlers import meeting_jobs
from handlers.context import DISPATCHER_KEY, BotApplication, BotContext

log = logging.getLogger(__name__)


async def outbox_sweep(context: BotContext) -> None:
    """Send whatever is due (retries after a 429, rows left behind by a crash)."""
    dispatcher = context.bot_data.get(DISPATCHER_KEY)
    if dispatcher is not None:
        await dispatcher.run()


async def close_finished_requests(runtime: Runtime) -> list[int]:
    """Close requests whose last slot has passed, and have the copies people hold updated."""
    async with runtime.database.session() as session, session.begin():
        now = runtime.clock.now()
        closed = await close_past_requests(session, now=now)
        for request_id in closed:
            request = await load_request(session, request_id)
            if request is not None:
                await refresh_recipients(session, now=now, request=request)
    if closed:
        log.info("requests.closed count=%s", len(closed))
    return closed


async def close_sweep(context: BotContext) -> None:
    """The job: close finished requests, then send the updates."""
    if await close_finished_requests(context.runtime):
        context.kick_outbox()


def schedule(application: BotApplication, settings: Settings) -> None:
    """Start the sweeps."""
    queue = application.job_queue
    if queue is None:
        raise RuntimeError("the job-queue extra of python-telegram-bot is required")
    queue.run_repeating(outbox_sweep, interval=settings.outbox_poll_seconds, first=0.5, name="outbox")
    queue.run_repeating(close_sweep, interval=60, first=5, name="close-requests")
    meeting_jobs.schedule(queue, settings)
