"""An update Telegram hands out again after a crash (it was never confirmed) is handled once, not twice.

The bot confirms a batch only after handling all of it (handlers/once.py), so a crash loses nothing; these
tests play the other half: the redelivered update must change nothing and send nothing.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from telegram.request import HTTPXRequest

from bot.services.handled_updates import newest_handled
from db.availability import Availability
from db.models import HandledUpdate, Offer, ShortageRequest
from handlers.once import NEWEST_AT_START_KEY
from tests.e2e.requests_helpers import noordwest, post
from tests.harness import Harness
from tgserver.client import SimUser


async def redeliver(bot: Harness, update_id: int) -> None:
    """Telegram sends the update again, as after a restart; wait until the bot has dealt with it."""
    async with bot.session() as session:  # what the restarted bot would have read at start
        bot.app.bot_data[NEWEST_AT_START_KEY] = await newest_handled(session)
    bot.app.done.pop(update_id, None)
    bot.server.world.redeliver(update_id)
    await bot.app.wait_processed(update_id)


async def count(bot: Harness, model: type[ShortageRequest] | type[Offer]) -> int:
    async with bot.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def seen(user: SimUser) -> int:
    return len(user.messages())


async def test_a_redelivered_send_press_posts_no_second_request(bot: Harness) -> None:
    people = await noordwest(bot)
    await post(bot, people.anna)
    await bot.dispatch()
    send_press = max(bot.server.world.history)  # the last update: the press on "Versturen"
    before = (await count(bot, ShortageRequest), seen(people.anna), seen(people.bob))
    await redeliver(bot, send_press)
    await bot.dispatch()
    assert (await count(bot, ShortageRequest), seen(people.anna), seen(people.bob)) == before


async def test_a_redelivered_offer_press_makes_no_second_offer(bot: Harness) -> None:
    people = await noordwest(bot)
    await post(bot, people.anna)
    await bot.dispatch()
    offer_press = await people.bob.press(people.bob.last(), "Ik kan alles")
    await bot.dispatch()
    assert await count(bot, Offer) == 1
    before = (seen(people.anna), seen(people.bob))
    await redeliver(bot, offer_press)
    await bot.dispatch()
    assert await count(bot, Offer) == 1
    assert (seen(people.anna), seen(people.bob)) == before


async def test_replies_and_form_steps_are_not_repeated(bot: Harness) -> None:
    people = await noordwest(bot)
    help_update = await people.anna.send("/help")
    step = await people.anna.send("/verzoek")
    before = seen(people.anna)
    await redeliver(bot, help_update)
    await redeliver(bot, step)
    assert seen(people.anna) == before, "a /help or a form step handled before the crash is not answered again"
    async with bot.session() as session:
        handled = set(await session.scalars(select(HandledUpdate.update_id)))
    assert {help_update, step} <= handled


async def test_updates_newer_than_any_handled_before_the_start_are_not_looked_up(bot: Harness) -> None:
    """Telegram's ids only grow: after a start, only ids up to the newest handled one can be redeliveries."""
    people = await noordwest(bot)
    assert bot.app.bot_data[NEWEST_AT_START_KEY] == 0, "a fresh database has handled nothing"
    help_update = await people.anna.send("/help")
    before = seen(people.anna)
    bot.app.done.pop(help_update, None)
    bot.server.world.redeliver(help_update)  # not after a restart: the bot takes it as new and answers
    await bot.app.wait_processed(help_update)
    assert seen(people.anna) == before + 1


async def test_a_press_answered_before_the_crash_but_not_saved_is_done_on_redelivery(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """The crash came after the answer and before the commit: Telegram refuses a second answer, the work
    is still done."""
    people = await noordwest(bot)
    await people.bob.send("/beschikbaarheid")
    press = await people.bob.press(people.bob.last(), "▫️ di ochtend")
    async with bot.session() as session:
        assert await session.scalar(select(func.count()).select_from(Availability)) == 1
        # As if the transaction never committed: neither the choice nor the handled mark are there.
        await session.execute(delete(Availability))
        await session.execute(delete(HandledUpdate).where(HandledUpdate.update_id == press))
        await session.commit()
    caplog.set_level(logging.INFO)
    await redeliver(bot, press)
    async with bot.session() as session:
        assert await session.scalar(select(func.count()).select_from(Availability)) == 1
    assert "callback.answer_too_old" in caplog.text
    # What real Telegram says to this late handling: the press is too old to answer, and the keyboard
    # already shows the choice (the edit before the crash went through). The bot shrugs at both.
    refused = [(r.method, r.description.split(":")[1].strip()) for r in bot.server.take_refusals()]
    assert refused == [
        ("answerCallbackQuery", "query is too old and response timeout expired or query ID is invalid"),
        ("editMessageText", "message is not modified"),
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_crash_between_commit_and_reply_gets_a_short_notice_not_a_second_change(bot: Harness) -> None:
    people = await noordwest(bot)
    await post(bot, people.anna)
    await bot.dispatch()
    send_press = max(bot.server.world.history)
    async with bot.session() as session:
        record = await session.get(HandledUpdate, send_press)
        assert record is not None and record.finished
        record.finished = False  # as if the bot died after the commit, before the reply
        await session.commit()
    requests_before = await count(bot, ShortageRequest)
    await redeliver(bot, send_press)
    assert await count(bot, ShortageRequest) == requests_before
    assert people.anna.last().text.startswith("Ik had je laatste bericht of knop net opgeslagen toen ik herstartte")
    # The press is answered too, so that its spinner stops; this one had been answered before the "crash", and
    # Telegram refuses a second answer, which the bot shrugs at.
    refused = [(r.method, r.description) for r in bot.server.take_refusals()]
    assert refused == [("answerCallbackQuery", "Bad Request: query is too old and response timeout expired or "
                        "query ID is invalid")]  # fmt: skip
    seen_now = seen(people.anna)
    await redeliver(bot, send_press)
    assert seen(people.anna) == seen_now, "the notice comes once"


async def test_a_redelivered_unfinished_press_is_answered_before_it_counts_as_finished(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A finished redelivery is dropped without a word, so the unfinished one must be answered (and told) before
    it is recorded as finished: a crash in between then answers it again at the next start, instead of leaving
    its spinner turning for good."""
    people = await noordwest(bot)
    await post(bot, people.anna)
    send_press = max(bot.server.world.history)
    async with bot.session() as session:
        record = await session.get(HandledUpdate, send_press)
        assert record is not None
        record.finished = False
        await session.commit()
    finished_when_called: dict[str, bool | None] = {}
    original = HTTPXRequest.do_request

    async def do_request(self: HTTPXRequest, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        if endpoint in ("answerCallbackQuery", "sendMessage"):
            async with bot.session() as session:
                found = await session.get(HandledUpdate, send_press)
                finished_when_called[endpoint] = found.finished if found else None
        return await original(self, url, method, *args, **kwargs)

    monkeypatch.setattr(HTTPXRequest, "do_request", do_request)
    await redeliver(bot, send_press)
    bot.server.take_refusals()  # answered before the "crash" after all: the second answer is too old
    assert finished_when_called == {"answerCallbackQuery": False, "sendMessage": False}
    async with bot.session() as session:
        record = await session.get(HandledUpdate, send_press)
        assert record is not None and record.finished
