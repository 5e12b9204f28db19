"""The soak run: set up a region, start the real bot, let people use it while it is SIGKILLed, then check.

`scripts/soak.py` is the command line; `tests/soak/test_soak_short.py` runs the short form in the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.clock import OffsetClock
from bot.services.invites import create_invite
from bot.services.meeting_import import import_meetings, parse_meetings, region_wijken
from bot.services.members import add_coordinator, resolve_region
from bot.services.network import find_practice, import_network, parse_network
from db.meetings import DueStatus, MeetingReminder
from db.migrate import upgrade_to_head
from db.models import OutboxMessage, OutboxStatus, Role
from db.session import Database
from tests.soak.check import Findings, check
from tests.soak.people import Helper, Manager, Person, Record, Shared, buttons
from tests.soak.process import ROOT, BotProcess, Workers
from tgserver.server import TelegramServer
from tgserver.webhook import WebhookPusher

ZONE = ZoneInfo("Europe/Amsterdam")
NETWORK = ROOT / "app" / "playground" / "example-network.yaml"
MANAGER_PRACTICES = ("malberg", "pottenberg", "caberg", "daalhof")
HELPER_PRACTICES = ("pottenberg", "malberg", "daalhof", "caberg", "maasoever", "jekerkwartier")
# Short waits so that ladder rounds, outbox retries and meeting reminders happen within minutes, not hours.
BOT_SETTINGS = {
    "OUTBOX_POLL_SECONDS": "1",
    "OUTBOX_CLAIM_TIMEOUT_SECONDS": "5",
    "ESCALATION_MINUTES_SPOED": "0.1",
    "ESCALATION_MINUTES_NORMAAL": "0.25",
    "MEETING_SWEEP_SECONDS": "2",
    "ESCALATION_SWEEP_SECONDS": "2",
    "CLOSE_SWEEP_SECONDS": "5",
    "TIMEZONE": "Europe/Amsterdam",
    "LOG_LEVEL": "INFO",
}
KILL_MODES: dict[str, float] = {"random": 0.65, "mid-send": 0.25, "starting": 0.10}
DRAIN_TIMEOUT = 120.0


@dataclass
class Options:
    """The command line, also used by the short test."""

    kills: int = 20
    users: int = 12
    seed: int = 1
    rounds: int = 3
    duration: float = 0.0
    database_url: str = ""
    report: str = ""
    max_uptime: float = 4.0
    think: float = 1.0
    workdir: str = ""
    # Local time (HH:MM, Europe/Amsterdam) the run starts at, for the bot and the check alike; "" is the real time.
    time_of_day: str = ""
    # Bot processes sharing the database (MULTI_WORKER, webhook mode; more than one needs PostgreSQL).
    workers: int = 1


def parse_args(argv: list[str] | None = None) -> Options:
    """argparse into Options."""
    top = argparse.ArgumentParser(
        prog="scripts/soak.py",
        description="Start the real bot against the test Telegram server, SIGKILL it at random moments while "
        "simulated people post requests, offer, accept, decline, cancel and answer meeting invitations, then "
        "check that nothing was lost or sent twice.",
    )
    top.add_argument("--kills", type=int, default=20, help="how many times to SIGKILL the bot (default 20)")
    top.add_argument("--users", type=int, default=12, help="simulated people (default 12; at least 4)")
    top.add_argument("--seed", type=int, default=1, help="random seed for people and kills (default 1)")
    top.add_argument("--rounds", type=int, default=3, help="requests each practice manager posts (default 3)")
    top.add_argument("--duration", type=float, default=0.0, help="keep people acting at least this many seconds")
    top.add_argument("--database-url", default="", help="DATABASE_URL to use (default: a new SQLite file)")
    top.add_argument("--report", default="", help="write the figures and problems as JSON to this file")
    top.add_argument("--max-uptime", type=float, default=4.0, help="longest run between two kills, seconds")
    top.add_argument("--think", type=float, default=1.0, help="scale of the pauses between a person's actions")
    top.add_argument("--workdir", default="", help="where the database and the bot's log go (default: a temp dir)")
    top.add_argument(
        "--workers",
        type=int,
        default=1,
        help="bot processes sharing the database in webhook mode, killed one at a time (default 1; more than one "
        "needs a PostgreSQL --database-url)",
    )
    top.add_argument(
        "--time-of-day",
        default="",
        metavar="HH:MM",
        help="run as if it were this local time today, e.g. 23:00 (quiet hours) or 12:00 (default: the real time)",
    )
    args = top.parse_args(argv)
    if args.users < 4 or args.kills < 0 or args.rounds < 1:
        top.error("--users must be at least 4, --kills at least 0, --rounds at least 1")
    if args.workers < 1 or (args.workers > 1 and not args.database_url.startswith("postgres")):
        top.error("--workers must be at least 1, and more than one needs a PostgreSQL --database-url")
    if args.time_of_day and not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", args.time_of_day):
        top.error("--time-of-day must be HH:MM, e.g. 23:00")
    return Options(**{k: v for k, v in vars(args).items()})


def free_port() -> int:
    """A port nothing listens on now, for a worker's webhook server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def prepare_database(url: str) -> None:
    """Migrate and import the example network, as `python -m bot import-network` does."""
    database = Database(url)
    try:
        await upgrade_to_head(database.engine)
        async with database.session() as session, session.begin():
            await import_network(session, parse_network(NETWORK.read_text(encoding="utf-8")))
    finally:
        await database.dispose()


def soak_clock(time_of_day: str) -> OffsetClock:
    """The clock of the whole run: the real one, or moved so that the run starts today at `time_of_day`."""
    if not time_of_day:
        return OffsetClock(timedelta(0))
    real = datetime.now(UTC)
    hour, minute = (int(part) for part in time_of_day.split(":"))
    local = real.astimezone(ZONE).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return OffsetClock(local.astimezone(UTC) - real)


def meetings_yaml(now: datetime, count: int) -> tuple[str, datetime]:
    """Wijk meetings a few minutes ahead, each with reminders 2 and 1 minutes before: they come due during the
    run. Returns the file and the first reminder's due time."""
    local = now.astimezone(ZONE).replace(second=0, microsecond=0, tzinfo=None)
    first = local + timedelta(minutes=1 if now.second < 50 else 2)  # at least 10 s ahead
    entries = []
    for index in range(count):
        start = first + timedelta(minutes=index + 2)
        entries.append(
            f"- key: soak-{index}\n  wijk: noordwest\n  title: Soak meeting {index}\n"
            f"  start: {start:%Y-%m-%dT%H:%M}\n  end: {start + timedelta(minutes=30):%Y-%m-%dT%H:%M}\n"
            f"  location: Caberg 12\n  reminders: [2m, 1m]\n"
        )
    return "".join(entries), first.replace(tzinfo=ZONE).astimezone(UTC)


class Soak:
    """One run."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.rng = random.Random(options.seed)
        self.workdir = Path(options.workdir or tempfile.mkdtemp(prefix="wijkhulp-soak-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.database_url = options.database_url or f"sqlite:///{self.workdir / 'soak.sqlite3'}"
        self.server = TelegramServer()
        self.server.rate_limits = False  # this is about kills; 429s have their own tests
        self.record = Record()
        self.over = asyncio.Event()
        self.kill_modes: dict[str, int] = {}
        self.clock = soak_clock(options.time_of_day)
        self.first_clock = self.first_reminder = self.clock.now()
        self.people: list[Person] = []
        self.stop_problems: list[str] = []
        self.phases: dict[str, float] = {}
        self.bot: BotProcess | Workers
        self.pusher: WebhookPusher | None = None

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT", "VIRTUAL_ENV")}
        env.update(BOT_SETTINGS)
        env.update(
            TELEGRAM_BOT_TOKEN=self.server.token,
            TELEGRAM_BOT_USERNAME=self.server.bot_username,
            TELEGRAM_API_BASE_URL=self.server.base_url,
            TELEGRAM_API_BASE_FILE_URL=self.server.base_file_url,
            DATABASE_URL=self.database_url,
            CLOCK_OFFSET_SECONDS=str(self.clock.offset.total_seconds()),
        )
        return env

    def bot_processes(self) -> BotProcess | Workers:
        """One process polling, or several workers in webhook mode behind the test server's deliveries."""
        if self.options.workers == 1:
            return BotProcess(self.server, self.environment(), self.workdir / "bot.log")
        processes, targets = [], []
        for index in range(1, self.options.workers + 1):
            port = free_port()
            env = self.environment() | {
                "WEBHOOK_URL": "https://soak.example.org/telegram",
                "WEBHOOK_SECRET": "soak-webhook-secret-0123456789",
                "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
                "MULTI_WORKER": "true",
                # Its own name, kept across its restarts: what a killed worker had claimed goes out when it is back.
                "WORKER_NAME": f"soak-{index}",
            }
            processes.append(BotProcess(self.server, env, self.workdir / f"bot-{index}.log"))
            targets.append(f"http://127.0.0.1:{port}/telegram")
        self.pusher = WebhookPusher(self.server.world, targets)
        self.pusher.start()
        return Workers(processes, self.rng.choice, log_path=self.workdir)

    @property
    def started_local(self) -> str:
        """The bot's local time when the run began, as people saw it."""
        return self.first_clock.astimezone(ZONE).strftime("%Y-%m-%d %H:%M")

    async def setup(self) -> None:
        """Region, invitations, coordinator and meetings in the database; then everyone joins through the bot."""
        await prepare_database(self.database_url)
        self.bot = self.bot_processes()
        shared = Shared(self.server, self.bot, self.record, self.over, self.options.think, self.clock)
        managers = max(2, self.options.users // 4)
        helpers = self.options.users - managers - 1
        plan: list[tuple[str, str | None, Role]] = [("coordinator", None, Role.COORDINATOR)]
        plan += [(f"m{i}", MANAGER_PRACTICES[i % 4], Role.PRAKTIJKMANAGER) for i in range(managers)]
        plan += [(f"h{i}", HELPER_PRACTICES[i % 6], Role.DOKTERSASSISTENT) for i in range(helpers)]
        codes: dict[str, str] = {}
        database = Database(self.database_url)
        now = self.clock.now()
        count = max(2, math.ceil(self.expected_seconds() / 60) + 1)
        text, self.first_reminder = meetings_yaml(now, count)
        try:
            async with database.session() as session, session.begin():
                region = await resolve_region(session, None)
                for name, practice_code, role in plan:
                    if practice_code is None:
                        continue
                    practice = await find_practice(session, region.id, practice_code)
                    invite = await create_invite(
                        session, now=now, region=region, practice=practice, role=role, uses=1, expires_days=1
                    )
                    codes[name] = invite.code
                wijken = await region_wijken(session, region)
                await import_meetings(
                    session, now=now, region=region, meetings=parse_meetings(text, wijken, now.astimezone(ZONE).date())
                )
            for name, _practice, role in plan:
                user = self.server.user(first_name=name.capitalize(), language_code="en", started=True)
                person: Person
                if role is Role.PRAKTIJKMANAGER:
                    person = Manager(shared, user, name, random.Random(self.rng.random()), self.options.rounds)
                elif role is Role.DOKTERSASSISTENT:
                    person = Helper(shared, user, name, random.Random(self.rng.random()))
                else:
                    person = Person(shared, user, name, random.Random(self.rng.random()))
                    async with database.session() as session, session.begin():
                        await add_coordinator(
                            session,
                            now=now,
                            telegram_user_id=user.id,
                            region=await resolve_region(session, None),
                            language="en",
                        )
                self.people.append(person)
        finally:
            await database.dispose()
        await self.bot.start()
        await self.bot.wait_ready()
        for person in self.people:
            if person.name in codes:  # the coordinator was made on the command line and needs no invitation
                prompt = await person.send(f"/start {codes[person.name]}", "v1:jy:")
                assert prompt is not None, f"{person.name} got no join button"
                press = await person.press_until_answered(prompt, buttons(prompt, "v1:jy:")[0])
                assert press is not None and not press.alert, f"{person.name} could not join: {press}"

    def expected_seconds(self) -> float:
        """Roughly how long the action phase takes: the kills, or --duration."""
        return max(self.options.duration, self.options.kills * (2.5 + self.options.max_uptime / 2))

    async def killer(self) -> None:
        """SIGKILL at random moments, then start again at once; people keep acting meanwhile."""
        modes, weights = list(KILL_MODES), list(KILL_MODES.values())
        for _ in range(self.options.kills):
            mode = self.rng.choices(modes, weights)[0]
            if mode == "starting":
                await asyncio.sleep(self.rng.uniform(0.2, 1.5))
            else:
                await self.bot.wait_ready()
                if mode == "random":
                    await asyncio.sleep(self.rng.uniform(0.2, self.options.max_uptime))
                else:
                    await self.server.world.wait_until(
                        self._sending_since(len(self.server.calls)), self.options.max_uptime
                    )
            self.kill_modes[mode] = self.kill_modes.get(mode, 0) + 1
            await self.bot.kill(mode)
            await asyncio.sleep(self.rng.uniform(0.0, 0.5))  # down for a moment; updates queue at Telegram
            await self.bot.start()
        await self.bot.wait_ready()

    def _sending_since(self, calls: int) -> Callable[[], bool]:
        """True once the bot sent or edited a message after call number `calls`: a fan-out is under way."""
        return lambda: any(c.method.startswith(("send", "edit")) for c in self.server.calls[calls:])

    def _more_to_do(self, started: float) -> bool:
        """Managers still posting, --duration not reached, or the first reminder not yet due."""
        return (
            any(isinstance(p, Manager) and p.posted < p.to_post for p in self.people)
            or time.monotonic() - started < self.options.duration
            or self.clock.now() < self.first_reminder + timedelta(seconds=3)
        )

    async def act(self) -> None:
        """People and the killer until both have done their part."""
        started = time.monotonic()
        tasks = [asyncio.create_task(p.live(), name=p.name) for p in self.people]
        killer = asyncio.create_task(self.killer(), name="killer")
        try:
            await killer
            while self._more_to_do(started):  # noqa: ASYNC110  (several conditions, one of them the clock)
                await asyncio.sleep(0.5)
            self.over.set()
            await asyncio.wait_for(asyncio.gather(*tasks), DRAIN_TIMEOUT)
        finally:
            killer.cancel()
            for task in tasks:
                task.cancel()

    async def undrained(self) -> int:
        """Outbox rows due and not finished, plus reminders due and not handled."""
        database = Database(self.database_url)
        try:
            async with database.session() as session:
                now = self.clock.now()
                rows = await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(
                        ((OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.next_attempt_at <= now))
                        | OutboxMessage.status.in_([OutboxStatus.SENDING, OutboxStatus.IN_FLIGHT])
                    )
                )
                reminders = await session.scalar(
                    select(func.count())
                    .select_from(MeetingReminder)
                    .where(MeetingReminder.status == DueStatus.PENDING, MeetingReminder.due_at <= now)
                )
            return int(rows or 0) + int(reminders or 0)
        finally:
            await database.dispose()

    async def drain(self) -> datetime:
        """Let the running bot finish, stop it the ordinary way; again while a last sweep left work behind."""
        loop = asyncio.get_running_loop()
        for _ in range(5):
            if not self.bot.running:
                await self.bot.start()
            await self.bot.wait_ready()
            deadline = loop.time() + DRAIN_TIMEOUT
            quiet_since: float | None = None
            while loop.time() < deadline:
                if await self.undrained():
                    quiet_since = None
                elif quiet_since is None:
                    quiet_since = loop.time()
                elif loop.time() - quiet_since > 1.5:
                    break
                await asyncio.sleep(0.3)
            stopped_at = self.clock.now()
            code = await self.bot.stop()
            if code != 0:
                self.stop_problems.append(f"the ordinary stop (SIGTERM) ended with exit status {code}")
            if not await self.undrained():
                return stopped_at
        return stopped_at

    async def run(self) -> tuple[Findings, float]:
        """The whole soak; the findings and the wall time."""
        started = time.monotonic()
        await self.server.start()
        try:
            await self.setup()
            self.phases["set-up"] = time.monotonic() - started
            await self.act()
            self.phases["people and kills"] = time.monotonic() - started - self.phases["set-up"]
            stopped_at = await self.drain()
            self.phases["drain"] = time.monotonic() - started - sum(self.phases.values())
            findings = await check(self.server, self.bot, self.record, self.database_url, stopped_at)
            for problem in self.stop_problems:
                findings.problem(problem)
        finally:
            await self.bot.stop() if hasattr(self, "bot") else None
            if self.pusher is not None:
                await self.pusher.stop()
            await self.server.stop()
        return findings, time.monotonic() - started

    def summary(self, findings: Findings, wall: float) -> dict[str, object]:
        """Everything worth printing and storing."""
        record = self.record
        figures: dict[str, object] = {
            "kills": len(self.bot.kills),
            "kills by moment": dict(sorted(self.kill_modes.items())),
            "restarts": self.bot.generation - 1,
            "users": len(self.people),
            "actions (updates sent by people)": record.actions,
            "updates lost with a killed process (done again)": record.lost_updates,
            "retries": record.retries,
            "widened by hand": record.widens,
            **findings.figures,
            "started at (local)": self.started_local,
            "wall time (s)": round(wall, 1),
            "of which (s)": {name: round(seconds, 1) for name, seconds in self.phases.items()},
        }
        return {
            "figures": figures,
            "problem count": findings.problem_count,
            "problems": findings.problems,
            "log": str(self.bot.log_path),
        }


def print_summary(summary: dict[str, object]) -> None:
    """Readable lines on stdout."""
    figures = summary["figures"]
    assert isinstance(figures, dict)
    width = max(len(k) for k in figures)
    print("Soak test")
    for key, value in figures.items():
        print(f"  {key:<{width}}  {value}")
    problems = summary["problems"]
    assert isinstance(problems, list)
    print(f"  bot log: {summary['log']}")
    if problems:
        count = summary["problem count"]
        print(f"FAILED: {count} problem(s)" + (f", the first {len(problems)}:" if count != len(problems) else ":"))
        for problem in problems:
            print(f"  - {problem}")
    else:
        print("PASSED: nothing lost, nothing sent twice except the cut-off sends counted above")


async def run(options: Options) -> tuple[int, dict[str, object]]:
    """Run, print, write the report; exit status 0 when nothing is wrong."""
    soak = Soak(options)
    findings, wall = await soak.run()
    summary = soak.summary(findings, wall)
    print_summary(summary)
    if options.report:
        text = json.dumps(summary, indent=2, default=str) + "\n"
        await asyncio.to_thread(Path(options.report).write_text, text, encoding="utf-8")
    return (1 if findings.problem_count else 0), summary


def main(argv: list[str] | None = None) -> int:
    """The command line."""
    options = parse_args(argv)
    status, _summary = asyncio.run(run(options))
    sys.stdout.flush()
    return status
