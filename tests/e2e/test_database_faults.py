"""The database away for a moment: SQLite busy behind another connection's write lock (PostgreSQL restarted:
see test_postgres_restart.py). People get a kind "try again", the sweeps fail a run and keep running, and once
the lock is gone everything that fell due is done, each message sent exactly once."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import make_url

import db.session
from db.models import Member
from handlers.context import DISPATCHER_KEY, RUNTIME_KEY
from tests.conftest import POSTGRES_URL
from tests.e2e.meetings_helpers import cast, invitations, plan, reminders, utc
from tests.e2e.requests_helpers import post
from tests.e2e.storm import no_kicks, open_rows
from tests.harness import Harness, running_bot
from tests.support import FakeClock
from tgserver.client import SimUser
from tgserver.server import TelegramServer
from tgserver.state import ChatMessage

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's write lock; PostgreSQL has its restart test")

JOBS = ("escalation", "meetings", "close-requests", "outbox")
SORRY = "Sorry, er ging bij ons iets mis. Probeer het zo nog eens"


class WriteLock:
    """Another process holding SQLite's write lock (as a backup tool or a long migration would)."""

    def __init__(self, database_url: str) -> None:
        path = make_url(database_url).database
        assert path is not None
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.held = False

    def hold(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")
        self.held = True

    async def take(self) -> None:
        """Hold it as soon as the bot's own transaction (if any) is done, without blocking the event loop."""
        self.connection.execute("PRAGMA busy_timeout=0")
        while True:
            try:
                return self.hold()
            except sqlite3.OperationalError:
                await asyncio.sleep(0.01)

    def release(self) -> None:
        if self.held:
            self.connection.execute("ROLLBACK")
            self.held = False

    def close(self) -> None:
        self.release()
        self.connection.close()


@asynccontextmanager
async def locked(bot: Harness, lock: WriteLock) -> AsyncIterator[None]:
    """Hold the lock; meanwhile the bot gives up on it after 0.2 s instead of 5 s, so the test does not wait
    for real (the bot's own short transactions keep the normal timeout before and after)."""
    normal = db.session.SQLITE_BUSY_TIMEOUT_MS
    db.session.SQLITE_BUSY_TIMEOUT_MS = 200
    await bot.app.bot_data[RUNTIME_KEY].database.engine.dispose()  # new connections, new timeout
    lock.hold()
    try:
        yield
    finally:
        lock.release()
        db.session.SQLITE_BUSY_TIMEOUT_MS = normal
        await bot.app.bot_data[RUNTIME_KEY].database.engine.dispose()


def copies(user: SimUser, request_id: int) -> int:
    return sum(1 for m in user.messages() if m.text.startswith(f"Hulpvraag #{request_id}\n"))


def copy_of(user: SimUser, request_id: int) -> ChatMessage:
    return next(m for m in user.messages() if m.text.startswith(f"Hulpvraag #{request_id}\n"))


async def run_jobs(bot: Harness) -> None:
    """Run each repeating sweep once, through PTB's Job (as the JobQueue does, errors included)."""
    assert bot.app.job_queue is not None
    for name in JOBS:
        (job,) = bot.app.job_queue.get_jobs_by_name(name)
        await job.run(bot.app)


def jobs_still_scheduled(bot: Harness) -> bool:
    assert bot.app.job_queue is not None
    jobs = [bot.app.job_queue.get_jobs_by_name(name) for name in JOBS]
    return all(len(found) == 1 and found[0].next_t is not None and not found[0].removed for found in jobs)


async def test_a_locked_database_delays_work_and_loses_none(
    tg_server: TelegramServer, database_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    lock = WriteLock(database_url)
    async with running_bot(tg_server, database_url, clock) as bot:
        everyone = await cast(bot)
        people, corrie = everyone.people, everyone.corrie
        async with bot.session() as session:  # Frank (another wijk) helps in adjacent wijken: round 3
            await session.execute(
                update(Member).where(Member.telegram_user_id == people.frank.id).values(reach="adjacent")
            )
        # Tonight at 19:00, with a reminder at 15:00 (14:00 UTC).
        await plan(bot, corrie, day="ma 23 nov", reminders="4u")
        await bot.dispatch()  # the invitations are out before Anna starts her request
        request_id = await post(bot, people.anna)
        await bot.dispatch()
        assert copies(people.bob, request_id) == copies(people.carol, request_id) == 1
        assert copies(people.frank, request_id) == 0 and len(invitations(people.carol)) == 1

        clock.current = utc(2026, 11, 23, 14, 1)  # round 3 (due 13:00 UTC) and the reminder are due
        async with locked(bot, lock):
            with caplog.at_level(logging.WARNING):
                await run_jobs(bot)
            assert jobs_still_scheduled(bot), "a failing run must not stop a repeating job"
            logged = [r.getMessage() for r in caplog.records]
            # Each at least once: the JobQueue's own schedule may run one meanwhile.
            assert {m for m in logged if m.startswith("job.database_unavailable")} == {
                f"job.database_unavailable job={name} error=OperationalError" for name in JOBS
            }
            assert not any(r.exc_info for r in caplog.records), "one line each, no traceback every few seconds"
            before = len(people.bob.messages())
            await people.bob.send("/help")
            await people.carol.press(copy_of(people.carol, request_id), "Ik kan alles")
            for person in (people.bob, people.carol):
                assert person.last().text.startswith(SORRY), person.last().text
                assert "Traceback" not in person.last().text
            assert len(people.bob.messages()) == before + 1
            assert copies(people.frank, request_id) == 0 and reminders(people.carol) == []

        await run_jobs(bot)  # the next run does what the failed one could not
        await bot.dispatch()
        assert copies(people.frank, request_id) == 1, "round 3 started after the lock"
        for name in ("anna", "bob", "carol", "dirk", "eva", "gert"):
            assert len(reminders(everyone.get(name))) == 1, name
        assert len(reminders(corrie)) == 1
        await people.carol.press(copy_of(people.carol, request_id), "Ik kan alles")
        await bot.dispatch()
        assert sum(m.text.startswith(f"Aanbod voor hulpvraag #{request_id}") for m in people.anna.messages()) == 1
        assert await open_rows(bot) == 0
    lock.close()


async def test_sent_while_the_database_went_away_is_recorded_later_not_sent_again(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    """Telegram has the messages, and the database is locked before we can say so: after the claim timeout
    they must not go out a second time."""
    lock = WriteLock(database_url)
    async with running_bot(tg_server, database_url, clock) as bot:
        everyone = await cast(bot)
        people = everyone.people
        with no_kicks(bot):
            request_id = await post(bot, people.anna)
        async with locked(bot, lock):
            lock.release()  # taken again the moment Telegram accepts the first copy
            lock_on_first_send(tg_server, lock)
            with pytest.raises(Exception, match="database is locked"):
                await bot.dispatch()
            assert copies(people.bob, request_id) + copies(people.carol, request_id) >= 1
            clock.advance(minutes=5)  # long past the claim timeout
            with pytest.raises(Exception, match="database is locked"):
                await bot.dispatch()
        await bot.dispatch()
        clock.advance(minutes=5)
        await bot.dispatch()
        assert copies(people.bob, request_id) == copies(people.carol, request_id) == 1
        assert await open_rows(bot) == 0
        dispatcher = bot.app.bot_data[DISPATCHER_KEY]
        assert dispatcher._unsaved == []
    lock.close()


def lock_on_first_send(server: TelegramServer, lock: WriteLock) -> None:
    """Take the write lock the moment Telegram accepts the first outbox message."""
    handlers: dict[str, Callable[[dict[str, Any]], Awaitable[object]]] = server._handlers
    send = handlers["sendMessage"]

    async def send_then_lock(params: dict[str, Any]) -> object:
        result = await send(params)
        if handlers["sendMessage"] is send_then_lock:
            handlers["sendMessage"] = send  # once
            await lock.take()
        return result

    handlers["sendMessage"] = send_then_lock


async def test_a_row_that_meets_a_busy_database_while_rendering_waits_quietly_and_goes_out(
    tg_server: TelegramServer,
    database_url: str,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under load SQLite's write lock outlasted the busy timeout while a row was rendered, and the dispatcher
    logged it as an error with a traceback (the loaded runs of issue 17): it is an outage, retried like one."""
    from sqlalchemy.exc import OperationalError

    import handlers.dispatch as dispatch_module

    async with running_bot(tg_server, database_url, clock) as bot:
        people = (await cast(bot)).people
        real_render = dispatch_module.for_reader
        calls = 0

        async def busy_once(*args: Any) -> Any:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))
            return await real_render(*args)

        monkeypatch.setattr(dispatch_module, "for_reader", busy_once)
        with no_kicks(bot):
            request_id = await post(bot, people.anna)
        with caplog.at_level(logging.WARNING):
            await bot.dispatch()
        assert any(r.getMessage().startswith("outbox.database_unavailable id=") for r in caplog.records)
        assert not any(r.levelno >= logging.ERROR for r in caplog.records), "an outage, not a bug"
        clock.advance(minutes=5)  # past the retry's backoff
        await bot.dispatch()
        assert copies(people.bob, request_id) == 1 and copies(people.carol, request_id) == 1
        assert await open_rows(bot) == 0


async def test_a_kick_that_meets_a_busy_database_leaves_the_rows_to_the_sweep_quietly(
    tg_server: TelegramServer,
    database_url: str,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The loaded runs of issue 17 logged 'error outside an update: OperationalError' from the outbox kick."""
    from sqlalchemy.exc import OperationalError

    import bot.services.outbox as outbox_module

    async with running_bot(tg_server, database_url, clock) as bot:
        people = (await cast(bot)).people
        real_claim = outbox_module.claim_due
        calls = 0

        async def busy_once(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))
            return await real_claim(*args, **kwargs)

        monkeypatch.setattr(outbox_module, "claim_due", busy_once)
        dispatcher = bot.app.bot_data[DISPATCHER_KEY]
        with caplog.at_level(logging.WARNING):
            await dispatcher.kick()
        assert any(r.getMessage().startswith("outbox.kick_database_unavailable") for r in caplog.records)
        assert not any(r.levelno >= logging.ERROR for r in caplog.records)
        request_id = await post(bot, people.anna)
        await bot.dispatch()
        assert copies(people.bob, request_id) == 1
