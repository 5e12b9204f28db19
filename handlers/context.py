"""The callback context the handlers get, and the per-update `Turn`: one session, the actor, the language."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.i18n import Translator, guess_language
from bot.runtime import Runtime
from bot.services.handled_updates import mark_handled
from bot.services.members import find_member, refresh_display_name
from db.models import Member
from db.session import wrote

RUNTIME_KEY = "runtime"
DISPATCHER_KEY = "dispatcher"


class BotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context plus typed access to the bot's runtime."""

    @property
    def runtime(self) -> Runtime:
        """Settings, database and clock of the running bot."""
        return cast(Runtime, self.bot_data[RUNTIME_KEY])

    def kick_outbox(self) -> None:
        """Send what the last transaction wrote to the outbox now, rather than at the next sweep."""
        dispatcher = self.bot_data.get(DISPATCHER_KEY)
        # While stopping, leave the rows to the next start's sweep rather than to an orphaned task.
        if dispatcher is not None and self.application.running:
            self.application.create_task(dispatcher.kick(), name="outbox-kick")


BotApplication = Application[ExtBot[Any], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]


@dataclass
class Turn:
    """One update's unit of work: a database session in a transaction, who is asking, and their language."""

    session: AsyncSession
    member: Member | None
    t: Translator
    runtime: Runtime
    kick_outbox: Callable[[], None] = lambda: None
    update_id: int | None = None  # recorded as handled with the first commit (see services/handled_updates)

    @property
    def now(self) -> datetime:
        """The current time from the injected clock."""
        return self.runtime.clock.now()

    async def commit(self) -> None:
        """Make the change durable before talking to Telegram: a reply that fails must not undo a saved
        request, and SQLite's write lock should not be held during network calls. Outbox rows go out now.
        The update is recorded as handled in the same transaction, so a redelivery after a crash is a no-op;
        a transaction that wrote nothing records nothing (the end of the update does: see handlers/once.py)."""
        if self.update_id is not None and wrote(self.session):
            await mark_handled(self.session, update_ids=[self.update_id], now=self.now, finished=False)
            self.update_id = None
        await self.session.commit()
        if self.session.info.pop("outbox_written", False):
            self.kick_outbox()


def translator_for(runtime: Runtime, member: Member | None, telegram_language: str | None) -> Translator:
    """The member's chosen language, else a guess from Telegram's, in the configured time zone."""
    language = member.language if member else guess_language(telegram_language, runtime.settings.default_language)
    return Translator(language, runtime.settings.zone)


# The update's own Turn, for `commit_before_telegram`; with the task it belongs to (tasks it starts inherit the
# variable, and must not commit it).
_current_turn: ContextVar[tuple[asyncio.Task[Any] | None, Turn] | None] = ContextVar("current_turn", default=None)


async def commit_before_telegram() -> None:
    """Called before every Bot API call (the rate limiter's hook): the calling update's open transaction is
    committed first. Updates run side by side, and on SQLite every transaction holds the one write lock: one
    person's reply on its way to Telegram must not keep everyone else's work waiting. It is also the project's
    rule: what an update changed is durable before Telegram hears of it."""
    found = _current_turn.get()
    if found is None:
        return
    task, turn = found
    if task is asyncio.current_task() and turn.session.in_transaction():
        await turn.commit()


@asynccontextmanager
async def open_turn(update: Update, context: BotContext) -> AsyncIterator[Turn]:
    """Open the update's session; commit when the handler returns, before it calls Telegram
    (`commit_before_telegram`), or earlier with turn.commit(); roll back if it raises."""
    runtime = context.runtime
    user = update.effective_user
    async with runtime.database.session() as session:
        member = await find_member(session, user.id) if user else None
        if member is not None and user is not None:
            await refresh_display_name(member, user.full_name)
        language = user.language_code if user else None
        t = translator_for(runtime, member, language)
        turn = Turn(session, member, t, runtime, context.kick_outbox, update.update_id)
        token = _current_turn.set((asyncio.current_task(), turn))
        try:
            yield turn
        except BaseException:
            await session.rollback()
            raise
        finally:
            _current_turn.reset(token)
        await turn.commit()
