"""The installable package: a wheel built from this checkout and installed, with the locked packages, in a fresh
virtual environment outside it. From there its `wijkhulp` script migrates, imports the network and runs the bot
against the test server, which answers /help in Dutch from the compiled catalogs the wheel carries.

Slow (a virtual environment and the packages of requirements/run.txt): it runs when WIJKHULP_TEST_WHEEL is set,
as CI does (`.ci/run`)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests import tgserver_fixtures as fixtures
from tgserver.server import TelegramServer

tg_server = fixtures.tg_server

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not os.environ.get("WIJKHULP_TEST_WHEEL"), reason="set WIJKHULP_TEST_WHEEL=1 (CI does)")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a new virtual environment with the wheel installed (no checkout on its path)."""
    work = tmp_path_factory.mktemp("wheel")

    def run(*args: object) -> None:
        subprocess.run([str(arg) for arg in args], check=True, stdout=subprocess.DEVNULL)

    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", work / "dist", ROOT)
    run(sys.executable, "-m", "venv", work / "venv")
    pip = (work / "venv" / "bin" / "python", "-m", "pip", "install", "-q")
    run(*pip, "--require-hashes", "-r", ROOT / "requirements" / "run.txt")
    run(*pip, "--no-deps", next((work / "dist").glob("wijkhulp-*.whl")))
    return work / "venv" / "bin"


async def test_the_installed_wheel_migrates_imports_and_answers(
    installed: Path, tg_server: TelegramServer, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"  # not the checkout: only the installed package can be imported
    elsewhere.mkdir()
    env = {
        "PATH": f"{installed}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'wijkhulp.sqlite3'}",
        "TELEGRAM_BOT_TOKEN": tg_server.token,
        "TELEGRAM_API_BASE_URL": tg_server.base_url,
        "TELEGRAM_API_BASE_FILE_URL": tg_server.base_file_url,
    }
    script = str(installed / "wijkhulp")
    for command in (["migrate"], ["import-network", str(ROOT / "app" / "playground" / "example-network.yaml")]):
        done = await asyncio.create_subprocess_exec(
            script, *command, cwd=elsewhere, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        output, _ = await done.communicate()
        assert done.returncode == 0, output.decode()

    bot = await asyncio.create_subprocess_exec(
        script,
        "run",
        cwd=elsewhere,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    log: list[str] = []
    try:
        assert bot.stderr is not None
        while not any(" ready" in line for line in log):
            line = await asyncio.wait_for(bot.stderr.readline(), 60)
            assert line, "the bot exited while starting:\n" + "".join(log)
            log.append(line.decode())
        stranger = tg_server.user(first_name="Sanne", language_code="nl")
        await stranger.send("/start")
        assert "helpt huisartsenpraktijken" in stranger.last().text
    finally:
        bot.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(bot.communicate(), 30)
        log.append(rest.decode())
    assert bot.returncode == 0, "".join(log)
    assert "compiled catalog missing" not in "".join(log)
    assert "Traceback" not in "".join(log)
