"""The two bots under test, each a real process against its own test server: Wijkhulp and the bare PTB bot.

Each knows how to make the messages people press on: Wijkhulp through its own services (a meeting imported,
a request posted, the bot's outbox sending them), the bare bot by answering `/help` with buttons.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import insert, select, update
from sqlalchemy.engine import make_url

from bot.services.ladder import Waits, post_and_ask
from bot.services.meeting_import import import_meetings, parse_meetings, region_wijken
from bot.services.members import member_relations, resolve_region
from bot.services.network import find_practice
from bot.services.requests import NeededRole, SlotInput
from db.models import Daypart, Member, MemberRole, OutboxMessage, OutboxStatus, Practice, Role, Urgency, Wijk
from db.session import Database
from tests.bench.probe import SEND_METHODS, BenchServer, Watch
from tests.soak.process import ROOT, BotProcess
from tests.soak.runner import prepare_database
from tgserver.client import SimUser
from tgserver.limits import RateLimitConfig, RateLimiter
from tgserver.state import ChatMessage

ZONE = ZoneInfo("Europe/Amsterdam")
BARE_BOT = ROOT / "tests" / "bench" / "bare_bot.py"
REQUESTER_PRACTICE = "malberg"
HELPER_PRACTICE = "pottenberg"  # malberg's continuity partner: asked in round 1, all at once
OTHER_PRACTICES = ("caberg", "daalhof")  # the same wijk (noordwest): invited to its meetings, not asked to help
SILENT_FIRST_ID = 900_000_000  # Telegram ids of members who exist only in the database (no chat on the server)
# The bot as in production (its defaults), only the log level fixed.
BOT_SETTINGS = {"TIMEZONE": "Europe/Amsterdam", "LOG_LEVEL": "INFO"}


class Process(BotProcess):
    """BotProcess (start, 'ready' in its log, stop) with the pid, and optionally another script to run."""

    script: list[str] | None = None

    @property
    def pid(self) -> int:
        """The running process's id (for its CPU time)."""
        assert self._process is not None, "not running"
        return self._process.pid

    async def start(self) -> None:
        """The bot (`python -m bot run`) or, with `script`, that script."""
        if self.script is None:
            await super().start()
            return
        assert self._process is None
        self.generation += 1
        self.ready_at = None
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            *self.script,
            cwd=ROOT,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read(self._process, self.generation))


def base_environment() -> dict[str, str]:
    """What a child process inherits: the path and locale, nothing else (like the soak)."""
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if k in keep}


@dataclass
class FanOut:
    """Messages a bot sent to many chats: how many, how fast, how many 429s Telegram answered."""

    messages: int
    seconds: float
    per_second: float
    too_many_requests: int
    failed: int


@dataclass
class Reminded:
    """Reminders all due at once: the fan-out, and what people got twice or not at all; the bot's memory."""

    fan_out: FanOut
    help_ms: float  # a /help from someone else, sent once a tenth of the messages are out
    duplicates: int
    missing: int
    peak_rss_mb: float
    rss_mb: float


def memory(pid: int, field: str) -> float:
    """A process's memory figure from /proc (VmRSS now, VmHWM its peak), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Target:
    """A bot process, its server, and the people who talk to it."""

    name: str
    server: BenchServer
    process: Process
    workdir: Path
    users: list[SimUser] = field(default_factory=list)

    async def stop(self) -> None:
        """The ordinary stop."""
        await self.process.stop()

    async def wait_polling(self, within: float = 60) -> None:
        """Until the process said it is ready and has asked for updates."""
        await self.process.wait_ready(within)
        polls = self.server.polls
        await self.server.world.wait_until(lambda: self.server.polls > polls, within)


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def admin_sql(admin_url: str, sql: str) -> None:
    """A statement on the PostgreSQL server's admin database (CREATE / DROP DATABASE)."""
    parsed = make_url(admin_url)
    connection = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database or "postgres",
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


class Wijkhulp(Target):
    """The real bot with a fresh database: a region, its members seeded directly, meetings and requests."""

    database_url: str = ""
    postgres_admin: str = ""
    postgres_name: str = ""
    manager: SimUser
    requester_id: int = 0
    helpers: list[SimUser]
    silent: int = 0  # members seeded without a chat so far

    @classmethod
    async def create(cls, workdir: Path, members: int, helpers: int, postgres_admin: str = "") -> Wijkhulp:
        """Database, members, server and the running bot."""
        server = BenchServer("123456:BENCH", "wijkhulp_bench_bot")
        await server.start()
        target = cls("Wijkhulp", server, Process(server, {}, workdir / "bot.log"), workdir)
        if postgres_admin:
            target.postgres_admin = postgres_admin
            target.postgres_name = f"wh_bench_{uuid.uuid4().hex[:10]}"
            await admin_sql(postgres_admin, f'CREATE DATABASE "{target.postgres_name}"')
            target.database_url = with_database(postgres_admin, target.postgres_name)
        else:
            target.database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        await prepare_database(target.database_url)
        await target._seed(members, helpers)
        env = base_environment()
        env.update(BOT_SETTINGS)
        env.update(
            TELEGRAM_BOT_TOKEN=server.token,
            TELEGRAM_BOT_USERNAME=server.bot_username,
            TELEGRAM_API_BASE_URL=server.base_url,
            TELEGRAM_API_BASE_FILE_URL=server.base_file_url,
            DATABASE_URL=target.database_url,
        )
        target.process.env = env
        try:
            await target.process.start()
            await target.wait_polling()
        except BaseException:
            await target.close()
            raise
        return target

    async def _seed(self, members: int, helpers: int) -> None:
        """A practice manager in malberg; `helpers` doktersassistenten in pottenberg (asked first for malberg's
        requests); the rest POH-S in caberg and daalhof. All in wijk noordwest, all speaking Dutch."""
        now = datetime.now(UTC)
        self.manager = self.server.user(first_name="Manager", language_code="nl", started=True)
        self.users = [self.server.user(first_name=f"Lid{i}", language_code="nl", started=True) for i in range(members)]
        self.helpers = self.users[:helpers]
        database = Database(self.database_url)
        try:
            async with database.session() as session, session.begin():
                region = await resolve_region(session, None)
                practices: dict[str, Practice] = {}
                for code in (REQUESTER_PRACTICE, HELPER_PRACTICE, *OTHER_PRACTICES):
                    practice = await find_practice(session, region.id, code)
                    assert practice is not None, f"the example network has no practice {code}"
                    practices[code] = practice

                def member(user: SimUser, practice: str, role: Role) -> Member:
                    return Member(
                        telegram_user_id=user.id,
                        region_id=region.id,
                        practice_id=practices[practice].id,
                        display_name=user.first_name,
                        language="nl",
                        joined_at=now,
                        role_rows=[MemberRole(role=role.value)],
                    )

                rows = [member(self.manager, REQUESTER_PRACTICE, Role.PRAKTIJKMANAGER)]
                rows += [member(user, HELPER_PRACTICE, Role.DOKTERSASSISTENT) for user in self.helpers]
                rows += [
                    member(user, OTHER_PRACTICES[i % len(OTHER_PRACTICES)], Role.POH_S)
                    for i, user in enumerate(self.users[helpers:])
                ]
                session.add_all(rows)
                await session.flush()
                self.requester_id = rows[0].id
        finally:
            await database.dispose()

    async def close(self) -> None:
        """Stop the bot and the server; drop a PostgreSQL database made for the run."""
        await self.stop()
        await self.server.stop()
        if self.postgres_name:
            await admin_sql(self.postgres_admin, f'DROP DATABASE IF EXISTS "{self.postgres_name}" WITH (FORCE)')

    def strict_limits(self, on: bool) -> None:
        """Telegram's flood limits (fresh buckets), or none."""
        self.server.rate_limits = on
        self.server.limiter = RateLimiter(RateLimitConfig.strict())

    async def _fan_out(self, chats: set[int], expected: int, mark: int, within: float) -> FanOut:
        """Wait until `expected` messages reached these chats since `mark`, then the figures."""
        server = self.server
        refused_before = server.rate_limited

        sent = Watch(server, mark, lambda c: c.ok and c.method in SEND_METHODS and c.chat_id in chats)
        await server.world.wait_until(lambda: len(sent.update()) >= expected, within)
        await server.wait_quiet(1.0, 30)
        times = [c.at for c in sent.update()]
        failed = sum(1 for c in server.since(mark) if not c.ok and c.method in SEND_METHODS and c.chat_id in chats)
        seconds = times[-1] - times[0] if len(times) > 1 else 0.0
        return FanOut(
            messages=len(times),
            seconds=seconds,
            per_second=(len(times) - 1) / seconds if seconds > 0 else 0.0,
            too_many_requests=server.rate_limited - refused_before,
            failed=failed,
        )

    async def invite(self, repeat: int, within: float) -> tuple[FanOut, list[ChatMessage]]:
        """Import a meeting of wijk noordwest (everyone seeded, and the manager) and let the bot send the
        invitations under Telegram's limits; returns the fan-out and each user's invitation."""
        fan_out, invitations = await self.meeting(
            f"Bench meeting {repeat}", "noordwest", [self.manager, *self.users], within
        )
        return fan_out, invitations[1:]

    async def meeting(
        self, title: str, wijk: str, people: list[SimUser], within: float, *, strict: bool = True
    ) -> tuple[FanOut, list[ChatMessage]]:
        """Import a meeting of one wijk and let the bot send the invitations (under Telegram's limits when
        `strict`) to `people`; invitations to members seeded without a chat (`seed_silent`) are marked sent in
        the same transaction, so that the bot never sends them. Returns the fan-out and each person's invitation."""
        self.strict_limits(strict)
        mark = self.server.mark()
        now = datetime.now(UTC)
        start = (now + timedelta(days=14)).astimezone(ZONE).replace(hour=19, minute=0, second=0, microsecond=0)
        text = (
            f"- key: bench-{uuid.uuid4().hex[:10]}\n  wijk: {wijk}\n  title: {title}\n"
            f"  start: {start:%Y-%m-%dT%H:%M}\n  end: {start + timedelta(hours=2):%Y-%m-%dT%H:%M}\n"
            f"  location: Caberg 12\n  reminders: [1d]\n"
        )
        database = Database(self.database_url)
        try:
            async with database.session() as session, session.begin():
                region = await resolve_region(session, None)
                wijken = await region_wijken(session, region)
                meetings = parse_meetings(text, wijken, now.astimezone(ZONE).date())
                await import_meetings(session, now=now, region=region, meetings=meetings)
                await session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.status == OutboxStatus.PENDING.value,
                        OutboxMessage.chat_id >= SILENT_FIRST_ID,
                    )
                    .values(status=OutboxStatus.SENT.value, sent_at=now, telegram_message_id=1)
                )
        finally:
            await database.dispose()
        try:
            fan_out = await self._fan_out({u.id for u in people}, 2 * len(people), mark, within)  # text + .ics
        finally:
            self.strict_limits(False)
        return fan_out, [self._latest(user, "Ja", title) for user in people]

    async def reminders(self, wijk: str, people: list[SimUser], within: float) -> Reminded:
        """A meeting of `wijk` whose reminder falls due a minute from now, for everyone in it (`people`, seeded
        with `seed_wijk`): the invitations are marked sent when it is imported (the bench measures the
        reminders, not 20,000 invitations first); then the meeting sweep finds the reminders all due at once
        and the bot sends them under Telegram's limits. Also: duplicates, and the bot's memory."""
        self.strict_limits(True)
        mark = self.server.mark()
        now = datetime.now(UTC)
        start = (now + timedelta(days=1, minutes=1)).astimezone(ZONE).replace(second=0, microsecond=0)
        title = f"Herinnering bench {uuid.uuid4().hex[:6]}"
        text = (
            f"- key: bench-{uuid.uuid4().hex[:10]}\n  wijk: {wijk}\n  title: {title}\n"
            f"  start: {start:%Y-%m-%dT%H:%M}\n  end: {start + timedelta(hours=1):%Y-%m-%dT%H:%M}\n"
            f"  location: Heer 1\n  reminders: [1d]\n"
        )
        ids = [user.id for user in people]
        database = Database(self.database_url)
        try:
            async with database.session() as session, session.begin():
                region = await resolve_region(session, None)
                meetings = parse_meetings(text, await region_wijken(session, region), now.astimezone(ZONE).date())
                await import_meetings(session, now=now, region=region, meetings=meetings)
                await session.execute(  # the invitations: as if sent long ago
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.status == OutboxStatus.PENDING.value,
                        OutboxMessage.chat_id.between(min(ids), max(ids)),
                    )
                    .values(status=OutboxStatus.SENT.value, sent_at=now, telegram_message_id=1)
                )
        finally:
            await database.dispose()
        try:
            meanwhile = asyncio.create_task(self.help_during(set(ids), mark, within))
            fan_out = await self._fan_out(set(ids), len(ids), mark, within)
            help_ms = await meanwhile
        finally:
            self.strict_limits(False)
        got = [sum("Herinnering" in m.text and title in m.text for m in user.messages()) for user in people]
        return Reminded(
            fan_out,
            help_ms=help_ms,
            duplicates=sum(max(0, n - 1) for n in got),
            missing=sum(1 for n in got if n == 0),
            peak_rss_mb=memory(self.process.pid, "VmHWM"),
            rss_mb=memory(self.process.pid, "VmRSS"),
        )

    async def help_during(self, chats: set[int], mark: int, within: float) -> float:
        """Once a tenth of a fan-out to `chats` is out, the manager sends /help: milliseconds to the answer."""
        server = self.server
        sent = Watch(server, mark, lambda c: c.ok and c.method in SEND_METHODS and c.chat_id in chats)
        await server.world.wait_until(lambda: len(sent.update()) >= max(1, len(chats) // 10), within)
        asked = server.mark()
        started = time.monotonic()
        await self.manager.send("/help", wait=False)
        answer = Watch(server, asked, lambda c: c.ok and c.method == "sendMessage" and c.chat_id == self.manager.id)
        await server.world.wait_until(lambda: bool(answer.update()), within)
        calls = answer.update()
        return 1000 * (calls[0].at - started) if calls else float("inf")

    async def seed_wijk(self, wijk: str, people: int, silent: int) -> list[SimUser]:
        """`people` members with a chat and `silent` members without one (plain inserts; their Telegram ids
        from SILENT_FIRST_ID on, never written to by the bot) in the practices of one wijk, as doktersassistent."""
        now = datetime.now(UTC)
        users = [self.server.user(first_name=f"{wijk}{i}", language_code="nl", started=True) for i in range(people)]
        database = Database(self.database_url)
        try:
            async with database.session() as session, session.begin():
                region = await resolve_region(session, None)
                practice_ids = list(
                    await session.scalars(
                        select(Practice.id).join(Wijk, Practice.wijk_id == Wijk.id).where(Wijk.code == wijk)
                    )
                )
                for start in range(0, people + silent, 5_000):
                    rows = []
                    for index in range(start, min(people + silent, start + 5_000)):
                        if index < people:
                            telegram_id = users[index].id
                        else:
                            telegram_id = SILENT_FIRST_ID + self.silent
                            self.silent += 1
                        rows.append(
                            {
                                "telegram_user_id": telegram_id,
                                "region_id": region.id,
                                "practice_id": practice_ids[index % len(practice_ids)],
                                "display_name": f"{wijk} {index}",
                                "language": "nl",
                                "joined_at": now,
                            }
                        )
                    ids = list(await session.scalars(insert(Member).returning(Member.id), rows))
                    await session.execute(
                        insert(MemberRole), [{"member_id": i, "role": Role.DOKTERSASSISTENT.value} for i in ids]
                    )
        finally:
            await database.dispose()
        return users

    async def post_request(self, repeat: int, within: float) -> tuple[FanOut, list[ChatMessage]]:
        """The manager's practice posts a spoed request for a doktersassistent tomorrow morning; the ladder asks
        the helpers at once and the bot sends the copies under Telegram's limits."""
        self.strict_limits(True)
        mark = self.server.mark()
        now = datetime.now(UTC)
        tomorrow = now.astimezone(ZONE).date() + timedelta(days=1)
        database = Database(self.database_url)
        try:
            async with database.session() as session, session.begin():
                author = await session.scalar(
                    select(Member).where(Member.id == self.requester_id).options(*member_relations())
                )
                assert author is not None and author.practice is not None
                await post_and_ask(
                    session,
                    now=now,
                    zone=ZONE,
                    waits=Waits.from_minutes(15, 240),
                    author=author,
                    practice=author.practice,
                    role_needed=NeededRole.DOKTERSASSISTENT,
                    urgency=Urgency.SPOED,
                    slots=[SlotInput.for_daypart(tomorrow, Daypart.OCHTEND)],
                    note=f"bench {repeat}",
                )
        finally:
            await database.dispose()
        try:
            fan_out = await self._fan_out({u.id for u in self.helpers}, len(self.helpers), mark, within)
        finally:
            self.strict_limits(False)
        return fan_out, [self._latest(user, "Ik kan alles", "") for user in self.helpers]

    @staticmethod
    def _latest(user: SimUser, button: str, text: str) -> ChatMessage:
        """The newest message in a user's chat with this button (and this text in it)."""
        for message in reversed(user.messages(include_deleted=False)):
            if button in message.button_texts and text in message.text:
                return message
        raise AssertionError(f"{user} got no message with {button!r} and {text!r}: {user.messages()[-3:]}")


class Bare(Target):
    """The bare PTB bot; its messages with buttons are its answers to /help.

    With a database it is the floor: the least any bot built on SQLAlchemy's async ORM pays per update.
    """

    postgres_admin: str = ""
    postgres_name: str = ""

    @classmethod
    async def create(
        cls, workdir: Path, users: int, rate_limiter: bool = False, database: bool = False, postgres_admin: str = ""
    ) -> Bare:
        """Server, people and the running bot (with a fresh database of its own when asked)."""
        name = "PTB + database" if database else "bare PTB"
        server = BenchServer("654322:FLOOR" if database else "654321:BARE", "bare_bench_bot")
        await server.start()
        env = base_environment()
        env.update(BENCH_TOKEN=server.token, BENCH_BASE_URL=server.base_url)
        log = "floor" if database else "bare"
        process = Process(server, env, workdir / f"{log}.log")
        process.script = [str(BARE_BOT), *(["--rate-limiter"] if rate_limiter else [])]
        target = cls(name, server, process, workdir)
        if database:
            url = f"sqlite+aiosqlite:///{workdir / 'floor.sqlite3'}"
            if postgres_admin:
                target.postgres_admin = postgres_admin
                target.postgres_name = f"wh_floor_{uuid.uuid4().hex[:10]}"
                await admin_sql(postgres_admin, f'CREATE DATABASE "{target.postgres_name}"')
                async_url = make_url(with_database(postgres_admin, target.postgres_name))
                url = async_url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
            process.script += ["--database", url]
        target.users = [server.user(first_name=f"Kaal{i}", language_code="nl", started=True) for i in range(users)]
        try:
            await process.start()
            await target.wait_polling()
        except BaseException:
            await target.close()
            raise
        return target

    async def close(self) -> None:
        """Stop the bot and the server; drop a PostgreSQL database made for the run."""
        await self.stop()
        await self.server.stop()
        if self.postgres_name:
            await admin_sql(self.postgres_admin, f'DROP DATABASE IF EXISTS "{self.postgres_name}" WITH (FORCE)')

    async def buttons(self, users: list[SimUser], within: float) -> list[ChatMessage]:
        """Each user's latest message with buttons; asks /help first (not measured) where there is none."""
        missing = [u for u in users if not any(m.reply_markup for m in u.messages())]
        mark = self.server.mark()
        for user in missing:
            await user.send("/help", wait=False)
        chats = {u.id for u in missing}
        replies = Watch(self.server, mark, lambda c: c.ok and c.method == "sendMessage" and c.chat_id in chats)
        await self.server.world.wait_until(lambda: len({c.chat_id for c in replies.update()}) >= len(chats), within)
        await self.server.wait_quiet(0.3, 10)
        return [next(m for m in reversed(u.messages()) if m.reply_markup) for u in users]


def workdir(path: str) -> Path:
    """Where databases and logs go: the given folder or a new temporary one."""
    folder = Path(path or tempfile.mkdtemp(prefix="wijkhulp-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
