"""PTB's JobQueue as a clock only: every sweep reads what is due from the database."""

from __future__ import annotations

import logging
from datetime import time

from bot.config import Settings
from bot.runtime import Runtime
from bot.services.coordination import send_digests
from bot.services.handled_updates import forget_old as forget_old_updates
from bot.services.ladder import due_escalations, escalate
from bot.services.monthly_report import send_monthly_reports
from bot.services.requests import close_past_requests, load_request, refresh_recipients
from bot.services.retention import BATCH, Erased, erase_batch
from bot.services.runs import forget_ended as forget_ended_runs
from handlers import meeting_jobs
from handlers.context import DISPATCHER_KEY, BotApplication, BotContext
from handlers.job_guard import database_unavailable, guarded
from handlers.ladder_views import waits_of

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
    """The job, every minute: close finished requests, send the daily digest when it is time."""
    closed = await close_finished_requests(context.runtime)
    digests = await run_digests(context.runtime)
    reports = await run_monthly_reports(context.runtime)
    if closed or digests or reports:
        context.kick_outbox()


async def run_digests(runtime: Runtime) -> list[int]:
    """The coordinators' daily digest, once per region and day, from DIGEST_TIME."""
    async with runtime.database.session() as session, session.begin():
        return await send_digests(
            session,
            now=runtime.clock.now(),
            zone=runtime.settings.zone,
            at=time.fromisoformat(runtime.settings.digest_time),
        )


async def run_monthly_reports(runtime: Runtime) -> list[int]:
    """Last month's report to the coordinators, once per region and month, from 09:00 on the first working day."""
    async with runtime.database.session() as session, session.begin():
        return await send_monthly_reports(session, now=runtime.clock.now(), zone=runtime.settings.zone)


async def run_due_escalations(runtime: Runtime) -> int:
    """Start every round that is due; each in its own transaction, guarded against a second worker."""
    waits = waits_of(runtime.settings)
    async with runtime.database.session() as session:
        due = await due_escalations(session, now=runtime.clock.now())
    started = 0
    for request_id, round_no in due:
        try:
            async with runtime.database.session() as session, session.begin():
                asked = await escalate(
                    session,
                    now=runtime.clock.now(),
                    zone=runtime.settings.zone,
                    request_id=request_id,
                    waits=waits,
                    expected_round=round_no,
                    announce=True,
                )
        except Exception as exc:  # one request that cannot climb must not hold back the others' rounds
            if database_unavailable(exc):
                raise  # the database is away: the next run takes up every due round again
            log.exception("requests.escalation_failed id=%s round=%s", request_id, round_no)
            continue
        if asked is not None:
            started += 1
            log.info("requests.escalated id=%s from_round=%s asked=%s", request_id, round_no, asked)
    return started


async def escalation_sweep(context: BotContext) -> None:
    """The job: start due rounds, then send what they wrote."""
    if await run_due_escalations(context.runtime):
        context.kick_outbox()


async def run_retention(runtime: Runtime, *, batch: int = BATCH) -> Erased:
    """Erase free text past NOTES_RETENTION_DAYS, one short transaction per batch so no lock is held long."""
    total = Erased()
    while True:
        async with runtime.database.session() as session, session.begin():
            erased = await erase_batch(
                session, now=runtime.clock.now(), days=runtime.settings.notes_retention_days, limit=batch
            )
        total += erased
        if max(erased.notes, erased.agendas, erased.actions) < batch:
            break
    if total.total:
        log.info("retention.erased notes=%s agendas=%s actions=%s", total.notes, total.agendas, total.actions)
    async with runtime.database.session() as session, session.begin():
        await forget_old_updates(session, now=runtime.clock.now())
        await forget_ended_runs(session, now=runtime.clock.now())
    return total


async def retention_sweep(context: BotContext) -> None:
    """The job: erase what is past its retention."""
    await run_retention(context.runtime)


def schedule(application: BotApplication, settings: Settings) -> None:
    """Start the sweeps."""
    queue = application.job_queue
    if queue is None:
        raise RuntimeError("the job-queue extra of python-telegram-bot is required")
    outbox, close, escalation, retention = (
        guarded("outbox", outbox_sweep),
        guarded("close-requests", close_sweep),
        guarded("escalation", escalation_sweep),
        guarded("retention", retention_sweep),
    )
    queue.run_repeating(outbox, interval=settings.outbox_poll_seconds, first=0.5, name="outbox")
    # The first passes come one interval after start: what fell due while the bot was down waits that long.
    close_every, escalate_every = settings.close_sweep_seconds, settings.escalation_sweep_seconds
    queue.run_repeating(close, interval=close_every, first=close_every, name="close-requests")
    queue.run_repeating(escalation, interval=escalate_every, first=escalate_every, name="escalation")
    # Nothing is urgent about erasing: the first pass waits one interval, like every later one.
    interval = settings.retention_sweep_seconds
    queue.run_repeating(retention, interval=interval, first=interval, name="retention")
    meeting_jobs.schedule(queue, settings)
