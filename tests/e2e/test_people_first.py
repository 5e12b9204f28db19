"""People before the backlog: after a restart with many messages due, a person's own update is answered
before the outbox has worked through them (they share Telegram's rate budget; bot/rate_limiter.py lets each
reply go before every outbox send still waiting for its turn)."""

from __future__ import annotations

import asyncio

import pytest

from bot import rate_limiter
from bot.services.notices import RequestAlert
from bot.services.outbox import enqueue
from db.models import Member, MemberRole, Role
from tests.e2e.requests_helpers import noordwest, post
from tests.harness import running_bot
from tests.support import FakeClock
from tgserver.server import TelegramServer

BACKLOG = 30


async def test_after_a_restart_a_help_is_answered_before_the_backlog_is_sent(
    tg_server: TelegramServer, database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_bot(tg_server, database_url, clock) as first:
        people = await noordwest(first)
        request_id = await post(first, people.anna)
        await first.dispatch()
        anna_member = await first.member(people.anna)
        assert anna_member is not None
        waiting = [tg_server.user(first_name=f"Wachtend{number}", started=True) for number in range(BACKLOG)]
        async with first.session() as session:
            for user in waiting:
                member = Member(
                    telegram_user_id=user.id,
                    region_id=anna_member.region_id,
                    practice_id=anna_member.practice_id,
                    display_name=user.first_name,
                    language="nl",
                    joined_at=clock.now(),
                    role_rows=[MemberRole(role=Role.DOKTERSASSISTENT.value)],
                )
                session.add(member)
                await session.flush()
                # Due when the bot was down: the next start finds them all.
                await enqueue(
                    session, now=clock.now(), notice=RequestAlert(request_id), chat_id=user.id, member_id=member.id
                )

    # A slower pace than Telegram's (a slot every 1/10 s), so that handling her update takes a small part of a
    # slot even on a loaded machine: what counts is how many sends are ahead of her reply in line.
    monkeypatch.setattr(rate_limiter, "PACE_PER_SECOND", 10)
    async with running_bot(tg_server, database_url, clock) as second:
        calls = len(tg_server.calls)

        def sends() -> list[str]:
            return [str(c.params.get("chat_id")) for c in tg_server.calls[calls:] if c.method == "sendMessage" and c.ok]

        backlog = asyncio.create_task(second.dispatch())
        # Well under way: every row in hand rendered and waiting for its turn.
        assert await tg_server.world.wait_until(lambda: len(sends()) >= 5, 10)
        asked = len(sends())
        await people.anna.send("/help")
        assert "/verzoek" in people.anna.last().text
        answered = sends().index(str(people.anna.id))
        await backlog
        assert all(len(user.messages()) == 1 for user in waiting), "the whole backlog went out after all"
        # Only the backlog's sends at Telegram or next in line when she asked: a couple, not all those in hand.
        assert answered - asked <= 3, f"{answered - asked} backlog messages went between her /help and its answer"
