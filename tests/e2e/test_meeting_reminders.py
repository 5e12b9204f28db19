"""Reminders: each offset to the right people, once; late after downtime, skipped once the meeting began; and a
restart at every step of sending never makes a second copy."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from telegram.request import HTTPXRequest

from db.meetings import DueStatus, MeetingReminder
from db.models import OutboxMessage, OutboxStatus
from handlers.context import DISPATCHER_KEY, RUNTIME_KEY
from handlers.dispatch import Dispatcher
from handlers.meeting_jobs import run_meeting_sweep
from tests.e2e.meetings_helpers import NOORDWEST, Cast, cast, invitations, plan, reminders, sweep, utc
from tests.harness import Harness, running_bot
from tests.support import FakeClock
from tgserver.server import TelegramServer

# Tuesday 15 December 2026, 19:00 in Amsterdam is 18:00 UTC; the reminders are due 7 days, 1 day and 2 hours before.
DUE_7D, DUE_1D, DUE_2H = utc(2026, 12, 8, 18, 0), utc(2026, 12, 14, 18, 0), utc(2026, 12, 15, 16, 0)
STARTS = utc(2026, 12, 15, 18, 0)


def counts(everyone: Cast) -> dict[str, int]:
    return {name: len(reminders(everyone.get(name))) for name in (*NOORDWEST, "frank", "stien", "corrie")}


async def test_each_offset_reaches_everyone_who_did_not_say_no_once(bot: Harness) -> None:
    everyone = await cast(bot)
    bob = everyone.people.bob
    await plan(bot, everyone.corrie)
    await bot.dispatch()
    await bob.press(invitations(bob)[0], "Nee")

    bot.clock.current = DUE_7D - timedelta(minutes=1)
    await sweep(bot)
    assert set(counts(everyone).values()) == {0}, "nothing before its time"
    reached = ("anna", "carol", "dirk", "eva", "gert", "corrie")
    expected = dict.fromkeys(reached, 1) | {"bob": 0, "frank": 0, "stien": 0}
    bot.clock.current = DUE_7D
    await sweep(bot)
    await sweep(bot)
    assert counts(everyone) == expected
    first = reminders(everyone.people.carol)[0]
    assert "Te laat" not in first.text
    assert "Wanneer: dinsdag 15 december 2026, 19:00–21:00" in first.text and "Agenda:" in first.text
    assert "Online: https://meet.example.org/noordwest" in first.text

    bot.clock.current = DUE_1D.replace(second=30)
    await sweep(bot)
    expected = dict.fromkeys(reached, 2) | {"bob": 0, "frank": 0, "stien": 0}
    assert counts(everyone) == expected

    await bob.press(invitations(bob)[0], "Ja")  # a change of mind: the last reminder reaches him
    bot.clock.current = DUE_2H.replace(minute=1)
    await sweep(bot)
    await sweep(bot)
    final = counts(everyone)
    assert final["bob"] == 1 and final["carol"] == 3 and final["corrie"] == 3
    assert final["frank"] == final["stien"] == 0


async def test_down_across_due_times_sends_late_then_skips_once_begun(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    async with running_bot(tg_server, database_url, clock) as first:
        everyone = await cast(first)
        await plan(first, everyone.corrie)
        await first.dispatch()
    clock.current = DUE_1D.replace(hour=21)  # down across the 7-day and the 1-day reminder
    async with running_bot(tg_server, database_url, clock) as second:
        await sweep(second)
        await sweep(second)
        late = reminders(everyone.people.carol)
        assert len(late) == 1, "one reminder for the two held up, not two in a row"
        # The 1-day one stands for both; it was due today (19:00 local), so the note gives the time only.
        assert "(Te laat: de bot kon dit vandaag om 19:00 niet versturen. Excuses.)" in late[0].text
        assert "december 2026, 19:00 niet" not in late[0].text
    clock.current = STARTS.replace(minute=30)  # down across the 2-hour reminder, back after the start
    async with running_bot(tg_server, database_url, clock) as third:
        await sweep(third)
        assert len(reminders(everyone.people.carol)) == 1
        async with third.session() as session:
            statuses = list(await session.scalars(select(MeetingReminder.status).order_by(MeetingReminder.due_at)))
        assert statuses == [DueStatus.MERGED, DueStatus.DONE, DueStatus.SKIPPED]


async def reminder_statuses(bot: Harness) -> list[DueStatus]:
    async with bot.session() as session:
        return list(await session.scalars(select(MeetingReminder.status).order_by(MeetingReminder.due_at)))


async def test_down_over_the_1_day_and_the_2_hour_reminder_gives_one_reminder(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    async with running_bot(tg_server, database_url, clock) as first:
        everyone = await cast(first)
        await plan(first, everyone.corrie)
        await first.dispatch()
        clock.current = DUE_7D
        await sweep(first)
        assert len(reminders(everyone.people.carol)) == 1
    clock.current = DUE_2H + timedelta(minutes=50)  # 17:50 local: down since before the 1-day reminder
    async with running_bot(tg_server, database_url, clock) as second:
        await sweep(second)
        await sweep(second)
        got = reminders(everyone.people.carol)
        assert len(got) == 2, "the 7-day one, then one for the two held up"
        assert "(Te laat: de bot kon dit vandaag om 17:00 niet versturen. Excuses.)" in got[-1].text
        assert await reminder_statuses(second) == [DueStatus.DONE, DueStatus.MERGED, DueStatus.DONE]


async def test_a_late_reminder_stands_for_the_next_one_due_within_the_hour(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    async with running_bot(tg_server, database_url, clock) as first:
        everyone = await cast(first)
        await plan(first, everyone.corrie, reminders="1d 2u")
        await first.dispatch()
    clock.current = DUE_2H - timedelta(minutes=40)  # the 1-day one is a day late, the 2-hour one 40 minutes ahead
    async with running_bot(tg_server, database_url, clock) as second:
        await sweep(second)
        late = reminders(everyone.people.carol)
        assert len(late) == 1
        # Due yesterday: the note names the day.
        assert "(Te laat: de bot kon dit niet versturen op maandag 14 december 2026, 19:00. Excuses.)" in late[0].text
        clock.current = DUE_2H + timedelta(minutes=1)
        await sweep(second)
        assert len(reminders(everyone.people.carol)) == 1, "not a second one 40 minutes later"
        assert await reminder_statuses(second) == [DueStatus.DONE, DueStatus.MERGED]


async def mark_reminder_rows(bot: Harness, status: OutboxStatus) -> None:
    """As this bot's own dispatcher leaves them when the process dies at that step."""
    async with bot.session() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.kind == "meeting.reminder")
            .values(
                status=status, claimed_at=bot.clock.now(), claimed_by=bot.app.bot_data[RUNTIME_KEY].run_id, attempts=1
            )
        )


@pytest.mark.parametrize(
    "step", ["due_not_swept", "swept_not_sent", "claimed_not_sent", "in_flight_delivered", "in_flight_lost", "sent"]
)
async def test_a_restart_at_every_step_of_sending_makes_no_second_copy(
    tg_server: TelegramServer, database_url: str, clock: FakeClock, step: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(tg_server, database_url, clock) as first:
        everyone = await cast(first)
        await plan(first, everyone.corrie)
        await first.dispatch()
        first.app.bot_data.pop(DISPATCHER_KEY)  # from here this bot sends nothing by itself
        clock.current = DUE_7D
        if step != "due_not_swept":
            await run_meeting_sweep(first.app.bot_data[RUNTIME_KEY])
        if step in ("claimed_not_sent", "in_flight_lost"):
            await mark_reminder_rows(
                first, OutboxStatus.SENDING if step == "claimed_not_sent" else OutboxStatus.IN_FLIGHT
            )
        if step in ("in_flight_delivered", "sent"):
            await Dispatcher(first.app.bot_data[RUNTIME_KEY], first.app.bot).settle()
            if step == "in_flight_delivered":  # Telegram has them; the commit that records it never happened
                await mark_reminder_rows(first, OutboxStatus.IN_FLIGHT)
    sent_before = {name: len(reminders(everyone.get(name))) for name in NOORDWEST}
    caplog.set_level(logging.INFO)
    async with running_bot(tg_server, database_url, clock) as second:
        # No wait for the claim timeout: the run that claimed them has ended (bot/services/runs.py).
        await sweep(second)
        await sweep(second)
    got = {name: len(reminders(everyone.get(name))) for name in NOORDWEST}
    if step == "in_flight_lost":
        # The deliberate choice: a reminder whose fate is unknown is not sent again (README, "Reminders").
        assert got == sent_before == dict.fromkeys(NOORDWEST, 0)
    else:
        assert got == dict.fromkeys(NOORDWEST, 1), (step, sent_before, got)
    if step.startswith("in_flight"):
        assert "outbox.unknown_fate_not_resent" in caplog.text


async def test_only_a_reminder_whose_turn_has_come_is_marked_at_telegram(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash cuts off (and so loses, at most once) only the reminders at Telegram at that moment: when each
    reminder leaves, the others in hand are still waiting in line (claimed, not in flight)."""
    everyone = await cast(bot)
    await plan(bot, everyone.corrie)
    await bot.dispatch()
    at_telegram: list[int] = []
    original = HTTPXRequest.do_request

    async def do_request(self: HTTPXRequest, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if url.endswith("/sendMessage"):
            async with bot.session() as session:
                in_flight = await session.scalar(
                    select(func.count()).where(OutboxMessage.status == OutboxStatus.IN_FLIGHT)
                )
            at_telegram.append(in_flight or 0)
        return await original(self, url, method, *args, **kwargs)

    monkeypatch.setattr(HTTPXRequest, "do_request", do_request)
    bot.clock.current = DUE_7D
    await sweep(bot)
    await sweep(bot)
    assert len(at_telegram) >= 6, at_telegram  # the six who did not say no
    # The one leaving, and at most the one before it whose answer is not recorded yet.
    assert max(at_telegram) <= 2, at_telegram
    assert min(at_telegram) >= 1, "a reminder left without being marked first"
