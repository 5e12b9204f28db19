"""End-to-end fixtures: the Telegram-like server and the real bot running against it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness import Harness, running_bot
from tests.support import FakeClock
from tests.tgserver_fixtures import tg_server
from tgserver.server import TelegramServer

__all__ = ["tg_server"]


@pytest.fixture
async def bot(tg_server: TelegramServer, database_url: str, clock: FakeClock) -> AsyncIterator[Harness]:
    """The real bot, running against the test server."""
    async with running_bot(tg_server, database_url, clock) as harness:
        yield harness
