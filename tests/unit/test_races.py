"""Races decided by the database: two accepts for one slot, one person booked twice, two outbox workers.

Each side runs in its own session and transaction, at the same time, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.services.ladder import Waits, post_and_ask
from bot.services.members import find_member
from bot.services.network import find_practice
from bot.services.offers import Outcome, accept_offer, decline_offer, make_offer, withdraw_offer
from bot.services.outbox import claim_due
from bot.services.requests import NeededRole, SlotInput, load_request_slots
from db.models import Daypart, Member, MemberRole, Offer, OfferStatus, OutboxMessage, RequestSlot, Role, Urgency
from db.session import Database
from tests.support import FakeClock

ZONE = ZoneInfo("Europe/Amsterdam")
TOMORROW = date(2026, 11, 24)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


async def add_member(db: Database, telegram_id: int, practice: str, role: Role) -> None:
    async with db.session() as session, session.begin():
        found = await find_practice(session, 1, practice)
        assert found is not None
        session.add(
            Member(
                telegram_user_id=telegram_id,
                region_id=1,
                practice_id=found.id,
                language="nl",
                display_name=f"m{telegram_id}",
                joined_at=FakeClock().now(),
                role_rows=[MemberRole(role=role)],
            )
        )


async def post(db: Database, author_id: int, slots: list[SlotInput]) -> int:
    async with db.session() as session, session.begin():
        author = await find_member(session, author_id)
        assert author is not None and author.practice is not None
        posted = await post_and_ask(
            session,
            waits=Waits.from_minutes(15, 240),
            now=FakeClock().now(),
            zone=ZONE,
            author=author,
            practice=author.practice,
            role_needed=NeededRole.DOKTERSASSISTENT,
            urgency=Urgency.NORMAAL,
            slots=slots,
            note=None,
        )
        return posted.request.id


async def offer(db: Database, helper_id: int, request_id: int) -> int:
    async with db.session() as session, session.begin():
        result = await make_offer(
            session,
            now=FakeClock().now(),
            member=await find_member(session, helper_id),
            request=await load_request_slots(session, request_id),
            slot_ids=None,
        )
        assert result.outcome is Outcome.OK and result.offer is not None
        return result.offer.id


async def accept(db: Database, decider_id: int, offer_id: int) -> Outcome:
    async with db.session() as session, session.begin():
        result = await accept_offer(
            session, now=FakeClock().now(), member=await find_member(session, decider_id), offer_id=offer_id
        )
        return result.outcome


async def decide(db: Database, decider_id: int, offer_id: int, how: str) -> Outcome:
    deciding = {"accept": accept_offer, "decline": decline_offer, "withdraw": withdraw_offer}[how]
    async with db.session() as session, session.begin():
        result = await deciding(
            session, now=FakeClock().now(), member=await find_member(session, decider_id), offer_id=offer_id
        )
        return result.outcome


async def test_a_colleagues_decline_and_an_accept_at_once_have_one_winner(database: Database) -> None:
    await add_member(database, 1, "caberg", Role.PRAKTIJKMANAGER)
    await add_member(database, 2, "caberg", Role.HUISARTS)
    await add_member(database, 3, "malberg", Role.DOKTERSASSISTENT)
    request_id = await post(database, 1, [SlotInput.for_daypart(TOMORROW, Daypart.OCHTEND)])
    first = await offer(database, 3, request_id)
    outcomes = await asyncio.gather(decide(database, 1, first, "accept"), decide(database, 2, first, "decline"))
    assert sorted(outcomes) == sorted([Outcome.OK, Outcome.STALE])
    async with database.session() as session:
        status = await session.scalar(select(Offer.status).where(Offer.id == first))
        filled = await session.scalar(select(RequestSlot.filled_offer_id))
    assert (status, filled) in ((OfferStatus.ACCEPTED, first), (OfferStatus.DECLINED, None))
    # The helper withdrawing while the practice accepts: booked and withdrawn at once is impossible.
    second_request = await post(database, 1, [SlotInput.for_daypart(TOMORROW, Daypart.MIDDAG)])
    second = await offer(database, 3, second_request)
    outcomes = await asyncio.gather(decide(database, 1, second, "accept"), decide(database, 3, second, "withdraw"))
    async with database.session() as session:
        status = await session.scalar(select(Offer.status).where(Offer.id == second))
        booked = await session.scalar(
            select(RequestSlot.filled_offer_id).where(RequestSlot.request_id == second_request)
        )
    assert (status, booked) in ((OfferStatus.ACCEPTED, second), (OfferStatus.WITHDRAWN, None)), outcomes


async def test_two_accepts_on_one_slot_exactly_one_wins(database: Database) -> None:
    await add_member(database, 1, "caberg", Role.PRAKTIJKMANAGER)
    await add_member(database, 2, "caberg", Role.HUISARTS)
    await add_member(database, 3, "malberg", Role.DOKTERSASSISTENT)
    await add_member(database, 4, "pottenberg", Role.DOKTERSASSISTENT)
    request_id = await post(database, 1, [SlotInput.for_daypart(TOMORROW, Daypart.OCHTEND)])
    first, second = await offer(database, 3, request_id), await offer(database, 4, request_id)

    outcomes = await asyncio.gather(accept(database, 1, first), accept(database, 2, second))
    # The loser sees the slot taken, or (when the winner committed first) its offer already made moot.
    assert outcomes.count(Outcome.OK) == 1
    assert {o for o in outcomes if o is not Outcome.OK} <= {Outcome.ALREADY_FILLED, Outcome.STALE}
    async with database.session() as session:
        filled = list(await session.scalars(select(RequestSlot.filled_offer_id)))
    assert len(filled) == 1 and filled[0] in (first, second)


async def test_one_person_is_never_booked_twice_at_once(database: Database) -> None:
    await add_member(database, 1, "caberg", Role.PRAKTIJKMANAGER)
    await add_member(database, 2, "pottenberg", Role.PRAKTIJKMANAGER)
    await add_member(database, 3, "malberg", Role.DOKTERSASSISTENT)
    morning = SlotInput.for_daypart(TOMORROW, Daypart.OCHTEND)
    overlapping = SlotInput(TOMORROW, Daypart.TIME, morning.end.replace(hour=11), morning.end.replace(hour=14))
    a = await post(database, 1, [morning])
    b = await post(database, 2, [overlapping])
    offer_a, offer_b = await offer(database, 3, a), await offer(database, 3, b)

    outcomes = await asyncio.gather(accept(database, 1, offer_a), accept(database, 2, offer_b))
    assert sorted(outcomes) == sorted([Outcome.OK, Outcome.HELPER_BOOKED])


async def test_two_outbox_workers_never_claim_the_same_row(database: Database) -> None:
    await add_member(database, 1, "caberg", Role.PRAKTIJKMANAGER)
    for helper in range(10, 30):
        await add_member(database, helper, "malberg", Role.DOKTERSASSISTENT)
    await post(database, 1, [SlotInput.for_daypart(TOMORROW, Daypart.MIDDAG)])

    async def worker() -> list[int]:
        async with database.session() as session, session.begin():
            return [row.id for row in await claim_due(session, now=FakeClock().now() + timedelta(seconds=1), limit=15)]

    one, two = await asyncio.gather(worker(), worker())
    assert not set(one) & set(two)
    async with database.session() as session:
        total = len(list(await session.scalars(select(OutboxMessage.id))))
    assert len(one) + len(two) == total == 20
