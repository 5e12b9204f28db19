"""`GET /calendar/<token>.ics`: a member's personal calendar feed, served by the webhook server and the
playground's alike. The token is the only key: an unknown, revoked or malformed one answers 404, the same to
everyone, and the token never reaches a log line."""

from __future__ import annotations

import logging
import re
from datetime import datetime

from aiohttp import web

from bot.services.calendars import feed_events
from bot.services.ics import feed_file
from db.session import Database

log = logging.getLogger(__name__)

ROUTE = "/calendar/{token}.ics"
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,128}")
FEED_NAME = "Wijkhulp"
HEADERS = {
    # A calendar looks again every so often; an hour's copy in a shared cache would serve someone else's feed.
    "Cache-Control": "private, max-age=300",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


async def feed_response(database: Database, token: str, *, now: datetime, timezone: str) -> web.Response:
    """The feed as text/calendar, or 404; read in a reader session (it never waits for the bot's writers)."""
    if not TOKEN.fullmatch(token):
        return web.Response(status=404, text="not found")
    async with database.reader() as session:
        events = await feed_events(session, token, now=now)
    if events is None:
        log.info("calendar_feed.unknown_token")
        return web.Response(status=404, text="not found")
    log.info("calendar_feed.served events=%s", len(events))
    body = feed_file(events, timezone=timezone, name=FEED_NAME)
    response = web.Response(body=body, content_type="text/calendar", charset="utf-8", headers=HEADERS)
    response.headers["Content-Disposition"] = 'inline; filename="wijkhulp.ics"'
    return response
