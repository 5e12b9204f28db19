"""Every update handled once, also across crashes: confirmed to Telegram only when handled, skipped if seen.

PTB's Updater confirms a batch of updates (by asking for the next) as soon as it has queued it, so a crash
lost every update fetched but not yet handled: people's messages vanished. The bot asks for the next batch only
once every update taken so far has been handled (`bot/update_order.py: ConfirmHandledRequest`). A crash now
brings the unconfirmed updates back; the ones already handled are recognised by their id
(`bot/services/handled_updates.py`) and dropped here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ExtBot, TypeHandler

from bot import metrics
from bot.persistence import DatabasePersistence, StateWrite
from bot.runtime import Runtime
from bot.services.handled_updates import (
    forget_received,
    handled,
    keep_received,
    mark_handled,
    newest_handled,
    received_backlog,
)
from handlers.context import RUNTIME_KEY, BotApplication, BotContext, open_turn
from handlers.workers import PULLER_KEY, TAKEN_OVER_KEY, InboxPuller

log = logging.getLogger(__name__)

NEWEST_AT_START_KEY = "newest_handled_update_at_start"
# After the flood guard (-100), before every feature.
SKIP_GROUP = -90


async def skip_handled(update: Update, context: BotContext) -> None:
    """Drop an update that was handled before a crash and is now delivered again. If the crash came between
    the handler's commit and the end of its reply, say so: the change is saved, the answer may be missing."""
    runtime = context.runtime
    taken_over = update.update_id in context.bot_data.get(TAKEN_OVER_KEY, ())
    if update.update_id > context.bot_data.get(NEWEST_AT_START_KEY, 0) and not taken_over:
        # Telegram's ids only grow: an update newer than all handled before this start is new (unless this worker
        # took it over from one that died: that one may have handled it)
        return
    try:
        async with runtime.database.session() as session:
            record = await handled(session, update.update_id)
            finished = record.finished if record else None
    except SQLAlchemyError:  # the handlers will meet the outage themselves and say so
        log.warning("update.handled_check_failed update=%s", update.update_id)
        return
    if finished is None:
        return
    if finished:
        log.info("update.redelivered_skipped update=%s", update.update_id)
        raise ApplicationHandlerStop
    log.info("update.redelivered_unfinished update=%s", update.update_id)
    chat = update.effective_chat
    # Answered and told first; finish_update then records it as finished. A crash in between tells the person
    # twice; the other order would leave the press unanswered for good (its spinner turning), since a finished
    # redelivery is dropped without a word.
    async with open_turn(update, context) as turn:
        text = turn.t.gettext(
            "I had just saved your last message or button when I restarted, so my answer may not have reached "
            "you. Nothing needs doing again: /help shows where to look."
        )
    if update.callback_query is not None:  # stop the button's spinner (Telegram may find the press too old)
        await update.callback_query.answer()
    if chat is not None and chat.type == chat.PRIVATE:
        await context.bot.send_message(chat.id, text)
    raise ApplicationHandlerStop


async def finish_updates(application: BotApplication, update_ids: list[int]) -> None:
    """One transaction for updates whose handling has ended (a flood drop and a skipped redelivery included): the
    conversation state and user data they changed (PTB's persistence, which writes only what changed), the record
    that each was handled through to the end, and their removal from the inbox."""
    runtime: Runtime = application.bot_data[RUNTIME_KEY]
    persistence = application.persistence
    state: list[StateWrite] = []
    try:
        async with runtime.database.session() as session:
            if isinstance(persistence, DatabasePersistence):
                async with persistence.collect_writes(session) as state:
                    await application.update_persistence()
            await mark_handled(session, update_ids=update_ids, now=runtime.clock.now(), finished=True)
            await forget_received(session, update_ids)
            await session.commit()
        if isinstance(persistence, DatabasePersistence):
            persistence.committed(state)
    except (SQLAlchemyError, OSError) as exc:  # a restart would handle them again (and say so); log, do not fail
        log.warning("update.mark_failed updates=%s error=%s", ",".join(map(str, update_ids)), type(exc).__name__)


class FinishLine:
    """Group commit for the ends of updates: an update that ends while a finish transaction is being written waits
    for the next one, together with every other update that ended meanwhile. One update alone is written at once;
    a burst of N updates costs a few transactions instead of N (each was a BEGIN, three statements and a COMMIT,
    most of an update's database time). Each update still waits until its own record is committed."""

    def __init__(self, application: BotApplication) -> None:
        self._application = application
        self._due: list[tuple[int, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def finish(self, update_id: int) -> None:
        """Record the update as handled, in the next group; return once that is committed (or has failed: logged)."""
        written = asyncio.get_running_loop().create_future()
        self._due.append((update_id, written))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_due(), name="finish-line")
        # Shielded: an update cancelled while waiting (a stop) leaves its record to the group, which writes it.
        await asyncio.shield(written)

    @property
    def waiting(self) -> int:
        """How many ended updates wait for the next group (for tests)."""
        return len(self._due)

    async def _write_due(self) -> None:
        try:
            while self._due:
                group, self._due = self._due, []
                try:
                    await finish_updates(self._application, [update_id for update_id, _ in group])
                except Exception as exc:  # not a database fault: the waiting updates raise it to PTB's error handler
                    for _, written in group:
                        written.set_exception(exc)
                    continue
                for _, written in group:
                    written.set_result(None)
        finally:
            self._writer = None


class OnceApplication(Application[ExtBot[Any], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]):
    """PTB's Application, finishing every update it has handled (`FinishLine`)."""

    _finish_line: FinishLine | None = None

    @property
    def finish_line(self) -> FinishLine:
        """Where handled updates are recorded (made on first use: it needs the running loop)."""
        if self._finish_line is None:
            self._finish_line = FinishLine(self)
        return self._finish_line

    async def process_update(self, update: object) -> None:
        """Handle the update as PTB does (handlers, error handler), then finish it. Not when cancelled: an update
        cut off by a stop stays in the inbox for the next start."""
        started = time.perf_counter()
        await super().process_update(update)
        if isinstance(update, Update):
            try:
                await self.finish_line.finish(update.update_id)
            finally:  # however the finish went: this worker is no longer handling it
                puller = self.bot_data.get(PULLER_KEY)
                if isinstance(puller, InboxPuller):
                    puller.finished(update.update_id)
            metrics.UPDATES.inc()
            metrics.UPDATE_SECONDS.observe(time.perf_counter() - started)


def inbox_keeper(runtime: Runtime) -> Callable[[list[dict[str, Any]]], Awaitable[None]]:
    """What InboxRequest calls with each batch from Telegram: keep it in the inbox, one transaction."""

    async def keep(updates: list[dict[str, Any]]) -> None:
        if not updates:
            return
        async with runtime.database.session() as session:
            await keep_received(session, updates, now=runtime.clock.now())
            await session.commit()

    return keep


async def remember_newest_handled(application: BotApplication) -> None:
    """At start: the newest update handled (or received) before, so that only older ids are looked up; and what
    a crash left in the inbox, queued before anything new (post_init)."""
    runtime = application.bot_data[RUNTIME_KEY]
    async with runtime.database.session() as session:
        application.bot_data[NEWEST_AT_START_KEY] = await newest_handled(session)
        backlog = await received_backlog(session)
    if runtime.settings.multi_worker:
        return  # the inbox is shared: workers take what a crash left by claim (handlers/workers.py)
    for payload in backlog:
        update = Update.de_json(payload, application.bot)
        if update is not None:
            await application.update_queue.put(update)
    if backlog:
        log.info("update.backlog_queued count=%s", len(backlog))


def build_skip() -> TypeHandler[Update, BotContext, None]:
    """The handler that drops redeliveries."""
    return TypeHandler(Update, skip_handled)
