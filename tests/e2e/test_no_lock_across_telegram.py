"""No update holds a database transaction open while it talks to Telegram: updates run side by side, and on
SQLite every transaction holds the one write lock (handlers/context.py: commit_before_telegram). Checked on the
busiest flows: a request posted through the form, an offer made and accepted, a meeting planned and answered."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from telegram.request import HTTPXRequest

from handlers.context import RUNTIME_KEY
from tests.e2e.meetings_helpers import cast, invitations, plan
from tests.e2e.requests_helpers import noordwest, post
from tests.harness import Harness


@contextmanager
def watching(bot: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every Bot API call made by a task that has a transaction open on the bot's engine, with where."""
    engine = bot.app.bot_data[RUNTIME_KEY].database.engine.sync_engine
    open_in: dict[object, int] = {}
    found: list[str] = []

    def began(_connection: object) -> None:
        task = asyncio.current_task()
        open_in[task] = open_in.get(task, 0) + 1

    def ended(_connection: object) -> None:
        task = asyncio.current_task()
        open_in[task] = max(0, open_in.get(task, 0) - 1)

    original = HTTPXRequest.do_request

    async def do_request(self: HTTPXRequest, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if open_in.get(asyncio.current_task()):
            ours = [f for f in traceback.extract_stack() if "/handlers/" in f.filename]
            found.append(f"{url.rsplit('/', 1)[-1]} from {' < '.join(f'{f.name}:{f.lineno}' for f in ours[-3:])}")
        return await original(self, url, method, *args, **kwargs)

    for name, listener in (("begin", began), ("commit", ended), ("rollback", ended)):
        event.listen(engine, name, listener)
    monkeypatch.setattr(HTTPXRequest, "do_request", do_request)
    try:
        yield found
    finally:
        for name, listener in (("begin", began), ("commit", ended), ("rollback", ended)):
            event.remove(engine, name, listener)


async def test_a_request_from_form_to_accepted_offer(bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    people = await noordwest(bot)
    with watching(bot, monkeypatch) as found:
        await people.anna.send("/help")
        request_id = await post(bot, people.anna)
        await bot.dispatch()
        await people.bob.press(people.bob.last(), "Ik kan alles")
        await bot.dispatch()
        offer = next(m for m in people.anna.messages() if m.text.startswith(f"Aanbod voor hulpvraag #{request_id}"))
        await people.anna.press(offer, offer.button_texts[0])
        await bot.dispatch()
    assert found == [], "\n".join(found)


async def test_a_meeting_planned_and_answered(bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    everyone = await cast(bot)
    with watching(bot, monkeypatch) as found:
        await plan(bot, everyone.corrie)
        await bot.dispatch()
        [invite] = invitations(everyone.people.bob)
        await everyone.people.bob.press(invite, "Ja")
        await everyone.corrie.send("/bijeenkomsten")
    assert found == [], "\n".join(found)
