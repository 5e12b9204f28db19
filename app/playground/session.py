"""One playground run: the Telegram stand-in, the real bot against it (its own database, a clock that the page
moves), and the personas of the demo region, seeded by acting as they would."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from telegram import Update

from app.playground.personas import GROUP_MEMBERS, GROUP_TITLE, PERSONAS, Persona
from app.wiring import build_application
from bot.clock import MovableClock
from bot.config import Settings
from bot.services.invites import create_invite
from bot.services.members import add_coordinator, find_member, resolve_region, set_language
from bot.services.network import find_practice, import_network, parse_network
from db.meetings import DueStatus, MeetingReminder
from db.migrate import upgrade_to_head
from db.session import Database
from handlers.context import DISPATCHER_KEY
from handlers.dispatch import Dispatcher
from handlers.once import OnceApplication
from tgserver.client import SimGroup, SimUser
from tgserver.server import TelegramServer

log = logging.getLogger(__name__)

NETWORK_FILE = Path(__file__).with_name("example-network.yaml")
TOKEN = "424242:PLAYGROUND"
BOT_USERNAME = "wijkhulp_playground_bot"
HANDLED_WITHIN = 30.0  # seconds an action waits for the bot to finish handling it


class ObservedApplication(OnceApplication):
    """The bot's Application, telling whoever acted when it has finished with each update."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.done: dict[int, asyncio.Event] = {}

    def _event(self, update_id: int) -> asyncio.Event:
        return self.done.setdefault(update_id, asyncio.Event())

    async def process_update(self, update: object) -> None:
        """Handle the update as PTB does, then mark it done (also when a handler failed)."""
        try:
            await super().process_update(update)
        finally:
            if isinstance(update, Update):
                self._event(update.update_id).set()

    async def wait_processed(self, update_id: int, within: float = 10) -> None:
        """Wait until the update has been handled, error handler included."""
        try:
            await asyncio.wait_for(self._event(update_id).wait(), timeout=within)
        finally:
            self.done.pop(update_id, None)


@dataclass
class Cast:
    """The seeded people: a Telegram user per persona id, and the wijk group."""

    users: dict[str, SimUser]
    group: SimGroup


class Playground:
    """Everything one run needs; `start` builds and seeds it, `stop` takes it down (reset = stop + start)."""

    def __init__(self, database_path: Path, *, zone: str = "Europe/Amsterdam") -> None:
        self.database_path = database_path
        self.zone = ZoneInfo(zone)
        self.clock = MovableClock()
        self.server: TelegramServer | None = None
        self.application: ObservedApplication | None = None
        self.cast: Cast | None = None
        self._sweeping = asyncio.Lock()

    # --- life ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        """A fresh database with the example network, the stand-in, the bot, and the seeded demo."""
        self.clock = MovableClock()
        await self._fresh_database()
        server = TelegramServer(token=TOKEN, bot_username=BOT_USERNAME)
        server.world.wall_clock = lambda: self.clock.now().timestamp()
        await server.start()
        self.server = server
        settings = self._settings(server)
        application = build_application(settings, clock=self.clock, application_class=ObservedApplication)
        assert isinstance(application, ObservedApplication)
        await application.initialize()
        assert application.post_init is not None
        await application.post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
        server.handled_waiter = application.wait_processed
        self.application = application
        await self._seed()

    async def stop(self) -> None:
        """Stop the bot as run_polling does, then the stand-in."""
        application, server = self.application, self.server
        self.application, self.server, self.cast = None, None, None
        if application is not None:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            if application.post_shutdown is not None:
                await application.post_shutdown(application)
            await application.shutdown()
        if server is not None:
            server.handled_waiter = None
            await server.stop()

    async def reset(self) -> None:
        """Start over: a new database, new chats, the clock back to now."""
        await self.stop()
        await self.start()

    def _settings(self, server: TelegramServer) -> Settings:
        return Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=server.token,
            telegram_api_base_url=server.base_url,
            telegram_api_base_file_url=server.base_file_url,
            database_url=f"sqlite:///{self.database_path}",
            timezone=str(self.zone),
            default_language="nl",
            # A visitor clicks fast, and so do the seeds: no flood guard between persona actions.
            flood_burst=10_000,
        )

    def _remove_database(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.database_path}{suffix}").unlink(missing_ok=True)

    async def _fresh_database(self) -> None:
        self._remove_database()  # a few small files: not worth a thread
        database = Database(f"sqlite:///{self.database_path}")
        try:
            await upgrade_to_head(database.engine)
            spec = parse_network(NETWORK_FILE.read_text(encoding="utf-8"))
            async with database.session() as session, session.begin():
                await import_network(session, spec)
        finally:
            await database.dispose()

    # --- the seeded demo ---------------------------------------------------------------------------

    async def _seed(self) -> None:
        server = self.require_server()
        users = {
            persona.id: server.user(
                first_name=persona.first_name,
                last_name=persona.last_name,
                language_code=persona.language,
                started=True,
            )
            for persona in PERSONAS
        }
        for persona in PERSONAS:
            await self._join(persona, users[persona.id])
        carla = users["carla"]
        group = server.group(GROUP_TITLE, [users[name] for name in GROUP_MEMBERS], bot_member=False)
        self.cast = Cast(users, group)
        await group.add_bot(by=carla)
        await carla.send("/koppelgroep", group)
        await carla.press(group.last(), "Maastricht Centrum")
        await self._plan_meeting(carla)
        await self._post_request(users["bram"])
        await self.settle()

    async def _join(self, persona: Persona, user: SimUser) -> None:
        """A coordinator as `add-coordinator` makes one; everyone else through an invitation link."""
        database = self.database()
        async with database.session() as session, session.begin():
            region = await resolve_region(session, None)
            if persona.practice is None and persona.role.value == "coordinator":
                await add_coordinator(
                    session, now=self.clock.now(), telegram_user_id=user.id, region=region, language=persona.language
                )
                code = None
            else:
                practice = await find_practice(session, region.id, persona.practice) if persona.practice else None
                code = (
                    await create_invite(
                        session, now=self.clock.now(), region=region, practice=practice, role=persona.role
                    )
                ).code
        if code is None:
            await user.send("/start")
            return
        await user.send(f"/start {code}")
        await user.press(user.last(), "Yes, join" if persona.language == "en" else "Ja, aanmelden")

    async def _plan_meeting(self, organiser: SimUser) -> None:
        """Carla plans the wijk's meeting for a week from now, 12:30-13:30, with the usual reminders."""
        day = (self.clock.now().astimezone(self.zone) + timedelta(days=7)).date()
        await organiser.send("/bijeenkomst")
        await organiser.press(organiser.last(), "Maastricht Centrum")
        await organiser.press(organiser.last(), "Verder ›")
        for answer in (
            "Wijkoverleg Centrum",
            f"{day.day}-{day.month}-{day.year}",
            "12:30-13:30",
            "Huisartsenpraktijk Wyck, Rechtstraat 1, Maastricht",
        ):
            await organiser.send(answer)
        await organiser.press(organiser.last(), "Geen link")
        await organiser.send("1. Vakantierooster waarneming\n2. Griepprik: wie helpt wie")
        await organiser.press(organiser.last(), "iedereen in de wijk")
        await organiser.press(organiser.last(), "Eenmalig")
        await organiser.press(organiser.last(), re.compile("van tevoren"))
        await organiser.press(organiser.last(), "✅ Plannen en uitnodigen")

    async def _post_request(self, requester: SimUser) -> None:
        """Bram asks for a doktersassistent tomorrow afternoon (normaal)."""
        await requester.send("/verzoek")
        await requester.press(requester.last(), "doktersassistent")
        await requester.press(requester.last(), re.compile("^Morgen"))
        await requester.press(requester.last(), "Verder ›")
        await requester.press(requester.last(), "Middag")
        await requester.press(requester.last(), "Normaal")
        await requester.press(requester.last(), "Geen notitie")
        await requester.press(requester.last(), "✅ Versturen")

    # --- acting and time ---------------------------------------------------------------------------

    def require_server(self) -> TelegramServer:
        """The running stand-in (the playground is started before any request is served)."""
        if self.server is None:
            raise RuntimeError("the playground is not running")
        return self.server

    def require_application(self) -> ObservedApplication:
        """The running bot."""
        if self.application is None:
            raise RuntimeError("the playground is not running")
        return self.application

    def database(self) -> Database:
        """The bot's own database (its runtime's)."""
        return self.require_application().bot_data["runtime"].database  # type: ignore[no-any-return]

    async def settle(self) -> None:
        """Send what the outbox holds now, so that a page refresh shows it."""
        dispatcher = self.require_application().bot_data.get(DISPATCHER_KEY)
        if isinstance(dispatcher, Dispatcher):
            await dispatcher.settle()

    async def sweep(self) -> None:
        """Run every sweep now, on the moved clock, as the JobQueue would at its next tick."""
        application = self.require_application()
        assert application.job_queue is not None
        async with self._sweeping:
            for job in application.job_queue.jobs():
                await job.run(application)
            await self.settle()

    async def advance(self, by: timedelta) -> None:
        """Move the bot's clock forward and let everything that fell due happen."""
        self.clock.advance(by)
        self.require_server().world.changed()
        await self.sweep()

    async def to_morning(self) -> None:
        """To 07:30 tomorrow (local time), when quiet hours end."""
        local = self.clock.now().astimezone(self.zone)
        morning = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), self.zone)
        await self.advance(morning.replace(hour=7, minute=30) - local)

    async def to_next_reminder(self) -> bool:
        """To the moment the next meeting reminder is due; False when none is planned."""
        async with self.database().reader() as session:
            due = await session.scalar(
                select(func.min(MeetingReminder.due_at)).where(MeetingReminder.status == DueStatus.PENDING)
            )
        if due is None:
            return False
        if due.tzinfo is None:
            due = due.replace(tzinfo=self.clock.now().tzinfo)
        await self.advance(max(due - self.clock.now(), timedelta(0)) + timedelta(seconds=1))
        return True

    async def set_language(self, persona: Persona, language: str) -> None:
        """The persona's Telegram language and the bot's language for them."""
        user = self.require_cast().users[persona.id]
        user.record.language_code = language
        async with self.database().session() as session, session.begin():
            member = await find_member(session, user.id)
            if member is not None:
                await set_language(session, member, language)
        self.require_server().world.changed()

    def require_cast(self) -> Cast:
        """The seeded people."""
        if self.cast is None:
            raise RuntimeError("the playground is not running")
        return self.cast
