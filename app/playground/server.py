"""`python -m bot playground`: start the playground, serve its page, stop cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import sys
import webbrowser

from aiohttp import web

from app.playground.session import NotAPlaygroundDatabase, Playground
from app.playground.web import LIFE_KEY, build_web
from bot.cli import PlaygroundOptions

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def run(options: PlaygroundOptions) -> int:
    """Run until stopped; 2 with one line when the port is taken or the database file is not the playground's."""
    return asyncio.run(_serve(options))


def _url_host(host: str) -> str:
    if host in ("127.0.0.1", "localhost"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _hosts(host: str, port: int) -> frozenset[str]:
    """The Host headers a loopback playground answers; any when it is exposed on purpose."""
    if host not in LOOPBACK:
        return frozenset()
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"})


async def _serve(options: PlaygroundOptions) -> int:
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per sweep every few seconds drowns the rest
    options.database.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # The feeds' links point at this server; one exposed on purpose has no https address to give them.
    base_url = f"http://{_url_host(options.host)}:{options.port}" if options.host in LOOPBACK else ""
    playground = Playground(options.database, base_url=base_url)
    web_app = build_web(playground, _hosts(options.host, options.port))
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
        url = f"http://{_url_host(options.host)}:{options.port}"
        print(f"Wijkhulp playground: {url}", flush=True)
        if options.token_set:
            print("A playground: the real bot talks to a Telegram stand-in on this computer ('run' uses your token).")
        else:
            print(
                "This is a playground because no TELEGRAM_BOT_TOKEN is set: the real bot talks to a Telegram "
                "stand-in on this computer. To run on Telegram, put a token from @BotFather in .env (see README, "
                "Quick start).",
                flush=True,
            )
        if options.host not in LOOPBACK:
            print(f"warning: listening on {options.host}: anyone who can reach it can use the playground", flush=True)
        if options.open_browser:
            await asyncio.to_thread(webbrowser.open, url)  # a terminal session's own browser; never in tests or CI
        await stop.wait()
    except NotAPlaygroundDatabase as exc:
        print(f"error: {exc} (--database FILE)", file=sys.stderr)
        return 2
    finally:
        async with web_app[LIFE_KEY]:
            await playground.stop()
        await runner.cleanup()
    return 0
