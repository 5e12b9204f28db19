"""What the coordinator watches: requests still open after the ladder, spoed left unfilled, a daily digest."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.permissions import is_coordinator_of
from bot.services import audit
from bot.services.availability import in_quiet_hours
from bot.services.members import member_relations
from bot.services.notices import Digest
from bot.services.outbox import enqueue
from bot.services.requests import load_request, send_copy
from db.models import (
    DigestSent,
    Member,
    Offer,
    OfferStatus,
    Region,
    RequestRecipient,
    RequestStatus,
    Role,
    ShortageRequest,
    Urgency,
)

SPOED_WATCH = timedelta(minutes=30)


async def needs_attention(session: AsyncSession, *, region_id: int, now: datetime) -> list[ShortageRequest]:
    """Open requests whose last round has started, and spoed requests unfilled after 30 minutes."""
    ids = list(
        await session.scalars(
            select(ShortageRequest.id)
            .where(
                ShortageRequest.region_id == region_id,
                ShortageRequest.status == RequestStatus.OPEN,
                ShortageRequest.ends_at > now,
                (ShortageRequest.round >= 4)
                | ((ShortageRequest.urgency == Urgency.SPOED) & (ShortageRequest.created_at <= now - SPOED_WATCH)),
            )
            .order_by(ShortageRequest.ends_at)
        )
    )
    found = [await load_request(session, request_id) for request_id in ids]
    return [request for request in found if request is not None]


async def nudge(
    session: AsyncSession, *, now: datetime, zone: ZoneInfo, member: Member | None, request_id: int
) -> int | None:
    """Ask the wijk again: a fresh copy for everyone asked who has neither offered nor said no, and whose copy
    has reached them (a copy still waiting for someone's morning goes out then, once); normaal requests wait out
    each person's quiet hours again."""
    request = await load_request(session, request_id)
    if (
        request is None
        or member is None
        or not is_coordinator_of(member, request.region_id)
        or request.status != RequestStatus.OPEN
        or request.ends_at <= now
    ):
        return None
    answered = select(Offer.member_id).where(
        Offer.request_id == request.id, Offer.status != OfferStatus.WITHDRAWN, Offer.member_id.is_not(None)
    )
    rows = await session.execute(
        select(RequestRecipient, Member)
        .join(Member, Member.id == RequestRecipient.member_id)
        .where(
            RequestRecipient.request_id == request.id,
            RequestRecipient.declined.is_(False),
            RequestRecipient.message_id.is_not(None),
            RequestRecipient.member_id.not_in(answered),
        )
    )
    nudged = 0
    for recipient, asked in rows:
        due = None if request.urgency == Urgency.SPOED else in_quiet_hours(asked, now, zone)
        await send_copy(session, now=now, recipient=recipient, due_at=due, again=True)
        nudged += 1
    await audit.record(
        session,
        at=now,
        action="request.nudged",
        region_id=request.region_id,
        actor_member_id=member.id,
        subject_type="request",
        subject_id=request.id,
        details={"nudged": nudged},
    )
    return nudged


async def coordinators(session: AsyncSession, region_id: int) -> list[Member]:
    """The region's coordinators."""
    members = await session.scalars(select(Member).where(Member.region_id == region_id).options(*member_relations()))
    return [m for m in members if m.has_role(Role.COORDINATOR)]


async def send_digests(session: AsyncSession, *, now: datetime, zone: ZoneInfo, at: time) -> list[int]:
    """Once a day from `at` (local), each region's coordinators get what is open, if anything is; the day is
    recorded first, so a restart or a second worker never sends it twice. Returns the regions handled."""
    local = now.astimezone(zone)
    if local.time() < at:
        return []
    handled = []
    for region in await session.scalars(select(Region)):
        try:
            async with session.begin_nested():
                session.add(DigestSent(region_id=region.id, day=local.date()))
        except IntegrityError:
            continue  # already sent today
        handled.append(region.id)
        if not await _open_ids(session, region.id, now):
            continue  # nothing to say today
        for coordinator in await coordinators(session, region.id):
            await enqueue(
                session,
                now=now,
                notice=Digest(region_id=region.id),
                chat_id=coordinator.telegram_user_id,
                member_id=coordinator.id,
            )
    return handled


async def _open_ids(session: AsyncSession, region_id: int, now: datetime) -> list[int]:
    return list(
        await session.scalars(
            select(ShortageRequest.id).where(
                ShortageRequest.region_id == region_id,
                ShortageRequest.status == RequestStatus.OPEN,
                ShortageRequest.ends_at > now,
            )
        )
    )


async def open_requests(session: AsyncSession, *, region_id: int, now: datetime) -> list[ShortageRequest]:
    """Everything still open in the region, soonest first (for the digest)."""
    found = [await load_request(session, request_id) for request_id in await _open_ids(session, region_id, now)]
    return sorted((r for r in found if r is not None), key=lambda r: r.slots[0].start_at if r.slots else r.ends_at)
