"""The rules of the AVG commands, straight on the services: who takes over a request, what stays booked, the
retention figure /privacy names, the last-coordinator warning, and an export that is empty after deletion."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.services.members import find_member
from bot.services.network import find_practice
from bot.services.privacy_export import export_data
from bot.services.privacy_rights import (
    delete_member,
    plan_deletion,
)
from bot.services.requests import SlotInput
from db.meetings import ActionPoint, Meeting, MeetingOccurrence
from db.models import (
    Daypart,
    Member,
    MemberRole,
    Offer,
    OfferStatus,
    OutboxMessage,
    RequestSlot,
    Role,
    ShortageRequest,
)
from db.session import Database
from tests.support import FakeClock
from tests.unit.test_races import TOMORROW, accept, add_member, offer, post

NOW = FakeClock().now()


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


async def member_id(db: Database, telegram_id: int) -> int:
    async with db.session() as session:
        found = await find_member(session, telegram_id)
        assert found is not None
        return found.id



async def test_a_practice_manager_takes_over_before_a_gp(database: Database) -> None:
    await add_member(database, 1, "caberg", Role.PRAKTIJKMANAGER)
    await add_member(database, 2, "caberg", Role.HUISARTS)
    await add_member(database, 3, "caberg", Role.DOKTERSASSISTENT)
    await add_member(database, 4, "caberg", Role.PRAKTIJKMANAGER)
    request_id = await post(database, 1, [SlotInput.for_daypart(TOMORROW, Daypart.OCHTEND)])
    async with database.session() as session, session.begin():
        author = await find_member(session, 1)
        assert author is not None
        plan = await plan_deletion(session, now=NOW, member=author)
        assert (plan.handed_over, plan.cancelled, plan.offers) == (1, 0, 0)
        report = await delete_member(session, now=NOW, member=author)
    assert report is not None and report.handed_over == [request_id]
    manager = await member_id(database, 4)
    async with database.session() as session:
        request = await session.get(ShortageRequest, request_id)
        assert request is not None and request.created_by_member_id == manager


async def test_help_that_has_begun_stays_booked_and_the_rest_is_withdrawn(database: Database) -> None:
    await add_member(database, 1, "caberg", Role.PRAKTIJKMANAGER)
    await add_member(database, 3, "malberg", Role.DOKTERSASSISTENT)
    morning = await post(database, 1, [SlotInput.for_daypart(TOMORROW, Daypart.OCHTEND)])
    afternoon = await post(database, 1, [SlotInput.for_daypart(TOMORROW, Daypart.MIDDAG)])
    booked = await offer(database, 3, morning)
    pending = await offer(database, 3, afternoon)
    await accept(database, 1, booked)
    during_the_morning = datetime(TOMORROW.year, TOMORROW.month, TOMORROW.day, 8, 0, tzinfo=UTC)
    async with database.session() as session, session.begin():
        helper = await find_member(session, 3)
        assert helper is not None
        report = await delete_member(session, now=during_the_morning, member=helper)
        assert await delete_member(session, now=during_the_morning, member=helper) is None, "only once"
    assert report is not None and (report.kept, report.withdrawn) == ([booked], [pending])
    async with database.session() as session:
        statuses = {o.id: o.status for o in await session.scalars(select(Offer))}
        fillers = list(await session.scalars(select(RequestSlot.filled_offer_id).order_by(RequestSlot.start_at)))
    assert statuses == {booked: OfferStatus.ACCEPTED, pending: OfferStatus.WITHDRAWN}
    assert fillers == [booked, None], "the morning's fact stays; the afternoon is open"


async def test_a_helper_leaving_mid_booking_frees_the_days_ahead_and_the_requester_is_told(database: Database) -> None:
    await add_member(database, 1, "caberg", Role.PRAKTIJKMANAGER)
    await add_member(database, 3, "malberg", Role.DOKTERSASSISTENT)
    day_after = TOMORROW + timedelta(days=1)
    slots = [SlotInput.for_daypart(TOMORROW, Daypart.OCHTEND), SlotInput.for_daypart(day_after, Daypart.OCHTEND)]
    request_id = await post(database, 1, slots)
    booked = await offer(database, 3, request_id)
    await accept(database, 1, booked)
    during_the_first_morning = datetime(TOMORROW.year, TOMORROW.month, TOMORROW.day, 8, 0, tzinfo=UTC)
    async with database.session() as session, session.begin():
        helper = await find_member(session, 3)
        assert helper is not None
        report = await delete_member(session, now=during_the_first_morning, member=helper)
    assert report is not None and report.kept == [booked] and len(report.released) == 1
    async with database.session() as session:
        fillers = list(await session.scalars(select(RequestSlot.filled_offer_id).order_by(RequestSlot.start_at)))
        request = await session.get(ShortageRequest, request_id)
        told = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "offer.withdrawn")))
    assert fillers == [booked, None], "the morning under way stays booked; the next one is open again"
    assert request is not None and request.status == "open"
    assert [row.params["slot_ids"] for row in told] == [report.released], "the requester hears which day-parts"


async def test_the_last_coordinator_is_named_and_the_export_after_deletion_is_empty(database: Database) -> None:
    await add_member(database, 7, "caberg", Role.PRAKTIJKMANAGER)
    async with database.session() as session, session.begin():
        member = await find_member(session, 7)
        assert member is not None
        member.role_rows.append(MemberRole(role=Role.COORDINATOR))
        member.phone, member.share_phone = "+31611112222", True
    async with database.session() as session, session.begin():
        member = await find_member(session, 7)
        assert member is not None
        assert (await plan_deletion(session, now=NOW, member=member)).last_coordinator
        before = await export_data(session, now=NOW, telegram_user_id=7)
        assert before["member"]["phone"] == "+31611112222"
        assert [role["role"] for role in before["member"]["roles"]] == ["coordinator", "praktijkmanager"]
        await delete_member(session, now=NOW, member=member)
    async with database.session() as session:
        after = await export_data(session, now=NOW, telegram_user_id=7)
        rows = list(await session.scalars(select(Member).where(Member.deleted_at.is_not(None))))
    assert after == {"exported_at": NOW, "member": None, "conversation_state": []}
    assert len(rows) == 1 and rows[0].phone is None and rows[0].display_name == "" and rows[0].telegram_user_id < 0


async def test_an_action_point_falls_back_to_the_practice_and_a_meeting_to_the_coordinators(
    database: Database,
) -> None:
    await add_member(database, 8, "caberg", Role.PRAKTIJKMANAGER)
    leaving = await member_id(database, 8)
    async with database.session() as session, session.begin():
        practice = await find_practice(session, 1, "caberg")
        assert practice is not None
        meeting = Meeting(
            region_id=1,
            title="Wijkoverleg",
            timezone="Europe/Amsterdam",
            start_local=datetime(2026, 11, 20, 19, 0),
            duration_minutes=120,
            created_by_member_id=leaving,
            created_at=NOW,
        )
        session.add(meeting)
        await session.flush()
        occurrence = MeetingOccurrence(
            meeting_id=meeting.id,
            position=0,
            start_local=datetime(2026, 11, 20, 19, 0),
            starts_at=datetime(2026, 11, 20, 18, 0, tzinfo=UTC),
            ends_at=datetime(2026, 11, 20, 20, 0, tzinfo=UTC),
            invite_at=NOW,
        )
        session.add(occurrence)
        await session.flush()
        session.add(
            ActionPoint(
                occurrence_id=occurrence.id,
                region_id=1,
                text="Rooster feestdagen rondsturen",
                owner_practice_id=practice.id,
                owner_member_id=leaving,
                due_on=TOMORROW,
                remind_at=NOW,
                created_at=NOW,
            )
        )
    async with database.session() as session, session.begin():
        member = await find_member(session, 8)
        assert member is not None
        await delete_member(session, now=NOW, member=member)
    async with database.session() as session:
        point = await session.scalar(select(ActionPoint))
        meeting_row = await session.scalar(select(Meeting))
    assert point is not None and point.owner_member_id is None and point.owner_practice_id is not None
    assert meeting_row is not None and meeting_row.created_by_member_id is None
