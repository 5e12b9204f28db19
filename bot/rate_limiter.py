"""PTB's AIORateLimiter, plus one rule about button presses that Telegram hands out again after a restart."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import BadRequest
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)


# Telegram allows about 30 messages a second in all. PTB's default limiter (30 per second, a bucket of 30)
# lets a full bucket go at once and then 30 more within the same second, which Telegram answers with 429s in a
# large fan-out. One call every 1/29 s (a bucket of one) never puts more than 30 in any second.
PACE_PER_SECOND = 29


class WijkhulpRateLimiter(AIORateLimiter):
    """Every request passes here, evenly paced (PACE_PER_SECOND). A press that reaches the bot again after a
    crash (it was never confirmed) may be too old to answer, and the edit it makes may already be there; neither
    is worth failing the update for: the answer only stops a spinner, and "not modified" means the message
    already says it."""

    def __init__(self, before_call: Callable[[], Awaitable[None]] | None = None) -> None:
        super().__init__(overall_max_rate=1, overall_time_period=1 / PACE_PER_SECOND)
        self._before_call = before_call

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """`before_call` first (the handlers end their update's open transaction there: see
        handlers/context.py), then PTB's pacing, then the two shrugs."""
        if self._before_call is not None:
            await self._before_call()
        try:
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        except BadRequest as error:
            if endpoint == "answerCallbackQuery" and "query is too old" in error.message.lower():
                log.info("callback.answer_too_old")
                return True
            if endpoint.startswith("editMessage") and "message is not modified" in error.message.lower():
                log.info("edit.not_modified")
                return True
            raise
