"""The rate limiter: its two shrugs (a press too old to answer, an edit that is already there), people's replies
ahead of the outbox, retries after a 429 for replies only, and the outbox's marker run when its turn comes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import BadRequest, RetryAfter

from bot.rate_limiter import BACKGROUND, ON_TURN, WijkhulpRateLimiter


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


async def test_a_reply_that_meets_a_429_is_sent_again_after_retry_after() -> None:
    limiter = WijkhulpRateLimiter()
    await limiter.initialize()
    calls: list[float] = []

    async def callback(*args: Any, **kwargs: Any) -> bool:
        calls.append(asyncio.get_running_loop().time())
        if len(calls) == 1:
            raise RetryAfter(timedelta(seconds=0.05))
        return True

    assert await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 1}, None) is True
    assert len(calls) == 2
    assert calls[1] - calls[0] >= 0.05


async def test_an_outbox_send_that_meets_a_429_is_left_to_the_outbox() -> None:
    limiter = WijkhulpRateLimiter()
    await limiter.initialize()
    calls = 0

    async def callback(*args: Any, **kwargs: Any) -> bool:
        nonlocal calls
        calls += 1
        raise RetryAfter(timedelta(seconds=0.01))

    async def background() -> object:
        BACKGROUND.set(True)
        return await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 1}, None)

    with pytest.raises(RetryAfter):
        await asyncio.create_task(background())
    assert calls == 1


async def test_replies_go_before_the_outbox_and_its_marker_runs_only_when_its_turn_comes() -> None:
    """Ten outbox sends and then three replies are queued at once: the replies leave before all but the first
    outbox send, and an outbox send's ON_TURN hook runs right before its own call, never while it waits."""
    limiter = WijkhulpRateLimiter()
    await limiter.initialize()
    order: list[str] = []

    def call(name: str) -> Any:
        async def callback(*args: Any, **kwargs: Any) -> bool:
            order.append(name)
            return True

        return callback

    async def outbox_send(index: int) -> object:
        BACKGROUND.set(True)

        async def marked() -> None:
            order.append(f"mark{index}")

        ON_TURN.set(marked)
        return await limiter.process_request(call(f"out{index}"), (), {}, "sendMessage", {"chat_id": 100 + index}, None)

    sends = [asyncio.create_task(outbox_send(index)) for index in range(10)]
    await asyncio.sleep(0)  # the outbox sends are in line first
    replies = [
        limiter.process_request(call(f"reply{i}"), (), {}, "sendMessage", {"chat_id": i}, None) for i in range(3)
    ]
    await asyncio.gather(*replies, *sends)
    assert set(order[order.index("reply2") + 1 :]) >= {f"out{index}" for index in range(2, 10)}
    assert max(order.index(f"reply{i}") for i in range(3)) < order.index("out2"), order
    for index in range(10):
        assert order.index(f"mark{index}") == order.index(f"out{index}") - 1, order


async def test_with_several_workers_a_call_takes_its_shared_slot_before_a_reminder_is_marked() -> None:
    order: list[str] = []

    async def shared_pace() -> float:
        order.append("slot")
        return 0.01

    limiter = WijkhulpRateLimiter(shared_pace=shared_pace)
    await limiter.initialize()

    async def callback(*args: Any, **kwargs: Any) -> bool:
        order.append("call")
        return True

    async def outbox_send() -> object:
        BACKGROUND.set(True)

        async def marked() -> None:
            order.append("mark")

        ON_TURN.set(marked)
        return await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 1}, None)

    await asyncio.create_task(outbox_send())
    await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 2}, None)  # a reply
    assert order == ["slot", "mark", "call", "slot", "call"]
