"""A sweep run that fails part-way: one request that cannot climb the ladder holds back no other request; an
outage of the database is told apart from a bug."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

import handlers.jobs
from db.models import Role
from handlers.context import RUNTIME_KEY
from handlers.job_guard import database_unavailable
from handlers.jobs import run_due_escalations
from tests.e2e.requests_helpers import noordwest, post
from tests.e2e.storm import crowd
from tests.harness import Harness


async def test_one_broken_request_does_not_stop_the_other_rounds(
    bot: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    people = await noordwest(bot)
    (adjacent,) = await crowd(bot, {"wyck": 1}, Role.DOKTERSASSISTENT, reach="adjacent")
    broken = await post(bot, people.anna)
    fine = await post(bot, people.anna, days=("wo 25 nov",))
    await bot.dispatch()
    from bot.services.ladder import escalate

    async def escalate_but_one(session: Any, **kwargs: Any) -> int | None:
        if kwargs["request_id"] == broken:
            raise RuntimeError("a request the ladder cannot handle")
        return await escalate(session, **kwargs)

    monkeypatch.setattr(handlers.jobs, "escalate", escalate_but_one)
    bot.clock.advance(minutes=241)
    assert await run_due_escalations(bot.app.bot_data[RUNTIME_KEY]) == 1
    await bot.dispatch()
    assert [m.text.split("\n")[0] for m in adjacent.messages()] == [f"Hulpvraag #{fine}"]
    assert any(f"requests.escalation_failed id={broken}" in r.getMessage() for r in caplog.records)

    monkeypatch.setattr(handlers.jobs, "escalate", escalate)  # mended: the next run climbs it too
    assert await run_due_escalations(bot.app.bot_data[RUNTIME_KEY]) == 1
    await bot.dispatch()
    assert [m.text.split("\n")[0] for m in adjacent.messages()] == [f"Hulpvraag #{fine}", f"Hulpvraag #{broken}"]


def test_an_outage_is_told_apart_from_a_bug() -> None:
    locked = OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
    closed = InterfaceError("SELECT 1", {}, Exception("connection is closed"))
    duplicate = IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
    assert database_unavailable(locked) and database_unavailable(closed)
    assert database_unavailable(ConnectionRefusedError(111, "Connection refused"))
    assert not database_unavailable(duplicate) and not database_unavailable(RuntimeError("a bug"))
