"""The measured work, the same for both bots: a burst of /help, a burst of button presses, a steady rate."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass

from tests.bench.bots import Target
from tests.bench.probe import BenchServer, CpuSampler, Watch, percentile
from tgserver.client import SimUser
from tgserver.state import ChatMessage

QUIET = 1.0  # seconds without any call after which the bot counts as done with a burst


@dataclass
class Burst:
    """Updates queued at once: how fast they were handled and what they cost."""

    updates: int
    seconds: float  # from the first fetch to the last call answering one of them
    per_second: float
    cpu_ms: float  # CPU per update, including what the updates caused afterwards (outbox notices)
    busy: float  # the bot's CPU time over the wall time of the burst: well below 1, it mostly waited
    answers: dict[str, int]  # what people saw (the press's answer, or the reply's first line), by count


@dataclass
class Steady:
    """Updates at a steady rate: the time from an update being available to the bot's reply."""

    updates: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    unanswered: int


async def _burst(target: Target, push: list[tuple[SimUser, ChatMessage | None, str]], within: float) -> Burst:
    """Push every update before the bot can fetch any (a message when there is no ChatMessage, else a press on
    it), wait until each is answered (a reply in its chat, or its callback query answered) and the bot is quiet.
    The rate counts from the first fetch to the last call about one of these updates (its answer, an edit, a
    reply); the CPU from before the push to the bot's last call of all (notices they caused included)."""
    server = target.server
    world = server.world
    sampler = CpuSampler(target.process.pid)
    sampler.start()
    try:
        mark = server.mark()
        queries_before = set(world.queries)
        started = time.monotonic()
        cpu_before = sampler.sample()
        for user, message, text in push:  # no await yields here: all are queued before the first fetch
            if message is None:
                await user.send(text, wait=False)
            else:
                await user.press(message, text, wait=False)
        chats = {user.id for user, _message, _text in push}
        queries = set(world.queries) - queries_before
        if queries:
            done = Watch(server, mark, lambda c: c.ok and c.method == "answerCallbackQuery" and c.query_id in queries)
            wanted = len(queries)
        else:
            done = Watch(server, mark, lambda c: c.ok and c.method == "sendMessage" and c.chat_id in chats)
            wanted = len(chats)
        if not await world.wait_until(lambda: len({c.chat_id or c.query_id for c in done.update()}) >= wanted, within):
            missing = wanted - len({c.chat_id or c.query_id for c in done.update()})
            raise RuntimeError(f"{target.name}: {missing} of {wanted} updates unanswered after {within:.0f} s")
        last_call = await server.wait_quiet(QUIET, within)
        first = server.first_fetch_after(started)
        assert first is not None
        last = max(c.at for c in server.since(mark) if c.chat_id in chats or c.query_id in queries)
        seconds = max(last - first, 1e-6)
        cpu = sampler.at(last_call) - cpu_before
    finally:
        await sampler.stop()
    busy = cpu / max(last_call - started, 1e-6)
    return Burst(len(push), seconds, len(push) / seconds, 1000 * cpu / len(push), busy, _seen(target, push, queries))


def _seen(target: Target, push: list[tuple[SimUser, ChatMessage | None, str]], queries: set[str]) -> dict[str, int]:
    """The answers to the presses, or the first line of each user's last message: a glance that the work was
    the real thing (a saved answer, not "this button no longer works")."""
    if queries:
        texts = [
            answer.text or "(no text)"
            for user, _message, _text in push
            for answer in target.server.world.answers.get(user.id, [])
            if answer.query_id in queries
        ]
    else:
        texts = [user.last().text.split("\n", 1)[0][:60] for user, _message, _text in push]
    return dict(Counter(texts).most_common(3))


async def help_burst(target: Target, users: list[SimUser], within: float) -> Burst:
    """Every user sends /help at once."""
    return await _burst(target, [(user, None, "/help") for user in users], within)


async def press_burst(
    target: Target, users: list[SimUser], messages: list[ChatMessage], button: str, within: float
) -> Burst:
    """Every user presses this button on their message at once."""
    return await _burst(target, [(u, m, button) for u, m in zip(users, messages, strict=True)], within)


async def steady(target: Target, users: list[SimUser], rate: float, seconds: float, within: float) -> Steady:
    """/help from a different user every 1/rate seconds for `seconds`; latency to each reply."""
    server = target.server
    count = max(1, round(rate * seconds))
    pushed: dict[int, float] = {}
    replies = Watch(server, server.mark(), lambda c: c.ok and c.method == "sendMessage")
    start = time.monotonic()
    latencies: list[float] = []
    for index in range(count):
        user = users[index % len(users)]
        await asyncio.sleep(max(0.0, start + index / rate - time.monotonic()))
        pushed[user.id] = time.monotonic()
        await user.send("/help", wait=False)
        if index % len(users) == len(users) - 1:  # a user's second turn: collect the first reply first
            await _collect(server, replies, pushed, latencies, within)
    await _collect(server, replies, pushed, latencies, within)
    unanswered = len(pushed)
    if not latencies:
        latencies = [within]
    return Steady(
        count,
        1000 * percentile(latencies, 0.5),
        1000 * percentile(latencies, 0.95),
        1000 * max(latencies),
        unanswered,
    )


async def _collect(
    server: BenchServer, replies: Watch, pushed: dict[int, float], latencies: list[float], within: float
) -> None:
    """Wait until every pushed update has its reply; move them into latencies."""
    seen = 0

    def done() -> bool:
        nonlocal seen
        calls = replies.update()
        for call in calls[seen:]:
            sent = pushed.pop(call.chat_id or 0, None)
            if sent is not None and call.at >= sent:
                latencies.append(call.at - sent)
        seen = len(calls)
        return not pushed

    await server.world.wait_until(done, within)
