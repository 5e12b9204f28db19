"""Figures against a hand-built month: partly filled, withdrawn then refilled, cancelled, across month ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.figures import Figures, Lending, Level, figures, lending, month_period, months_period
from db.models import (
    Daypart,
    Member,
    MemberRole,
    Offer,
    OfferSlot,
    OfferStatus,
    Practice,
    RequestRecipient,
    RequestSlot,
    RequestStatus,
    Role,
    ShortageRequest,
    Urgency,
    Wijk,
)
from db.session import Database

ZONE = ZoneInfo("Europe/Amsterdam")
NOVEMBER = month_period(2026, 11, ZONE)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A UTC instant in 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


class History:
    """Builds requests, offers and recipients row by row, as the services would have left them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.next_telegram_id = 9000

    async def practice(self, code: str) -> Practice:
        found = (await self.session.execute(select(Practice).where(Practice.code == code))).scalar_one()
        return found

    async def member(self, practice: str | None, role: Role = Role.DOKTERSASSISTENT) -> Member:
        self.next_telegram_id += 1
        practice_id = (await self.practice(practice)).id if practice else None
        member = Member(
            telegram_user_id=self.next_telegram_id,
            region_id=1,
            practice_id=practice_id,
            language="nl",
            joined_at=at(1, 8),
            role_rows=[MemberRole(role=role)],
        )
        self.session.add(member)
        await self.session.flush()
        return member

    async def request(
        self, practice: str, created: datetime, days: int, *, role: str = "doktersassistent", status: RequestStatus
    ) -> ShortageRequest:
        found = await self.practice(practice)
        first = created.date() + timedelta(days=2)
        request = ShortageRequest(
            region_id=1,
            practice_id=found.id,
            wijk_id=found.wijk_id,
            role_needed=role,
            urgency=Urgency.NORMAAL,
            status=status,
            created_at=created,
            ends_at=created + timedelta(days=days + 3),
            slots=[
                RequestSlot(
                    day=first + timedelta(days=i),
                    daypart=Daypart.OCHTEND,
                    start_at=datetime.combine(first + timedelta(days=i), datetime.min.time(), UTC),
                    end_at=datetime.combine(first + timedelta(days=i), datetime.min.time(), UTC) + timedelta(hours=4),
                )
                for i in range(days)
            ],
        )
        if status is RequestStatus.CANCELLED:
            request.cancel_reason = "solved"
        self.session.add(request)
        await self.session.flush()
        return request

    async def asked(self, request: ShortageRequest, member: Member, round_: int) -> None:
        self.session.add(
            RequestRecipient(
                request_id=request.id,
                member_id=member.id,
                chat_id=member.telegram_user_id,
                created_at=request.created_at,
                round=round_,
            )
        )

    async def offer(
        self,
        request: ShortageRequest,
        member: Member,
        slots: list[int],
        made: datetime,
        status: OfferStatus,
        decided: datetime | None = None,
    ) -> Offer:
        offer = Offer(request_id=request.id, member_id=member.id, status=status, created_at=made, decided_at=decided)
        self.session.add(offer)
        await self.session.flush()
        for index in slots:
            slot = request.slots[index]
            self.session.add(OfferSlot(offer_id=offer.id, slot_id=slot.id))
            if status is OfferStatus.ACCEPTED:
                slot.filled_offer_id = offer.id
        await self.session.flush()
        return offer


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    async with db.session() as session, session.begin():
        await build(History(session))
    yield db
    await db.dispose()


async def build(h: History) -> None:
    """November 2026 in centrum and noordwest, one request in October and one just into December."""
    a = await h.member("jekerkwartier")
    b = await h.member("vrijthof")
    c = await h.member("wyck")
    d = await h.member("maasoever", Role.HUISARTS)
    e = await h.member(None, Role.MEDISCH_STUDENT)
    f = await h.member("ceramique")

    # Filled whole: the first day-part at once, the second withdrawn by one helper and filled by another.
    r1 = await h.request("maasoever", at(2, 8), 2, status=RequestStatus.FILLED)
    await h.asked(r1, a, 1)
    await h.asked(r1, b, 2)
    await h.asked(r1, c, 2)
    await h.offer(r1, a, [0], at(2, 8, 30), OfferStatus.ACCEPTED, at(2, 9))
    await h.offer(r1, b, [1], at(2, 9, 30), OfferStatus.WITHDRAWN, at(2, 9, 45))
    await h.offer(r1, c, [1], at(2, 10), OfferStatus.ACCEPTED, at(2, 11))

    # Partly filled: one of three day-parts; a student's offer declined.
    r2 = await h.request("jekerkwartier", at(10, 12), 3, role="huisarts", status=RequestStatus.CLOSED)
    await h.asked(r2, d, 1)
    await h.asked(r2, e, 3)
    await h.offer(r2, d, [0], at(10, 12, 15), OfferStatus.ACCEPTED, at(10, 12, 45))
    await h.offer(r2, e, [1, 2], at(10, 13), OfferStatus.DECLINED, at(10, 14))

    # Cancelled: solved inside the practice.
    await h.request("vrijthof", at(20, 10), 2, status=RequestStatus.CANCELLED)

    # Posted on 30 November at 23:00 Amsterdam time, for a day in December: November's. Filled by someone who
    # was never asked (found it in the wijk group, say): no round.
    r5 = await h.request("malberg", at(30, 22), 1, status=RequestStatus.FILLED)
    await h.offer(r5, f, [0], at(30, 22, 10), OfferStatus.ACCEPTED, at(30, 22, 20))

    # Half past midnight on 1 December, Amsterdam: December's.
    await h.request("malberg", at(30, 23, 30), 1, status=RequestStatus.OPEN)
    # 31 October, 23:30 Amsterdam (after the clocks went back): October's.
    await h.request("maasoever", at(31, 22, 30, month=10), 1, status=RequestStatus.OPEN)


async def compute(db: Database, level: Level, wijk_id: int | None = None) -> list[Figures]:
    async with db.session() as session:
        return await figures(session, region_id=1, period=NOVEMBER, level=level, wijk_id=wijk_id)


async def ids(db: Database, model: type[Practice] | type[Wijk]) -> dict[str, int]:
    async with db.session() as session:
        return {code: id_ for id_, code in (await session.execute(select(model.id, model.code))).all()}


def test_months_are_local_and_the_dst_weekend_changes_nothing() -> None:
    october = month_period(2026, 10, ZONE)
    assert october.start == datetime(2026, 9, 30, 22, tzinfo=UTC)  # summer time
    assert october.end == datetime(2026, 10, 31, 23, tzinfo=UTC)  # winter time, after 25 October
    assert (october.first_day, october.last_day) == (date(2026, 10, 1), date(2026, 10, 31))
    year = months_period(2026, 11, 12, ZONE)
    assert year.first_day == date(2025, 12, 1) and year.end == NOVEMBER.end
    assert month_period(2026, 12, ZONE).last_day == date(2026, 12, 31)


async def test_region_figures(database: Database) -> None:
    [region] = await compute(database, Level.REGION)
    assert region.unit_id == 1 and region.practices == 32
    assert region.requests == 4
    assert (region.dayparts_asked, region.dayparts_filled, region.dayparts_cancelled) == (8, 4, 2)
    assert region.dayparts_unfilled == 2
    assert region.fill_rate == pytest.approx(4 / 6)
    assert region.cancelled == {"solved": 1}
    assert (region.first_offer.count, region.first_offer.median_minutes, region.first_offer.p90_minutes) == (
        3,
        15.0,
        30.0,
    )
    assert (region.fill.count, region.fill.median_minutes, region.fill.p90_minutes) == (2, 100.0, 180.0)
    assert region.ladder == {1: 2, 2: 1, None: 1}
    assert region.offers == {"accepted": 4, "withdrawn": 1, "declined": 1}
    assert region.offers_made == 6


async def test_wijk_figures_and_balance(database: Database) -> None:
    wijken = await ids(database, Wijk)
    rows = {row.unit_id: row for row in await compute(database, Level.WIJK)}
    assert len(rows) == 9  # quiet wijken have their row too
    centrum, noordwest = rows[wijken["centrum"]], rows[wijken["noordwest"]]
    assert (centrum.practices, centrum.requests, centrum.dayparts_asked, centrum.dayparts_filled) == (5, 3, 7, 3)
    assert (noordwest.requests, noordwest.dayparts_asked, noordwest.dayparts_filled) == (1, 1, 1)
    assert (centrum.given, centrum.received, noordwest.given, noordwest.received) == (1, 0, 0, 1)
    assert rows[wijken["meerssen"]].empty and rows[wijken["meerssen"]].fill_rate is None
    [only] = await compute(database, Level.WIJK, wijk_id=wijken["noordwest"])
    assert only.unit_id == wijken["noordwest"] and only.ladder == {None: 1}


async def test_practice_figures(database: Database) -> None:
    practices = await ids(database, Practice)
    rows = {row.unit_id: row for row in await compute(database, Level.PRACTICE)}
    maasoever = rows[practices["maasoever"]]
    assert (maasoever.requests, maasoever.given, maasoever.received) == (1, 1, 2)
    assert maasoever.fill.median_minutes == 180.0
    assert (rows[practices["jekerkwartier"]].given, rows[practices["jekerkwartier"]].received) == (1, 1)
    assert rows[practices["wyck"]].given == 1 and rows[practices["wyck"]].requests == 0
    assert rows[practices["vrijthof"]].cancelled == {"solved": 1}


async def test_who_helps_whom(database: Database) -> None:
    practices, wijken = await ids(database, Practice), await ids(database, Wijk)
    async with database.session() as session:
        cells = await lending(session, region_id=1, period=NOVEMBER, wijk_id=wijken["centrum"])
    named = {(c.helper_practice_id, c.practice_id, c.role, c.dayparts) for c in cells}
    p = practices
    assert named == {
        (p["jekerkwartier"], p["maasoever"], "doktersassistent", 1),
        (p["wyck"], p["maasoever"], "doktersassistent", 1),
        (p["maasoever"], p["jekerkwartier"], "huisarts", 1),
    }
    assert all(isinstance(c, Lending) and c.wijk_id == wijken["centrum"] for c in cells)


async def test_october_holds_only_its_own_request(database: Database) -> None:
    async with database.session() as session:
        [october] = await figures(session, region_id=1, period=month_period(2026, 10, ZONE), level=Level.REGION)
        [december] = await figures(session, region_id=1, period=month_period(2026, 12, ZONE), level=Level.REGION)
    assert (october.requests, october.dayparts_asked, october.offers_made) == (1, 1, 0)
    assert october.first_offer.median_minutes is None and october.fill_rate == 0.0
    assert december.requests == 1
