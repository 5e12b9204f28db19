"""PTB's AIORateLimiter, with people's replies ahead of the outbox, and one rule about button presses that
Telegram hands out again after a restart."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import BadRequest, RetryAfter
from telegram.ext import AIORateLimiter

from bot import metrics

log = logging.getLogger(__name__)


def _not_our_retries(record: logging.LogRecord) -> bool:
    """PTB logs every 429 it passes on with a traceback; who sent it handles it and logs its own line."""
    return not record.getMessage().startswith("Rate limit hit after maximum")


logging.getLogger("telegram.ext.AIORateLimiter").addFilter(_not_our_retries)


# Telegram allows about 30 messages a second in all. PTB's default limiter (30 per second, a bucket of 30)
# lets a full bucket go at once and then 30 more within the same second, which Telegram answers with 429s in a
# large fan-out. One call every 1/29 s (a bucket of one) never puts more than 30 in any second.
PACE_PER_SECOND = 29
# A reply to a person that meets a 429 anyway (1 message a second per chat, 20 a minute per group) is sent again
# after Telegram's retry_after, a few times, rather than lost; only that reply waits (PTB's own retries would
# hold up every request meanwhile). The outbox does not retry here: it reschedules the row itself.
REPLY_RETRIES = 3

Call = Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]]

# Set by the outbox in its sending tasks: their requests are fan-out ("background"), which waits for people.
BACKGROUND: ContextVar[bool] = ContextVar("wijkhulp_background_send", default=False)
# Run when the request's turn has come, just before it leaves for Telegram (the outbox commits that a reminder
# is on its way there, so that a crash while it waited in line does not cut it off).
ON_TURN: ContextVar[Callable[[], Awaitable[None]] | None] = ContextVar("wijkhulp_on_turn", default=None)


class WijkhulpRateLimiter(AIORateLimiter):
    """Every request passes here, evenly paced (PACE_PER_SECOND). People's replies go first: the outbox's sends
    queue one at a time, and only while no reply is waiting for its turn; so a reply waits behind at most one
    fan-out message, also after a restart with a backlog. A press that reaches the bot again after a crash (it
    was never confirmed) may be too old to answer, and the edit it makes may already be there; neither is worth
    failing the update for: the answer only stops a spinner, and "not modified" means the message already says
    it."""

    def __init__(
        self,
        before_call: Callable[[], Awaitable[None]] | None = None,
        shared_pace: Callable[[], Awaitable[float]] | None = None,
    ) -> None:
        super().__init__(overall_max_rate=1, overall_time_period=1 / PACE_PER_SECOND, max_retries=0)
        self._before_call = before_call
        # Several workers: when a call's turn has come here, it also takes the next slot of the pace they share
        # (seconds to wait for it), so that all of them together keep to Telegram's limit (bot/services/pace.py).
        self._shared_pace = shared_pace
        self._replies_waiting = 0
        self._no_reply_waiting = asyncio.Event()
        self._no_reply_waiting.set()
        self._background_line = asyncio.Lock()

    async def process_request(
        self,
        callback: Call,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """`before_call` first (the handlers end their update's open transaction there: see
        handlers/context.py), then the line (people first), PTB's pacing, and the two shrugs."""
        if self._before_call is not None:
            await self._before_call()
        try:
            if BACKGROUND.get():
                return await self._background(callback, args, kwargs, endpoint, data)
            return await self._reply(callback, args, kwargs, endpoint, data, rate_limit_args or REPLY_RETRIES)
        except BadRequest as error:
            if endpoint == "answerCallbackQuery" and "query is too old" in error.message.lower():
                log.info("callback.answer_too_old")
                return True
            if endpoint.startswith("editMessage") and "message is not modified" in error.message.lower():
                log.info("edit.not_modified")
                return True
            raise

    async def _shared_slot(self) -> None:
        """Several workers: wait for this call's slot of the pace they share (none with one worker)."""
        if self._shared_pace is not None:
            wait = await self._shared_pace()
            if wait > 0:
                await asyncio.sleep(wait)

    async def _reply(
        self, callback: Call, args: Any, kwargs: dict[str, Any], endpoint: str, data: dict[str, Any], retries: int
    ) -> bool | JSONDict | list[JSONDict]:
        """A person's reply: counted as waiting until its turn comes, so that the outbox holds back meanwhile."""
        waiting = True
        self._replies_waiting += 1
        self._no_reply_waiting.clear()

        def done_waiting() -> None:
            nonlocal waiting
            if waiting:
                waiting = False
                self._replies_waiting -= 1
                if self._replies_waiting == 0:
                    self._no_reply_waiting.set()

        async def on_turn(*call_args: Any, **call_kwargs: Any) -> bool | JSONDict | list[JSONDict]:
            done_waiting()
            await self._shared_slot()
            return await callback(*call_args, **call_kwargs)

        try:
            for attempt in range(retries + 1):
                try:
                    return await super().process_request(on_turn, args, kwargs, endpoint, data, None)
                except RetryAfter as exc:
                    metrics.RATE_LIMITED.labels("reply").inc()
                    if attempt == retries:
                        log.warning("reply.rate_limited_gave_up endpoint=%s", endpoint)
                        raise
                    log.info("reply.rate_limited endpoint=%s retry_after=%s", endpoint, _seconds(exc))
                    await asyncio.sleep(_seconds(exc))
            raise AssertionError("unreachable")
        finally:
            done_waiting()

    async def _background(
        self, callback: Call, args: Any, kwargs: dict[str, Any], endpoint: str, data: dict[str, Any]
    ) -> bool | JSONDict | list[JSONDict]:
        """An outbox send: in line behind the other outbox sends and every waiting reply, one at a time until
        its turn comes (its HTTP call then runs alongside the next ones); no retries here."""
        hook = ON_TURN.get()
        line = self._background_line
        await line.acquire()
        held = True

        async def on_turn(*call_args: Any, **call_kwargs: Any) -> bool | JSONDict | list[JSONDict]:
            # The shared slot first, still holding the line (several workers: one send waits for its slot at a
            # time, so a reply waits behind one), and before the marker: a reminder is at Telegram only once
            # nothing holds it up.
            await self._shared_slot()
            nonlocal held
            held = False
            line.release()
            if hook is not None:
                await hook()
            return await callback(*call_args, **call_kwargs)

        try:
            await self._no_reply_waiting.wait()
            return await super().process_request(on_turn, args, kwargs, endpoint, data, None)
        finally:
            if held:
                line.release()


def retry_delay(exc: RetryAfter) -> timedelta:
    """Telegram's retry_after as a timedelta (PTB gives int or timedelta, depending on its settings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB's deprecation notice about the int form
        value = exc.retry_after
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


def _seconds(exc: RetryAfter) -> float:
    """How long a reply waits after a 429: retry_after and a little more (PTB's own margin)."""
    return retry_delay(exc).total_seconds() + 0.1
