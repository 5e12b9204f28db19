"""The real `python -m bot run` process, started as an operator would, against the test server."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp

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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_playground_command_serves_the_page_and_a_second_one_is_told_the_port_is_taken(
    tmp_path: Path,
) -> None:
    port = _free_port()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "bot", "playground", "--port", str(port), "--database"]
    first = await asyncio.create_subprocess_exec(
        *command, str(tmp_path / "one.sqlite3"), cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert first.stdout is not None
        line = (await asyncio.wait_for(first.stdout.readline(), 60)).decode()
        assert line.strip() == f"Wijkhulp playground: http://127.0.0.1:{port}"
        assert "no TELEGRAM_BOT_TOKEN is set" in (await first.stdout.readline()).decode()
        async with aiohttp.ClientSession() as client:
            async with client.get(f"http://127.0.0.1:{port}/") as page:
                assert page.status == 200 and "Wijkhulp" in await page.text()
            async with client.get(f"http://127.0.0.1:{port}/api/state") as state:
                assert [p["id"] for p in (await state.json())["personas"]][:2] == ["carla", "anna"]
        second = await asyncio.create_subprocess_exec(
            *command, str(tmp_path / "two.sqlite3"), cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _out, err = await asyncio.wait_for(second.communicate(), 60)
        assert second.returncode == 2
        assert f"port {port} is taken" in err.decode() and "--port" in err.decode()
    finally:
        first.send_signal(signal.SIGTERM)
        _stdout, stderr = await asyncio.wait_for(first.communicate(), timeout=30)
    assert first.returncode == 0, stderr.decode()
    assert "Traceback" not in stderr.decode()
