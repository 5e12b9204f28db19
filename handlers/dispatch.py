"""The outbox dispatcher: renders each due row in its reader's language and sends it, exactly once.

A row holds a notice (bot/services/notices.py); the feature that owns it registers the function that renders
it (request_notices.py, meeting_notices.py), and this module only looks that up, sends and records.

It runs from PTB's JobQueue (a sweep every few seconds) and right after a handler wrote rows (a kick).
Rendering happens at send time, so a message that waited out a 429 shows the request as it is now.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InputFile, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot import metrics
from bot.i18n import Translator
from bot.rate_limiter import BACKGROUND, ON_TURN, retry_delay
from bot.runtime import Runtime
from bot.services import outbox
from bot.services.outbox import Claimed
from bot.services.runs import end_run, start_run, worker_name
from db.models import Member
from handlers import figures, meeting_notices, request_notices
from handlers.job_guard import database_unavailable
from handlers.rendered import Rendered, Renderers, ToGroup, ToMember

log = logging.getLogger(__name__)

# Rows in hand at once: enough to keep Telegram's ~30 messages a second going while some wait for a slow answer
# (a send takes well under 1/2 s). They queue in the rate limiter one at a time, behind every reply to a person
# (bot/rate_limiter.py), so only the sends whose turn has come are at Telegram when a crash cuts them off.
PARALLEL_SENDS = 15
RECORD_TRIES = 3  # quick tries to record an outcome before it is kept for the next pass


RENDERERS: Renderers = request_notices.RENDERERS | meeting_notices.RENDERERS | figures.RENDERERS


async def for_reader(session: AsyncSession, row: Claimed, runtime: Runtime) -> Rendered | None:
    """Look up the renderer of the row's notice and hand it the reader; None when it is no longer worth sending."""
    renderer = RENDERERS.get(type(row.notice)) if row.notice is not None else None
    if renderer is None:
        log.error("outbox row %s has unknown kind %s (or params that do not fit it)", row.id, row.kind)
        return None
    if renderer.to_group:
        t = Translator(runtime.settings.default_language, runtime.settings.zone)
        return await renderer.render(ToGroup(session, runtime, t, row.id), row.notice)
    member = await session.get(Member, row.member_id) if row.member_id else None
    if member is None or member.deleted_at is not None:  # nothing goes to someone who had their data removed
        return None
    t = Translator(member.language, runtime.settings.zone)
    return await renderer.render(ToMember(session, runtime, t, row.id, member, row.recipient_id), row.notice)


async def deliver(bot: Bot, row: Claimed, rendered: Rendered) -> int | None:
    """Send or edit; returns the message id Telegram gave (None for edits)."""
    if rendered.document is not None:
        name, content = rendered.document
        sent: Message = await bot.send_document(
            row.chat_id,
            InputFile(content, filename=name),
            caption=rendered.text,
            parse_mode=ParseMode.HTML,
            reply_markup=rendered.markup,
        )
        return sent.message_id
    if rendered.edit_message_id is not None:
        try:
            await bot.edit_message_text(
                rendered.text,
                chat_id=row.chat_id,
                message_id=rendered.edit_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=rendered.markup,
            )
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise
        return None
    message: Message = await bot.send_message(
        row.chat_id, rendered.text, parse_mode=ParseMode.HTML, reply_markup=rendered.markup
    )
    return message.message_id


# What Telegram's answer means for a row, written once the database takes it.
Write = Callable[[AsyncSession], Awaitable[None]]


@dataclass(frozen=True)
class Outcome:
    """How a row ended this time: `through` (sent, skipped, given up) or back in the queue, and the write
    that records it."""

    through: bool
    write: Write | None = None
    label: str = "skipped"  # for /metrics: sent, retry, failed, unknown, skipped


def _retry(runtime: Runtime, row: Claimed, *, error: str, delay: timedelta, counts: bool = True) -> Outcome:
    at, attempts = runtime.clock.now() + delay, row.attempts

    async def write(session: AsyncSession) -> None:
        await outbox.mark_retry(session, row.id, at=at, error=error, attempts=attempts, counts=counts)

    return Outcome(False, write, "retry")


def _recorded(runtime: Runtime, row: Claimed, rendered: Rendered, message_id: int | None) -> Outcome:
    now = runtime.clock.now()

    async def write(session: AsyncSession) -> None:
        await outbox.record_delivery(
            session,
            row.id,
            now=now,
            message_id=message_id,
            recipient_id=row.recipient_id,
            fingerprint=rendered.fingerprint,
            group_post_id=rendered.group_post_id,
            status_request_id=rendered.status_request_id,
            offer_card_id=rendered.offer_card_id,
            alert_id=rendered.alert_id,
            meeting_post_id=rendered.meeting_post_id,
        )

    return Outcome(True, write, "sent")


def _given_up(row: Claimed, error: str) -> Outcome:
    async def write(session: AsyncSession) -> None:
        await outbox.mark_failed(session, row.id, error=error)

    return Outcome(True, write, "failed")


def _unknown(row: Claimed) -> Outcome:
    async def write(session: AsyncSession) -> None:
        await outbox.mark_unknown(session, row.id, kind=row.kind)

    return Outcome(True, write, "unknown")


async def handle_row(runtime: Runtime, bot: Bot, row: Claimed) -> Outcome:
    """Render and send one claimed row; the returned write records what happened."""
    try:
        # Rendering only reads: it must not hold SQLite's write lock while others wait to record what Telegram
        # answered them (the window in which a crash makes a duplicate).
        async with runtime.database.reader() as session, session.begin():
            rendered = await for_reader(session, row, runtime)
        if rendered is None:
            async with runtime.database.session() as session, session.begin():
                await outbox.mark_skipped(session, row.id, now=runtime.clock.now())
            return Outcome(True)
    except Exception as exc:  # nothing was sent: try again later, counted, instead of leaving the row claimed
        if database_unavailable(exc):  # busy (SQLite's write lock under load) or restarting: not a bug
            log.warning("outbox.database_unavailable id=%s error=%s", row.id, type(exc).__name__)
        else:
            log.exception("outbox row %s could not be rendered", row.id)
        return _retry(runtime, row, error="render", delay=outbox.backoff(row.attempts))
    at_most_once = row.kind in outbox.AT_MOST_ONCE_KINDS
    turn = ON_TURN.set(_in_flight_marker(runtime, row) if at_most_once else None)
    try:
        message_id = await deliver(bot, row, rendered)
    except NotMarked:
        return _retry(runtime, row, error="mark", delay=outbox.backoff(row.attempts))
    except RetryAfter as exc:
        metrics.RATE_LIMITED.labels("outbox").inc()
        return _retry(runtime, row, error="429", delay=retry_delay(exc), counts=False)
    except (Forbidden, BadRequest) as exc:
        return _given_up(row, f"{type(exc).__name__}: {exc.message}")
    except NetworkError as exc:  # 5xx, timeouts, dropped connections
        if row.kind in outbox.AT_MOST_ONCE_KINDS and _maybe_delivered(exc):
            # The request may have reached Telegram: for a reminder, not sending again is the chosen side.
            return _unknown(row)
        return _retry(runtime, row, error=type(exc).__name__, delay=outbox.backoff(row.attempts))
    finally:
        ON_TURN.reset(turn)
    log.info("outbox.sent id=%s kind=%s", row.id, row.kind)
    return _recorded(runtime, row, rendered, message_id)


async def begin_run(runtime: Runtime) -> None:
    """At start, before anything is sent: record this run; the earlier runs of this worker have ended, so what they
    had claimed and not sent goes out at once rather than after the claim timeout."""
    settings = runtime.settings
    worker = worker_name(settings.worker_name, multi_worker=settings.multi_worker, run_id=runtime.run_id)
    async with runtime.database.session() as session, session.begin():
        await start_run(session, run_id=runtime.run_id, worker=worker, now=runtime.clock.now())


async def end_run_quietly(runtime: Runtime, dispatcher: Dispatcher | None = None) -> None:
    """At a clean stop: this run's claims are free for the other workers at once. A database away then costs
    only that: they wait for the claim timeout. Outcomes not yet recorded are written first; if they cannot be,
    the run is not ended, as a row Telegram has would otherwise be free to be sent again at once."""
    try:
        if dispatcher is not None and not await dispatcher.save_unsaved():
            log.warning("run.not_ended_unsaved_outcomes run=%s", runtime.run_id)
            return
        async with runtime.database.session() as session, session.begin():
            await end_run(session, run_id=runtime.run_id, now=runtime.clock.now())
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        log.warning("run.end_not_recorded error=%s", type(exc).__name__)


class NotMarked(Exception):
    """The database did not take that an at-most-once row is on its way: it is not sent now."""


def _in_flight_marker(runtime: Runtime, row: Claimed) -> Callable[[], Awaitable[None]]:
    """Commit that the row is at Telegram, when its turn in the rate limiter has come: a crash while it waited in
    line leaves it unsent (sent after the restart), and only one cut off in the milliseconds of its own call has
    an unknown fate (and is not sent again)."""

    async def mark() -> None:
        try:
            async with runtime.database.session() as session, session.begin():
                await outbox.mark_in_flight(session, row.id)
        except Exception as exc:
            if not database_unavailable(exc):
                log.exception("outbox row %s could not be marked in flight", row.id)
            raise NotMarked from exc

    return mark


# Failures before the request left this machine: no connection was made, so Telegram cannot have it.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _maybe_delivered(exc: NetworkError) -> bool:
    """A timeout or a connection lost after sending leaves the message's fate unknown; a 5xx answer does not,
    nor does a connection that could not be made (Telegram unreachable for a moment must not lose reminders)."""
    if isinstance(exc.__cause__, _NEVER_SENT) or exc.message.startswith(("httpx.ConnectError", "Pool timeout")):
        return False
    return isinstance(exc, TimedOut) or exc.message.startswith("httpx.")


class Dispatcher:
    """Runs the outbox in this process: one pass at a time, and one more if kicked meanwhile.

    When the database fails right after Telegram answered, the answer is kept in memory (`_unsaved`) and
    written before anything new is claimed: a message Telegram has must not be sent again because the
    database was busy or restarting for a moment when we wanted to say so.
    """

    def __init__(self, runtime: Runtime, bot: Bot) -> None:
        self.runtime = runtime
        self.bot = bot
        self._lock = asyncio.Lock()
        self._again = False
        self._unsaved: list[Write] = []

    async def kick(self) -> None:
        """Run now, right after a handler wrote rows. A busy or restarting database is an outage, not a bug: the
        rows wait in the outbox for the next sweep (the sweeps are guarded the same way, see job_guard)."""
        try:
            await self.run()
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            log.warning("outbox.kick_database_unavailable error=%s", type(exc).__name__)

    async def run(self) -> int:
        """Send everything due now; returns how many rows were handled."""
        self._again = True
        if self._lock.locked():
            return 0  # the running pass sees the flag and goes round once more
        handled = 0
        async with self._lock:
            while self._again:
                self._again = False
                handled += await self._pass()
        return handled

    async def _pass(self) -> int:
        """Keep up to PARALLEL_SENDS rows on their way, claiming more whenever half of them are through: a
        message that waits (a slow answer, a retry) holds up its own chat, not the next thirty. A chat's rows go
        one after the other (claim_due holds back a chat's later rows while an older one is being sent)."""
        sending: dict[asyncio.Task[None], list[Claimed]] = {}  # a chat's rows, sent in order
        handled = 0
        try:
            while True:
                in_hand = [row.id for rows in sending.values() for row in rows]
                if len(in_hand) <= PARALLEL_SENDS // 2:
                    claimed = await self._claim(PARALLEL_SENDS - len(in_hand), in_hand)
                    by_chat: dict[int, list[Claimed]] = {}
                    for row in claimed:
                        by_chat.setdefault(row.chat_id, []).append(row)
                    for rows in by_chat.values():
                        sending[asyncio.create_task(self._in_order(rows))] = rows
                    handled += len(claimed)
                if not sending:
                    return handled
                done, _ = await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    del sending[task]
        finally:
            if sending:  # the database failed mid-pass: let what is on its way finish and record itself
                await asyncio.gather(*sending, return_exceptions=True)

    async def _claim(self, limit: int, in_hand: list[int]) -> list[Claimed]:
        """Claim up to `limit` due rows, after writing any outcome the database could not take before; rows still
        on their way from this pass (`in_hand`) are not taken back, however old their claim."""
        await self._save_unsaved()  # raises while the database is away: claim nothing then
        async with self.runtime.database.session() as session, session.begin():
            return await outbox.claim_due(
                session,
                now=self.runtime.clock.now(),
                limit=limit,
                claim_timeout=timedelta(seconds=self.runtime.settings.outbox_claim_timeout_seconds),
                in_hand=in_hand,
                run_id=self.runtime.run_id,
            )

    async def settle(self) -> int:
        """Wait for a running pass, then run one: what tests and shutdown use to see everything sent."""
        async with self._lock:
            pass
        return await self.run()

    async def save_unsaved(self) -> bool:
        """At a stop: write the outcomes the database could not take; True when none is left."""
        with contextlib.suppress(Exception):
            await self._save_unsaved()
        return not self._unsaved

    async def _save_unsaved(self) -> None:
        """Write the outcomes the database could not take earlier, oldest first."""
        while self._unsaved:
            async with self.runtime.database.session() as session, session.begin():
                await self._unsaved[0](session)
            self._unsaved.pop(0)
            log.info("outbox.saved_late left=%s", len(self._unsaved))

    async def _in_order(self, rows: list[Claimed]) -> None:
        """Send one chat's rows one after the other, oldest first; when one must wait, the rest wait too."""
        BACKGROUND.set(True)  # this task's own context: its sends wait behind people's replies
        ordered = sorted(rows, key=lambda r: r.id)
        for index, row in enumerate(ordered):
            if not await self._safe(row):
                await self._give_back(ordered[index + 1 :])
                return

    async def _safe(self, row: Claimed) -> bool:
        """One row's failure must not stop the other chats; True when the row went through."""
        try:
            outcome = await handle_row(self.runtime, self.bot, row)
        except Exception:  # left claimed: retried after the claim timeout
            log.exception("outbox row %s failed unexpectedly", row.id)
            return False
        metrics.SENDS.labels(outcome.label).inc()
        if outcome.write is not None:
            await self._save(row, outcome.write)
        return outcome.through

    async def _save(self, row: Claimed, write: Write) -> None:
        """Record an outcome, a few quick tries; if the database is still away, keep it for the next pass."""
        for attempt in range(RECORD_TRIES):
            try:
                async with self.runtime.database.session() as session, session.begin():
                    await write(session)
                return
            except Exception as exc:
                log.warning(
                    "outbox row %s: outcome not saved yet (try %s): %s", row.id, attempt + 1, type(exc).__name__
                )
                await asyncio.sleep(0.1 * (attempt + 1))
        log.error("outbox.unsaved id=%s: kept in memory until the database is back", row.id)
        self._unsaved.append(write)

    async def _give_back(self, rows: list[Claimed]) -> None:
        """Release a chat's later rows unsent, so that they follow the one that has to wait."""
        if not rows:
            return
        try:
            async with self.runtime.database.session() as session, session.begin():
                await outbox.release(session, [row.id for row in rows])
        except Exception as exc:  # left claimed and unsent: taken up again after the claim timeout
            log.warning("outbox rows %s not released: %s", [row.id for row in rows], type(exc).__name__)
