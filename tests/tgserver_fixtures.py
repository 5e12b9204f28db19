"""The tg_server pytest fixture: a running TelegramServer that fails the test on unexpected refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tgserver.server import TelegramServer


@pytest_asyncio.fixture
async def tg_server() -> AsyncIterator[TelegramServer]:
    """A started server; at teardown any refusal not declared with expect_refusals() fails the test."""
    server = TelegramServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
    try:
        server.check_refusals()
    except AssertionError as exc:
        pytest.fail(str(exc), pytrace=False)
