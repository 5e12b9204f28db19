"""The real `python -m bot run` process, started as an operator would, against the test server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tgserver.server import TelegramServer

ROOT = Path(__file__).resolve().parents[2]


async def test_run_starts_answers_and_stops_cleanly(tg_server: TelegramServer, database_url: str) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TELEGRAM_BOT_TOKEN": tg_server.token,
        "TELEGRAM_API_BASE_URL": tg_server.base_url,
        "TELEGRAM_API_BASE_FILE_URL": tg_server.base_file_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        # The menus are set in post_init: once they are there, the bot is up.
        await tg_server.wait_for(lambda: bool(tg_server.commands(language_code="en")), timeout=30)
        anna = tg_server.user(first_name="Anna", language_code="en")
        await anna.send("/start", wait=False)
        await tg_server.wait_for(lambda: bool(anna.messages()), timeout=10)
        assert "helps GP practices" in anna.last().text
    finally:
        process.send_signal(signal.SIGTERM)
        _stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    log = stderr.decode()
    assert tg_server.token not in log, "the token never appears in the log"
    assert "Traceback" not in log
    assert "Anna" not in log, "logs hold ids, not names"
