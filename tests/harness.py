"""Runs the real Wijkhulp Application against the Telegram-like test server, with an injected clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from app.playground.session import ObservedApplication
from app.web import serving_webhook
from app.wiring import build_application, started
from bot.config import Settings
from bot.services.invites import create_invite
from bot.services.members import add_coordinator, add_role, find_member, resolve_region
from bot.services.network import find_practice
from db.models import Member, Role
from db.session import Database
from handlers.context import DISPATCHER_KEY
from handlers.dispatch import Dispatcher
from tests.support import FakeClock
from tgserver.server import SimUser, TelegramServer
from tgserver.webhook import WebhookPusher


class Harness:
    """One running bot, its server, clock and database, plus shortcuts to set up people."""

    def __init__(self, server: TelegramServer, app: ObservedApplication, clock: FakeClock, database: Database):
        self.server = server
        self.app = app
        self.clock = clock
        self.database = database

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction, for setting up and checking state directly."""
        async with self.database.session() as session, session.begin():
            yield session

    async def dispatch(self) -> int:
        """Send everything due in the outbox now (waiting for a pass already running)."""
        dispatcher = self.app.bot_data[DISPATCHER_KEY]
        assert isinstance(dispatcher, Dispatcher)
        return await dispatcher.settle()

    async def member(self, user: SimUser) -> Member | None:
        """What the database knows about this user."""
        async with self.session() as session:
            return await find_member(session, user.id)

    async def invite(self, practice: str | None, role: Role, *, uses: int = 1, expires_days: int = 14) -> str:
        """Make an invite code directly through the service."""
        async with self.session() as session:
            region = await resolve_region(session, None)
            found = await find_practice(session, region.id, practice) if practice else None
            invite = await create_invite(
                session,
                now=self.clock.now(),
                region=region,
                practice=found,
                role=role,
                uses=uses,
                expires_days=expires_days,
            )
            return invite.code

    async def join(self, user: SimUser, practice: str | None, role: Role) -> None:
        """Make someone a member the way a person would: open the link, press join."""
        code = await self.invite(practice, role)
        await user.send(f"/start {code}")
        await user.press(user.last(), self.join_button(user))

    def join_button(self, user: SimUser) -> str:
        """The label of the join button in the user's language."""
        return "Yes, join" if (user.language_code or "").startswith("en") else "Ja, aanmelden"

    async def make_coordinator(self, user: SimUser) -> None:
        """Make someone a coordinator, as `python -m bot add-coordinator` does."""
        async with self.session() as session:
            region = await resolve_region(session, None)
            await add_coordinator(
                session,
                now=self.clock.now(),
                telegram_user_id=user.id,
                region=region,
                language="nl" if (user.language_code or "nl").startswith("nl") else "en",
            )

    async def add_role(self, user: SimUser, role: Role) -> None:
        """Give an existing member one more role."""
        async with self.session() as session:
            found = await find_member(session, user.id)
            assert found is not None
            await add_role(session, now=self.clock.now(), member=found, role=role, actor=None)


def test_settings(server: TelegramServer, database_url: str, **overrides: Any) -> Settings:
    """Settings that point the real bot at the test server and the test's database."""
    values: dict[str, Any] = {
        # Test users act without the FakeClock moving, far faster than people; the flood tests set their own.
        "flood_burst": 10_000,
        "retention_sweep_seconds": 3600,  # and the retention sweep
        # Ladder rounds and closing run when a test says so (escalate(), close_sweep): a real-time pass in the
        # middle of a test, with the FakeClock moved on, would send what the test means to check itself.
        "escalation_sweep_seconds": 3600,
        "close_sweep_seconds": 3600,
        **overrides,
    }
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=server.token,
        telegram_api_base_url=server.base_url,
        telegram_api_base_file_url=server.base_file_url,
        database_url=database_url,
        timezone="Europe/Amsterdam",
        default_language="nl",
        outbox_poll_seconds=3600,  # tests send the outbox themselves, at the moment they choose
        meeting_sweep_seconds=3600,  # and run the meeting sweep themselves (it also runs once on start)
        **values,
    )


@asynccontextmanager
async def running_bot(
    server: TelegramServer, database_url: str, clock: FakeClock, **settings: Any
) -> AsyncIterator[Harness]:
    """Start the bot the way run_polling does (initialize, post_init, start, poll) and stop it likewise;
    `settings` override the test settings."""
    app = build_application(
        test_settings(server, database_url, **settings), clock=clock, application_class=ObservedApplication
    )
    assert isinstance(app, ObservedApplication)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
    server.handled_waiter = app.wait_processed
    database = Database(database_url)
    try:
        yield Harness(server, app, clock, database)
    finally:
        server.handled_waiter = None
        await database.dispose()
        await app.updater.stop()
        await app.stop()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
        await app.shutdown()


async def escalate(harness: Harness) -> int:
    """Run the escalation sweep as the JobQueue would, then send what it wrote."""
    from handlers.jobs import run_due_escalations

    started = await run_due_escalations(harness.app.bot_data["runtime"])
    await harness.dispatch()
    return started


WEBHOOK_URL = "https://wijkhulp.example.org/telegram"
WEBHOOK_SECRET = "test-webhook-secret-0123456789"


@asynccontextmanager
async def running_webhook_bot(
    server: TelegramServer, database_url: str, clock: FakeClock, *, push: bool = True, **settings: Any
) -> AsyncIterator[tuple[Harness, WebhookPusher, int]]:
    """The bot in webhook mode, as `run` starts it with WEBHOOK_URL set, on a free local port; the test server
    posts updates to it (its https URL stands for that port, as a reverse proxy would). Yields the harness, the
    pusher and the port."""
    values = {"webhook_url": WEBHOOK_URL, "webhook_secret": WEBHOOK_SECRET, "webhook_listen": "127.0.0.1:0"}
    app = build_application(
        test_settings(server, database_url, **values, **settings), clock=clock, application_class=ObservedApplication
    )
    assert isinstance(app, ObservedApplication)
    async with started(app), serving_webhook(app, "127.0.0.1", 0) as port:
        pusher = WebhookPusher(server.world, f"http://127.0.0.1:{port}/telegram")
        if push:  # else the caller delivers (several workers behind one pusher)
            pusher.start()
            server.handled_waiter = app.wait_processed
        database = Database(database_url)
        try:
            yield Harness(server, app, clock, database), pusher, port
        finally:
            server.handled_waiter = None
            await pusher.stop()
            await database.dispose()
