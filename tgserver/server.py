"""A strict Telegram Bot API server on loopback for end-to-end tests with the real PTB client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tgserver.botinfo import BotInfo, scope_key
from tgserver.client import SimGroup, SimUser
from tgserver.errors import ApiError, not_implemented, too_many_requests
from tgserver.limits import Fault, FaultKind, FaultPlan, ManualClock, RateLimiter
from tgserver.messaging import Messaging
from tgserver.refusals import Refusal, RefusalBook
from tgserver.spec import ApiSpec, default_spec
from tgserver.state import ChatMessage, ChatRecord, Command, UserRecord, World
from tgserver.transport import ApiCall, loggable, read_params, serve_fault

# Re-exported so that tests can import everything they need from this module.
__all__ = ["ChatMessage", "Command", "ManualClock", "Refusal", "SimGroup", "SimUser", "TelegramServer"]
JSON = dict[str, Any]
Predicate = Callable[[], bool]
_SUPERSEDED = "Conflict: terminated by other getUpdates request"


class BotTooSlow(AssertionError):
    """A user's action was not handled (or not fetched) by the bot within `action_timeout`."""


class TelegramServer(RefusalBook):
    """The fake Telegram: start(), point PTB at base_url, create users and let them talk to the bot."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "wijkhulp_test_bot",
        *,
        clock: Callable[[], float] = time.monotonic,
        spec: ApiSpec | None = None,
    ) -> None:
        super().__init__()
        self.token = token
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456
        self.world = World(UserRecord(bot_id, "Wijkhulp", username=bot_username, is_bot=True))
        self.spec = spec or default_spec()
        self.calls: list[ApiCall] = []
        self.faults = FaultPlan()
        self.faults_served = 0
        self.rate_limits = True
        self.limiter = RateLimiter()
        self.rate_limited = 0  # 429s served by the flood limits (not injected faults): what the bot provoked
        self.clock = clock
        self.think_time = 3.0  # simulated seconds a user action takes, so fast tests do not flood chats
        self.privacy_mode = True  # in groups the bot only gets commands, replies to it and mentions
        self.handled_waiter: Callable[[int], Awaitable[None]] | None = None
        self.quiet_period = 0.1  # fallback waiting: seconds without API requests that count as "done"
        # A bound on waiting, not a wait: an action returns as soon as the bot is done. Generous, so that a loaded
        # machine (CI's other jobs, a CPU burner) slows the suite down instead of failing it.
        self.action_timeout = 30.0
        self._sim_offset = 0.0
        self._last_activity = 0.0
        self._in_flight = 0
        self._next_user_id = 10_000_001
        self._next_group_id = 1
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._handlers = {
            **Messaging(self.world, self._flood).handlers(),
            **BotInfo(self.world, lambda: self.privacy_mode).handlers(),
        }

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        self.world.closing = False
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        # handler_cancellation: a long poll whose client went away must not linger.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop quickly: pending long polls are released first."""
        self.world.closing = True
        self.world.changed()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def port(self) -> int:
        """The port start() bound."""
        assert self._port, "TelegramServer.start() was not awaited"
        return self._port

    @property
    def base_url(self) -> str:
        """For telegram.Bot(base_url=...)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For telegram.Bot(base_file_url=...)."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def bot_user(self) -> UserRecord:
        """The bot's own account."""
        return self.world.bot

    @property
    def bot_username(self) -> str:
        """The bot's @username (without @)."""
        return self.world.bot.username or ""

    @property
    def bot_id(self) -> int:
        """The bot's user id (the number before the colon in the token)."""
        return self.world.bot.id

    # --- the simulated world, for tests ------------------------------------------------------------

    def user(
        self,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "nl",
        *,
        user_id: int | None = None,
        started: bool = False,
    ) -> SimUser:
        """A new user; the bot may write to the private chat only after the user did (or started=True)."""
        if user_id is None:
            user_id = self._next_user_id
            self._next_user_id += 1
        assert user_id > 0 and user_id not in self.world.users, f"user id {user_id} is invalid or taken"
        record = UserRecord(user_id, first_name, last_name, username, language_code, started=started)
        self.world.users[user_id] = record
        self.world.chats[user_id] = ChatRecord(user_id, "private", user=record)
        return SimUser(self, record)

    def group(
        self, title: str, members: list[SimUser], *, supergroup: bool = True, bot_member: bool = True
    ) -> SimGroup:
        """A group with these members; the bot is in it unless bot_member=False (see SimGroup.add_bot)."""
        number = self._next_group_id
        self._next_group_id += 1
        chat_id = -1001000000000 - number if supergroup else -100000 - number
        chat = ChatRecord(
            chat_id,
            "supergroup" if supergroup else "group",
            title=title,
            member_ids=[m.id for m in members],
            bot_status="member" if bot_member else "left",
        )
        self.world.chats[chat_id] = chat
        return SimGroup(self, chat)

    def chat(self, chat_id: int) -> ChatRecord:
        """A chat's state (messages, keyboard, chat actions)."""
        return self.world.chats[chat_id]

    def commands(self, language_code: str = "", scope: JSON | None = None) -> list[Command]:
        """What setMyCommands stored for this scope (default scope if None) and language."""
        stored = self.world.commands.get((scope_key(scope), language_code), [])
        return [Command(c["command"], c["description"]) for c in stored]

    def now(self) -> float:
        """The clock flood limits use: the injected clock plus simulated time from advance()."""
        return self.clock() + self._sim_offset

    def advance(self, seconds: float) -> None:
        """Let simulated time pass (for flood limits) without sleeping."""
        self._sim_offset += seconds

    def unanswered_queries(self) -> list[str]:
        """Callback query ids the bot never answered (users would see a spinner)."""
        return [q.query_id for q in self.world.queries.values() if not q.answered]

    def transcript(self, last: int = 10) -> str:
        """The most recent messages of every chat, for failure messages."""
        lines = []
        for chat in self.world.chats.values():
            if chat.messages:
                lines.append(f"chat {chat.id} ({chat.title or chat.type}):")
                lines.extend(f"  {m}" for m in chat.messages[-last:])
        return "\n".join(lines) or "(no messages)"

    # The timeout parameter is the documented test API; the wait itself is on state changes.
    async def wait_for(self, predicate: Predicate, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until predicate() is true (re-checked on every state change), else fail with a transcript."""
        if not await self.world.wait_until(predicate, timeout):
            raise AssertionError(f"condition not met within {timeout} s; recent messages:\n{self.transcript()}")

    async def settle(self, update_id: int) -> None:
        """Return once the bot has handled this update (handled_waiter, or fetch + quiet period)."""
        world = self.world
        if self.handled_waiter is not None:
            try:
                await asyncio.wait_for(self.handled_waiter(update_id), self.action_timeout)
            except TimeoutError:
                raise BotTooSlow(
                    f"the bot did not finish update {update_id} in {self.action_timeout} s{self._dropped(update_id)}"
                ) from None
            return
        fetched = await world.wait_until(
            lambda: world.delivered_up_to >= update_id or update_id in world.dropped, self.action_timeout
        )
        if update_id in world.dropped or not fetched:
            reason = self._dropped(update_id) or "; is it polling?"
            raise BotTooSlow(f"the bot did not fetch update {update_id} in {self.action_timeout} s{reason}")
        await self._quiet()

    def _dropped(self, update_id: int) -> str:
        """Why an update never reached the bot, if it was filtered out by allowed_updates."""
        kind = self.world.dropped.get(update_id)
        if kind is None:
            return ""
        return f": Telegram dropped this {kind} update, the bot's allowed_updates are {self.world.allowed_updates}"

    async def _quiet(self) -> None:
        """Fallback only: wait until no API request arrived for quiet_period seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.action_timeout
        while loop.time() < deadline:
            remaining = self._last_activity + self.quiet_period - loop.time()
            if self._in_flight == 0 and remaining <= 0:
                return
            await asyncio.sleep(max(remaining, 0.01))
        raise AssertionError(f"the bot kept calling the API for {self.action_timeout} s")

    def user_acted(self) -> None:
        """Called by SimUser actions: simulated time passes as a human would take."""
        self._sim_offset += self.think_time

    # --- refusals and faults --------------------------------------------------------------------

    def inject_fault(
        self,
        method: str | None = None,
        kind: FaultKind = "500",
        times: int = 1,
        retry_after: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Fail the next `times` matching calls (method None: any but getUpdates) without side effects."""
        if method is not None and self.spec.canonical(method) is None:
            raise ValueError(f"unknown Bot API method {method!r}")
        self.faults.faults.append(Fault(method, kind, times, retry_after, chat_id))

    def _flood(self, chat: ChatRecord) -> None:
        """Refuse a new message with 429 if it exceeds a flood limit."""
        if self.rate_limits:
            retry_after = self.limiter.check(chat.id, chat.is_group, self.now())
            if retry_after is not None:
                self.rate_limited += 1
                raise too_many_requests(retry_after)

    # --- HTTP ---------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        """One Bot API call: token, method, faults, parameters, then the method itself."""
        name = request.match_info["method"]
        method = self.spec.canonical(name) or name
        polling = method == "getUpdates"  # long polls are not "the bot is busy" for the fallback waiting
        self._in_flight += 0 if polling else 1
        raw: dict[str, object] = {}
        try:
            raw = await read_params(request)
            known = request.match_info["token"] == self.token and method in self.spec.methods
            fault = self.faults.take(method, raw.get("chat_id")) if known else None
            if fault is not None:
                self.faults_served += 1
                self._log_call(method, raw, ok=False, busy=True)
                return await serve_fault(request, fault)
            result = await self._call(request.match_info["token"], name, raw)
            self._log_call(method, raw, ok=True, busy=not polling or bool(result))
            return web.json_response({"ok": True, "result": result})
        except ApiError as exc:
            self._log_call(method, raw, ok=False, busy=not polling)
            if not exc.description.startswith(_SUPERSEDED):  # an abandoned long poll, not the bot's fault
                self.refusals.append(Refusal(method, exc.code, exc.description, loggable(raw)))
            return web.json_response(exc.envelope(), status=exc.code)
        finally:
            self._in_flight -= 0 if polling else 1
            self.world.changed()

    def _log_call(self, method: str, raw: dict[str, object], ok: bool, busy: bool) -> None:
        """Remember the call (getUpdates only in refusals) and when the bot last did something."""
        if method != "getUpdates":
            self.calls.append(ApiCall(method, loggable(raw), ok))
        if busy:
            self._last_activity = asyncio.get_running_loop().time()

    async def _call(self, token: str, name: str, raw: dict[str, object]) -> object:
        """Validate and run a call; ApiError on refusal."""
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        method = self.spec.canonical(name)
        if method is None:
            raise ApiError(404, "Not Found")
        params = self.spec.validate(method, raw)
        handler = self._handlers.get(method)
        if handler is None:
            raise not_implemented(method)
        return await handler(params)

    async def _download(self, request: web.Request) -> web.StreamResponse:
        """Serve files the bot uploaded, by the file_path getFile returned."""
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").envelope(), status=401)
        document = self.world.files.get(request.match_info["path"].removeprefix("documents/"))
        if document is None:
            return web.json_response(ApiError(404, "Not Found").envelope(), status=404)
        return web.Response(body=document.content, content_type=document.mime_type)

    def messages_in(self, chat_id: int) -> list[ChatMessage]:
        """All messages of a chat, oldest first."""
        return list(self.world.chats[chat_id].messages)
