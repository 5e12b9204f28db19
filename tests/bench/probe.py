"""What the benchmark observes: every Bot API call with its time (on the test server), and a process's CPU time."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tgserver.server import TelegramServer

SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})


@dataclass(frozen=True)
class Call:
    """One Bot API call the bot made (getUpdates apart), when the server answered it."""

    at: float  # time.monotonic()
    method: str
    chat_id: int | None
    query_id: str | None
    ok: bool
    message_id: int | None = None


def _int(value: object) -> int | None:
    """chat_id arrives as a number or as text."""
    try:
        return int(str(value))
    except ValueError:
        return None


class BenchServer(TelegramServer):
    """The test server, also keeping a timeline of calls and the moments getUpdates handed out updates."""

    def __init__(self, token: str, bot_username: str) -> None:
        super().__init__(token, bot_username)
        self.think_time = 0.0  # updates are pushed directly; simulated thinking would skew the flood limits
        self.rate_limits = False
        self.timeline: list[Call] = []
        self.fetches: list[float] = []  # getUpdates calls that returned at least one update
        self.polls = 0  # getUpdates calls begun: the bot is polling once this moves
        fetch = self._handlers["getUpdates"]

        async def counted(params: dict[str, Any]) -> object:
            self.polls += 1
            self.world.changed()
            return await fetch(params)

        self._handlers["getUpdates"] = counted

    def _log_call(self, method: str, raw: dict[str, object], ok: bool, busy: bool) -> None:
        super()._log_call(method, raw, ok, busy)
        now = time.monotonic()
        if method == "getUpdates":
            if busy and ok:
                self.fetches.append(now)
            return
        query = raw.get("callback_query_id")
        self.timeline.append(
            Call(
                now,
                method,
                _int(raw["chat_id"]) if "chat_id" in raw else None,
                str(query) if query is not None else None,
                ok,
                _int(raw["message_id"]) if "message_id" in raw else None,
            )
        )

    def mark(self) -> int:
        """A position in the timeline, to look only at what came after it."""
        return len(self.timeline)

    def since(self, mark: int) -> list[Call]:
        """The calls after a mark."""
        return self.timeline[mark:]

    def first_fetch_after(self, moment: float) -> float | None:
        """When the bot first fetched updates after this moment."""
        index = bisect.bisect_left(self.fetches, moment)
        return self.fetches[index] if index < len(self.fetches) else None

    async def wait_quiet(self, quiet: float, within: float) -> float:
        """Until the bot made no call for `quiet` seconds; returns the time of its last call (or now)."""
        deadline = time.monotonic() + within
        while True:
            last = self.timeline[-1].at if self.timeline else 0.0
            now = time.monotonic()
            if now - last >= quiet or now > deadline:
                return last if last else now
            await asyncio.sleep(min(quiet - (now - last), 0.2) + 0.01)


class Watch:
    """The calls after a mark that match a filter, collected incrementally (cheap to re-check on every change)."""

    def __init__(self, server: BenchServer, mark: int, keep: Callable[[Call], bool]) -> None:
        self.server = server
        self.position = mark
        self.keep = keep
        self.calls: list[Call] = []

    def update(self) -> list[Call]:
        """Everything matching so far."""
        timeline = self.server.timeline
        self.calls.extend(call for call in timeline[self.position :] if self.keep(call))
        self.position = len(timeline)
        return self.calls


TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far, from /proc/<pid>/stat (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


@dataclass
class CpuSampler:
    """Samples a process's CPU time every few milliseconds, so that it can be read at any past moment."""

    pid: int
    every: float = 0.02
    samples: list[tuple[float, float]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin sampling in the background."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop sampling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.every)

    def sample(self) -> float:
        """Read now and remember it."""
        value = cpu_seconds(self.pid)
        self.samples.append((time.monotonic(), value))
        return value

    def at(self, moment: float) -> float:
        """CPU time at the first sample taken at or after `moment` (now, if there is none yet)."""
        index = bisect.bisect_left(self.samples, (moment, -1.0))
        return self.samples[index][1] if index < len(self.samples) else self.sample()


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered) - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: list[float]) -> float:
    """statistics.median, for symmetry with percentile."""
    return statistics.median(values)
