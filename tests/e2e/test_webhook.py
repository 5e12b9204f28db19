"""Webhook mode: the real Application behind its own web server, the test server posting updates to it as
Telegram does (in order, with the secret header, again until it gets a 200); /healthz and /metrics beside it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import event, func, select

from db.models import HandledUpdate, ReceivedUpdate, ShortageRequest
from handlers.context import RUNTIME_KEY
from tests.e2e.requests_helpers import noordwest, post
from tests.harness import WEBHOOK_SECRET, WEBHOOK_URL, Harness, running_webhook_bot
from tests.support import FakeClock
from tgserver.server import TelegramServer
from tgserver.webhook import SECRET_HEADER, WebhookPusher

Running = tuple[Harness, WebhookPusher, int]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def hooked(tg_server: TelegramServer, database_url: str, clock: FakeClock) -> AsyncIterator[Running]:
    async with running_webhook_bot(tg_server, database_url, clock) as running:
        yield running


async def count(bot: Harness, model: type[ShortageRequest] | type[ReceivedUpdate] | type[HandledUpdate]) -> int:
    async with bot.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_webhook_is_registered_with_its_secret_and_a_request_goes_through(hooked: Running) -> None:
    bot, pusher, _port = hooked
    world = bot.server.world
    assert world.webhook_url == WEBHOOK_URL and world.webhook_secret == WEBHOOK_SECRET
    people = await noordwest(bot)
    await people.anna.send("/help")
    assert "/verzoek" in people.anna.last().text
    request_id = await post(bot, people.anna)
    assert await count(bot, ShortageRequest) == 1 and request_id
    assert set(pusher.answers) == {200}
    assert await count(bot, ReceivedUpdate) == 0, "each update left the inbox once handled"


async def test_without_the_right_secret_nothing_is_handled_and_the_database_is_not_touched(hooked: Running) -> None:
    bot, _pusher, port = hooked
    people = await noordwest(bot)
    handled_before, seen_before = await count(bot, HandledUpdate), len(people.anna.messages())
    engine = bot.app.bot_data[RUNTIME_KEY].database.engine.sync_engine
    statements: list[str] = []

    def executed(_conn: object, _cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    anna = {"id": people.anna.id, "is_bot": False, "first_name": "Anna"}
    chat = {"id": people.anna.id, "type": "private"}
    update = {
        "update_id": 999_999,
        "message": {"message_id": 1, "date": 0, "chat": chat, "from": anna, "text": "/help"},
    }
    url = f"http://127.0.0.1:{port}/telegram"
    event.listen(engine, "before_cursor_execute", executed)
    try:
        async with aiohttp.ClientSession() as client:
            answers = []
            for headers, body in (
                ({}, json.dumps(update)),  # no secret
                ({SECRET_HEADER: "wrong-secret-0123456789"}, json.dumps(update)),
                ({SECRET_HEADER: WEBHOOK_SECRET}, "not json {"),
                ({SECRET_HEADER: WEBHOOK_SECRET}, json.dumps({"hello": "world"})),
                ({SECRET_HEADER: WEBHOOK_SECRET}, json.dumps([1, 2, 3])),
                ({SECRET_HEADER: WEBHOOK_SECRET}, "x" * (2 * 1024 * 1024)),  # far larger than any update
            ):
                async with client.post(url, data=body, headers=headers) as response:
                    answers.append(response.status)
    finally:
        event.remove(engine, "before_cursor_execute", executed)
    assert answers == [401, 401, 400, 400, 400, 413]
    assert statements == [], "refused before the database"
    assert await count(bot, HandledUpdate) == handled_before
    assert len(people.anna.messages()) == seen_before


async def test_an_update_sent_again_by_telegram_is_handled_once(hooked: Running) -> None:
    bot, pusher, _port = hooked
    people = await noordwest(bot)
    update_id = await people.anna.send("/help")
    answers = len(people.anna.messages())
    bot.server.world.redeliver(update_id)  # as when Telegram did not get our 200
    await bot.server.world.wait_until(lambda: not bot.server.world.updates, 10)
    assert len(people.anna.messages()) == answers
    assert pusher.answers[-1] == 200, "acknowledged, so that Telegram stops sending it"


async def test_healthz_and_metrics(hooked: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    bot, _pusher, port = hooked
    people = await noordwest(bot)
    await people.anna.send("/help")
    await post(bot, people.anna)
    async with aiohttp.ClientSession() as client:
        async with client.get(f"http://127.0.0.1:{port}/healthz") as response:
            health = await response.json()
            assert response.status == 200
        async with client.get(f"http://127.0.0.1:{port}/metrics") as response:
            exposition = await response.text()
            assert response.status == 200 and response.content_type == "text/plain"
    assert health["database"] == "ok"
    assert "outbox" in health["sweeps"], "the outbox sweep ran once at start"
    for name in (
        "wijkhulp_updates_handled_total",
        "wijkhulp_update_seconds_bucket",
        "wijkhulp_outbox_sends_total",
        "wijkhulp_outbox_due",
        "wijkhulp_outbox_oldest_due_seconds",
        "wijkhulp_sweep_seconds_count",
        "wijkhulp_telegram_429_total",
    ):
        assert name in exposition, name
    assert 'wijkhulp_outbox_sends_total{outcome="sent"}' in exposition

    database = bot.app.bot_data[RUNTIME_KEY].database

    def unreachable() -> object:
        raise ConnectionRefusedError("database down")

    monkeypatch.setattr(database, "reader", unreachable)
    async with aiohttp.ClientSession() as client:
        async with client.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 503 and (await response.json())["database"] == "unreachable"
        async with client.get(f"http://127.0.0.1:{port}/metrics") as response:
            assert response.status == 200, "the counters are served without the database"
    monkeypatch.undo()
    async with aiohttp.ClientSession() as client, client.get(f"http://127.0.0.1:{port}/healthz") as response:
        assert response.status == 200, "recovers by itself"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_run_serves_webhooks_when_webhook_url_is_set(tg_server: TelegramServer, tmp_path: Path) -> None:
    """`python -m bot run`, the real process, with WEBHOOK_URL: no polling, the webhook registered, updates
    answered through it, and an ordinary stop on SIGTERM."""
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hook.sqlite3'}",
        "TELEGRAM_BOT_TOKEN": tg_server.token,
        "TELEGRAM_API_BASE_URL": tg_server.base_url,
        "TELEGRAM_API_BASE_FILE_URL": tg_server.base_file_url,
        "WEBHOOK_URL": WEBHOOK_URL,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
    }
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    pusher = WebhookPusher(tg_server.world, f"http://127.0.0.1:{port}/telegram")
    log: list[str] = []
    try:
        assert bot.stderr is not None
        while not any("webhook.serving" in line for line in log):
            line = await asyncio.wait_for(bot.stderr.readline(), 60)
            assert line, "the bot exited while starting:\n" + "".join(log)
            log.append(line.decode())
        pusher.start()
        stranger = tg_server.user(first_name="Sanne", language_code="nl")
        await stranger.send("/start")
        assert "helpt huisartsenpraktijken" in stranger.last().text
        assert not [c for c in tg_server.calls if c.method == "getUpdates"], "webhook mode does not poll"
    finally:
        await pusher.stop()
        bot.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(bot.communicate(), 30)
        log.append(rest.decode())
    assert bot.returncode == 0, "".join(log)
    assert "Traceback" not in "".join(log)
