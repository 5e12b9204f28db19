"""One playground run: the Telegram stand-in, the real bot against it (its own database, a clock that the page
moves), and the personas of the demo region, seeded by acting as they would."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from telegram import Update

from app.playground.personas import GROUP_MEMBERS, GROUP_TITLE, PERSONAS, Persona
from app.wiring import build_application
from bot.clock import MovableClock
from bot.config import Settings
from bot.runtime import Runtime
from bot.services.invites import create_invite
from bot.services.members import add_coordinator, find_member, resolve_region, set_language
from bot.services.network import find_practice, import_network, parse_network
from db.meetings import DueStatus, MeetingReminder
from db.migrate import upgrade_to_head
from db.models import Role
from db.session import Database
from handlers.context import DISPATCHER_KEY, RUNTIME_KEY
from handlers.dispatch import Dispatcher
from handlers.once import OnceApplication
from tgserver.client import SimGroup, SimUser
from tgserver.server import TelegramServer

log = logging.getLogger(__name__)

NETWORK_FILE = Path(__file__).with_name("example-network.yaml")
TOKEN = "424242:PLAYGROUND"
BOT_USERNAME = "wijkhulp_playground_bot"
HANDLED_WITHIN = 30.0  # seconds an action waits for the bot to finish handling it
KEEP_REFUSALS = 5  # the stand-in's latest refusals, shown on the page
MARKER_SUFFIX = ".playground"  # next to the database file: it is the playground's, so starting afresh may erase it


class NotAPlaygroundDatabase(Exception):
    """The database file exists and was not made by the playground: it is never erased."""


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


async def _press(user: SimUser, chat: SimUser | SimGroup, button: str | re.Pattern[str]) -> None:
    """Press the button in the newest bot message of the chat that has it: a notice the outbox sends meanwhile
    (an invitation arriving in the middle of a form) does not get in the way."""
    for message in reversed(chat.messages()):
        labels = [b.text for row in message.buttons for b in row]
        if any(label == button if isinstance(button, str) else button.search(label) for label in labels):
            await user.press(message, button)
            return
    raise LookupError(f"no message with the button {button!r}")


@dataclass
class Cast:
    """The seeded people: a Telegram user per persona id, and the wijk group."""

    users: dict[str, SimUser]
    group: SimGroup
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])  # a new one per start: the page notices


class Playground:
    """Everything one run needs; `start` builds and seeds it, `stop` takes it down (reset = stop + start)."""

    def __init__(self, database_path: Path, *, zone: str = "Europe/Amsterdam", base_url: str = "") -> None:
        self.database_path = database_path
        self.base_url = base_url  # where the page is served: the calendar feeds' links point there
        self.zone = ZoneInfo(zone)
        self.clock = MovableClock()
        self.server: TelegramServer | None = None
        self.application: ObservedApplication | None = None
        self.cast: Cast | None = None  # set once the demo is seeded: the playground is ready
        self.refusals: list[str] = []  # what the stand-in refused the bot lately (Telegram would have, too)
        self.moves = 0  # clock moves and language switches: changes the page shows that are not messages
        self._seen_refusals = 0
        self._sweeping = asyncio.Lock()

    # --- life ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        """A fresh database with the example network, the stand-in, the bot, and the seeded demo; taken down
        again if any of it fails."""
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    def _start_in_the_working_day(self) -> None:
        """Outside 08:00-19:00 the demo starts at 09:00 (tomorrow, in the evening): its request and the tour's must
        reach people at once, which quiet hours (20:00-07:30 by default) would hold until the morning."""
        local = self.clock.now().astimezone(self.zone)
        if 8 <= local.hour < 19:
            return
        day = local.date() + timedelta(days=1 if local.hour >= 19 else 0)
        start = datetime.combine(day, time(9, 0), tzinfo=self.zone)
        self.clock.advance(start - local)

    async def _start(self) -> None:
        self.clock = MovableClock()
        self._start_in_the_working_day()
        self.refusals, self._seen_refusals, self.moves = [], 0, 0
        await self._fresh_database()
        server = TelegramServer(token=TOKEN, bot_username=BOT_USERNAME)
        server.world.wall_clock = lambda: self.clock.now().timestamp()
        server.action_timeout = HANDLED_WITHIN
        await server.start()
        self.server = server
        settings = self._settings(server)
        application = build_application(settings, clock=self.clock, application_class=ObservedApplication)
        assert isinstance(application, ObservedApplication)
        self.application = application
        await application.initialize()
        assert application.post_init is not None
        await application.post_init(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
        # The stand-in's own timeout (HANDLED_WITHIN) is the one that speaks: this one only never ends first.
        server.handled_waiter = lambda update_id: application.wait_processed(update_id, within=2 * HANDLED_WITHIN)
        self.cast = await self._seed()

    async def stop(self) -> None:
        """Stop the bot as run_polling does, then the stand-in."""
        application, server = self.application, self.server
        self.application, self.server, self.cast = None, None, None
        if application is not None:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            if application.post_shutdown is not None:  # closes the database, however far the start came
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
            public_base_url=self.base_url,
        )

    def _clear_database(self) -> None:
        """Remove the last run's files; a file the playground did not make (no marker beside it) is refused."""
        marker = Path(f"{self.database_path}{MARKER_SUFFIX}")
        if self.database_path.exists() and not marker.exists():
            raise NotAPlaygroundDatabase(
                f"{self.database_path} exists and is not a playground database: choose another file"
            )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.database_path}{suffix}").unlink(missing_ok=True)
        marker.write_text("This database belongs to the Wijkhulp playground, which starts it afresh.\n")

    async def _fresh_database(self) -> None:
        self._clear_database()  # a few small files: not worth a thread
        database = Database(f"sqlite:///{self.database_path}")
        try:
            await upgrade_to_head(database.engine)
            spec = parse_network(NETWORK_FILE.read_text(encoding="utf-8"))
            async with database.session() as session, session.begin():
                await import_network(session, spec)
        finally:
            await database.dispose()

    # --- the seeded demo ---------------------------------------------------------------------------

    async def _seed(self) -> Cast:
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
        await group.add_bot(by=carla)
        await carla.send("/koppelgroep", group)
        await _press(carla, group, "Maastricht Centrum")
        await self._plan_meeting(carla)
        await self.settle()  # the invitations are out before Bram starts his form
        await self._post_request(users["bram"])
        await self.settle()
        return Cast(users, group)

    async def _join(self, persona: Persona, user: SimUser) -> None:
        """A coordinator as `add-coordinator` makes one; everyone else through an invitation link."""
        database = self.database()
        async with database.session() as session, session.begin():
            region = await resolve_region(session, None)
            if persona.role is Role.COORDINATOR:
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
        await _press(user, user, "Yes, join" if persona.language == "en" else "Ja, aanmelden")

    async def _plan_meeting(self, organiser: SimUser) -> None:
        """Carla plans the wijk's meeting for a week from now, 12:30-13:30, with the usual reminders."""
        day = (self.clock.now().astimezone(self.zone) + timedelta(days=7)).date()
        await organiser.send("/bijeenkomst")
        await _press(organiser, organiser, "Maastricht Centrum")
        await _press(organiser, organiser, "Verder ›")
        for answer in (
            "Wijkoverleg Centrum",
            f"{day.day}-{day.month}-{day.year}",
            "12:30-13:30",
            "Huisartsenpraktijk Wyck, Rechtstraat 1, Maastricht",
        ):
            await organiser.send(answer)
        await _press(organiser, organiser, "Geen link")
        await organiser.send("1. Vakantierooster waarneming\n2. Griepprik: wie helpt wie")
        await _press(organiser, organiser, "iedereen in de wijk")
        await _press(organiser, organiser, "Eenmalig")
        await _press(organiser, organiser, re.compile("van tevoren"))
        await _press(organiser, organiser, "✅ Plannen en uitnodigen")

    async def _post_request(self, requester: SimUser) -> None:
        """Bram asks for a doktersassistent tomorrow afternoon (normaal)."""
        await requester.send("/verzoek")
        await _press(requester, requester, "doktersassistent")
        await _press(requester, requester, re.compile("^Morgen"))
        await _press(requester, requester, "Verder ›")
        await _press(requester, requester, "Middag")
        await _press(requester, requester, "Normaal")
        await _press(requester, requester, "Geen notitie")
        await _press(requester, requester, "✅ Versturen")

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
        runtime = self.require_application().bot_data[RUNTIME_KEY]
        assert isinstance(runtime, Runtime)
        return runtime.database

    async def settle(self) -> None:
        """Send what the outbox holds now, so that a page refresh shows it; note what the stand-in refused."""
        dispatcher = self.require_application().bot_data.get(DISPATCHER_KEY)
        if isinstance(dispatcher, Dispatcher):
            await dispatcher.settle()
        self._note_refusals()

    def _note_refusals(self) -> None:
        """Log the stand-in's new refusals (the bot sent what Telegram would refuse) and keep the latest few; the
        stand-in's call log is trimmed, since a playground may run for days."""
        server = self.require_server()
        for refusal in server.refusals[self._seen_refusals :]:
            line = f"{refusal.method}: {refusal.error_code} {refusal.description}"
            log.warning("playground.refused %s", line)
            self.refusals = [*self.refusals, line][-KEEP_REFUSALS:]
        self._seen_refusals = len(server.refusals)
        del server.calls[:-100]

    def view_version(self) -> int:
        """Changes the page shows: messages, edits, deletions, answers to presses, keyboards, clock moves."""
        server = self.require_server()
        world = server.world
        seen = self.moves + sum(len(answers) for answers in world.answers.values())
        for chat in world.chats.values():
            seen += len(chat.messages) + sum(m.edited + m.deleted for m in chat.messages)
            seen += chat.reply_keyboard is not None
        return seen

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
        self.moves += 1
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
        self.moves += 1
        self.require_server().world.changed()

    def require_cast(self) -> Cast:
        """The seeded people."""
        if self.cast is None:
            raise RuntimeError("the playground is not running")
        return self.cast
