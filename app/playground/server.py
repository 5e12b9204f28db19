"""`python -m bot playground`: start the playground, serve its page, stop cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import sys

from aiohttp import web

from app.playground.session import Playground
from app.playground.web import LIFE_KEY, build_web
from bot.cli import PlaygroundOptions

log = logging.getLogger(__name__)


def run(options: PlaygroundOptions) -> int:
    """Run until stopped; 2 with one line when the port is taken."""
    return asyncio.run(_serve(options))


async def _serve(options: PlaygroundOptions) -> int:
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per sweep every few seconds drowns the rest
    options.database.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    playground = Playground(options.database)
    web_app = build_web(playground)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, options.host, options.port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno == errno.EADDRINUSE:
            print(
                f"error: port {options.port} is taken (is a playground already running?); "
                "choose another with --port N, e.g. ./dev run --port 8081",
                file=sys.stderr,
            )
            return 2
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    try:
        async with web_app[LIFE_KEY]:
            await playground.start()
        host = "127.0.0.1" if options.host in ("127.0.0.1", "localhost") else options.host
        print(
            f"Wijkhulp playground: http://{host}:{options.port}\n"
            "This is a playground because no TELEGRAM_BOT_TOKEN is set: the real bot talks to a Telegram stand-in "
            "on this computer. To run on Telegram, put a token from @BotFather in .env (see README, Quick start).",
            flush=True,
        )
        if options.host not in ("127.0.0.1", "localhost", "::1"):
            print(f"warning: listening on {options.host}: anyone who can reach it can use the playground", flush=True)
        await stop.wait()
    finally:
        async with web_app[LIFE_KEY]:
            await playground.stop()
        await runner.cleanup()
    return 0
