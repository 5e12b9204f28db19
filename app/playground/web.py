"""The playground's web server: the page (static/) and the JSON API it uses, which scripts and tests use too.

Every action goes to the bot as Telegram would deliver it (through the stand-in, which checks what the bot
sends against the Bot API spec), and is refused with a 4xx and a one-line reason when Telegram's app would
not let a person do it (an unknown button, text over 4096 characters)."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from babel.dates import format_datetime

from app.calendar_feed import ROUTE as CALENDAR_ROUTE
from app.calendar_feed import feed_response
from app.playground.chat_view import Names, message_view
from app.playground.personas import GROUP_ID, GROUP_MEMBERS, GROUP_TITLE, PERSONAS, Persona, by_id, subtitle
from app.playground.session import Playground
from app.playground.tour import tour_steps
from bot.i18n import Translator
from tgserver.client import SimUser
from tgserver.html import utf16_len
from tgserver.server import BotTooSlow
from tgserver.state import ChatRecord

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
LONG_POLL_SECONDS = 25.0
MAX_BODY = 64 * 1024
MAX_ADVANCE = timedelta(days=60)
PLAYGROUND_KEY = web.AppKey("playground", Playground)
LIFE_KEY = web.AppKey("life", asyncio.Lock)  # start, stop, reset and every action take turns
HOSTS_KEY = web.AppKey("hosts", frozenset)  # Host headers answered (empty: any, when exposed on purpose)
INLINE_IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}

JSON = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiRefusal(Exception):
    """A request the API refuses: its HTTP status and a one-line reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@web.middleware
async def answers_in_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refusals as `{"error": reason}`; anything unexpected logged and answered in one line, never a traceback.
    Only this computer's own pages may drive the playground: a Host header other than the address it listens
    on (DNS rebinding) is refused, and so is a POST that is not JSON (a form another site could submit)."""
    try:
        hosts = request.app[HOSTS_KEY]
        if hosts and request.host not in hosts:
            raise ApiRefusal(421, "this playground answers only to the address it listens on")
        if request.method == "POST" and request.content_type != "application/json":
            raise ApiRefusal(415, "send JSON, with Content-Type: application/json")
        response = await handler(request)
    except ApiRefusal as refusal:
        response = web.json_response({"error": refusal.reason}, status=refusal.status)
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith("/api/"):
            raise
        response = web.json_response({"error": exc.reason}, status=exc.status)
    except Exception:
        log.exception("playground.api_error path=%s", request.path)
        response = web.json_response({"error": "something went wrong in the playground; see its log"}, status=500)
    response.headers.update(SECURITY_HEADERS)
    return response


def _playground(request: web.Request) -> Playground:
    """The playground, once it is started and seeded (a reset in progress answers 503)."""
    playground = request.app[PLAYGROUND_KEY]
    if playground.application is None or playground.cast is None:
        raise ApiRefusal(503, "the playground is starting; try again in a moment")
    return playground


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number JSON allows")


async def _body(request: web.Request) -> JSON:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ApiRefusal(413, "the request body is too large")
    try:
        body = json.loads(await request.text() or "{}", parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):  # JSONDecodeError is a ValueError
        raise ApiRefusal(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiRefusal(400, "the body must be a JSON object")
    return body


def acting(handler: Handler) -> Handler:
    """An action changes the playground: it waits for a reset (or another action) to be through first."""

    async def in_turn(request: web.Request) -> web.StreamResponse:
        async with request.app[LIFE_KEY]:
            return await handler(request)

    return in_turn


def _persona_or_group(persona_id: str) -> Persona | None:
    if persona_id == GROUP_ID:
        return None
    persona = by_id(persona_id)
    if persona is None:
        raise ApiRefusal(404, f"unknown persona {persona_id!r}; GET /api/state lists them")
    return persona


def _actor(playground: Playground, persona_id: str, body: JSON) -> tuple[SimUser, ChatRecord]:
    """Who acts and in which chat: a persona in their private chat, or a group member (`as`) in the group."""
    cast = playground.require_cast()
    persona = _persona_or_group(persona_id)
    if persona is not None:
        user = cast.users[persona.id]
        return user, user.chat
    acting = body.get("as")
    if not isinstance(acting, str) or acting not in GROUP_MEMBERS:
        raise ApiRefusal(400, f"say who acts in the group with 'as': one of {', '.join(GROUP_MEMBERS)}")
    return cast.users[acting], cast.group.chat


def _names(playground: Playground) -> Names:
    cast = playground.require_cast()
    names = {user.id: f"{user.record.first_name} {user.record.last_name or ''}".strip() for user in cast.users.values()}
    names[playground.require_server().bot_id] = "Wijkhulp"
    return Names(names)


def _language(request: web.Request) -> str:
    language = request.query.get("language", "nl")
    return language if language in ("nl", "en") else "nl"


def _clock(playground: Playground, language: str) -> JSON:
    now = playground.clock.now().astimezone(playground.zone)
    label = format_datetime(now, "EEE d MMM y HH:mm", locale=language)
    return {"now": now.isoformat(timespec="seconds"), "label": label}


async def state(request: web.Request) -> web.Response:
    """Who is in the playground, the bot's clock, and the version to long-poll on."""
    playground = _playground(request)
    language = _language(request)
    t = Translator(language, playground.zone)
    cast = playground.require_cast()
    personas: list[JSON] = [
        {
            "id": persona.id,
            "name": persona.full_name,
            "subtitle": subtitle(persona, t),
            "kind": "private",
            "language": cast.users[persona.id].record.language_code or "nl",
            "members": [],
        }
        for persona in PERSONAS
    ]
    personas.append(
        {
            "id": GROUP_ID,
            "name": GROUP_TITLE,
            "subtitle": t.gettext("Wijk group, linked to wijk {wijk}").format(wijk="Maastricht Centrum"),
            "kind": "group",
            "language": "nl",
            "members": list(GROUP_MEMBERS),
        }
    )
    return web.json_response(
        {
            "run": cast.run_id,
            "version": playground.view_version(),
            "clock": _clock(playground, language),
            "language": language,
            "personas": personas,
            "refusals": playground.refusals,
        }
    )


async def events(request: web.Request) -> web.Response:
    """Answers as soon as the page would show something new after version `since` of run `run` (a message, an
    edit, an answer, the clock), or after LONG_POLL_SECONDS unchanged; a reset starts a new run."""
    playground = _playground(request)
    try:
        since = int(request.query.get("since", "0"))
    except ValueError:
        raise ApiRefusal(400, "since must be a number") from None
    cast = playground.require_cast()
    world = playground.require_server().world

    def news() -> bool:
        return playground.cast is not cast or playground.view_version() != since

    if request.query.get("run") == cast.run_id:
        await world.wait_until(news, LONG_POLL_SECONDS)
    current = playground.cast
    if current is None:
        raise ApiRefusal(503, "the playground is starting again; try again in a moment")
    return web.json_response({"run": current.run_id, "version": playground.view_version()})


async def chat(request: web.Request) -> web.Response:
    """A persona's private chat (or the group): messages, the answers to presses, the command menu."""
    playground = _playground(request)
    persona_id = request.match_info["persona"]
    persona = _persona_or_group(persona_id)
    cast = playground.require_cast()
    server = playground.require_server()
    record = cast.users[persona.id].chat if persona is not None else cast.group.chat
    names = _names(playground)
    messages = [
        message_view(message, names, playground.zone).to_json() for message in record.messages if not message.deleted
    ]
    language = cast.users[persona.id].record.language_code if persona is not None else "nl"
    keyboard = [
        [
            {"text": key if isinstance(key, str) else key["text"], "contact": isinstance(key, dict)
             and bool(key.get("request_contact"))}
            for key in row
        ]
        for row in (record.reply_keyboard or {}).get("keyboard", [])
    ]  # fmt: skip
    toasts = []
    world = server.world
    for user in cast.users.values():
        for index, answer in enumerate(world.answers.get(user.id, [])):
            query = world.queries.get(answer.query_id)
            if query is not None and query.chat_id == record.id and answer.text:
                toasts.append({"id": f"{user.id}:{index}", "text": answer.text, "alert": answer.show_alert})
    commands = server.commands(language or "") or server.commands("")
    return web.json_response(
        {
            "persona": persona_id,
            "messages": messages,
            "keyboard": keyboard,
            "toasts": toasts,
            "commands": [{"command": c.command, "description": c.description} for c in commands],
        }
    )


async def send(request: web.Request) -> web.Response:
    """Send text as a persona (in the group: as a member, `as`)."""
    playground = _playground(request)
    body = await _body(request)
    user, record = _actor(playground, request.match_info["persona"], body)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiRefusal(400, "text is empty: Telegram sends no empty message")
    if utf16_len(text) > 4096:
        raise ApiRefusal(400, "text is over 4096 characters: Telegram's app would not send it")
    group = playground.require_cast().group if record.is_group else None
    await _acting(playground, user.send(text, group))
    return web.json_response({"ok": True})


async def press(request: web.Request) -> web.Response:
    """Press an inline button of a message, by its label (`button`) or its callback data (`data`)."""
    playground = _playground(request)
    body = await _body(request)
    user, record = _actor(playground, request.match_info["persona"], body)
    message_id = body.get("message_id")
    if not isinstance(message_id, int) or isinstance(message_id, bool):
        raise ApiRefusal(400, "message_id (a number) is needed")
    message = record.find(message_id)
    if message is None or message.deleted:
        raise ApiRefusal(404, f"no message {message_id} in this chat")
    buttons = [button for row in message.buttons for button in row if button.callback_data is not None]
    label, data = body.get("button"), body.get("data")
    if isinstance(data, str):
        chosen = next((b for b in buttons if b.callback_data == data), None)
    elif isinstance(label, str):
        chosen = next((b for b in buttons if b.text == label), None)
    else:
        raise ApiRefusal(400, "say which button: 'button' (its label) or 'data' (its callback data)")
    if chosen is None or chosen.callback_data is None:
        raise ApiRefusal(404, "that message has no such button")
    before = len(playground.require_server().world.answers.get(user.id, []))
    await _acting(playground, user.press_data(message, chosen.callback_data))
    answers = playground.require_server().world.answers.get(user.id, [])
    answer = answers[-1] if len(answers) > before else None
    return web.json_response(
        {"ok": True, "answer": None if answer is None else {"text": answer.text, "alert": answer.show_alert}}
    )


async def _acting(playground: Playground, action: Awaitable[object]) -> None:
    """Deliver one action and wait until the bot has handled it and sent what it wrote to others."""
    try:
        await action
    except BotTooSlow:
        raise ApiRefusal(504, "the bot did not finish handling that in time; see its log") from None
    except AssertionError as exc:  # the stand-in refuses what Telegram's app would not do
        raise ApiRefusal(400, str(exc).splitlines()[0]) from None
    await playground.settle()


async def language(request: web.Request) -> web.Response:
    """Make a persona Dutch or English (their Telegram language and their language in the bot)."""
    playground = _playground(request)
    persona = _persona_or_group(request.match_info["persona"])
    if persona is None:
        raise ApiRefusal(400, "a group has no language of its own")
    chosen = (await _body(request)).get("language")
    if chosen not in ("nl", "en"):
        raise ApiRefusal(400, "language must be 'nl' or 'en'")
    await playground.set_language(persona, str(chosen))
    return web.json_response({"ok": True})


async def share_contact(request: web.Request) -> web.Response:
    """Press the reply keyboard's "share my phone number" key: the persona shares a made-up number of their own."""
    playground = _playground(request)
    persona = _persona_or_group(request.match_info["persona"])
    if persona is None:
        raise ApiRefusal(400, "a phone number is shared in a private chat")
    user = playground.require_cast().users[persona.id]
    keys = [key for row in (user.chat.reply_keyboard or {}).get("keyboard", []) for key in row]
    if not any(isinstance(key, dict) and key.get("request_contact") for key in keys):
        raise ApiRefusal(409, "the bot has not asked for a phone number here")
    await _acting(playground, user.share_contact(persona.phone))
    return web.json_response({"ok": True})


_ADVANCE_TO = {"tomorrow-0730", "next-reminder"}


async def clock(request: web.Request) -> web.Response:
    """Move the bot's clock: `advance_minutes` (1 to 60 days' worth), or `to` tomorrow 07:30 or the next reminder."""
    playground = _playground(request)
    body = await _body(request)
    minutes, to = body.get("advance_minutes"), body.get("to")
    if isinstance(minutes, int | float) and not isinstance(minutes, bool):
        if not (math.isfinite(minutes) and 0 < minutes <= MAX_ADVANCE / timedelta(minutes=1)):
            raise ApiRefusal(400, "advance_minutes must be above 0 and at most 60 days")
        await playground.advance(timedelta(minutes=float(minutes)))
    elif to == "tomorrow-0730":
        await playground.to_morning()
    elif to == "next-reminder":
        if not await playground.to_next_reminder():
            raise ApiRefusal(409, "no meeting reminder is planned")
    else:
        raise ApiRefusal(400, "say how: advance_minutes, or to: " + " or ".join(sorted(_ADVANCE_TO)))
    return web.json_response({"clock": _clock(playground, _language(request))})


async def reset(request: web.Request) -> web.Response:
    """Start over: new database, new chats, the clock back to now."""
    playground = request.app[PLAYGROUND_KEY]
    async with request.app[LIFE_KEY]:
        try:
            await playground.reset()
        except Exception:
            log.exception("playground.reset_failed")
            raise ApiRefusal(500, "the playground could not start over; see its log, then try again") from None
    return web.json_response({"ok": True})


async def tour(request: web.Request) -> web.Response:
    """The guided tour's steps in the page's language."""
    playground = request.app[PLAYGROUND_KEY]
    t = Translator(_language(request), playground.zone)
    return web.json_response({"steps": [step.as_json(t) for step in tour_steps()]})


_FILE_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


async def file(request: web.Request) -> web.StreamResponse:
    """A document or photo the bot sent, to download."""
    playground = _playground(request)
    file_id = request.match_info["file_id"]
    found = playground.require_server().world.files.get(file_id) if _FILE_ID.match(file_id) else None
    if found is None:
        raise ApiRefusal(404, "no such file")
    disposition = "inline" if found.mime_type in INLINE_IMAGES else "attachment"
    safe_name = re.sub(r"[^A-Za-z0-9._ -]", "_", found.filename) or "file"
    return web.Response(
        body=found.content,
        content_type=found.mime_type,
        headers={"Content-Disposition": f'{disposition}; filename="{safe_name}"'},
    )


async def calendar(request: web.Request) -> web.Response:
    """A persona's calendar feed (from /profiel), as the bot's web server serves it in webhook mode."""
    playground = _playground(request)
    token, now = request.match_info["token"], playground.clock.now()
    return await feed_response(playground.database(), token, now=now, timezone=str(playground.zone))


async def page(_request: web.Request) -> web.FileResponse:
    """The playground page."""
    return web.FileResponse(STATIC / "index.html")


def build_web(playground: Playground, hosts: frozenset[str] = frozenset()) -> web.Application:
    """The page and the API around one playground; `hosts` are the Host headers it answers (empty: any)."""
    app = web.Application(middlewares=[answers_in_json], client_max_size=MAX_BODY)
    app[PLAYGROUND_KEY] = playground
    app[LIFE_KEY] = asyncio.Lock()
    app[HOSTS_KEY] = hosts
    app.router.add_get("/", page)
    app.router.add_static("/static/", STATIC)
    app.router.add_get("/api/state", state)
    app.router.add_get("/api/events", events)
    app.router.add_get("/api/tour", tour)
    app.router.add_get("/api/chats/{persona}", chat)
    app.router.add_post("/api/personas/{persona}/send", acting(send))
    app.router.add_post("/api/personas/{persona}/press", acting(press))
    app.router.add_post("/api/personas/{persona}/contact", acting(share_contact))
    app.router.add_post("/api/personas/{persona}/language", acting(language))
    app.router.add_post("/api/clock", acting(clock))
    app.router.add_post("/api/reset", reset)
    app.router.add_get("/api/files/{file_id}", file)
    app.router.add_get(CALENDAR_ROUTE, calendar)
    return app
