"""Every update handled once, also across crashes: confirmed to Telegram only when handled, skipped if seen.

PTB's Updater confirms a batch of updates (by asking for the next) as soon as it has queued it, so a crash
lost every update fetched but not yet handled: people's messages vanished. With `HandledFirstQueue` the Updater
waits until each update has been handled before it queues the next, and so confirms a batch only once all of
it is done. A crash now brings the unconfirmed updates back; the ones already handled are recognised by
their id (`bot/services/handled_updates.py`) and dropped here.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.persistence import DatabasePersistence, StateWrite
from bot.services.handled_updates import handled, mark_handled, newest_handled
from handlers.context import RUNTIME_KEY, BotApplication, BotContext, open_turn

log = logging.getLogger(__name__)

NEWEST_AT_START_KEY = "newest_handled_update_at_start"
# After the flood guard (-100), before every feature; and after every feature.
SKIP_GROUP = -90
FINISH_GROUP = 110


class HandledFirstQueue(asyncio.Queue[object]):
    """The update queue shared by PTB's Updater and Application: `put` returns once the item is handled
    (the Application calls `task_done` after processing), so the Updater confirms only handled updates."""

    async def put(self, item: object) -> None:
        await super().put(item)
        await self.join()


async def skip_handled(update: Update, context: BotContext) -> None:
    """Drop an update that was handled before a crash and is now delivered again. If the crash came between
    the handler's commit and the end of its reply, say so: the change is saved, the answer may be missing."""
    runtime = context.runtime
    if update.update_id > context.bot_data.get(NEWEST_AT_START_KEY, 0):
        return  # Telegram's ids only grow: an update newer than all handled before this start is new
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
    async with open_turn(update, context) as turn:
        await mark_handled(turn.session, update_id=update.update_id, now=turn.now, finished=True)
        text = turn.t.gettext(
            "I had just saved your last message or button when I restarted, so my answer may not have reached "
            "you. Nothing needs doing again: /help shows where to look."
        )
        await turn.commit()
    if chat is not None and chat.type == chat.PRIVATE:
        await context.bot.send_message(chat.id, text)
    raise ApplicationHandlerStop


async def finish_update(update: Update, context: BotContext) -> None:
    """One transaction at the end of every update: the conversation state and user data it changed (PTB's
    persistence, which writes only what changed) and the record that it was handled through to the end."""
    runtime = context.runtime
    application = context.application
    persistence = application.persistence
    application.mark_data_for_update_persistence(
        chat_ids=update.effective_chat.id if update.effective_chat else None,
        user_ids=update.effective_user.id if update.effective_user else None,
    )
    state: list[StateWrite] = []
    try:
        async with runtime.database.session() as session:
            if isinstance(persistence, DatabasePersistence):
                async with persistence.collect_writes(session) as state:
                    await application.update_persistence()
            await mark_handled(session, update_id=update.update_id, now=runtime.clock.now(), finished=True)
            await session.commit()
        if isinstance(persistence, DatabasePersistence):
            persistence.committed(state)
    except SQLAlchemyError:  # a redelivery after a crash would then be handled again; log it, do not fail
        log.warning("update.mark_failed update=%s", update.update_id)


async def remember_newest_handled(application: BotApplication) -> None:
    """At start: the newest update handled before, so that only older ids are looked up (post_init)."""
    runtime = application.bot_data[RUNTIME_KEY]
    async with runtime.database.session() as session:
        application.bot_data[NEWEST_AT_START_KEY] = await newest_handled(session)


def build_skip() -> TypeHandler[Update, BotContext, None]:
    """The handler that drops redeliveries."""
    return TypeHandler(Update, skip_handled)


def build_finish() -> TypeHandler[Update, BotContext, None]:
    """The handler that saves the conversation state and records what was handled."""
    return TypeHandler(Update, finish_update)
