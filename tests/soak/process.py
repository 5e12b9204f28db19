"""The real `python -m bot run` process: start it, know when it polls, SIGKILL it, keep its log."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tgserver.server import TelegramServer

ROOT = Path(__file__).resolve().parents[2]
# Log events the check reads: a row sent again after a worker died (its first send may have arrived), an
# at-most-once row not sent again, a delivery Telegram accepted but that could not be recorded.
RESENT = re.compile(r"outbox\.resend_unknown_fate id=(\d+)")
NOT_RESENT = re.compile(r"outbox\.unknown_fate_not_resent id=(\d+)")
UNRECORDED = re.compile(r"outbox\.unrecorded id=(\d+)")


@dataclass
class Kill:
    """One SIGKILL: when, how, and what Telegram had handed out at that moment."""

    generation: int
    mode: str
    delivered_up_to: int  # the highest update id the dying process had fetched
    pending: frozenset[int]  # updates it had not confirmed yet: Telegram gives them to the next process


@dataclass
class BotProcess:
    """One bot at a time; every start is a new generation with its own log section."""

    server: TelegramServer
    env: dict[str, str]
    log_path: Path
    generation: int = 0
    kills: list[Kill] = field(default_factory=list)
    ready_at: float | None = None  # loop time the current generation said it was ready
    started_at: float = 0.0
    tracebacks: int = 0
    _process: asyncio.subprocess.Process | None = None
    _reader: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """A process has been started and not yet killed or stopped."""
        return self._process is not None

    @property
    def up(self) -> bool:
        """A process is running and has finished starting."""
        return self._process is not None and self.ready_at is not None

    async def start(self) -> None:
        """Start a new generation (the CLI migrates, asks getMe, then polls)."""
        assert self._process is None
        self.generation += 1
        self.ready_at = None
        self.started_at = asyncio.get_running_loop().time()
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=ROOT,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read(self._process, self.generation))

    async def _read(self, process: asyncio.subprocess.Process, generation: int) -> None:
        """Copy the log to the file; notice 'ready'."""
        assert process.stderr is not None
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"--- generation {generation} ---\n")
            async for raw in process.stderr:
                line = raw.decode("utf-8", "replace")
                log.write(line)
                if "Traceback" in line:
                    self.tracebacks += 1
                if " ready" in line and "bot " in line and generation == self.generation:
                    self.ready_at = asyncio.get_running_loop().time()
                    self.server.world.changed()

    async def wait_ready(self, within: float = 60) -> None:
        """Until the new generation polls; fails if it died."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self.ready_at is None:
            if self._process is None or self._process.returncode is not None:
                raise RuntimeError(f"the bot process exited while starting; see {self.log_path}")
            if loop.time() > deadline:
                raise RuntimeError(f"the bot did not start within {within} s; see {self.log_path}")
            await asyncio.sleep(0.05)

    async def kill(self, mode: str) -> None:
        """SIGKILL: no shutdown, no last commit, sockets dropped mid-call."""
        process = self._process
        assert process is not None
        world = self.server.world
        pending = frozenset(u["update_id"] for u in world.updates)
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL)
        await process.wait()
        if self._reader is not None:
            await self._reader
        self.kills.append(Kill(self.generation, mode, world.delivered_up_to, pending))
        self._process = None
        self.ready_at = None
        world.changed()

    async def stop(self) -> int:
        """SIGTERM at the very end: the ordinary shutdown."""
        process = self._process
        if process is None:
            return 0
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()
        if self._reader is not None:
            await self._reader
        self._process = None
        self.ready_at = None
        return process.returncode or 0

    def lost(self, update_id: int) -> bool:
        """Whether a killed process took the update with it, so that the person must do it again: never. Telegram
        does not give out again what the killed process confirmed, but the bot kept every update it fetched in its
        inbox first (`received_update`), and the next process handles it; what it had not confirmed, Telegram
        sends again. So a person waits for the answer, and an update that never gets one is reported as stuck."""
        return False

    def log_ids(self, pattern: re.Pattern[str]) -> list[int]:
        """Row ids of one log event, in order (a row may appear more than once)."""
        if not self.log_path.exists():
            return []
        return [int(m.group(1)) for m in pattern.finditer(self.log_path.read_text(encoding="utf-8"))]


@dataclass
class Workers:
    """Several bot processes in webhook mode on one PostgreSQL database (MULTI_WORKER), the test server posting to
    them in turn: what the soak needs of BotProcess, for all of them. A kill takes one running worker, at random;
    the others go on, and the killed one is started again."""

    processes: list[BotProcess]
    choose: Callable[[list[BotProcess]], BotProcess]
    kills: list[Kill] = field(default_factory=list)
    log_path: Path = Path()

    @property
    def running(self) -> bool:
        return any(process.running for process in self.processes)

    @property
    def generation(self) -> int:
        """Starts of all workers together, counted as one process's generations (the first start is 1)."""
        return sum(process.generation for process in self.processes) - len(self.processes) + 1

    @property
    def tracebacks(self) -> int:
        return sum(process.tracebacks for process in self.processes)

    async def start(self) -> None:
        """Start every worker that is not running."""
        for process in self.processes:
            if not process.running:
                await process.start()

    async def wait_ready(self, within: float = 60) -> None:
        for process in self.processes:
            await process.wait_ready(within)

    async def kill(self, mode: str) -> None:
        """SIGKILL one running worker, chosen at random."""
        victim = self.choose([process for process in self.processes if process.running])
        await victim.kill(mode)
        self.kills.append(victim.kills[-1])

    async def stop(self) -> int:
        codes = [await process.stop() for process in self.processes]
        return max(codes, default=0)

    def lost(self, update_id: int) -> bool:
        """Never: see BotProcess.lost (the inbox is shared, and another worker takes over)."""
        return False

    def log_ids(self, pattern: re.Pattern[str]) -> list[int]:
        return [row_id for process in self.processes for row_id in process.log_ids(pattern)]
