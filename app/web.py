"""Webhook mode: one aiohttp server for Telegram's webhook, `GET /healthz`, `GET /metrics` and the members'
calendar feeds (`GET /calendar/<token>.ics`, app/calendar_feed.py).

An update is answered 200 once it is in the inbox (`received_update`), the same promise polling keeps: a crash
after that hands it to the next start from the inbox, and a crash before it makes Telegram send it again. A
request without the right secret header, a body that is not an update or one too large is refused before the
database is touched.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import select
from telegram import Update

from app import calendar_feed
from bot import metrics
from bot.runtime import Runtime
from bot.services.handled_updates import keep_if_new
from bot.services.outbox import due_backlog
from handlers.context import RUNTIME_KEY, BotApplication
from handlers.workers import PULLER_KEY, InboxPuller, chat_key

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# An update is a few kilobytes (a document arrives as its id, not its content); anything far larger is not one.
MAX_BODY_BYTES = 256 * 1024
HEALTH_TIMEOUT_SECONDS = 2.0


class WebhookServer:
    """The routes, bound to one Application."""

    def __init__(self, application: BotApplication, secret: str, path: str) -> None:
        self.application = application
        self.runtime: Runtime = application.bot_data[RUNTIME_KEY]
        self.secret = secret.encode()
        self.path = path
        self.puller: InboxPuller | None = application.bot_data.get(PULLER_KEY)

    def web_app(self) -> web.Application:
        """The aiohttp application with its four routes."""
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(self.path, self.receive)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        app.router.add_get(calendar_feed.ROUTE, self.calendar)
        return app

    def _refuse(self, status: int, reason: str) -> web.Response:
        metrics.WEBHOOK_REFUSED.labels(reason).inc()
        log.warning("webhook.refused reason=%s", reason)
        return web.Response(status=status, text=reason)

    async def receive(self, request: web.Request) -> web.Response:
        """An update from Telegram: checked, kept in the inbox, queued; 200 only once it is kept."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            return self._refuse(401, "secret")
        try:
            payload: Any = json.loads(await request.read())
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(413, "too_large")
        except (ValueError, UnicodeDecodeError):
            return self._refuse(400, "not_json")
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return self._refuse(400, "not_an_update")
        try:
            update = Update.de_json(payload, self.application.bot)
        except Exception:  # a shape PTB cannot read: not an update we could handle
            return self._refuse(400, "not_an_update")
        if update is None:
            return self._refuse(400, "not_an_update")
        try:
            async with self.runtime.database.session() as session:
                new = await keep_if_new(session, payload, now=self.runtime.clock.now(), chat_key=chat_key(update))
                await session.commit()
        except Exception as exc:  # Telegram sends it again later: nothing is lost
            log.warning("webhook.not_kept update=%s error=%s", update.update_id, type(exc).__name__)
            return web.Response(status=503, text="try again")
        if not new:
            log.info("webhook.redelivered update=%s", update.update_id)
        elif self.puller is not None:  # several workers: whichever is free takes it from the inbox
            self.puller.kick()
        else:
            await self.application.update_queue.put(update)
        return web.Response(text="ok")

    async def _database_ok(self) -> bool:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS), self.runtime.database.reader() as session:
                await session.scalar(select(1))
        except Exception as exc:
            log.warning("healthz.database_unreachable error=%s", type(exc).__name__)
            return False
        return True

    async def healthz(self, request: web.Request) -> web.Response:
        """200 with the last sweep times when the database answers, else 503."""
        reachable = await self._database_ok()
        body = {
            "database": "ok" if reachable else "unreachable",
            "sweeps": {job: at.isoformat() for job, at in sorted(metrics.last_sweeps.items())},
        }
        return web.json_response(body, status=200 if reachable else 503)

    async def calendar(self, request: web.Request) -> web.Response:
        """A member's calendar feed, or 404."""
        token, settings = request.match_info["token"], self.runtime.settings
        now = self.runtime.clock.now()
        return await calendar_feed.feed_response(self.runtime.database, token, now=now, timezone=settings.timezone)

    async def metrics(self, request: web.Request) -> web.Response:
        """Prometheus text format; the outbox figures are counted in SQL at each scrape."""
        try:
            now = self.runtime.clock.now()
            async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS), self.runtime.database.reader() as session:
                due, oldest = await due_backlog(session, now=now)
            metrics.OUTBOX_DUE.set(due)
            metrics.OUTBOX_OLDEST_SECONDS.set((now - oldest).total_seconds() if oldest else 0)
        except Exception as exc:  # the counters are still worth serving
            log.warning("metrics.outbox_unavailable error=%s", type(exc).__name__)
        body = generate_latest(metrics.REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def webhook_path(url: str) -> str:
    """The path of WEBHOOK_URL the server answers on (the reverse proxy passes it on unchanged)."""
    return urlsplit(url).path or "/"


@asynccontextmanager
async def serving_webhook(application: BotApplication, host: str, port: int) -> AsyncIterator[int]:
    """Start the started Application's web server and register the webhook; yields the port it listens on."""
    settings = application.bot_data[RUNTIME_KEY].settings
    puller: InboxPuller | None = None
    if settings.multi_worker:
        puller = InboxPuller(application, limit=2 * settings.concurrent_updates)
        application.bot_data[PULLER_KEY] = puller
        await puller.start()
    server = WebhookServer(application, settings.webhook_secret, webhook_path(settings.webhook_url))
    runner = web.AppRunner(server.web_app(), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
        await application.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
            max_connections=settings.webhook_max_connections,
        )
        log.info("webhook.serving port=%s", bound)
        yield bound
    finally:
        await runner.cleanup()
        if puller is not None:  # its claims and lock stay until the Application has handled what is in hand
            await puller.stop_taking()
