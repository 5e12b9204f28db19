"""What the coordinator watches: requests still open after the ladder, spoed left unfilled, a daily digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, raiseload, selectinload

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
    RequestSlot,
    RequestStatus,
    Role,
    ShortageRequest,
    Urgency,
)

SPOED_WATCH = timedelta(minutes=30)


@dataclass
class Listed:
    """The first requests of a list, as far as it is shown, and how many there are in all."""

    requests: list[ShortageRequest]
    total: int


async def _listed(session: AsyncSession, query: Select[Any], limit: int) -> Listed:
    """The first `limit` ids the query selects (in its order), loaded with what a line of them shows (practice,
    wijk, slots; not the offers), and the count of them all: two statements for the list and one for its slots,
    however many requests are open."""
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    ids = list(await session.scalars(query.limit(limit))) if total and limit > 0 else []
    if not ids:
        return Listed([], total)
    found = await session.scalars(
        select(ShortageRequest)
        .where(ShortageRequest.id.in_(ids))
        .options(
            joinedload(ShortageRequest.practice),
            joinedload(ShortageRequest.wijk),
            selectinload(ShortageRequest.slots),
            raiseload(ShortageRequest.offers),
        )
        .execution_options(populate_existing=True)
    )
    by_id = {request.id: request for request in found}
    return Listed([by_id[request_id] for request_id in ids if request_id in by_id], total)


async def needs_attention(session: AsyncSession, *, region_id: int, now: datetime, limit: int) -> Listed:
    """Open requests whose last round has started, and spoed requests unfilled after 30 minutes, the soonest to
    end first: the first `limit` of them, and how many there are."""
    query = (
        select(ShortageRequest.id)
        .where(
            ShortageRequest.region_id == region_id,
            ShortageRequest.status == RequestStatus.OPEN,
            ShortageRequest.ends_at > now,
            (ShortageRequest.round >= 4)
            | ((ShortageRequest.urgency == Urgency.SPOED) & (ShortageRequest.created_at <= now - SPOED_WATCH)),
        )
        .order_by(ShortageRequest.ends_at, ShortageRequest.id)
    )
    return await _listed(session, query, limit)


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
        if not (await open_requests(session, region_id=region.id, now=now, limit=0)).total:
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


async def open_requests(session: AsyncSession, *, region_id: int, now: datetime, limit: int) -> Listed:
    """Everything still open in the region, the soonest first day first (for the digest): the first `limit`,
    and how many there are."""
    first_day = (
        select(func.min(RequestSlot.start_at)).where(RequestSlot.request_id == ShortageRequest.id).scalar_subquery()
    )
    query = (
        select(ShortageRequest.id)
        .where(
            ShortageRequest.region_id == region_id,
            ShortageRequest.status == RequestStatus.OPEN,
            ShortageRequest.ends_at > now,
        )
        .order_by(func.coalesce(first_day, ShortageRequest.ends_at), ShortageRequest.id)
    )
    return await _listed(session, query, limit)
