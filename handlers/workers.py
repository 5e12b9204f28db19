"""Several workers sharing one PostgreSQL database (MULTI_WORKER, webhook mode).

Any worker may receive an update (the proxy picks one); it only keeps it in the inbox. Every worker takes
updates from the inbox by claim (`bot/services/handled_updates.py: claim_next`): each update is handled by the one
worker that claimed it, and an update of a chat only once the older ones of that chat are done, whichever
worker had them. A worker that dies leaves stale claims, which others take over at once (its advisory lock is gone
with its connections; after CLAIM_STALE at the latest). Those updates are checked against the handled marks
first (`handlers/once.py`). PTB keeps conversation state and user and chat
data in each process's memory; before each update they are read again from the database (`refresh_state`),
because the previous step may have been handled by another worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import Update
from telegram.ext import ConversationHandler, TypeHandler

from bot.persistence import CHAT_DATA, USER_DATA, DatabasePersistence
from bot.rate_limiter import PACE_PER_SECOND
from bot.runtime import Runtime
from bot.services.handled_updates import WORKER_LOCK_SPACE, claim_next, keep_claims
from bot.services.pace import take_slot
from handlers.context import RUNTIME_KEY, BotApplication, BotContext

log = logging.getLogger(__name__)

PULLER_KEY = "inbox_puller"
TAKEN_OVER_KEY = "updates_taken_over"  # ids taken over from a worker that died: checked for handled marks
POLL_SECONDS = 0.2  # how soon a worker notices an update another worker received
HEARTBEAT_SECONDS = 10.0
CLAIM_STALE = timedelta(seconds=60)
# After the skip of redeliveries (-90), before every feature.
REFRESH_GROUP = -80


def chat_key(update: Update) -> int | None:
    """The chat whose updates go one after another: the update's chat, else its sender."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


class InboxPuller:
    """Takes updates from the shared inbox into this worker's queue, at most `limit` in hand at once."""

    def __init__(self, application: BotApplication, limit: int) -> None:
        self.application = application
        self.number = secrets.randbelow(2**31 - 1) + 1
        self.worker = str(self.number)
        self.limit = limit
        self.in_hand: set[int] = set()
        self._kicked = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._alive: AsyncConnection | None = None

    async def start(self) -> None:
        """Hold this worker's advisory lock (on a connection of its own, for as long as it runs: its claims are
        taken over the moment it dies), then start taking updates."""
        await self._lock()
        self._tasks = [
            asyncio.create_task(self._pull(), name="inbox-puller"),
            asyncio.create_task(self._heartbeat(), name="inbox-heartbeat"),
        ]

    async def stop_taking(self) -> None:
        """Take nothing more (the web server is closing); what is in hand is still being handled, so the claims
        and the lock stay until `stop`."""
        for task in self._tasks[:1]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def stop(self) -> None:
        """After the Application has stopped (every update in hand handled): heartbeat and lock go."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._alive is not None:
            with contextlib.suppress(SQLAlchemyError, OSError):
                await self._alive.invalidate()  # the lock goes with the connection (a pooled one would keep it)

    def kick(self) -> None:
        """Something new may be claimable: an update received here, or one finished here."""
        self._kicked.set()

    def finished(self, update_id: int) -> None:
        """The update is handled through to the end (and out of the inbox, unless that failed: then its claim is
        no longer kept fresh and goes stale, for a worker to take over)."""
        self.in_hand.discard(update_id)
        self.application.bot_data.get(TAKEN_OVER_KEY, set()).discard(update_id)
        self.kick()

    async def _pull(self) -> None:
        while True:
            try:
                took = await self._take()
            except (SQLAlchemyError, OSError) as exc:  # the database away for a moment: try again shortly
                log.warning("inbox.claim_failed error=%s", type(exc).__name__)
                took = False
            if not took:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._kicked.wait(), POLL_SECONDS)
            self._kicked.clear()

    async def _take(self) -> bool:
        """Claim and queue updates until none is free or enough are in hand."""
        runtime = self.application.bot_data[RUNTIME_KEY]
        took = False
        while len(self.in_hand) < self.limit:
            now = runtime.clock.now()
            async with runtime.database.session() as session:
                claimed = await claim_next(session, worker=self.worker, now=now, stale_before=now - CLAIM_STALE)
                await session.commit()
            if claimed is None:
                return took
            update = Update.de_json(claimed.payload, self.application.bot)
            if update is None:
                continue
            if claimed.taken_over:
                self.application.bot_data.setdefault(TAKEN_OVER_KEY, set()).add(update.update_id)
                log.info("inbox.taken_over update=%s", update.update_id)
            self.in_hand.add(update.update_id)
            await self.application.update_queue.put(update)
            took = True
        return took

    async def _lock(self) -> None:
        """Take this worker's advisory lock on a connection of its own (again, after that connection was lost)."""
        runtime = self.application.bot_data[RUNTIME_KEY]
        self._alive = await runtime.database.engine.connect()
        await self._alive.execute(
            text("SELECT pg_advisory_lock(:space, :number)"), {"space": WORKER_LOCK_SPACE, "number": self.number}
        )
        await self._alive.commit()

    async def _heartbeat(self) -> None:
        """Keep the claims of the updates in hand fresh, and the lock held: a database restart drops the lock's
        connection, and until it is taken again other workers take this one's claims over (checked against the
        handled marks)."""
        runtime = self.application.bot_data[RUNTIME_KEY]
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                assert self._alive is not None
                await self._alive.execute(text("SELECT 1"))
                await self._alive.commit()
            except Exception as exc:
                log.warning("inbox.lock_lost error=%s", type(exc).__name__)
                with contextlib.suppress(Exception):
                    await self._lock()
            try:
                async with runtime.database.session() as session:
                    await keep_claims(session, worker=self.worker, now=runtime.clock.now(), update_ids=self.in_hand)
                    await session.commit()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("inbox.heartbeat_failed error=%s", type(exc).__name__)


async def refresh_state(update: Update, context: BotContext) -> None:
    """Read this update's conversation states and user and chat data again (one query): another worker may have
    handled the step before."""
    application = context.application
    persistence = application.persistence
    if not isinstance(persistence, DatabasePersistence):
        return
    user, chat = update.effective_user, update.effective_chat
    conversations: list[tuple[ConversationHandler[BotContext], tuple[int | str, ...]]] = []
    for handlers in application.handlers.values():
        for handler in handlers:
            if isinstance(handler, ConversationHandler) and handler.persistent and handler.name:
                with contextlib.suppress(RuntimeError):  # no key for this kind of update
                    conversations.append((handler, handler._get_key(update)))
    rows = [persistence.conversation_row(str(handler.name), key) for handler, key in conversations]
    if user is not None:
        rows.append((USER_DATA, str(user.id)))
    if chat is not None:
        rows.append((CHAT_DATA, str(chat.id)))
    stored = await persistence.reload(rows)
    for (conversation, key), row in zip(conversations, rows, strict=False):
        data = stored[row]
        if data is None:
            conversation._conversations.pop(key, None)
        else:
            conversation._conversations[key] = data["state"]
    if user is not None and context.user_data is not None:
        context.user_data.clear()
        context.user_data.update(stored[(USER_DATA, str(user.id))] or {})
    if chat is not None and context.chat_data is not None:
        context.chat_data.clear()
        context.chat_data.update(stored[(CHAT_DATA, str(chat.id))] or {})


def build_refresh() -> TypeHandler[Update, BotContext, None]:
    """The handler that reads the state again; register it in REFRESH_GROUP."""
    return TypeHandler(Update, refresh_state)


def shared_pace(runtime: Runtime) -> Callable[[], Awaitable[float]]:
    """The rate limiter's hook: take the next slot of the pace all workers share (seconds to wait for it). A
    database away for a moment costs the pace, not the message: the call goes on this worker's own pace."""
    interval = timedelta(seconds=1 / PACE_PER_SECOND)

    async def take() -> float:
        try:
            async with runtime.database.session() as session:
                wait = await take_slot(session, interval)
                await session.commit()
        except (SQLAlchemyError, OSError) as exc:
            log.warning("pace.unavailable error=%s", type(exc).__name__)
            return 0.0
        return wait

    return take
