"""PostgreSQL goes away under the running bot, in the middle of a fan-out: the pool throws the dead connections
away (pool_pre_ping), the dispatcher keeps what Telegram answered until it can write it, and everything is
sent exactly once; people and sweeps carry on without a restart of the bot.

Two ways to pull the database away: every backend of this test's own database terminated (safe on a shared
server, runs whenever the suite runs on PostgreSQL), and a real restart of the cluster by the shell command in
WIJKHULP_TEST_POSTGRES_RESTART (set by .ci/run for its own throwaway cluster; skipped when unset).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from db.models import Role
from tests.conftest import POSTGRES_URL
from tests.e2e.requests_helpers import noordwest, post
from tests.e2e.storm import crowd, no_kicks, open_rows
from tests.harness import Harness
from tgserver.client import SimUser
from tgserver.server import TelegramServer

RESTART_COMMAND = os.environ.get("WIJKHULP_TEST_POSTGRES_RESTART", "")

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs WIJKHULP_TEST_POSTGRES_URL")


async def terminate_backends(database_url: str) -> None:
    """Kill every connection to this test's database (only this one: the server may be shared)."""
    url = make_url(database_url)
    admin = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, database="postgres"
    )
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1", url.database
        )
    finally:
        await admin.close()
    assert killed, "the bot had connections to kill"


async def restart_cluster(_database_url: str) -> None:
    """Restart the whole cluster with the configured command (pg_ctl ... -w restart)."""
    process = await asyncio.create_subprocess_shell(
        RESTART_COMMAND, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode(errors="replace")


OUTAGES = [
    pytest.param(terminate_backends, id="backends-terminated"),
    pytest.param(
        restart_cluster,
        id="cluster-restarted",
        marks=pytest.mark.skipif(not RESTART_COMMAND, reason="set WIJKHULP_TEST_POSTGRES_RESTART to a restart command"),
    ),
]


def copies(user: SimUser, request_id: int) -> int:
    return sum(1 for m in user.messages() if m.text.startswith(f"Hulpvraag #{request_id}\n"))


def outage_after_sends(server: TelegramServer, count: int, outage: Callable[[], Awaitable[None]]) -> None:
    """After Telegram accepted `count` messages, take the database away before answering the last of them."""
    handlers: dict[str, Callable[[dict[str, Any]], Awaitable[object]]] = server._handlers
    send = handlers["sendMessage"]
    seen = 0

    async def send_then_outage(params: dict[str, Any]) -> object:
        nonlocal seen
        result = await send(params)
        seen += 1
        if seen == count:
            handlers["sendMessage"] = send
            await outage()
        return result

    handlers["sendMessage"] = send_then_outage


@pytest.mark.parametrize("outage", OUTAGES)
async def test_the_bot_recovers_when_postgresql_goes_away(
    bot: Harness, database_url: str, outage: Callable[[str], Awaitable[None]]
) -> None:
    people = await noordwest(bot)
    helpers = await crowd(bot, {"malberg": 8, "pottenberg": 8}, Role.DOKTERSASSISTENT)
    reached = [people.bob, people.carol, *helpers]
    with no_kicks(bot):
        request_id = await post(bot, people.anna)
    outage_after_sends(bot.server, 5, lambda: outage(database_url))
    for _pass in range(3):
        try:
            await bot.dispatch()
        except Exception:  # a pass may fail while the database comes back; the next one goes on
            continue
    await bot.dispatch()
    bot.clock.advance(minutes=5)  # past the claim timeout: nothing claimed before the outage goes out again
    await bot.dispatch()
    assert [copies(person, request_id) for person in reached] == [1] * len(reached)
    assert await open_rows(bot) == 0

    # After the outage, people and sweeps work as before, without a restart of the bot.
    await outage(database_url)
    await people.bob.press(people.bob.messages()[-1], "Ik kan alles")
    assert "Je aanbod is verstuurd" in (people.bob.callback_answers[-1].text or "")
    await bot.dispatch()
    offers = [m for m in people.anna.messages() if m.text.startswith(f"Aanbod voor hulpvraag #{request_id}")]
    assert len(offers) == 1
