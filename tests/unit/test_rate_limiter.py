"""The rate limiter's two shrugs: a press too old to answer, and an edit that is already there."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import BadRequest

from bot.rate_limiter import WijkhulpRateLimiter


def failing(message: str) -> Any:
    async def callback(*args: Any, **kwargs: Any) -> bool:
        raise BadRequest(message)

    return callback


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("answerCallbackQuery", "Query is too old and response timeout expired or query id is invalid"),
        ("editMessageText", "Message is not modified: specified new message content and reply markup are exactly"),
        ("editMessageReplyMarkup", "Message is not modified"),
    ],
)
async def test_late_answers_and_unchanged_edits_count_as_done(endpoint: str, message: str) -> None:
    limiter = WijkhulpRateLimiter()
    await limiter.initialize()
    assert await limiter.process_request(failing(message), (), {}, endpoint, {"chat_id": 1}, None) is True


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("sendMessage", "Message is not modified"),  # only edits can be "not modified"
        ("answerCallbackQuery", "Message text is empty"),
        ("editMessageText", "Message to edit not found"),
    ],
)
async def test_every_other_refusal_still_fails(endpoint: str, message: str) -> None:
    limiter = WijkhulpRateLimiter()
    await limiter.initialize()
    with pytest.raises(BadRequest):
        await limiter.process_request(failing(message), (), {}, endpoint, {"chat_id": 1}, None)
