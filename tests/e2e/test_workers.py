"""Several workers on one PostgreSQL database (MULTI_WORKER): two real Applications in webhook mode behind one
"proxy" (the test server delivers to them in turn). Each update is handled by one worker, a chat's in order
whichever worker takes it, a form whose steps land on different workers goes on where it was, and each reminder
goes out once though both workers run every sweep."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, text

from app.playground.session import ObservedApplication
from bot.services.handled_updates import WORKER_LOCK_SPACE, claim_next, keep_if_new
from db.models import Offer, OfferStatus, ReceivedUpdate, ShortageRequest, TelegramPace
from db.session import Database
from handlers.context import RUNTIME_KEY
from handlers.meeting_jobs import run_meeting_sweep
from tests.conftest import POSTGRES_URL
from tests.e2e.meetings_helpers import cast, plan, reminders, utc
from tests.e2e.requests_helpers import noordwest, post
from tests.harness import Harness, running_webhook_bot
from tests.support import FakeClock
from tgserver.server import TelegramServer
from tgserver.webhook import WebhookPusher

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="several workers need PostgreSQL (WIJKHULP_TEST_POSTGRES_URL)")


@asynccontextmanager
async def two_workers(
    server: TelegramServer, database_url: str, clock: FakeClock
) -> AsyncIterator[tuple[Harness, Harness, WebhookPusher]]:
    """Two workers, the deliveries alternating between them; an action is done when either has handled it."""
    async with (
        running_webhook_bot(server, database_url, clock, push=False, multi_worker=True) as (first, _, first_port),
        running_webhook_bot(server, database_url, clock, push=False, multi_worker=True) as (second, _, second_port),
    ):
        pusher = WebhookPusher(
            server.world, [f"http://127.0.0.1:{port}/telegram" for port in (first_port, second_port)]
        )
        pusher.start()

        async def either(update_id: int) -> None:
            apps = [first.app, second.app]
            assert all(isinstance(app, ObservedApplication) for app in apps)
            waits = [asyncio.ensure_future(app._event(update_id).wait()) for app in apps]
            done, pending = await asyncio.wait(waits, timeout=20, return_when=asyncio.FIRST_COMPLETED)
            for wait in pending:
                wait.cancel()
            assert done, f"no worker handled update {update_id}"

        server.handled_waiter = either
        try:
            yield first, second, pusher
        finally:
            server.handled_waiter = None
            await pusher.stop()


def handled_by(harness: Harness) -> set[int]:
    app = harness.app
    assert isinstance(app, ObservedApplication)
    return {update_id for update_id, event in app.done.items() if event.is_set()}


async def test_a_request_form_goes_on_whichever_worker_gets_the_next_step(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    async with two_workers(tg_server, database_url, clock) as (first, second, pusher):
        people = await noordwest(first)
        request_id = await post(first, people.anna, days=("Morgen",), dayparts=("Ochtend",))
        async with first.session() as session:
            assert await session.scalar(select(func.count()).select_from(ShortageRequest)) == 1
            # Every call to Telegram, from either worker, took a slot of the one pace they share.
            assert await session.scalar(select(func.count()).select_from(TelegramPace)) == 1
        assert request_id
        mine, theirs = handled_by(first), handled_by(second)
        assert mine and theirs, "the steps were spread over both workers"
        assert not mine & theirs, "no update was handled by both"
        assert set(pusher.answers) == {200}


async def test_a_chats_updates_go_in_order_across_workers(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    async with two_workers(tg_server, database_url, clock) as (first, second, _pusher):
        people = await noordwest(first)
        anna = people.anna
        before = len(anna.messages())
        ids = [await anna.send(text, wait=False) for text in ("/help", "/taal", "/help", "/taal", "/help", "/taal")]
        waiter = tg_server.handled_waiter
        assert waiter is not None
        for update_id in ids:
            await waiter(update_id)
        replies = anna.messages()[before:]
        kinds = ["help" if "/verzoek" in m.text else "taal" for m in replies]
        assert kinds == ["help", "taal"] * 3, kinds
        # Received by both in turn; handled each by one (the worker that finishes an update of a chat takes the
        # chat's next one at once, so one worker may well handle the whole burst).
        assert set(ids) <= handled_by(first) | handled_by(second)
        assert not handled_by(first) & handled_by(second) & set(ids)


async def test_each_reminder_goes_out_once_though_both_workers_sweep(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    async with two_workers(tg_server, database_url, clock) as (first, second, _pusher):
        everyone = await cast(first)
        await plan(first, everyone.corrie)
        await asyncio.gather(first.dispatch(), second.dispatch())
        clock.current = utc(2026, 12, 8, 18, 0)  # the 7-day reminder of Tuesday 15 December, 19:00
        runtimes = [harness.app.bot_data[RUNTIME_KEY] for harness in (first, second)]
        await asyncio.gather(*(run_meeting_sweep(runtime) for runtime in runtimes))
        await asyncio.gather(first.dispatch(), second.dispatch())
        await asyncio.gather(*(run_meeting_sweep(runtime) for runtime in runtimes))
        await asyncio.gather(first.dispatch(), second.dispatch())
        counts = {name: len(reminders(everyone.get(name))) for name in ("anna", "carol", "corrie")}
        assert counts == {"anna": 1, "carol": 1, "corrie": 1}, counts


async def test_claims_take_a_chats_oldest_first_and_take_over_a_dead_workers(database_url: str) -> None:
    """The rule itself: a chat's next update waits while an older one is held; the claims of a worker that died
    (its advisory lock gone with its connection) are taken over at once, and a stale claim after CLAIM_STALE."""
    database = Database(database_url)
    now = utc(2026, 12, 1, 9, 0)
    stale = now - timedelta(seconds=60)
    x, y = 11, 22
    try:
        async with database.session() as session:
            await session.execute(delete(ReceivedUpdate))
            for update_id, chat in ((1, 100), (2, 100), (3, 200)):
                await keep_if_new(session, {"update_id": update_id}, now=now, chat_key=chat)
            await session.commit()

        async def take(worker: int, stale_before: datetime = stale) -> tuple[int, bool] | None:
            async with database.session() as session:
                claimed = await claim_next(session, worker=str(worker), now=now, stale_before=stale_before)
                await session.commit()
            return (int(claimed.payload["update_id"]), claimed.taken_over) if claimed else None

        alive = {worker: await database.engine.connect() for worker in (x, y)}
        for worker, connection in alive.items():
            await connection.execute(
                text("SELECT pg_advisory_lock(:space, :number)"), {"space": WORKER_LOCK_SPACE, "number": worker}
            )
        assert await take(x) == (1, False)
        assert await take(y) == (3, False), "update 2 waits: update 1 of its chat is held by x"
        assert await take(y) is None
        await alive.pop(x).invalidate()  # x dies: its lock goes with its connection
        assert await take(y) == (1, True), "taken over at once, without waiting for the claim to go stale"
        async with database.session() as session:
            await session.execute(delete(ReceivedUpdate).where(ReceivedUpdate.update_id == 1))
            await session.commit()
        assert await take(y) == (2, False)
        # A claim of a live worker that stopped refreshing it is taken over once stale.
        assert await take(x, stale_before=now + timedelta(seconds=1)) == (2, True)
        for connection in alive.values():
            await connection.close()
    finally:
        await database.dispose()


async def test_two_accepts_for_one_slot_over_two_workers_have_one_winner(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    """Bob and Carol both offer for the one day-part; Anna presses Accept on both at once, the presses delivered to
    the two workers in turn: one is accepted, the other is refused."""
    async with two_workers(tg_server, database_url, clock) as (first, second, _pusher):
        people = await noordwest(first)
        anna, bob, carol = people.anna, people.bob, people.carol
        request_id = await post(first, anna, dayparts=("Hele dag",))
        await asyncio.gather(first.dispatch(), second.dispatch())
        for helper in (bob, carol):
            await helper.press(next(m for m in reversed(helper.messages()) if m.buttons), "Ik kan alles")
        await asyncio.gather(first.dispatch(), second.dispatch())
        offers = [m for m in anna.messages() if m.text.startswith(f"Aanbod voor hulpvraag #{request_id}")]
        assert len(offers) == 2
        ids = [await anna.press(offer, "Accepteren", wait=False) for offer in offers]
        waiter = tg_server.handled_waiter
        assert waiter is not None
        for update_id in ids:
            await waiter(update_id)
        async with first.session() as session:
            accepted = await session.scalar(
                select(func.count()).select_from(Offer).where(Offer.status == OfferStatus.ACCEPTED)
            )
        assert accepted == 1
        answers = [a.text or "" for a in anna.callback_answers[-2:]]
        assert sum(answer == "Gedaan." for answer in answers) == 1, answers
